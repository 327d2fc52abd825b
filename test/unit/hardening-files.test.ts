// Files on hosts and on the controller: backups are pruned to the newest crosskey_keep_backups per file; a secret
// written to a new file without a mode is readable by its owner only; secret_file refuses a file others can read.
// Agent ops run in the bundled agent (built from source) over pipes, on real files in a temp dir.
import test from 'ava';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAgentBundle, startLocalAgent } from '../helpers/agent-bundle.js';
import { AgentOpFailed, type AgentRpcClient } from '../../controller/transport/rpc.js';
import { copyModule } from '../../controller/modules/core/copy.js';
import { templateModule } from '../../controller/modules/core/template.js';
import { backupArgs, keepBackupsVar } from '../../controller/modules/core/file-state.js';
import { pendingRestartKey, type TaskContext } from '../../controller/modules/contract.js';
import type { AnyModule } from '../../controller/modules/registry.js';
import { runTask } from '../helpers/run-task.js';
import { Secret } from '../../controller/secrets.js';
import { renderString, renderFile } from '../../controller/lang/template.js';

let agent: AgentRpcClient;
let dir: string;
const cleanups: Array<() => unknown> = [];

test.before(async () => {
  const b = await buildAgentBundle();
  const a = startLocalAgent(b.file);
  agent = a.client;
  dir = mkdtempSync(join(tmpdir(), 'crosskey-hardening-files-'));
  cleanups.push(
    () => a.stop(),
    b.cleanup,
    () => rmSync(dir, { recursive: true, force: true }),
  );
});
test.after.always(async () => {
  for (const c of cleanups.reverse()) await c();
});

let n = 0;
/** A fresh folder per test (backups are counted per folder). */
const fresh = (name: string) => {
  const d = join(dir, `${++n}-${name}`);
  mkdirSync(d);
  return d;
};
const modeOf = (p: string) => '0' + (statSync(p).mode & 0o777).toString(8);
/** Backup names of `base` in `d`, oldest first (by the stamp in the name, then the -n counter of same-ms backups). */
const backupsOf = (d: string, base: string) =>
  readdirSync(d)
    .filter((f) => f.startsWith(base + '.') && f.endsWith('.crosskey~'))
    .map((f) => ({ f, k: /\.(\d{8}T\d{9}Z)(?:-(\d+))?\.crosskey~$/.exec(f) }))
    .sort(
      (a, b) =>
        (a.k?.[1] ?? '').localeCompare(b.k?.[1] ?? '') ||
        Number(a.k?.[2] ?? 0) - Number(b.k?.[2] ?? 0) ||
        a.f.localeCompare(b.f),
    )
    .map((x) => x.f);

// ---------------------------------------------------------------------------------------------------------------
// 1. Backups are pruned

test('file.put with backup keeps the newest 3 backups per file (default), the one just made included', async (t) => {
  const d = fresh('default');
  const p = join(d, 'elasticsearch.yml');
  writeFileSync(p, 'v0\n');
  const made: string[] = [];
  for (let i = 1; i <= 5; i++) {
    const r = await agent.call('file.put', { path: p, content: `v${i}\n`, backup: true });
    made.push(r.backupPath!);
    t.true(existsSync(r.backupPath!), 'the backup just made is never pruned');
  }
  const left = backupsOf(d, 'elasticsearch.yml');
  t.is(left.length, 3);
  t.deepEqual(
    left.map((f) => readFileSync(join(d, f), 'utf8')),
    ['v2\n', 'v3\n', 'v4\n'],
  );
  t.deepEqual(
    left.map((f) => join(d, f)),
    made.slice(2),
  );
});

