// `crosskey inspect` against a real lab (2 simulated nodes per cluster over TLS, real OpenSSH hosts, real keystores,
// real PKCS#12 files): the CLI command in-process, as a user runs it. Read-only is checked by hashing every node's
// files and reading the cluster settings before and after; no secret may appear in any output.
import test from 'ava';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from './cli-bundle.js';
import { labCommand } from '../../lab/cli.js';
import { inspectCommand } from '../../controller/cli/commands/inspect.js';
import type { InspectReport } from '../../controller/inspect/types.js';
import { loadInventory } from '../../controller/inventory/index.js';
import { esForVars } from '../../controller/elastic/client.js';
import { labPasswords, runInLab, sharedLab } from '../helpers/lab.js';

const quiet = { out: () => {}, err: (s: string) => process.stderr.write(s) };

// The lab as `crosskey lab up --nodes 2` makes it (default start and recovery times).
const lab = sharedLab(test, {
  prefix: 'ck-inspect-',
  startDelayMs: 1000,
  recoveryMs: 1000,
  setup: (l) => {
    // The lab's inventory names every PKCS#12 password (es_cert_passwords, secret_file templates); local-2's
    // host_vars take them away again, so its files show as a user without the passwords sees them.
    mkdirSync(join(l.dir, 'host_vars'), { recursive: true });
    writeFileSync(join(l.dir, 'host_vars', 'local-2.yml'), 'es_cert_passwords: {}\n');
  },
});

const cli = (argv: string[]) => runInLab(lab(), (a, io) => inspectCommand.run(a, io), argv);

/** Every file under the lab's node config dirs, hashed: inspect must leave them byte-for-byte as they were. */
function configHashes(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const cluster of ['local', 'remote']) {
    const base = join(lab().dir, 'clusters', cluster);
    for (const node of readdirSync(base).filter((n) => existsSync(join(base, n, 'config')))) {
      const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          const p = join(d, e.name);
          if (e.isDirectory()) walk(p);
          else out[p] = createHash('sha256').update(readFileSync(p)).digest('hex');
        }
      };
      walk(join(base, node, 'config'));
    }
  }
  return out;
}

