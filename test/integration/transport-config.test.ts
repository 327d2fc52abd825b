// Offline parts of the transport: known_hosts matching, fingerprints (vs ssh-keygen), ssh config, host vars, quoting.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureKeyPair } from '../../lab/hosts/keys.js';
import { fingerprint, verifyHostKey, hostFieldMatches, knownKeyTypes } from '../../controller/transport/known-hosts.js';
import { SshConfig, parseJump } from '../../controller/transport/ssh-config.js';
import { hostSpecFromVars } from '../../controller/transport/host-spec.js';
import { shJoin, wrapCommand } from '../../controller/transport/shell.js';
import { Semaphore } from '../../controller/transport/semaphore.js';

const dir = mkdtempSync(join(tmpdir(), 'crosskey-tconf-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const k1 = ensureKeyPair(join(dir, 'k1'));
const k2 = ensureKeyPair(join(dir, 'k2'), 'rsa');
const blob = (pub: string) => Buffer.from(pub.split(' ')[1], 'base64');

test('fingerprint equals ssh-keygen -lf', (t) => {
  for (const k of [k1, k2]) {
    const out = execFileSync('ssh-keygen', ['-lf', k.privateKeyFile + '.pub'], { encoding: 'utf8' });
    t.is(out.split(' ')[1], fingerprint(blob(k.publicKey)));
  }
});

test('known_hosts: patterns, negation, [host]:port, hashed, revoked, other key types', (t) => {
  const salt = randomBytes(20);
  const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[10.0.0.9]:2222').digest('base64')}`;
  const kh = join(dir, 'known_hosts');
  writeFileSync(
    kh,
    [
      '# comment',
      `es-*.dc1,!es-bad.dc1 ${k1.publicKey}`,
      `[10.0.0.5]:2200 ${k1.publicKey}`,
      `${hashed} ${k2.publicKey}`,
      `@revoked revoked.example ${k1.publicKey}`,
      `@cert-authority *.example ${k2.publicKey}`,
      `other.example ${k2.publicKey}`,
    ].join('\n') + '\n',
  );
  t.is(verifyHostKey([kh], 'es-1.dc1', 22, blob(k1.publicKey)).status, 'match');
  t.is(verifyHostKey([kh], 'es-bad.dc1', 22, blob(k1.publicKey)).status, 'unknown');
  t.is(verifyHostKey([kh], 'es-1.dc1', 22, blob(k2.publicKey)).status, 'mismatch');
  t.is(verifyHostKey([kh], '10.0.0.5', 2200, blob(k1.publicKey)).status, 'match');
  t.is(verifyHostKey([kh], '10.0.0.5', 22, blob(k1.publicKey)).status, 'unknown', 'port is part of the name');
  t.is(verifyHostKey([kh], '10.0.0.9', 2222, blob(k2.publicKey)).status, 'match');
  t.is(verifyHostKey([kh], 'revoked.example', 22, blob(k1.publicKey)).status, 'revoked');
  t.is(
    verifyHostKey([kh], 'other.example', 22, blob(k1.publicKey)).status,
    'mismatch',
    'known with another key type: refused',
  );
  t.is(verifyHostKey([kh, join(dir, 'missing')], 'nowhere', 22, blob(k1.publicKey)).status, 'unknown');
  t.deepEqual(knownKeyTypes([kh], 'other.example', 22), ['ssh-rsa']);
  t.true(hostFieldMatches('a?c', 'abc'));
  t.false(hostFieldMatches('a?c', 'abbc'));
});

test('ssh config: first value wins, IdentityFile accumulates, Match skipped, Include, negation, %h', (t) => {
  mkdirSync(join(dir, 'conf.d'));
  writeFileSync(join(dir, 'conf.d', 'extra.conf'), 'Host inc-*\n  Port 2022\n');
  const cfg = join(dir, 'config');
  writeFileSync(
    cfg,
    [
      `Include ${join(dir, 'conf.d', '*.conf')}`,
      'Host es-* !es-skip',
      '  HostName %h.dc1.example',
      '  User elastic',
      '  IdentityFile /keys/es',
      '  ProxyJump bastion@jump.example:2222',
      'Match host es-1',
      '  User matched-should-not-apply',
      'Host *',
      '  User fallback',
      '  Port=2200',
      '  IdentityFile "/keys/default key"',
    ].join('\n') + '\n',
  );
  const c = new SshConfig(cfg);
  t.deepEqual(c.lookup('es-1'), {
    hostName: 'es-1.dc1.example',
    user: 'elastic',
    port: 2200,
    identityFiles: ['/keys/es', '/keys/default key'],
    proxyJump: 'bastion@jump.example:2222',
  });
  t.deepEqual(c.lookup('es-skip'), { user: 'fallback', port: 2200, identityFiles: ['/keys/default key'] });
  t.is(c.lookup('inc-1').port, 2022);
  t.deepEqual(parseJump('bastion@jump.example:2222'), { user: 'bastion', host: 'jump.example', port: 2222 });
  t.deepEqual(parseJump('jump'), { user: undefined, host: 'jump', port: undefined });
  writeFileSync(join(dir, 'bad'), 'Host x\n  Port abc\n');
  t.throws(() => new SshConfig(join(dir, 'bad')).lookup('x'), { message: /bad:2: bad Port "abc"/ });
  t.deepEqual(new SshConfig(join(dir, 'absent')).lookup('x'), { identityFiles: [] });
});

test('hostSpecFromVars maps ansible_* vars and names the host on bad values', (t) => {
  t.deepEqual(
    hostSpecFromVars('es1', {
      ansible_host: '10.1.1.1',
      ansible_port: '2222',
      ansible_user: 'ops',
      ansible_ssh_private_key_file: '/k',
      ansible_become: 'yes',
      ansible_become_user: 'elasticsearch',
      agent_runtime: 'push',
      crosskey_known_hosts: '/kh',
    }),
    {
      name: 'es1',
      address: '10.1.1.1',
      port: 2222,
      user: 'ops',
      privateKeyFile: '/k',
      become: true,
      becomeUser: 'elasticsearch',
      agentRuntime: 'push',
      knownHostsFile: '/kh',
    },
  );
  t.deepEqual(hostSpecFromVars('es2', {}), { name: 'es2', address: 'es2' });
  t.false(hostSpecFromVars('es3', { ansible_become: false }).become);
  t.deepEqual(hostSpecFromVars('es5', { ansible_ssh_host: 'h', ansible_ssh_port: 22, ansible_ssh_user: 'u' }), {
    name: 'es5',
    address: 'h',
    port: 22,
    user: 'u',
  });
  t.throws(() => hostSpecFromVars('es6', { ansible_become_method: 'su' }), {
    message: /^host es6: variable ansible_become_method must be "sudo"/,
  });
  t.throws(() => hostSpecFromVars('es4', { ansible_port: 70000 }), {
    message: 'host es4: variable ansible_port must be a port number 1-65535, got 70000',
  });
});

test('shell quoting survives a real sh, with and without the become wrapper', (t) => {
  const argv = ['printf', '%s\\n', "a'b", '$(id)', '`x`', 'sp ace', '*', '', 'ü'];
  const out = execFileSync('sh', ['-c', wrapCommand(shJoin(argv))], { encoding: 'utf8' });
  t.is(out, argv.slice(2).join('\n') + '\n');
  t.is(wrapCommand('true', { user: "we'ird" }), `sudo -n -u 'we'\\''ird' -- sh -c true`);
});

test('semaphore: never more holders than the limit, FIFO', async (t) => {
  const s = new Semaphore(3);
  let active = 0;
  let max = 0;
  const order: number[] = [];
  await Promise.all(
    Array.from({ length: 12 }, async (_, i) => {
      const release = await s.acquire();
      active++;
      max = Math.max(max, active);
      order.push(i);
      await new Promise((r) => setTimeout(r, 5));
      active--;
      release();
      release(); // double release is harmless
    }),
  );
  t.is(max, 3);
  t.is(s.peak, 3);
  t.is(s.inUse, 0);
  t.deepEqual(
    order,
    [...order].sort((a, b) => a - b),
  );
});