test("pruning goes by the timestamp in the name (not mtime), oldest first, and only touches this file's backups", async (t) => {
  const d = fresh('names');
  const p = join(d, 'app.conf');
  writeFileSync(p, 'now\n');
  // Old backups by name, but touched recently (a copy or a restore changes mtime): the name decides.
  const oldest = join(d, 'app.conf.20200101T000000000Z.crosskey~');
  const older = join(d, 'app.conf.20210101T000000000Z.crosskey~');
  const olderDup = join(d, 'app.conf.20210101T000000000Z-1.crosskey~'); // same ms, made after `older`
  for (const f of [oldest, older, olderDup]) writeFileSync(f, 'old\n');
  utimesSync(oldest, new Date(), new Date(Date.now() + 3600_000));
  utimesSync(olderDup, new Date(0), new Date(0));
  // Look-alikes that are not backups of app.conf made by us: never removed.
  const decoys = [
    'app.conf.20190101T000000000Z.crosskey~.orig',
    'xapp.conf.20190101T000000000Z.crosskey~',
    'other.conf.20190101T000000000Z.crosskey~',
    'app.conf.2019.crosskey~',
    'app.conf.bak',
    'app.conf.20190101T000000000Z.crosskey',
    'app.conf.20190101T000000000Z-x.crosskey~',
  ].map((f) => join(d, f));
  for (const f of decoys) writeFileSync(f, 'decoy\n');
  mkdirSync(join(d, 'app.conf.20180101T000000000Z.crosskey~')); // a folder with a backup's name: not a backup

  const r = await agent.call('file.put', { path: p, content: 'new\n', backup: true, keepBackups: 3 });
  t.false(existsSync(oldest), 'oldest by name removed even though its mtime is the newest');
  t.true(existsSync(older) && existsSync(olderDup) && existsSync(r.backupPath!));
  for (const f of decoys) t.true(existsSync(f), f);
  t.true(statSync(join(d, 'app.conf.20180101T000000000Z.crosskey~')).isDirectory());

  // keepBackups 2: of the two 2021 backups, the one without a counter is older.
  const r2 = await agent.call('file.put', { path: p, content: 'newer\n', backup: true, keepBackups: 2 });
  t.deepEqual(
    backupsOf(d, 'app.conf')
      .filter((f) => !decoys.includes(join(d, f)) && f !== 'app.conf.20180101T000000000Z.crosskey~')
      .map((f) => join(d, f))
      .sort(),
    [r.backupPath!, r2.backupPath!].sort(),
  );
  t.false(existsSync(older));
  t.false(existsSync(olderDup));
});

test('keepBackups 1 keeps only the new backup; 0, negative and non-integers are refused before anything changes', async (t) => {
  const d = fresh('keep1');
  const p = join(d, 'f.yml');
  writeFileSync(p, 'a\n');
  await agent.call('file.put', { path: p, content: 'b\n', backup: true });
  await agent.call('file.put', { path: p, content: 'c\n', backup: true });
  const r = await agent.call('file.put', { path: p, content: 'd\n', backup: true, keepBackups: 1 });
  t.deepEqual(
    backupsOf(d, 'f.yml').map((f) => join(d, f)),
    [r.backupPath!],
  );
  for (const bad of [0, -1, 1.5, '3' as unknown as number]) {
    const e = await t.throwsAsync(agent.call('file.put', { path: p, content: 'e\n', backup: true, keepBackups: bad }));
    t.true(e instanceof AgentOpFailed && e.code === 'EINVAL', String(e));
    t.regex(e!.message, /keepBackups.*at least 1/);
  }
  t.is(readFileSync(p, 'utf8'), 'd\n');
  t.is(backupsOf(d, 'f.yml').length, 1);
  await t.throwsAsync(agent.call('file.backup', { path: p, keepBackups: 0 }), { message: /keepBackups/ });
  await t.throwsAsync(agent.call('block.apply', { path: p, marker: 'm', content: 'x: 1\n', keepBackups: -2 }), {
    message: /keepBackups/,
  });
  await t.throwsAsync(agent.call('file.remove', { path: p, backup: true, keepBackups: 0 }), { message: /keepBackups/ });
  t.true(existsSync(p));
  t.is(backupsOf(d, 'f.yml').length, 1);
});