test.serial(
  'inspect --json: RCS1 on every local node, the alias persistent, keystore names, certificates; read-only; no secret',
  async (t) => {
    const inv = lab().inventory;
    const localVars = loadInventory(inv).hostVars('local-1');
    const settingsBefore = (await esForVars(localVars).request({ method: 'GET', path: '/_cluster/settings' })).body;
    const filesBefore = configHashes();

    const { code, stdout, stderr } = await cli(['-i', inv, '--json']);
    t.is(code, 0, stderr);
    const r = JSON.parse(stdout) as InspectReport;

    // Cluster part.
    const local = r.clusters.find((c) => c.group === 'local')!;
    t.is(local.health?.status, 'green');
    t.is(local.version, '8.15.0');
    t.truthy(local.license?.type);
    const alias = local.aliases?.find((a) => a.alias === 'my_remote');
    t.deepEqual(alias?.configuredAs, ['persistent']);
    t.is(alias?.mode, 'sniff');
    t.true(
      alias!.addresses.every((a) => a.endsWith(':9300')),
      'RCS1 seeds point at the transport port',
    );
    t.deepEqual(local.remoteInfo.map((n) => n.host).sort(), ['local-1', 'local-2']);
    for (const n of local.remoteInfo) {
      t.is(n.error, undefined);
      t.is(n.aliases.my_remote?.model, 'RCS1', `${n.host} uses certificates`);
      t.true(n.aliases.my_remote?.connected);
      t.false(n.aliases.my_remote?.credentials);
    }
    t.is(local.models?.my_remote?.model, 'RCS1');
    t.true(local.tasks!.my_remote!.transforms.some((x) => x.id === 'remote-logs-summary'));
    t.true(local.tasks!.my_remote!.followers.length > 0);
    const remote = r.clusters.find((c) => c.group === 'remote')!;
    t.is(remote.health?.status, 'green');
    t.deepEqual(remote.aliases, []);

    // Host part.
    const h1 = r.hosts.find((h) => h.host === 'local-1')!;
    const h2 = r.hosts.find((h) => h.host === 'local-2')!;
    for (const h of [h1, h2]) {
      t.true(h.ssh.reachable, `${h.host}: ${h.ssh.error}`);
      t.is(h.node.version, '8.15.0');
      t.true(h.node.roles!.includes('remote_cluster_client'));
      t.true(h.ssh.keystore!.exists);
      t.true(h.ssh.keystore!.entries!.includes('keystore.seed'));
      t.true(h.ssh.keystore!.entries!.includes('xpack.security.transport.ssl.keystore.secure_password'));
      t.true(h.ssh.service!.active);
      t.true(h.ssh.ports!.some((p) => p.port === 9200 && p.role === 'http'));
      t.true(h.ssh.ports!.some((p) => p.port === 9300 && p.role === 'transport'));
    }
    const ks1 = h1.ssh.certFiles!.find((f) => f.setting === 'xpack.security.transport.ssl.keystore.path')!;
    t.is(ks1.status, 'ok');
    t.is(ks1.format, 'pkcs12');
    const addr1 = String(loadInventory(inv).hostVars('local-1').ansible_host);
    t.true(ks1.certificates[0]!.sans.ip.includes(addr1), `SANs of local-1's certificate include ${addr1}`);
    t.true(ks1.certificates[0]!.daysLeft > 0);
    t.true(
      ks1.certificates.some((c) => c.isCa),
      'the CA stored beside the key is listed',
    );
    const ks2 = h2.ssh.certFiles!.find((f) => f.setting === 'xpack.security.transport.ssl.keystore.path')!;
    t.is(ks2.status, 'protected', 'no password in vars for local-2');
    // Every other node's HTTP and transport PKCS#12 opens with the passwords the lab inventory names.
    const inventoryText = readFileSync(inv, 'utf8');
    t.regex(inventoryText, /es_cert_passwords:\s+http\.p12: '?\{\{ secret_file "[^"]+-http\.p12-password" \}\}/);
    for (const h of r.hosts.filter((x) => x.host !== 'local-2')) {
      for (const setting of ['xpack.security.http.ssl.keystore.path', 'xpack.security.transport.ssl.keystore.path']) {
        const f = h.ssh.certFiles!.find((x) => x.setting === setting);
        t.is(f?.status, 'ok', `${h.host} ${setting}: ${f?.status} ${f?.error ?? ''}`);
        t.is(f?.format, 'pkcs12');
        t.true(
          f!.certificates.some((c) => !c.isCa && c.daysLeft > 0 && !!c.notAfter),
          `${h.host} ${setting} expiry`,
        );
      }
    }

    // Read-only and secret-free.
    t.deepEqual(configHashes(), filesBefore);
    t.deepEqual(
      (await esForVars(localVars).request({ method: 'GET', path: '/_cluster/settings' })).body,
      settingsBefore,
    );
    for (const s of labPasswords(lab())) {
      t.false(inventoryText.includes(s), 'no lab password in the inventory');
      t.false(stdout.includes(s), 'no lab password in the JSON');
      t.false(stderr.includes(s));
    }

    // The compact default: one table per cluster within 120 columns, the model per alias, credentials and 9443.
    const compact = await cli(['-i', inv]);
    t.is(compact.code, 0);
    t.true(
      compact.stdout.split('\n').every((l) => l.length <= 120),
      compact.stdout,
    );
    t.regex(compact.stdout, /^local: \S+ 8\.15\.0 green$/m);
    t.regex(compact.stdout, /local-1\s+8\.15\.0\s+my_remote:RCS1\s+no\s+\d{4}-\d\d-\d\d \(\d+d\)/);
    t.regex(compact.stdout, /remote-2\s+8\.15\.0\s+-\s+no\s+/);
    for (const s of labPasswords(lab())) t.false(compact.stdout.includes(s));
    // --html FILE: the same compact view as a self-contained page, with the alias drawn local → remote (RCS1).
    const htmlFile = join(lab().dir, 'inspect.html');
    const withHtml = await cli(['-i', inv, '--html', htmlFile]);
    t.is(withHtml.code, 0);
    t.regex(withHtml.stdout, /local-1\s+8\.15\.0\s+my_remote:RCS1\s+no\s+/, 'stdout is still the compact view');
    const html = readFileSync(htmlFile, 'utf8');
    t.regex(html, /<h2>local: \S+ 8\.15\.0 green<\/h2>/);
    t.regex(html, /<g class="alias" data-alias="my_remote" data-from="local" data-to="remote" data-model="RCS1">/);
    t.regex(html, /<td><code>local-1<\/code><\/td><td>8\.15\.0<\/td><td>my_remote <span class="badge"[^>]*>RCS1</);
    for (const s of labPasswords(lab())) t.false(html.includes(s));
    // --long: the same facts in detail, as tables.
    const human = await cli(['-i', inv, '--long']);
    t.is(human.code, 0);
    t.regex(human.stdout, /my_remote\s+persistent\s+sniff/);
    t.regex(human.stdout, /local-1\s+local-1\s+my_remote\s+connected\s+sniff\s+RCS1/);
    t.regex(human.stdout, /local-2\s+local-2\s+my_remote\s+connected\s+sniff\s+RCS1/);
    t.regex(human.stdout, /keystore\.seed/);
    t.regex(human.stdout, /transport\.p12\s+pkcs12\s+protected/);
    for (const s of labPasswords(lab())) t.false(human.stdout.includes(s));
  },
);

test.serial('SSH down for a host: its host part says so, the cluster part still answers for every node', async (t) => {
  const inv = lab().inventory;
  t.is(await labCommand(['fault', 'local-2', 'drop-ssh', '--dir', lab().dir], quiet), 0);
  t.teardown(() =>
    labCommand(['fault', 'local-2', 'drop-ssh', '--clear', '--dir', lab().dir], quiet).then(() => undefined),
  );
  const { code, stdout } = await cli(['-i', inv, '--json', '--limit', 'local']);
  t.is(code, 4, 'an unreachable host is exit 4');
  const r = JSON.parse(stdout) as InspectReport;
  t.deepEqual(r.hosts.map((h) => h.host).sort(), ['local-1', 'local-2']);
  const h2 = r.hosts.find((h) => h.host === 'local-2')!;
  t.false(h2.ssh.reachable);
  t.regex(h2.ssh.error ?? '', /local-2/);
  t.is(h2.node.version, '8.15.0', 'the node itself still answers over HTTP');
  t.true(r.hosts.find((h) => h.host === 'local-1')!.ssh.reachable);
  const local = r.clusters.find((c) => c.group === 'local')!;
  t.is(local.health?.status, 'green');
  t.is(local.remoteInfo.find((n) => n.host === 'local-2')?.aliases.my_remote?.model, 'RCS1');
  t.deepEqual(
    r.clusters.map((c) => c.group),
    ['local'],
    '--limit local keeps only the local cluster',
  );

  // --no-ssh: the cluster part alone, exit 0.
  const noSsh = await cli(['-i', inv, '--no-ssh', '--long']);
  t.is(noSsh.code, 0);
  t.regex(noSsh.stdout, /SSH not used/);
  t.regex(noSsh.stdout, /local-2\s+local-2\s+my_remote\s+connected\s+sniff\s+RCS1/);
});

test.serial(
  'a transient alias is shown as transient; a cluster that does not answer is reported, the other still prints',
  async (t) => {
    const inv = lab().inventory;
    const vars = loadInventory(inv).hostVars('local-1');
    const es = esForVars(vars);
    const remoteAddr = String(loadInventory(inv).hostVars('remote-1').ansible_host);
    await es.request({
      method: 'PUT',
      path: '/_cluster/settings',
      body: {
        transient: {
          'cluster.remote.second.mode': 'proxy',
          'cluster.remote.second.proxy_address': `${remoteAddr}:9300`,
        },
      },
    });
    t.teardown(() =>
      es
        .request({
          method: 'PUT',
          path: '/_cluster/settings',
          body: { transient: { 'cluster.remote.second.mode': null, 'cluster.remote.second.proxy_address': null } },
        })
        .then(() => undefined),
    );
    // Same inventory, but the remote cluster's URL points at a closed port.
    const broken = join(lab().dir, 'broken.yml');
    writeFileSync(
      broken,
      readFileSync(inv, 'utf8').replace(`es_url: https://${remoteAddr}:9200`, `es_url: https://${remoteAddr}:9299`),
    );
    const { code, stdout } = await cli(['-i', broken, '--json', '--no-ssh']);
    t.is(code, 4);
    const r = JSON.parse(stdout) as InspectReport;
    const local = r.clusters.find((c) => c.group === 'local')!;
    const second = local.aliases!.find((a) => a.alias === 'second')!;
    t.deepEqual(second.configuredAs, ['transient']);
    t.is(second.mode, 'proxy');
    t.deepEqual(second.addresses, [`${remoteAddr}:9300`]);
    t.deepEqual(local.aliases!.find((a) => a.alias === 'my_remote')!.configuredAs, ['persistent']);
    const remote = r.clusters.find((c) => c.group === 'remote')!;
    t.regex(remote.error ?? '', /9299/);
    t.is(remote.health, undefined);
  },
);

test.serial(
  'bad input: no inventory, unknown --limit, missing file → exit 1 style errors, nothing asked',
  async (t) => {
    await t.throwsAsync(() => cli([]), { message: /-i INVENTORY is required/ });
    await t.throwsAsync(() => cli(['-i', lab().inventory, '--limit', 'nope-*']), { message: /matches no host/ });
    await t.throwsAsync(() => cli(['-i', join(lab().dir, 'missing.yml')]), { message: /inventory not found/ });
  },
);

test.serial(
  'a wrong password is an authentication error naming the user and the cluster (exit 2), not "unreachable"',
  async (t) => {
    // A copy of the lab's inventory whose local group has a wrong password (in a 0600 file, as a user keeps it).
    const dir = join(lab().dir, 'wrong-password');
    mkdirSync(join(dir, 'group_vars'), { recursive: true });
    writeFileSync(join(dir, 'inventory.yml'), readFileSync(lab().inventory, 'utf8'));
    writeFileSync(join(dir, 'pw'), 'not-the-password\n', { mode: 0o600 });
    writeFileSync(join(dir, 'group_vars', 'local.yml'), `es_password_file: ${join(dir, 'pw')}\n`);
    const r = await cli(['-i', join(dir, 'inventory.yml'), '--no-ssh', '--json']);
    t.is(r.code, 2, r.stderr);
    const report = JSON.parse(r.stdout) as { clusters: Array<{ group: string; error?: string; authError?: boolean }> };
    const local = report.clusters.find((c) => c.group === 'local')!;
    t.true(local.authError);
    t.regex(local.error!, /^401 for user \S+ on cluster local: /);
    t.falsy(report.clusters.find((c) => c.group === 'remote')!.error, 'the other cluster is unaffected');
  },
);

test.serial('the built CLI (dist/crosskey.mjs, split into chunks) talks to the clusters', async (t) => {
  // npm test builds dist/ first; the chunked bundle loads the Elasticsearch client lazily, which the in-process
  // tests above do not exercise.
  const cli = join(ROOT, 'dist', 'crosskey.mjs');
  const r = spawnSync(process.execPath, [cli, 'inspect', '-i', lab().inventory, '--no-ssh', '--json'], {
    encoding: 'utf8',
    cwd: lab().dir,
  });
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as InspectReport;
  t.deepEqual(
    report.clusters.map((c) => [c.group, c.version, c.error]),
    [
      ['local', '8.15.0', undefined],
      ['remote', '8.15.0', undefined],
    ],
  );
});
