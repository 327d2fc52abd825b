// Lab node start-up refusals, through the node's real bin/ scripts: each misconfiguration makes
// `bin/elasticsearch-service start` fail, leaves Elasticsearch's message in logs/<cluster>.log and a failed
// service status (exit 3); fixing it lets the node start again. One small lab (2 × 1 node), torn down always.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { labUp } from '../../lab/up.js';
import { labDown, labFault } from '../../lab/ops.js';
import { labHttp } from '../../lab/http-client.js';
import type { LabFile, LabNodeEntry } from '../../lab/layout.js';
import { createCa, issueCert, toPkcs12 } from '../../controller/certs/index.js';

let lab: LabFile;
let dir: string;
let node: LabNodeEntry;
let originalYml: string;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lab-node-'));
  lab = (await labUp({ dir, nodes: 1, startDelayMs: 100, recoveryMs: 100 })).lab;
  node = lab.clusters.find((c) => c.name === 'local')!.nodes[0]!;
  originalYml = readFileSync(join(node.configDir, 'elasticsearch.yml'), 'utf8');
});
test.after.always(async () => {
  if (lab) await labDown(dir).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

function run(
  script: string,
  args: string[],
  stdin = '',
  env: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(join(node.home, 'bin', script), args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
    p.stdin.end(stdin);
  });
}
const logText = () => readFileSync(join(node.home, 'logs', 'local.log'), 'utf8');
const ymlAppend = (text: string) => appendFileSync(join(node.configDir, 'elasticsearch.yml'), text);
const ymlRestore = () => writeFileSync(join(node.configDir, 'elasticsearch.yml'), originalYml);
const ksAdd = async (name: string, value: string) => {
  const r = await run('elasticsearch-keystore', ['add', '-f', '-x', name], value + '\n');
  if (r.code !== 0) throw new Error(r.out);
};
const ksRemove = async (name: string) => {
  const r = await run('elasticsearch-keystore', ['remove', name]);
  if (r.code !== 0) throw new Error(r.out);
};
function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createConnection({ host, port });
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

/** Stops the node, applies a change, expects the start to fail with `message` (log + status), then repairs. */
async function refusal(
  t: import('ava').ExecutionContext,
  change: () => Promise<void> | void,
  message: string,
  repair: () => Promise<void> | void,
) {
  t.is((await run('elasticsearch-service', ['stop'])).code, 0);
  await change();
  const before = logText().length;
  const start = await run('elasticsearch-service', ['start']);
  t.is(start.code, 1, start.out);
  t.true(start.out.includes(message), `service output names the cause: ${start.out}`);
  const log = logText().slice(before);
  t.true(log.includes('[ERROR][o.e.b.Elasticsearch      ] [local-1] fatal exception while booting Elasticsearch'), log);
  t.true(log.includes(message), `log has ES's message: ${log}`);
  const status = await run('elasticsearch-service', ['status']);
  t.is(status.code, 3);
  t.regex(status.out, /Active: failed/);
  t.false(await portOpen(node.address, 9200), 'nothing listens after a refused start');
  await repair();
  const again = await run('elasticsearch-service', ['start']);
  t.is(again.code, 0, again.out);
  t.is((await run('elasticsearch-service', ['status'])).code, 0);
}

const UNKNOWN = (k: string, secure = false) =>
  `unknown ${secure ? 'secure ' : ''}setting [${k}] please check that any required plugins are installed, or check the breaking changes documentation for removed settings`;

test.serial('unknown setting in elasticsearch.yml', async (t) => {
  await refusal(t, () => ymlAppend('xpack.securty.enabled: true\n'), UNKNOWN('xpack.securty.enabled'), ymlRestore);
});

test.serial('unknown secure setting in the keystore', async (t) => {
  await refusal(
    t,
    () => ksAdd('cluster.remote.my_remote.credentail', 'x'),
    UNKNOWN('cluster.remote.my_remote.credentail', true),
    () => ksRemove('cluster.remote.my_remote.credentail'),
  );
});

test.serial('transport.profiles._remote_cluster.* is refused', async (t) => {
  await refusal(
    t,
    () => ymlAppend('transport.profiles._remote_cluster.port: 9443\n'),
    'Remote Access settings should not be configured using the [_remote_cluster] profile. Use the [remote_cluster.] settings instead.',
    ymlRestore,
  );
});

test.serial('credentials in the keystore with security disabled', async (t) => {
  await refusal(
    t,
    async () => {
      writeFileSync(
        join(node.configDir, 'elasticsearch.yml'),
        originalYml.replace('xpack.security.enabled: true', 'xpack.security.enabled: false'),
      );
      await ksAdd('cluster.remote.my_remote.credentials', 'abc');
    },
    'Found [1] remote clusters with credentials [my_remote]. Security [xpack.security.enabled] must be enabled to connect to them.',
    async () => {
      ymlRestore();
      await ksRemove('cluster.remote.my_remote.credentials');
    },
  );
});

test.serial('remote cluster server: no key material, then an unreadable PKCS#12, then a working 9443', async (t) => {
  await refusal(
    t,
    () => ymlAppend('remote_cluster_server.enabled: true\n'),
    'invalid SSL configuration for xpack.security.remote_cluster_server.ssl - server ssl configuration requires a key and certificate, but these have not been configured; you must set either [xpack.security.remote_cluster_server.ssl.keystore.path], or both [xpack.security.remote_cluster_server.ssl.key] and [xpack.security.remote_cluster_server.ssl.certificate]',
    ymlRestore,
  );
  const ca = createCa({ dn: 'CN=cross-cluster CA' });
  const cert = issueCert({ ca, name: 'rcs', ip: [node.address] });
  writeFileSync(
    join(node.configDir, 'certs', 'rcs.p12'),
    toPkcs12({ keyPem: cert.keyPem, certPem: cert.certPem, caPems: [ca.certPem], password: 'right-password' }),
  );
  const p12 = join(node.configDir, 'certs', 'rcs.p12');
  await refusal(
    t,
    async () => {
      ymlAppend(
        'remote_cluster_server.enabled: true\nxpack.security.remote_cluster_server.ssl.keystore.path: certs/rcs.p12\n',
      );
      await ksAdd('xpack.security.remote_cluster_server.ssl.keystore.secure_password', 'wrong-password');
    },
    `failed to load SSL configuration [xpack.security.remote_cluster_server.ssl] - cannot read configured [PKCS12] keystore (as a keystore) [${p12}] - this is usually caused by an incorrect password`,
    () => ksAdd('xpack.security.remote_cluster_server.ssl.keystore.secure_password', 'right-password'),
  );
  t.true(await portOpen(node.address, 9443), 'the remote cluster server listens on 9443');
  const local = lab.clusters.find((c) => c.name === 'local')!;
  const r = await labHttp(
    { url: local.url, user: local.user, passwordFile: local.passwordFile, caCert: lab.caCert },
    'GET',
    '/_nodes/_all/remote_cluster_server',
  );
  const info = Object.values((r.json as any).nodes)[0] as any;
  t.deepEqual(info.remote_cluster_server, {
    bound_address: [`${node.address}:9443`],
    publish_address: `${node.address}:9443`,
  });
  // back to the lab's configuration
  t.is((await run('elasticsearch-service', ['stop'])).code, 0);
  ymlRestore();
  await ksRemove('xpack.security.remote_cluster_server.ssl.keystore.secure_password');
  t.is((await run('elasticsearch-service', ['start'])).code, 0);
  t.false(await portOpen(node.address, 9443));
});

test.serial('fault fail-start fails the next start only', async (t) => {
  await refusal(
    t,
    () => labFault(dir, node.name, 'fail-start', {}).then(() => undefined),
    UNKNOWN('lab.fault.fail_start'),
    () => undefined,
  );
});

test.serial('password-protected keystore: the node reads the password from $ES_KEYSTORE_PASSPHRASE_FILE', async (t) => {
  const passFile = join(dir, 'keystore-pass');
  writeFileSync(passFile, 'ks-pass\n', { mode: 0o600 });
  t.is((await run('elasticsearch-service', ['stop'])).code, 0);
  const pw = await run('elasticsearch-keystore', ['passwd'], 'ks-pass\nks-pass\n');
  t.is(pw.code, 0, pw.out);
  t.is((await run('elasticsearch-keystore', ['has-passwd'])).code, 0);
  const before = logText().length;
  const noPass = await run('elasticsearch-service', ['start']);
  t.is(noPass.code, 1);
  t.true(logText().slice(before).includes('java.lang.SecurityException: Provided keystore password was incorrect'));
  t.is((await run('elasticsearch-service', ['status'])).code, 3);
  const ok = await run('elasticsearch-service', ['start'], '', { ES_KEYSTORE_PASSPHRASE_FILE: passFile });
  t.is(ok.code, 0, ok.out);
  t.is((await run('elasticsearch-service', ['status'])).code, 0);
  // back to an unprotected keystore (current password, then an empty new one twice)
  t.is((await run('elasticsearch-keystore', ['passwd'], 'ks-pass\n\n\n')).code, 0);
  t.is((await run('elasticsearch-keystore', ['has-passwd'])).code, 1);
});

test.serial('a node killed without stop: status failed (3), start brings it back with the same node id', async (t) => {
  const pid = Number(readFileSync(join(node.home, 'elasticsearch.pid'), 'utf8'));
  const id = readFileSync(join(node.home, 'data', 'node_id'), 'utf8');
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const status = await run('elasticsearch-service', ['status']);
  t.is(status.code, 3);
  t.regex(status.out, /Active: failed/);
  t.is((await run('elasticsearch-service', ['start'])).code, 0);
  const local = lab.clusters.find((c) => c.name === 'local')!;
  const r = await labHttp(
    { url: local.url, user: local.user, passwordFile: local.passwordFile, caCert: lab.caCert },
    'GET',
    '/_cat/nodes?format=json&h=id,name&full_id=true',
  );
  t.deepEqual(r.json, [{ id, name: 'local-1' }]);
});