test('protectBackups are never pruned and count towards the kept ones', async (t) => {
  const d = fresh('protect');
  const p = join(d, 'es.yml');
  writeFileSync(p, 'v0\n');
  const first = (await agent.call('file.put', { path: p, content: 'v1\n', backup: true })).backupPath!;
  const made = [first];
  for (let i = 2; i <= 5; i++)
    made.push(
      (
        await agent.call('file.put', {
          path: p,
          content: `v${i}\n`,
          backup: true,
          keepBackups: 2,
          protectBackups: [first],
        })
      ).backupPath!,
    );
  t.deepEqual(
    backupsOf(d, 'es.yml').map((f) => join(d, f)),
    [first, made[4]!],
  );
  t.is(readFileSync(first, 'utf8'), 'v0\n');
});

test('file.backup (keystore before elasticsearch-keystore), file.remove and block.apply prune too', async (t) => {
  const d = fresh('ops');
  const ks = join(d, 'elasticsearch.keystore');
  writeFileSync(ks, Buffer.from([0x3f, 0xd7, 0x6c, 0x17, 0, 1]));
  const kb: string[] = [];
  for (let i = 0; i < 5; i++) kb.push((await agent.call('file.backup', { path: ks })).backupPath!);
  t.deepEqual(
    backupsOf(d, 'elasticsearch.keystore').map((f) => join(d, f)),
    kb.slice(2),
  );
  kb.push((await agent.call('file.backup', { path: ks, keepBackups: 1 })).backupPath!);
  t.deepEqual(
    backupsOf(d, 'elasticsearch.keystore').map((f) => join(d, f)),
    kb.slice(5),
  );

  const y = join(d, 'es.yml');
  writeFileSync(y, 'a: 1\n');
  const yb: string[] = [];
  for (let i = 0; i < 4; i++)
    yb.push(
      (await agent.call('block.apply', { path: y, marker: 'm', content: `b: ${i}\n`, backup: true })).backupPath!,
    );
  t.deepEqual(
    backupsOf(d, 'es.yml').map((f) => join(d, f)),
    yb.slice(1),
  );
  const rm = await agent.call('file.remove', { path: y, backup: true, keepBackups: 2 });
  t.deepEqual(
    backupsOf(d, 'es.yml').map((f) => join(d, f)),
    [yb[3]!, rm.backupPath!],
  );
});

// ---------------------------------------------------------------------------------------------------------------
// Modules: crosskey_keep_backups and secrets

function fakeCtx(vars: Record<string, unknown>, extra: Partial<TaskContext> = {}): TaskContext {
  const store = new Map<string, unknown>();
  return {
    host: 'h1',
    vars,
    check: false,
    diff: true,
    agent: async () => agent,
    agentFor: async () => agent,
    hostVars: () => ({}),
    playHosts: ['h1'],
    state: {
      get: (k: string) => store.get(k),
      set: async (k: string, v: unknown) => {
        store.set(k, v);
      },
      delete: async (k: string) => {
        store.delete(k);
      },
      keys: () => [...store.keys()],
    },
    journal: { event: () => {} },
    progress: () => {},
    changedFiles: new Map(),
    signal: new AbortController().signal,
    ...extra,
  } as unknown as TaskContext;
}

/** The task as the executor runs it (read → plan → apply, nothing applied with an empty plan); a failed task
 *  throws its message. */
async function runModule(mod: AnyModule, ctx: TaskContext, args: Record<string, unknown>) {
  const r = await runTask(mod, ctx, args);
  if (r.status === 'failed') throw new Error(r.msg);
  return r;
}

