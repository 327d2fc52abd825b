// Agent runtime on hosts without node (clear error; agent_runtime: push ships the controller's node),
// the embedded ssh2 host server (RSA host key, non-standard port → [host]:port known_hosts form), ssh-agent keys.
import test from 'ava';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync, symlinkSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHosts, type TestHosts } from '../helpers/sshd-hosts.js';
import { startEmbeddedHost } from '../../lab/hosts/embedded.js';
import { waitFor } from '../../lab/hosts/process.js';
import { Transport, AgentStartError, hostSpecFromVars, type HostSpec } from '../../controller/transport/index.js';

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

test.serial('a host without node: clear error naming it; agent_runtime push ships our node once', async (t) => {
  // PATH on this host holds only the few tools the bootstrap script needs: no node.
  const bin = mkdtempSync(join(tmpdir(), 'crosskey-nonode-bin-'));
  t.teardown(() => rmSync(bin, { recursive: true, force: true }));
  chmodSync(bin, 0o755);
  for (const tool of ['sh', 'mkdir', 'cat', 'mv', 'uname', 'id', 'chmod', 'rm'])
    symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
  const hs2 = await startHosts(1, { kind: 'openssh', t, env: () => ({ PATH: bin }) });
  const probe = await transport().exec(specOf(hs2, 0), { shell: 'command -v node || echo none' });
  t.is(probe.stdout, 'none\n', 'node really is missing on this host');

  const auto = transport();
  const e = await t.throwsAsync(auto.agent(specOf(hs2, 0)));
  t.is(auto.stats.agentUploads, 1, 'the agent file was uploaded before node was looked for');
  t.true(e instanceof AgentStartError);
  t.regex(e!.message, /^host1: no usable node \(>= 18\) found on the host .*agent_runtime: push/);

  const tr = transport();
  const hello = await (await tr.agent(specOf(hs2, 0, { agent_runtime: 'push' }))).call('hello', {});
  t.is(hello.node, process.version);
  t.is(tr.stats.runtimeUploads, 1);
  t.is(tr.stats.agentUploads, 0, 'already cached by the failed attempt');
  const tr2 = transport();
  await (await tr2.agent(specOf(hs2, 0, { agent_runtime: 'push' }))).call('hello', {});
  t.is(tr2.stats.runtimeUploads, 0, 'the runtime is cached too');
  t.is(tr2.stats.agentUploads, 0);
  t.throws(() => hostSpecFromVars('h', { agent_runtime: 'ship' }), {
    message: /host h: variable agent_runtime must be "auto" or "push"/,
  });
});

test.serial('embedded ssh2 host servers: agent round trip, RSA host key on a non-22 port', async (t) => {
  const hs = await startHosts(2, { kind: 'embedded', t });
  const tr = transport();
  const facts = await Promise.all([0, 1].map(async (i) => (await tr.agent(specOf(hs, i))).call('facts', {})));
  t.deepEqual(
    facts.map((f) => f.user),
    ['root', 'root'],
  );
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
