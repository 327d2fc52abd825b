// Agent runtime on hosts without node (agent_runtime auto falls back to shipping the controller's node, gzip, hash-checked),
// the embedded ssh2 host server (RSA host key, non-standard port → [host]:port known_hosts form), ssh-agent keys.
import test from 'ava';
import { spawn, execFileSync } from 'node:child_process';
import {
  mkdtempSync,
  rmSync,
  chmodSync,
  symlinkSync,
  existsSync,
  writeFileSync,
  statSync,
  readdirSync,
  openSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHosts, type TestHosts } from '../helpers/sshd-hosts.js';
import { startEmbeddedHost } from '../../lab/hosts/embedded.js';
import { waitFor } from '../../lab/hosts/process.js';
import { Transport, hostSpecFromVars, type HostSpec } from '../../controller/transport/index.js';
import { runtimeId } from '../../controller/transport/runtime.js';

const transports: Transport[] = [];
const transport = (o: ConstructorParameters<typeof Transport>[0] = {}) => {
  const t = new Transport({ knownHostsFiles: [], log: () => {}, ...o });
  transports.push(t);
  return t;
};
test.after.always(async () => {
  for (const t of transports) await t.closeAll();
});

const specOf = (hs: TestHosts, i: number, vars: Record<string, unknown> = {}): HostSpec =>
  hostSpecFromVars(hs.hosts[i].name, {
    ansible_host: hs.hosts[i].address,
    ansible_port: hs.hosts[i].port,
    ansible_user: 'root',
    ansible_ssh_private_key_file: hs.clientKeyFile,
    crosskey_known_hosts: hs.knownHostsFile,
    ...vars,
  });