test('copy and template pass crosskey_keep_backups to the agent; 0 or negative fails before the host is changed', async (t) => {
  const d = fresh('var');
  const p = join(d, 'app.yml');
  writeFileSync(p, 'v0\n');
  const ctx = fakeCtx({ crosskey_keep_backups: 2 });
  const made: string[] = [];
  for (let i = 1; i <= 4; i++) {
    const r = await runModule(copyModule, ctx, { content: `v${i}\n`, dest: p, backup: true });
    made.push(r.data.backup_file as string);
  }
  t.deepEqual(
    backupsOf(d, 'app.yml').map((f) => join(d, f)),
    made.slice(2),
  );

  mkdirSync(join(d, 'templates'));
  writeFileSync(join(d, 'templates', 't.hbs'), 'x: {{ x }}\n');
  const tctx = (x: number, keep: unknown) => fakeCtx({ x, playbook_dir: d, crosskey_keep_backups: keep });
  for (let i = 5; i <= 7; i++) await runModule(templateModule, tctx(i, '1'), { src: 't.hbs', dest: p, backup: true });
  t.is(backupsOf(d, 'app.yml').length, 1, 'a string "1" (from -e) counts too');
  for (let i = 8; i <= 9; i++)
    await runModule(templateModule, tctx(i, 2), { src: 't.hbs', dest: join(d, 'es.yml'), block: 'm', backup: true });
  t.is(backupsOf(d, 'es.yml').length, 1); // the first block.apply created the file: nothing to back up

  for (const bad of [0, -3, '0', 'many', 2.5]) {
    await t.throwsAsync(
      runModule(copyModule, fakeCtx({ crosskey_keep_backups: bad }), { content: 'changed\n', dest: p, backup: true }),
      { message: /crosskey_keep_backups must be a whole number of at least 1/ },
    );
    await t.throwsAsync(runModule(templateModule, tctx(99, bad), { src: 't.hbs', dest: p, backup: true }), {
      message: /crosskey_keep_backups/,
    });
  }
  t.is(readFileSync(p, 'utf8'), 'x: 7\n');
});

test('backupArgs protects the backups a pending restart may restore (this play and earlier runs)', async (t) => {
  const ctx = fakeCtx({});
  t.deepEqual(backupArgs(ctx), {});
  ctx.changedFiles.set('h1', [
    { path: '/etc/es/es.yml', backupPath: '/etc/es/es.yml.20240101T000000000Z.crosskey~' },
    { path: '/etc/es/new.yml' },
  ]);
  ctx.changedFiles.set('h2', [{ path: '/etc/es/es.yml', backupPath: '/other-host~' }]);
  await ctx.state.set(pendingRestartKey('h1'), [
    { path: '/etc/es/ks', backupPath: '/etc/es/ks.20230101T000000000Z.crosskey~' },
  ]);
  t.deepEqual(backupArgs({ ...ctx, vars: { crosskey_keep_backups: 5 } } as TaskContext), {
    keepBackups: 5,
    protectBackups: ['/etc/es/es.yml.20240101T000000000Z.crosskey~', '/etc/es/ks.20230101T000000000Z.crosskey~'],
  });
  t.is(keepBackupsVar({}), undefined);
  t.is(keepBackupsVar({ crosskey_keep_backups: '{{ k }}', k: 4 }), 4, 'a templated value is rendered');
  t.throws(() => keepBackupsVar({ crosskey_keep_backups: -1 }), { message: /got -1/ });

  // End to end: a backup recorded as changed in this play survives pruning.
  const d = fresh('protect-module');
  const p = join(d, 'es.yml');
  writeFileSync(p, 'v0\n');
  const pctx = fakeCtx({ crosskey_keep_backups: 1 });
  const first = await runModule(copyModule, pctx, { content: 'v1\n', dest: p, backup: true });
  pctx.changedFiles.set('h1', first.changedFiles!);
  for (let i = 2; i <= 4; i++) await runModule(copyModule, pctx, { content: `v${i}\n`, dest: p, backup: true });
  const left = backupsOf(d, 'es.yml').map((f) => join(d, f));
  t.true(left.includes(first.changedFiles![0]!.backupPath!));
  t.is(readFileSync(first.changedFiles![0]!.backupPath!, 'utf8'), 'v0\n');
  t.is(left.length, 2);
});

// ---------------------------------------------------------------------------------------------------------------
// 2. A secret in a new file: 0600

