// The run journal, saved-state store and run lock on real files in a temp dir.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { RunJournal, listRuns, readRun } from '../../controller/state/journal.js';
import { FileStateStore } from '../../controller/state/store.js';
import { acquireRunLock, LockedError } from '../../controller/state/lock.js';
import { ensureStateDir, defaultStateDir } from '../../controller/state/dir.js';
import { Secret, SecretRegistry, secrets } from '../../controller/secrets.js';

function tmp(t: { teardown(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'ck-state-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('state dir is created 0700 next to the inventory, and tightened when it exists', (t) => {
  const d = tmp(t);
  writeFileSync(join(d, 'hosts.yml'), 'all: {}\n');
  const dir = defaultStateDir(join(d, 'hosts.yml'));
  t.is(dir, join(d, '.crosskey'));
  ensureStateDir(dir);
  t.is(statSync(dir).mode & 0o777, 0o700);
  t.is(statSync(join(dir, 'runs')).mode & 0o777, 0o700);
});

test('journal: JSON lines, redacted, header first, resume point = first play that did not end', (t) => {
  const dir = ensureStateDir(join(tmp(t), '.crosskey'));
  const reg = new SecretRegistry();
  reg.register('hunter2-password');
  const j = RunJournal.start(
    dir,
    { argv: ['run', 'pb.yml'], playbook: '/x/pb.yml', inventory: '/x/inv', check: false, options: { forks: 3 } },
    reg,
    'run-a',
  );
  j.event('play_start', { play: 0 });
  j.event('host_result', { host: 'h1', msg: 'token hunter2-password leaked?', secret: new Secret('s3cr3t-value-xyz') });
  j.event('play_end', { play: 0 });
  j.event('play_start', { play: 1 });
  j.close();
  j.event('late', {}); // after close: dropped, not thrown
  const text = readFileSync(j.file, 'utf8');
  t.false(text.includes('hunter2-password'));
  t.false(text.includes('s3cr3t-value-xyz'));
  t.is(statSync(j.file).mode & 0o777, 0o600);
  const lines = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.is(lines[0].kind, 'run_start');
  t.deepEqual(
    lines.map((l) => l.seq),
    [1, 2, 3, 4, 5],
  );
  const r = readRun(dir, 'run-a');
  t.deepEqual(r.completedPlays, [0]);
  t.is(r.resumePlay, 1);
  t.false(r.finished);
  t.is(r.header?.playbook, '/x/pb.yml');
  t.is(listRuns(dir)[0]!.status, 'incomplete');
});

test('listRuns orders runs by their start time, not by ids that share a second', async (t) => {
  const dir = ensureStateDir(join(tmp(t), '.crosskey'));
  const header = { argv: [], playbook: 'p', inventory: 'i', check: false, options: {} };
  // Same second, and the later run's random suffix sorts first.
  const first = RunJournal.start(dir, header, new SecretRegistry(), '20261128T120000Z-ffffff');
  first.event('run_end', { exitCode: 0, interrupted: false });
  first.close();
  await new Promise((r) => setTimeout(r, 5));
  const second = RunJournal.start(dir, header, new SecretRegistry(), '20261128T120000Z-000000');
  second.event('run_end', { exitCode: 2, interrupted: false });
  second.close();
  t.deepEqual(
    listRuns(dir).map((r) => [r.id, r.status]),
    [
      ['20261128T120000Z-ffffff', 'ok'],
      ['20261128T120000Z-000000', 'failed'],
    ],
  );
});

test('journal: a finished run has no resume point; failed run resumes after its last finished play; torn last line tolerated', (t) => {
  const dir = ensureStateDir(join(tmp(t), '.crosskey'));
  const ok = RunJournal.start(
    dir,
    { argv: [], playbook: 'p', inventory: 'i', check: false, options: {} },
    new SecretRegistry(),
    'a-ok',
  );
  ok.event('run_start_plays', {});
  ok.event('play_start', { play: 0 });
  ok.event('play_end', { play: 0 });
  ok.event('run_end', { exitCode: 0, interrupted: false });
  ok.close();
  t.is(readRun(dir, 'a-ok').resumePlay, undefined);
  t.is(listRuns(dir)[0]!.status, 'ok');

  const bad = RunJournal.start(
    dir,
    { argv: [], playbook: 'p', inventory: 'i', check: false, options: {} },
    new SecretRegistry(),
    'b-bad',
  );
  bad.event('play_start', { play: 0 });
  bad.event('play_end', { play: 0 });
  bad.event('run_end', { exitCode: 2, interrupted: false });
  bad.close();
  writeFileSync(bad.file, readFileSync(bad.file, 'utf8') + '{"seq":9,"kind":"tor');
  const r = readRun(dir, 'b-bad');
  t.is(r.resumePlay, 1);
  t.is(r.exitCode, 2);
  t.deepEqual(
    listRuns(dir).map((x) => x.status),
    ['ok', 'failed'],
  );
  t.throws(() => readRun(dir, 'nope'), { message: /no run nope/ });
});

test('state store: atomic JSON file, survives reload, secrets stored masked, keys by prefix', async (t) => {
  const dir = ensureStateDir(join(tmp(t), '.crosskey'));
  const s = new FileStateStore(dir);
  await Promise.all([
    s.set('remote_cluster/u1/a/original', { seeds: ['h:9300'], mode: 'sniff' }),
    s.set('remote_cluster/u1/b/original', { token: new Secret('very-secret-api-key') }),
    s.set('other', 1),
  ]);
  const again = new FileStateStore(dir);
  t.deepEqual(again.get('remote_cluster/u1/a/original'), { seeds: ['h:9300'], mode: 'sniff' });
  t.deepEqual(again.keys('remote_cluster/'), ['remote_cluster/u1/a/original', 'remote_cluster/u1/b/original']);
  t.false(readFileSync(join(dir, 'state.json'), 'utf8').includes('very-secret-api-key'));
  t.is(statSync(join(dir, 'state.json')).mode & 0o777, 0o600);
  await again.delete('other');
  t.is(new FileStateStore(dir).get('other'), undefined);
  t.false(readdirSync(dir).some((n) => n.endsWith('.tmp')));
  writeFileSync(join(dir, 'state.json'), '{broken');
  t.throws(() => new FileStateStore(dir), { message: /state\.json: saved state is not valid JSON/ });
  void secrets;
});

test('run lock: one run per state dir; a stale lock (dead pid) is taken over', (t) => {
  const dir = ensureStateDir(join(tmp(t), '.crosskey'));
  const a = acquireRunLock(dir, 'r1');
  // A lock held by a live process (this one, seen from a second acquirer) refuses.
  const child = spawnSync(process.execPath, [
    '-e',
    `
    const { openSync } = require('node:fs');
    try { openSync(${JSON.stringify(join(dir, 'run.lock'))}, 'wx'); console.log('got'); } catch (e) { console.log(e.code); }
  `,
  ]);
  t.is(child.stdout.toString().trim(), 'EEXIST');
  a.release();
  t.false(existsSync(a.file));
  // Stale: a pid that does not exist.
  writeFileSync(join(dir, 'run.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, runId: 'dead' }));
  const b = acquireRunLock(dir, 'r2');
  t.is(JSON.parse(readFileSync(b.file, 'utf8')).runId, 'r2');
  // Live foreign pid (pid 1 always exists) → LockedError naming the file.
  b.release();
  writeFileSync(join(dir, 'run.lock'), JSON.stringify({ pid: 1, runId: 'init' }));
  const err = t.throws(() => acquireRunLock(dir, 'r3'), { instanceOf: LockedError });
  t.regex(err!.message, /pid 1/);
});
