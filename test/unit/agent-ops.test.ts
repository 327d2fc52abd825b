// Agent ops, run by the bundled agent in a local process over pipes, on real files in a temp dir.
import test from 'ava';
import {
  mkdtempSync,
  rmSync,
  writeFileSync,
  readFileSync,
  statSync,
  existsSync,
  chmodSync,
  chownSync,
  readdirSync,
  mkdirSync,
  symlinkSync,
  lstatSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { buildAgentBundle, startLocalAgent } from '../helpers/agent-bundle.js';
import { AgentOpFailed, type AgentRpcClient } from '../../controller/transport/rpc.js';
import { writeKeystore } from '../../agent/keystore/format.js';

const rootOnly = process.getuid?.() === 0 ? test : test.skip;
let agent: AgentRpcClient;
let hash: string;
let dir: string;
const cleanups: Array<() => unknown> = [];

test.before(async () => {
  const b = await buildAgentBundle();
  hash = b.hash;
  const a = startLocalAgent(b.file);
  agent = a.client;
  dir = mkdtempSync(join(tmpdir(), 'crosskey-agent-ops-'));
  cleanups.push(
    () => a.stop(),
    b.cleanup,
    () => rmSync(dir, { recursive: true, force: true }),
  );
});
test.after.always(async () => {
  for (const c of cleanups.reverse()) await c();
});

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const modeOf = (p: string) => (statSync(p).mode & 0o7777).toString(8);
let n = 0;
const fresh = (name: string) => join(dir, `${++n}-${name}`);

test('hello reports protocol, pid and the hash of its own bundle', async (t) => {
  const r = await agent.call('hello', {});
  t.is(r.protocol, 1);
  t.is(r.agentHash, hash);
  t.true(r.pid > 0);
  t.is(r.node, process.version);
});

test('unknown op and bad args are errors with codes', async (t) => {
  const e1 = await t.throwsAsync(agent.call('nope' as 'hello', {}));
  t.true(e1 instanceof AgentOpFailed && e1.code === 'EUNKNOWNOP');
  const e2 = await t.throwsAsync(agent.call('file.put', { path: 'relative.txt', content: 'x' }));
  t.true(e2 instanceof AgentOpFailed && e2.code === 'EINVAL', String(e2));
  const e3 = await t.throwsAsync(agent.call('file.put', { path: join(dir, 'no-such-dir', 'f'), content: 'x' }));
  t.regex(e3!.message, /folder .*no-such-dir does not exist/);
});

test('file.put creates, is idempotent, backs up, keeps mode, honours check mode', async (t) => {
  const sub = fresh('put');
  mkdirSync(sub);
  const p = join(sub, 'app.conf');
  const r1 = await agent.call('file.put', { path: p, content: 'a: 1\n', mode: '0640' });
  t.like(r1, { changed: true, created: true, afterSha256: sha('a: 1\n') });
  t.is(readFileSync(p, 'utf8'), 'a: 1\n');
  t.is(modeOf(p), '640');
  const r2 = await agent.call('file.put', { path: p, content: 'a: 1\n', mode: '0640' });
  t.like(r2, { changed: false, created: false, before: 'a: 1\n' });

  const chk = await agent.call('file.put', { path: p, content: 'a: 2\n', check: true, backup: true });
  t.true(chk.changed);
  t.is(chk.backupPath, undefined);
  t.is(readFileSync(p, 'utf8'), 'a: 1\n', 'check mode changes nothing');

  const r3 = await agent.call('file.put', { path: p, content: 'a: 2\n', backup: true });
  t.true(r3.changed);
  t.is(r3.before, 'a: 1\n');
  t.is(r3.beforeSha256, sha('a: 1\n'));
  t.regex(r3.backupPath!, /\.\d{8}T\d{9}Z\.crosskey~$/);
  t.is(readFileSync(r3.backupPath!, 'utf8'), 'a: 1\n');
  t.is(modeOf(p), '640', 'new version keeps the old mode');
  t.is(modeOf(r3.backupPath!), '640');
  t.false(
    readdirSync(sub).some((f) => f.includes('crosskey-tmp')),
    'no temp file left',
  );

  const r4 = await agent.call('file.put', { path: p, content: 'a: 2\n', mode: '0600' });
  t.true(r4.changed, 'mode-only change');
  t.is(modeOf(p), '600');
});

rootOnly('file.put owner/group and binary content', async (t) => {
  const p = fresh('bin.p12');
  const bytes = Buffer.from([0, 1, 2, 250, 255, 0, 10]);
  const r = await agent.call('file.put', {
    path: p,
    content: bytes.toString('base64'),
    encoding: 'base64',
    owner: 'nobody',
    group: '65534',
    mode: '0600',
  });
  t.true(r.changed);
  t.deepEqual(readFileSync(p), bytes);
  t.is(statSync(p).uid, 65534);
  t.is(statSync(p).gid, 65534);
  const again = await agent.call('file.put', {
    path: p,
    content: Buffer.from('new').toString('base64'),
    encoding: 'base64',
  });
  t.is(again.before, undefined, 'binary previous content is not returned');
  t.is(again.beforeSha256, sha(bytes));
  t.is(statSync(p).uid, 65534, 'owner kept on rewrite');
  const rd = await agent.call('file.read', { path: p, encoding: 'base64' });
  t.is(Buffer.from(rd.content!, 'base64').toString(), 'new');
  t.is(rd.owner, 'nobody');
  const bad = await t.throwsAsync(agent.call('file.put', { path: p, content: 'x', owner: 'no-such-user-xyz' }));
  t.regex(bad!.message, /unknown user "no-such-user-xyz"/);
});

test('file.put and block.apply write through a symlink to the real file', async (t) => {
  const real = fresh('real.yml');
  const link = fresh('link.yml');
  writeFileSync(real, 'a: 1\n');
  symlinkSync(real, link);
  t.true((await agent.call('file.put', { path: link, content: 'a: 2\n', backup: true })).changed);
  t.true(lstatSync(link).isSymbolicLink());
  t.is(readFileSync(real, 'utf8'), 'a: 2\n');
  t.true((await agent.call('block.apply', { path: link, marker: 'm', content: 'b: 3' })).changed);
  t.true(lstatSync(link).isSymbolicLink());
  t.is(readFileSync(real, 'utf8'), 'a: 2\n# BEGIN crosskey m\nb: 3\n# END crosskey m\n');
});

test('file.stat and file.read', async (t) => {
  const p = fresh('x.txt');
  writeFileSync(p, 'hello');
  chmodSync(p, 0o604);
  const st = await agent.call('file.stat', { path: p, checksum: true });
  t.like(st, { exists: true, isDir: false, size: 5, mode: '0604', sha256: sha('hello') });
  t.deepEqual(await agent.call('file.stat', { path: join(dir, 'missing') }), { exists: false });
  t.like(await agent.call('file.read', { path: p }), { exists: true, content: 'hello' });
  t.deepEqual(await agent.call('file.read', { path: join(dir, 'missing') }), { exists: false });
});

test('file.restore and file.remove', async (t) => {
  const p = fresh('r.yml');
  await agent.call('file.put', { path: p, content: 'v1\n', mode: '0640' });
  const put = await agent.call('file.put', { path: p, content: 'v2\n', mode: '0600', backup: true });
  t.like(await agent.call('file.restore', { path: p, backupPath: put.backupPath! }), { changed: true });
  t.is(readFileSync(p, 'utf8'), 'v1\n');
  t.is(modeOf(p), '640', 'mode of the saved version');
  t.like(await agent.call('file.restore', { path: p, backupPath: put.backupPath! }), { changed: false });
  await t.throwsAsync(agent.call('file.restore', { path: p, backupPath: join(dir, 'nope~') }), {
    message: /backup .* does not exist/,
  });

  t.like(await agent.call('file.remove', { path: p, check: true }), { changed: true });
  t.true(existsSync(p));
  const rm = await agent.call('file.remove', { path: p, backup: true });
  t.true(rm.changed);
  t.false(existsSync(p));
  t.is(readFileSync(rm.backupPath!, 'utf8'), 'v1\n');
  t.like(await agent.call('file.remove', { path: p }), { changed: false });
});

test('file.backup copies a file as it is now (mode kept); a missing file has none', async (t) => {
  const p = fresh('elasticsearch.keystore');
  writeFileSync(p, Buffer.from([0x3f, 0xd7, 0x6c, 0x17, 0, 1, 2]));
  chmodSync(p, 0o660);
  const b = await agent.call('file.backup', { path: p });
  t.true(b.exists);
  t.not(b.backupPath, p);
  t.deepEqual(readFileSync(b.backupPath!), readFileSync(p));
  t.is(modeOf(b.backupPath!), '660');
  writeFileSync(p, 'changed by another tool');
  t.like(await agent.call('file.restore', { path: p, backupPath: b.backupPath! }), { changed: true });
  t.deepEqual(readFileSync(p), Buffer.from([0x3f, 0xd7, 0x6c, 0x17, 0, 1, 2]));
  t.deepEqual(await agent.call('file.backup', { path: join(dir, 'no-such-keystore') }), { exists: false });
  await t.throwsAsync(agent.call('file.backup', { path: dir }), { message: /is a directory/ });
});

const ORIGINAL =
  '# Elasticsearch config\ncluster.name: local\n\n# keep this comment   \nnode:\n  name: n1\nxpack.security.enabled: true';

test('block.apply inserts, replaces and removes a block; bytes outside stay', async (t) => {
  const p = fresh('elasticsearch.yml');
  writeFileSync(p, ORIGINAL);
  const ins = await agent.call('block.apply', {
    path: p,
    marker: 'rcs',
    content: 'remote_cluster_server.enabled: true',
  });
  t.true(ins.changed);
  const expected = ORIGINAL + '\n# BEGIN crosskey rcs\nremote_cluster_server.enabled: true\n# END crosskey rcs\n';
  t.is(readFileSync(p, 'utf8'), expected);
  t.is(ins.after, expected);
  t.is(ins.before, ORIGINAL);
  t.like(
    await agent.call('block.apply', { path: p, marker: 'rcs', content: 'remote_cluster_server.enabled: true\n' }),
    { changed: false },
  );

  // Text after the block is kept too.
  writeFileSync(p, readFileSync(p, 'utf8') + 'path.logs: /var/log/es\n');
  const rep = await agent.call('block.apply', {
    path: p,
    marker: 'rcs',
    content: 'remote_cluster_server:\n  enabled: true\n',
    backup: true,
  });
  t.true(rep.changed);
  t.is(
    readFileSync(p, 'utf8'),
    ORIGINAL +
      '\n# BEGIN crosskey rcs\nremote_cluster_server:\n  enabled: true\n# END crosskey rcs\npath.logs: /var/log/es\n',
  );
  t.truthy(rep.backupPath);
  const rem = await agent.call('block.apply', { path: p, marker: 'rcs', content: null });
  t.true(rem.changed);
  t.is(readFileSync(p, 'utf8'), ORIGINAL + '\npath.logs: /var/log/es\n');
  t.like(await agent.call('block.apply', { path: p, marker: 'rcs', content: null }), { changed: false });
});

test('block.apply refuses keys the rest of the file sets (flat and nested) and invalid YAML', async (t) => {
  const p = fresh('elasticsearch.yml');
  writeFileSync(p, ORIGINAL);
  const cases: Array<[string, RegExp]> = [
    ['cluster.name: other', /sets "cluster\.name", which the rest of the file also sets/],
    ['node.name: n2', /"node\.name"/], // flat in block vs nested outside
    ['cluster:\n  name: x', /"cluster\.name"/], // nested in block vs flat outside
    ['xpack:\n  security:\n    enabled: false', /"xpack\.security\.enabled"/],
    ['node: {roles: [master]}', /not valid YAML: duplicated mapping key/], // ES rejects a repeated top-level key too
    ['a: [unclosed', /not valid YAML/],
  ];
  for (const [content, re] of cases) {
    const e = await t.throwsAsync(agent.call('block.apply', { path: p, marker: 'm', content }), undefined, content);
    t.regex(e!.message, re, content);
    t.is((e as AgentOpFailed).code, 'EVALIDATE');
    t.is(readFileSync(p, 'utf8'), ORIGINAL, 'file unchanged after refusal');
  }
  // Check mode reports without writing; validate: none skips the checks.
  const chk = await agent.call('block.apply', { path: p, marker: 'm', content: 'x.y: 1', check: true });
  t.true(chk.changed);
  t.is(readFileSync(p, 'utf8'), ORIGINAL);
  t.true(
    (await agent.call('block.apply', { path: p, marker: 'm', content: 'cluster.name: dup', validate: 'none' })).changed,
  );
});

test('block.apply refuses broken markers and creates a missing file', async (t) => {
  const p = fresh('broken.yml');
  writeFileSync(p, 'a: 1\n# BEGIN crosskey m\nb: 2\n');
  await t.throwsAsync(agent.call('block.apply', { path: p, marker: 'm', content: 'c: 3' }), {
    message: /markers of block "m" are broken/,
  });
  const q = fresh('new.yml');
  const r = await agent.call('block.apply', { path: q, marker: 'm', content: 'c: 3', mode: '0660' });
  t.true(r.changed);
  t.is(readFileSync(q, 'utf8'), '# BEGIN crosskey m\nc: 3\n# END crosskey m\n');
  t.is(modeOf(q), '660');
});

test('command: argv without shell, shell, env, stdin, cwd, creates, timeout', async (t) => {
  const r1 = await agent.call('command', { argv: ['echo', '$HOME', 'a;b'] });
  t.like(r1, { rc: 0, stdout: '$HOME a;b\n', timedOut: false });
  const r2 = await agent.call('command', {
    shell: 'echo "$FOO" && pwd && cat && echo err >&2; exit 3',
    env: { FOO: 'bar' },
    stdin: 'from-stdin',
    cwd: dir,
  });
  t.is(r2.rc, 3);
  t.is(r2.stdout, `bar\n${dir}\nfrom-stdin`);
  t.is(r2.stderr, 'err\n');
  const flag = fresh('flag');
  writeFileSync(flag, '');
  t.like(await agent.call('command', { argv: ['false'], creates: flag }), { skipped: true, rc: 0 });
  const started = Date.now();
  const r3 = await agent.call('command', { shell: 'sleep 5 & sleep 5', timeoutMs: 200 });
  t.true(r3.timedOut);
  t.is(r3.rc, null);
  t.true(Date.now() - started < 4500, 'killed long before the 5 s sleeps end');
  const e = await t.throwsAsync(agent.call('command', { argv: ['/no/such/program'] }));
  t.is((e as AgentOpFailed).code, 'ENOENT');
  await t.throwsAsync(agent.call('command', { argv: ['true'], shell: 'true' }), { message: /exactly one of/ });
});

rootOnly('command runAsOwnerOf runs with the file owner uid/gid', async (t) => {
  const ks = fresh('elasticsearch.keystore');
  writeFileSync(ks, '');
  chownSync(ks, 65534, 65534);
  const r = await agent.call('command', { shell: 'id -u; id -g', runAsOwnerOf: ks, cwd: '/' });
  t.is(r.stdout, '65534\n65534\n');
});

test('service: configurable command, status decides active', async (t) => {
  const state = fresh('svc-state');
  const script = fresh('svc.sh');
  writeFileSync(
    script,
    `#!/bin/sh\ncase "$1" in\n start) echo on > ${state};; stop) rm -f ${state};; restart) echo on > ${state};;\n status) test -f ${state} || exit 3;;\nesac\necho "did $1"\n`,
    { mode: 0o755 },
  );
  t.like(await agent.call('service', { name: 'es', action: 'status', command: [script] }), { active: false, rc: 3 });
  t.like(await agent.call('service', { name: 'es', action: 'start', command: [script] }), {
    active: true,
    rc: 0,
    stdout: 'did start\n',
  });
  t.like(await agent.call('service', { name: 'es', action: 'status', command: [script] }), { active: true, rc: 0 });
  t.like(await agent.call('service', { name: 'es', action: 'stop', command: [script] }), { active: false, rc: 0 });
});

test('keystore.list reads entry names, with and without password', async (t) => {
  const plain = fresh('plain.keystore');
  writeFileSync(
    plain,
    writeKeystore({
      entries: new Map([
        ['keystore.seed', 'abc'],
        ['cluster.remote.r.credentials', 'secret'],
      ]),
    }),
  );
  t.like(await agent.call('keystore.list', { path: plain }), {
    exists: true,
    hasPassword: false,
    entries: ['cluster.remote.r.credentials', 'keystore.seed'],
  });
  const prot = fresh('prot.keystore');
  writeFileSync(prot, writeKeystore({ entries: new Map([['keystore.seed', 'abc']]), password: 'pw' }));
  t.like(await agent.call('keystore.list', { path: prot, password: 'pw' }), {
    exists: true,
    hasPassword: true,
    entries: ['keystore.seed'],
  });
  const wrong = await agent.call('keystore.list', { path: prot, password: 'nope' });
  t.is(wrong.entries, undefined);
  t.regex(wrong.error!, /password was incorrect/);
  t.regex((await agent.call('keystore.list', { path: prot })).error!, /password-protected/);
  t.deepEqual(await agent.call('keystore.list', { path: join(dir, 'none.keystore') }), { exists: false });
});

test('port.check and facts see a listening socket', async (t) => {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as { port: number }).port;
  t.deepEqual(await agent.call('port.check', { host: '127.0.0.1', port }), { open: true });
  const f = await agent.call('facts', { paths: { tmp: dir, nothing: join(dir, 'none') } });
  t.true(f.listening.some((l) => l.port === port && l.address === '127.0.0.1'));
  t.is(f.node, process.version);
  t.is(f.uid, process.getuid!());
  t.true(f.paths.tmp.exists && f.paths.tmp.isDir === true);
  t.false(f.paths.nothing.exists);
  await new Promise<void>((r) => server.close(() => r()));
  t.deepEqual(await agent.call('port.check', { host: '127.0.0.1', port, timeoutMs: 500 }), { open: false });
});

