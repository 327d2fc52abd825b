// The transport and the agent over real OpenSSH sshd hosts on loopback (test/helpers/sshd-hosts.ts).
import test from 'ava';
import { createServer, type Server } from 'node:net';
import { createHmac, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHosts, type TestHosts } from '../helpers/sshd-hosts.js';
import {
  Transport,
  hostSpecFromVars,
  fingerprint,
  AgentOpFailed,
  type HostSpec,
} from '../../controller/transport/index.js';
import { UnreachableError } from '../../controller/modules/contract.js';
import { findAgentBundle } from '../../controller/transport/bootstrap.js';

let hosts: TestHosts;
let specs: HostSpec[];
const transports: Transport[] = [];
const newTransport = (o: ConstructorParameters<typeof Transport>[0] = {}) => {
  const logs: string[] = [];
  const t = new Transport({ knownHostsFiles: [], log: (m) => logs.push(m), ...o });
  transports.push(t);
  return Object.assign(t, { logs });
};
const pubBlob = (pub: string) => Buffer.from(pub.split(' ')[1], 'base64');

test.before(async () => {
  hosts = await startHosts(3, { kind: 'openssh' });
  specs = hosts.hosts.map((h) =>
    hostSpecFromVars(h.name, {
      ansible_host: h.address,
      ansible_port: h.port,
      ansible_user: 'root',
      ansible_ssh_private_key_file: hosts.clientKeyFile,
      crosskey_known_hosts: hosts.knownHostsFile,
    }),
  );
});
test.after.always(async () => {
  for (const t of transports) await t.closeAll();
  await hosts?.stop();
});

test.serial('agent round trip on every host; the second run does not upload', async (t) => {
  const run1 = newTransport();
  const hellos = await Promise.all(specs.map(async (s) => (await run1.agent(s)).call('hello', {})));
  const bundle = findAgentBundle();
  for (const h of hellos) t.is(h.agentHash, bundle.hash);
  t.is(run1.stats.agentUploads, 3);
  t.is(run1.stats.connections, 3);
  t.is(run1.stats.agentStarts, 3);
  const cached = join(hosts.hosts[0].home, '.cache', 'crosskey', `agent-${bundle.hash}`, 'agent.mjs');
  t.deepEqual(readFileSync(cached), bundle.content);
  t.is(statSync(cached).mode & 0o777, 0o600);
  // Every task reuses the one agent (and connection) per host.
  t.is(await run1.agent(specs[0]), await run1.agent(specs[0]));
  const facts = await (await run1.agent(specs[1])).call('facts', {});
  t.is(facts.user, 'root');
  t.true(facts.listening.some((l) => l.address === hosts.hosts[1].address && l.port === 22));
  await run1.closeAll();
  const mtime = statSync(cached).mtimeMs;

  const run2 = newTransport();
  const hello2 = await (await run2.agent(specs[0])).call('hello', {});
  t.is(hello2.agentHash, bundle.hash);
  t.is(run2.stats.agentUploads, 0);
  t.is(statSync(cached).mtimeMs, mtime);
  t.is(run2.stats.connections, 1);
  for (let i = 0; i < 5; i++) await (await run2.agent(specs[0])).call('file.stat', { path: '/' });
  t.is(run2.stats.agentStarts, 1, 'one agent per host per run, whatever the number of calls');
});

test.serial('agent op errors come back as AgentOpFailed with the host name', async (t) => {
  const tr = newTransport();
  const agent = await tr.agent(specs[0]);
  const e = await t.throwsAsync(agent.call('file.read', { path: '/etc' }));
  t.true(e instanceof AgentOpFailed);
  t.regex(e!.message, /^host1: file\.read: \/etc is a directory/);
});

test.serial('a dead agent is replaced on the next agent() call; pending calls fail as unreachable', async (t) => {
  const tr = newTransport();
  const first = await tr.agent(specs[0]);
  const { pid } = await first.call('hello', {});
  const pending = first.call('command', { argv: ['sleep', '5'] });
  await tr.exec(specs[0], ['kill', '-9', String(pid)]);
  const e = await t.throwsAsync(pending);
  t.true(e instanceof UnreachableError, String(e));
  t.regex(e!.message, /^host1: agent exited/);
  const second = await tr.agent(specs[0]);
  t.not(second, first);
  t.not((await second.call('hello', {})).pid, pid);
  t.is(tr.stats.connections, 1, 'same connection');
});