test('file.put createMode applies only when the file is created', async (t) => {
  const d = fresh('createmode');
  const p = join(d, 'new.txt');
  t.like(await agent.call('file.put', { path: p, content: 's\n', createMode: '0600' }), { created: true });
  t.is(modeOf(p), '0600');
  const q = join(d, 'old.txt');
  writeFileSync(q, 'x\n');
  chmodSync(q, 0o640);
  await agent.call('file.put', { path: q, content: 's\n', createMode: '0600' });
  t.is(modeOf(q), '0640');
  await agent.call('block.apply', { path: join(d, 'b.yml'), marker: 'm', content: 'a: 1\n', createMode: '0600' });
  t.is(modeOf(join(d, 'b.yml')), '0600');
  await t.throwsAsync(agent.call('file.put', { path: join(d, 'bad'), content: 'x', createMode: 'rw' }), {
    message: /mode must be an octal/,
  });
});

test('copy: a new file with a Secret (or a dict holding one) and no mode is created 0600; an existing file keeps its mode', async (t) => {
  const d = fresh('copy-secret');
  const ctx = fakeCtx({});
  const pw = new Secret('hunter2-very-secret');
  const a = join(d, 'secret.txt');
  const r = await runModule(copyModule, ctx, { content: pw, dest: a });
  t.true(r.changes[0]!.secret);
  t.is(readFileSync(a, 'utf8'), 'hunter2-very-secret');
  t.is(modeOf(a), '0600');

  const b = join(d, 'dict.json');
  await runModule(copyModule, ctx, { content: { user: 'elastic', password: pw }, dest: b });
  t.is(readFileSync(b, 'utf8'), '{"user":"elastic","password":"hunter2-very-secret"}', 'the value, not its mask');
  t.is(modeOf(b), '0600');

  const c = join(d, 'existing.txt');
  writeFileSync(c, 'old\n');
  chmodSync(c, 0o644);
  const rc = await runModule(copyModule, ctx, { content: pw, dest: c });
  t.deepEqual(
    rc.changes.map((x) => x.target),
    [c],
    'no mode change planned for an existing file',
  );
  t.is(readFileSync(c, 'utf8'), 'hunter2-very-secret');
  t.is(modeOf(c), '0644');

  const e = join(d, 'explicit.txt');
  await runModule(copyModule, ctx, { content: pw, dest: e, mode: '0640' });
  t.is(modeOf(e), '0640', 'a mode from the task wins');

  const f = join(d, 'plain.txt');
  await runModule(copyModule, ctx, { content: 'not secret\n', dest: f });
  t.is(modeOf(f), '0644');

  // Check mode plans the create without a mode line and writes nothing.
  const g = join(d, 'check.txt');
  const cur = await copyModule.read({ ...ctx, check: true } as TaskContext, { content: pw, dest: g });
  t.deepEqual(
    (await copyModule.diff(cur, { content: pw, dest: g }, ctx)).map((x) => x.action),
    ['create'],
  );
  t.false(existsSync(g));
});

test('template: a rendered secret goes to a new file (or a new block file) 0600', async (t) => {
  const d = fresh('template-secret');
  mkdirSync(join(d, 'templates'));
  writeFileSync(join(d, 'templates', 'conf.hbs'), 'user: elastic\npassword: {{ es_password }}\n');
  writeFileSync(join(d, 'templates', 'plain.hbs'), 'user: {{ user }}\n');
  const ctx = fakeCtx({ playbook_dir: d, es_password: new Secret('Tpl-Secret-123'), user: 'elastic' });
  const a = join(d, 'conf.yml');
  await runModule(templateModule, ctx, { src: 'conf.hbs', dest: a });
  t.is(readFileSync(a, 'utf8'), 'user: elastic\npassword: Tpl-Secret-123\n');
  t.is(modeOf(a), '0600');
  const b = join(d, 'block.yml');
  await runModule(templateModule, ctx, { src: 'conf.hbs', dest: b, block: 'creds' });
  t.regex(readFileSync(b, 'utf8'), /password: Tpl-Secret-123/);
  t.is(modeOf(b), '0600');
  const c = join(d, 'plain.yml');
  await runModule(templateModule, ctx, { src: 'plain.hbs', dest: c });
  t.is(modeOf(c), '0644');
  const e = join(d, 'existing.yml');
  writeFileSync(e, 'x: 1\n');
  chmodSync(e, 0o644);
  await runModule(templateModule, ctx, { src: 'conf.hbs', dest: e, block: 'creds' });
  t.is(modeOf(e), '0644');
});