test.serial(
  'a host without node: agent_runtime auto ships our node (gzip, once, warned), verified by hash',
  async (t) => {
    // PATH on this host holds only the few tools the bootstrap script needs (and what every Linux has): no node.
    const bin = mkdtempSync(join(tmpdir(), 'crosskey-nonode-bin-'));
    t.teardown(() => rmSync(bin, { recursive: true, force: true }));
    chmodSync(bin, 0o755);
    for (const tool of ['sh', 'mkdir', 'cat', 'mv', 'uname', 'id', 'chmod', 'rm', 'gzip', 'sha256sum', 'stat'])
      symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
    const hs2 = await startHosts(1, { kind: 'openssh', t, env: () => ({ PATH: bin }) });
    const probe = await transport().exec(specOf(hs2, 0), { shell: 'command -v node || echo none' });
    t.is(probe.stdout, 'none\n', 'node really is missing on this host');

    const logged: string[] = [];
    // A controller that never shipped its runtime: no hash of it yet (it is computed when a host needs it).
    const cacheDir = mkdtempSync(join(tmpdir(), 'crosskey-runtime-cache-'));
    t.teardown(() => rmSync(cacheDir, { recursive: true, force: true }));
    const auto = transport({ log: (m) => logged.push(m), runtimeCacheDir: cacheDir });
    const hello = await (await auto.agent(specOf(hs2, 0))).call('hello', {});
    t.is(hello.node, process.version);
    t.is(auto.stats.agentUploads, 1);
    t.is(auto.stats.runtimeUploads, 1);
    const warnings = logged.filter((l) => l.startsWith('[WARNING]'));
    t.is(warnings.length, 1, logged.join('\n'));
    t.regex(
      warnings[0]!,
      /^\[WARNING\]: host1: no node \(>= 18\) on PATH of root .*shipping the controller's Node runtime/,
    );
    const first = auto.timings.get('host1')!;
    const binarySize = statSync(process.execPath).size;
    t.is(first.runtime, 'shipped');
    t.true(first.agentBytes > 0);
    t.true(
      first.runtimeBytes > 0 && first.runtimeBytes < binarySize * 0.6,
      `sent ${first.runtimeBytes} of ${binarySize}`,
    );
    t.is(auto.stats.runtimeBytes, first.runtimeBytes);
    // Compressed once on the controller, kept there by the binary's sha256.
    const sha256 = (await runtimeId(cacheDir)).sha256;
    t.true(existsSync(join(cacheDir, `node-${sha256}.gz`)));

    // Second contact: nothing uploaded, no warning; push finds the same cached runtime.
    for (const vars of [{}, { agent_runtime: 'push' }]) {
      const again: string[] = [];
      const tr = transport({ log: (m) => again.push(m), runtimeCacheDir: cacheDir });
      t.is((await (await tr.agent(specOf(hs2, 0, vars))).call('hello', {})).node, process.version);
      const tm = tr.timings.get('host1')!;
      t.deepEqual(
        [tr.stats.agentUploads, tr.stats.runtimeUploads, tm.agentBytes, tm.runtimeBytes, tm.runtime],
        [0, 0, 0, 0, 'shipped'],
      );
      t.deepEqual(
        again.filter((l) => !/: agent ready: /.test(l)),
        [],
        'no warning, no upload line',
      );
      await tr.closeAll();
    }
    await auto.closeAll();

    // A damaged runtime on the host (same size, a few bytes changed) fails its hash and is sent again.
    const cached = readdirSync(join(hs2.hosts[0].home, '.cache/crosskey')).filter((f) => f.startsWith('node-'));
    t.is(cached.length, 1);
    const nodeFile = join(hs2.hosts[0].home, '.cache/crosskey', cached[0]!, 'node');
    // (the agents just closed can take a moment to exit: until then the binary is busy)
    let fd = -1;
    t.true(
      await waitFor(() => {
        try {
          fd = openSync(nodeFile, 'r+');
          return true;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ETXTBSY') throw e;
          return false;
        }
      }, 10_000),
    );
    writeSync(fd, Buffer.from('crosskey-was-here'), 0, 17, 4096);
    closeSync(fd);
    const fixer = transport({ runtimeCacheDir: cacheDir });
    t.is((await (await fixer.agent(specOf(hs2, 0))).call('hello', {})).node, process.version);
    t.is(fixer.stats.runtimeUploads, 1, 'the corrupted runtime was detected and re-sent');
    t.is(fixer.stats.agentUploads, 0);
    t.is(fixer.timings.get('host1')!.runtimeBytes, first.runtimeBytes);
    t.is(execFileSync('sha256sum', [nodeFile], { encoding: 'utf8' }).split(' ')[0], sha256);

    t.throws(() => hostSpecFromVars('h', { agent_runtime: 'ship' }), {
      message: /host h: variable agent_runtime must be "auto" or "push"/,
    });
  },
);