test.serial('raw exec: argv is quoted, env and stdin reach the command, rc and stderr come back', async (t) => {
  const tr = newTransport();
  const r = await tr.exec(specs[0], ['printf', '%s|', "it's", '$HOME', 'a b', '`id`'], {});
  t.deepEqual(r, { rc: 0, stdout: "it's|$HOME|a b|`id`|", stderr: '' });
  const r2 = await tr.exec(
    specs[0],
    { shell: 'echo "$GREETING"; cat; echo oops >&2; exit 7' },
    { env: { GREETING: "hi 'there'" }, stdin: 'data' },
  );
  t.deepEqual(r2, { rc: 7, stdout: "hi 'there'\ndata", stderr: 'oops\n' });
  const r3 = await tr.exec(specs[0], { shell: 'echo $CROSSKEY_TEST_HOST' });
  t.is(r3.stdout, 'host1\n', 'sshd SetEnv of the host reaches commands');
});

test.serial('never more than 10 channels per connection', async (t) => {
  const tr = newTransport();
  const agent = await tr.agent(specs[1]); // holds one channel for the whole run
  const started = Date.now();
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) => tr.exec(specs[1], { shell: `sleep 0.3; echo ${i}` })),
  );
  t.deepEqual(
    results.map((r) => r.stdout),
    Array.from({ length: 30 }, (_, i) => `${i}\n`),
  );
  const st = await tr.channelStats(specs[1]);
  t.is(st.limit, 10);
  t.is(st.peak, 10, 'the cap is reached (and sshd MaxSessions 10 accepted every channel)');
  t.true(Date.now() - started >= 900, '29 slots for 30 sleeps of 0.3 s means at least 4 waves');
  t.is((await agent.call('hello', {})).protocol, 1, 'agent still alive');
});

function cmdlinesContaining(needle: string): string[] {
  const hits: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cl = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cl.includes(needle)) hits.push(`${pid}: ${cl.replace(/\0/g, ' ')}`);
    } catch {
      /* exited */
    }
  }
  return hits;
}