// ---------------------------------------------------------------------------------------------------------------
// 3. secret_file refuses a file group or others can read

test.serial(
  'secret_file: a 0600 file is read; a file others can read is refused with how to fix it; a missing file is named',
  (t) => {
    const saved = process.env.CROSSKEY_ALLOW_LOOSE_SECRET_FILES;
    delete process.env.CROSSKEY_ALLOW_LOOSE_SECRET_FILES;
    t.teardown(() => {
      if (saved === undefined) delete process.env.CROSSKEY_ALLOW_LOOSE_SECRET_FILES;
      else process.env.CROSSKEY_ALLOW_LOOSE_SECRET_FILES = saved;
    });
    const d = fresh('secret-file');
    const tight = join(d, 'tight');
    writeFileSync(tight, 'S3cr3t-file-pw\n', { mode: 0o600 });
    const v = renderString(`{{ secret_file "${tight}" }}`, {});
    t.true(v instanceof Secret);
    t.is((v as Secret).reveal(), 'S3cr3t-file-pw');

    const loose = join(d, 'loose');
    writeFileSync(loose, 'leaked\n');
    chmodSync(loose, 0o644);
    const where = { file: 'pb.yml', line: 3 };
    t.throws(() => renderString(`{{ secret_file "${loose}" }}`, {}, where), {
      message: new RegExp(
        `secret_file: ${loose} is readable by others \\(mode 0644\\): run 'chmod 600 ${loose}'.*crosskey_allow_loose_secret_files`,
      ),
    });
    chmodSync(loose, 0o640);
    t.throws(() => renderString(`pw={{ secret_file "${loose}" }}`, {}, where), {
      message: /secret_file: .*loose is readable by others \(mode 0640\)/,
    });
    writeFileSync(join(d, 'templates.hbs'), `pw: {{ secret_file "${loose}" }}\n`);
    t.throws(() => renderFile(join(d, 'templates.hbs'), {}), { message: /secret_file: .*loose is readable by others/ });
    t.throws(() => renderString(`{{ secret_file "${join(d, 'nope')}" }}`, {}, where), {
      message: /secret_file: cannot read .*nope: ENOENT/,
    });

    process.env.CROSSKEY_ALLOW_LOOSE_SECRET_FILES = 'true';
    t.is((renderString(`{{ secret_file "${loose}" }}`, {}) as Secret).reveal(), 'leaked', 'allowed by the operator');
  },
);

test('secret_file: the variable crosskey_allow_loose_secret_files is honoured; in a template file the secret is written as is', async (t) => {
  const { renderValue } = await import('../../controller/lang/template.js');
  const { isSecret } = await import('../../controller/secrets.js');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'ck-sf-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const loose = join(dir, 'loose');
  writeFileSync(loose, 's3cr<e>t&"pw\n', { mode: 0o644 });
  const tpl = `{{ secret_file "${loose}" }}`;
  t.throws(() => renderValue(tpl, {}), { message: /secret_file: .*loose is readable by others/ });
  const v = renderValue(tpl, { crosskey_allow_loose_secret_files: true });
  t.true(isSecret(v));
  t.is((v as { reveal(): string }).reveal(), 's3cr<e>t&"pw');
  // A block template (Handlebars path): the file's text lands as is, and the whole output is a Secret.
  const block = renderValue(`{{#if true}}password: {{ secret_file "${loose}" }}{{/if}}`, {
    crosskey_allow_loose_secret_files: 'true',
  });
  t.true(isSecret(block));
  t.is((block as { reveal(): string }).reveal(), 'password: s3cr<e>t&"pw');
});