test.serial('embedded ssh2 host servers: agent round trip, RSA host key on a non-22 port', async (t) => {
  const hs = await startHosts(2, { kind: 'embedded', t });
  // Hosts with node: the controller never reads or hashes its own node binary for them.
  const cacheDir = join(hs.dir, 'runtime-cache');
  const tr = transport({ runtimeCacheDir: cacheDir });
  const facts = await Promise.all([0, 1].map(async (i) => (await tr.agent(specOf(hs, i))).call('facts', {})));
  t.deepEqual(
    facts.map((f) => f.user),
    ['root', 'root'],
  );
  t.false(existsSync(cacheDir));
  t.is((await tr.exec(specOf(hs, 1), { shell: 'echo $CROSSKEY_TEST_HOST; cat' }, { stdin: 'x' })).stdout, 'host2\nx');

  // The OpenSSH client works against it too (lab users run `ssh` by hand): exit status, stderr, stdin.
  const ssh = spawn(
    'ssh',
    [
      '-i',
      hs.clientKeyFile,
      '-o',
      `UserKnownHostsFile=${hs.knownHostsFile}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      `root@${hs.hosts[0].address}`,
      'read x; echo "got $x"; echo to-stderr >&2; exit 42',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let sout = '';
  let serr = '';
  ssh.stdout.on('data', (d) => {
    sout += d;
  });
  ssh.stderr.on('data', (d) => {
    serr += d;
  });
  ssh.stdin.end('hello\n');
  const code = await new Promise<number | null>((r) => ssh.on('close', r));
  t.is(code, 42);
  t.is(sout, 'got hello\n');
  t.is(serr, 'to-stderr\n');

  const port = 20000 + Math.floor(Math.random() * 20000);
  const rsa = await startEmbeddedHost({
    dir: join(hs.dir, 'rsa'),
    address: hs.hosts[0].address,
    port,
    authorizedKeys: hs.clientPublicKey,
    hostKeyType: 'rsa',
  });
  t.teardown(() => rsa.stop());
  t.true(rsa.knownHostsLine.startsWith(`[${hs.hosts[0].address}]:${port} ssh-rsa `));
  const kh = join(hs.dir, 'rsa_known_hosts');
  writeFileSync(kh, rsa.knownHostsLine + '\n');
  const r = await transport().exec(
    {
      name: 'rsa-host',
      address: hs.hosts[0].address,
      port,
      user: 'root',
      privateKeyFile: hs.clientKeyFile,
      knownHostsFile: kh,
    },
    ['echo', 'ok'],
  );
  t.is(r.stdout, 'ok\n');
});

test.serial(
  'the server side never sees more than 10 sessions on our connection (embedded host counts them)',
  async (t) => {
    const hs = await startHosts(1, { kind: 'embedded', t });
    const port = 20000 + Math.floor(Math.random() * 20000);
    const host = await startEmbeddedHost({
      dir: join(hs.dir, 'cap'),
      address: hs.hosts[0].address,
      port,
      authorizedKeys: hs.clientPublicKey,
      maxSessions: 10,
    });
    t.teardown(() => host.stop());
    const kh = join(hs.dir, 'cap_known_hosts');
    writeFileSync(kh, host.knownHostsLine + '\n');
    const spec: HostSpec = {
      name: 'cap',
      address: hs.hosts[0].address,
      port,
      user: 'root',
      privateKeyFile: hs.clientKeyFile,
      knownHostsFile: kh,
    };
    const tr = transport();
    const agent = await tr.agent(spec);
    const results = await Promise.all([
      ...Array.from({ length: 25 }, () => tr.exec(spec, { shell: 'sleep 0.2; echo x' })),
      ...Array.from({ length: 25 }, () => agent.call('command', { argv: ['true'] })),
    ]);
    t.is(results.length, 50);
    t.is(host.peakSessions(), 10, 'the cap is used fully');
    t.is(host.refusedSessions(), 0, 'and never exceeded');
    // A wrong client key is refused by the embedded server.
    const other = join(hs.dir, 'host1', 'ssh_host_ed25519_key');
    const e = await t.throwsAsync(transport().exec({ ...spec, name: 'cap-wrong', privateKeyFile: other }, ['true']));
    t.regex(e!.message, /^cap-wrong .*authentication failed/);
  },
);

test.serial('keys from ssh-agent (SSH_AUTH_SOCK) when no key file is given', async (t) => {
  const hs = await startHosts(1, { kind: 'openssh', t });
  const sock = join(hs.dir, 'agent.sock');
  const agentProc = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  t.teardown(() => {
    agentProc.kill();
  });
  t.true(await waitFor(() => existsSync(sock), 5000));
  execFileSync('ssh-add', ['-q', hs.clientKeyFile], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
  const saved = process.env.SSH_AUTH_SOCK;
  process.env.SSH_AUTH_SOCK = sock;
  t.teardown(() => {
    if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
    else process.env.SSH_AUTH_SOCK = saved;
  });
  const spec: HostSpec = {
    name: 'via-agent',
    address: hs.hosts[0].address,
    user: 'root',
    knownHostsFile: hs.knownHostsFile,
  };
  const r = await transport({ sshConfigFile: join(hs.dir, 'no-config') }).exec(spec, ['echo', 'agent-auth']);
  t.is(r.stdout, 'agent-auth\n');
  // Same host without ssh-agent and without key files: refused as unreachable, naming the host.
  const e = await t.throwsAsync(
    transport({ useSshAgent: false, sshConfigFile: join(hs.dir, 'no-config') }).exec(spec, ['true']),
  );
  t.regex(e!.message, /^via-agent .*no usable private key/);
});