test.serial('secrets passed on stdin never show up in any process argv', async (t) => {
  const tr = newTransport();
  const agent = await tr.agent(specs[2]);
  const secret = 'S3cr3t-' + randomBytes(8).toString('hex');
  const seen: string[] = [];
  let running = true;
  const watcher = (async () => {
    while (running) {
      seen.push(...cmdlinesContaining(secret));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const probe = await agent.call('command', {
    shell: 'read s; sleep 0.6; echo "len ${#s}"; echo "$(ps -o pid= --ppid $$ | wc -l) children"',
    stdin: secret + '\n',
  });
  const raw = await tr.exec(specs[2], { shell: 'read s; sleep 0.4; echo "${#s}"' }, { stdin: secret + '\n' });
  running = false;
  await watcher;
  t.is(probe.stdout.split('\n')[0], `len ${secret.length}`, 'the command got the secret');
  t.is(raw.stdout, `${secret.length}\n`);
  t.deepEqual(seen, [], 'no argv contained the secret while the commands ran');
});

test.serial('unknown host key refused with host and fingerprint; accept-new adds it', async (t) => {
  const emptyKh = join(hosts.dir, 'empty_known_hosts');
  writeFileSync(emptyKh, '');
  const spec: HostSpec = { ...specs[0], knownHostsFile: emptyKh };
  const fp = fingerprint(pubBlob(hosts.hosts[0].server.hostKeyPub));
  t.regex(fp, /^SHA256:[A-Za-z0-9+/]{43}$/);
  const strict = newTransport();
  const e = await t.throwsAsync(strict.agent(spec));
  t.true(e instanceof UnreachableError);
  t.is((e as UnreachableError).host, 'host1');
  t.true(e!.message.includes('host1') && e!.message.includes(fp) && /unknown host key/.test(e!.message), e!.message);
  t.is(readFileSync(emptyKh, 'utf8'), '');

  const lenient = newTransport({ acceptNewHostKeys: true });
  t.true(lenient.logs.some((l) => /WARNING.*accept-new/.test(l)));
  t.is((await (await lenient.agent(spec)).call('hello', {})).protocol, 1);
  t.true(lenient.logs.some((l) => l.includes(fp) && l.includes(emptyKh)));
  t.is(readFileSync(emptyKh, 'utf8'), hosts.hosts[0].server.knownHostsLine + '\n');
  // The next strict run trusts the added key.
  const strict2 = newTransport();
  t.is((await (await strict2.agent(spec)).call('hello', {})).protocol, 1);
});

test.serial('hashed known_hosts entries are honoured', async (t) => {
  const salt = randomBytes(20);
  const h = hosts.hosts[1];
  const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(h.address).digest('base64')}`;
  const kh = join(hosts.dir, 'hashed_known_hosts');
  writeFileSync(kh, `# comment\n${hashed} ${h.server.hostKeyPub}\n`);
  const tr = newTransport();
  const agent = await tr.agent({ ...specs[1], knownHostsFile: kh });
  t.is((await agent.call('hello', {})).protocol, 1);
});

test.serial(
  'an unreachable host fails fast with UnreachableError; a silent one hits the connect timeout',
  async (t) => {
    const tr = newTransport({ connectTimeoutMs: 400 });
    const started = Date.now();
    const e = await t.throwsAsync(
      tr.agent({
        name: 'ghost',
        address: '127.201.254.254',
        port: 22,
        user: 'root',
        privateKeyFile: hosts.clientKeyFile,
        knownHostsFile: hosts.knownHostsFile,
      }),
    );
    t.true(e instanceof UnreachableError);
    t.regex(e!.message, /^ghost .*ECONNREFUSED/);
    t.true(Date.now() - started < 5000, 'far below the 10 s default connect timeout');

    const silent: Server = createServer((sock) => sock.resume()); // accepts and never speaks SSH
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    t.teardown(() => new Promise<void>((r) => silent.close(() => r())));
    const port = (silent.address() as { port: number }).port;
    const t0 = Date.now();
    const e2 = await t.throwsAsync(
      tr.exec({ name: 'mute', address: '127.0.0.1', port, user: 'root', privateKeyFile: hosts.clientKeyFile }, [
        'true',
      ]),
    );
    t.true(e2 instanceof UnreachableError);
    t.regex(e2!.message, /^mute .*no SSH handshake within 400 ms/);
    t.true(Date.now() - t0 < 5000, 'the 400 ms timeout, not the default 10 s');
    // A wrong key is an authentication failure, also unreachable.
    const other = join(hosts.dir, 'host2', 'ssh_host_ed25519_key');
    const e3 = await t.throwsAsync(tr.agent({ ...specs[2], name: 'wrongkey', privateKeyFile: other }));
    t.regex(e3!.message, /^wrongkey .*authentication failed/);
  },
);

test.serial('ssh config: Host alias with HostName, User, Port, IdentityFile and ProxyJump', async (t) => {
  const [jump, target] = [hosts.hosts[0], hosts.hosts[1]];
  const cfg = join(hosts.dir, 'ssh_config');
  writeFileSync(
    cfg,
    [
      'Host jumpbox',
      `  HostName ${jump.address}`,
      '  User root',
      `  IdentityFile ${hosts.clientKeyFile}`,
      'Host jump2',
      `  HostName ${hosts.hosts[2].address}`,
      '  User root',
      `  IdentityFile ${hosts.clientKeyFile}`,
      'Host twohops',
      `  HostName ${target.address}`,
      '  User root',
      `  IdentityFile ${hosts.clientKeyFile}`,
      '  ProxyJump jumpbox,jump2',
      'Host behind-*',
      `  HostName ${target.address}`,
      '  User root',
      `  Port ${target.port}`,
      `  IdentityFile ${hosts.clientKeyFile}`,
      '  ProxyJump jumpbox',
      'Host *',
      '  User nobody-should-win',
    ].join('\n') + '\n',
  );
  const tr = newTransport({ sshConfigFile: cfg, knownHostsFiles: [hosts.knownHostsFile] });
  const r = await tr.exec(
    { name: 'via-jump', address: 'behind-1' },
    { shell: 'echo $CROSSKEY_TEST_HOST; echo $SSH_CONNECTION' },
  );
  t.is(r.rc, 0, JSON.stringify(r));
  const [name, conn] = r.stdout.trim().split('\n');
  t.is(name, 'host2');
  // The connection to the target comes through the jump host's sshd (forwardOut from its address).
  t.true(conn.startsWith(jump.address + ' ') || conn.startsWith('127.0.0.1 '), conn);
  // Two hops: the target sees the connection coming from the second jump host.
  const r2 = await tr.exec(
    { name: 'via-two', address: 'twohops' },
    { shell: 'echo $CROSSKEY_TEST_HOST; echo $SSH_CONNECTION' },
  );
  const [name2, conn2] = r2.stdout.trim().split('\n');
  t.is(name2, 'host2');
  t.true(conn2.startsWith(hosts.hosts[2].address + ' ') || conn2.startsWith('127.0.0.1 '), conn2);
});

test.serial(
  'a changed host key is refused, naming the host and the new fingerprint, even with accept-new',
  async (t) => {
    const before = readFileSync(hosts.knownHostsFile, 'utf8');
    await hosts.restart(2, { newHostKey: true });
    const newFp = fingerprint(pubBlob(hosts.hosts[2].server.hostKeyPub));
    for (const acceptNewHostKeys of [false, true]) {
      const tr = newTransport({ acceptNewHostKeys });
      const e = await t.throwsAsync(tr.agent(specs[2]));
      t.true(e instanceof UnreachableError);
      t.true(
        e!.message.startsWith('host3 ') && e!.message.includes(newFp) && /HOST KEY CHANGED/.test(e!.message),
        e!.message,
      );
    }
    t.is(readFileSync(hosts.knownHostsFile, 'utf8'), before, 'known_hosts untouched');
  },
);