test('jsonlog.scan summarises the lines whose field starts with the prefix, and skips what does not parse', async (t) => {
  const p = fresh('local_deprecation.json');
  const line = (ts: string, code: string) =>
    JSON.stringify({ '@timestamp': ts, 'log.level': 'WARN', 'event.code': code, message: 'm' });
  writeFileSync(
    p,
    [
      line('2026-01-01T10:00:00.000Z', 'remote_cluster_certificate_access-eu'),
      line('2026-01-01T09:00:00.000Z', 'some_other_deprecation'),
      '{"torn": "remote_cluster_certificate_access-',
      line('2026-01-02T10:00:00.000Z', 'remote_cluster_certificate_access-eu'),
      line('2026-01-01T11:00:00.000Z', 'remote_cluster_certificate_access-us'),
      '',
    ].join('\n'),
  );
  const r = await agent.call('jsonlog.scan', {
    path: p,
    field: 'event.code',
    prefix: 'remote_cluster_certificate_access-',
  });
  t.deepEqual(r.matches, {
    'remote_cluster_certificate_access-eu': {
      count: 2,
      first: '2026-01-01T10:00:00.000Z',
      last: '2026-01-02T10:00:00.000Z',
    },
    'remote_cluster_certificate_access-us': {
      count: 1,
      first: '2026-01-01T11:00:00.000Z',
      last: '2026-01-01T11:00:00.000Z',
    },
  });
  t.like(r, { exists: true, lines: 5, unparsed: 1 });
  t.like(await agent.call('jsonlog.scan', { path: join(dir, 'none.json'), field: 'f', prefix: 'p' }), {
    exists: false,
  });
  const capped = await agent.call('jsonlog.scan', { path: p, field: 'event.code', prefix: 'remote_', maxValues: 1 });
  t.is(Object.keys(capped.matches).length, 1);
  t.true(capped.truncated);
});
