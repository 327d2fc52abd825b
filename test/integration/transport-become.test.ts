// become (sudo -n) for a non-root login user over a real sshd host.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHosts, type TestHosts } from '../helpers/sshd-hosts.js';
import { Transport, AgentStartError, type HostSpec } from '../../controller/transport/index.js';
import { findAgentBundle } from '../../controller/transport/bootstrap.js';

const LOGIN = 'ckb-login';
const SUDOERS = '/etc/sudoers.d/crosskey-test-ckb';
const isRoot = process.getuid?.() === 0;
const haveSudo = existsSync('/usr/bin/sudo');
const maybe = isRoot && haveSudo ? test.serial : test.serial.skip;

let hosts: TestHosts;
let createdUser = false;
let rootCache: string;
let rootCacheExisted = true;
const transports: Transport[] = [];

test.before(async () => {
  if (!isRoot || !haveSudo) return;
  try {
    execFileSync('id', ['-u', LOGIN], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-m', '-s', '/bin/sh', LOGIN]);
    createdUser = true;
  }
  // A '!' (locked) password makes sshd without PAM refuse even key logins; '*' means "no password", not locked.
  execFileSync('usermod', ['-p', '*', LOGIN]);
  writeFileSync(SUDOERS, `${LOGIN} ALL=(root) NOPASSWD: ALL\n`, { mode: 0o440 });
  execFileSync('visudo', ['-cf', SUDOERS], { stdio: 'ignore' });
  rootCache = join('/root/.cache/crosskey', `agent-${findAgentBundle().hash}`);
  rootCacheExisted = existsSync(rootCache);
  hosts = await startHosts(1, { kind: 'openssh' });
});

test.after.always(async () => {
  for (const t of transports) await t.closeAll();
  await hosts?.stop();
  rmSync(SUDOERS, { force: true });
  if (createdUser) execFileSync('userdel', ['-r', LOGIN], { stdio: 'ignore' });
  if (rootCache && !rootCacheExisted) rmSync(rootCache, { recursive: true, force: true });
});

const spec = (name: string, extra: Partial<HostSpec> = {}): HostSpec => ({
  name,
  address: hosts.hosts[0].address,
  port: hosts.hosts[0].port,
  user: LOGIN,
  privateKeyFile: hosts.clientKeyFile,
  knownHostsFile: hosts.knownHostsFile,
  ...extra,
});
const transport = () => {
  const t = new Transport({ knownHostsFiles: [], log: () => {} });
  transports.push(t);
  return t;
};

maybe('without become the agent runs as the login user, from its own cache', async (t) => {
  const tr = transport();
  const f = await (await tr.agent(spec('plain'))).call('facts', {});
  t.is(f.user, LOGIN);
  t.not(f.uid, 0);
  const home = execFileSync('sh', ['-c', `getent passwd ${LOGIN} | cut -d: -f6`], { encoding: 'utf8' }).trim();
  t.true(existsSync(join(home, '.cache', 'crosskey', `agent-${findAgentBundle().hash}`, 'agent.mjs')));
  const denied = join(hosts.dir, 'root-only');
  mkdirSync(denied, { mode: 0o700 });
  await t.throwsAsync((await tr.agent(spec('plain'))).call('file.put', { path: join(denied, 'x'), content: 'x' }), {
    message: /EACCES|permission denied/i,
  });
});

maybe('with become the agent and raw commands run as root through sudo -n', async (t) => {
  const tr = transport();
  const s = spec('become', { become: true });
  const agent = await tr.agent(s);
  const f = await agent.call('facts', {});
  t.is(f.user, 'root');
  t.is(f.uid, 0);
  const target = join(hosts.dir, 'root-only2');
  mkdirSync(target, { mode: 0o700 });
  const r = await agent.call('file.put', { path: join(target, 'conf'), content: 'ok\n', mode: '0600' });
  t.true(r.changed);
  t.is(readFileSync(join(target, 'conf'), 'utf8'), 'ok\n');
  t.is(statSync(join(target, 'conf')).uid, 0);
  const ex = await tr.exec(s, { shell: 'id -un; echo "$SUDO_USER"' });
  t.is(ex.stdout, `root\n${LOGIN}\n`);
  const asLogin = await tr.exec(s, ['id', '-un'], { become: false });
  t.is(asLogin.stdout, `${LOGIN}\n`);
});

maybe('a become user that sudo does not allow without password gives a clear error', async (t) => {
  const tr = transport();
  const e = await t.throwsAsync(tr.agent(spec('nopass', { become: true, becomeUser: 'nobody' })));
  t.true(e instanceof AgentStartError, String(e));
  t.regex(e!.message, /^nopass: become \(sudo -n -u nobody\) failed: .*password is required/);
});
