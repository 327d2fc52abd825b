// Human output for an operator: a dry run says so, skipped hosts are collapsed unless -v, long tasks show their
// duration, progress reaches logs when stderr is not a terminal (timestamped, throttled), and the run ends with a
// one-line summary of what changed or would change.
import test from 'ava';
import { Writable } from 'node:stream';
import { HumanRenderer } from '../../controller/cli/output/human.js';
import type { RunEvent } from '../../controller/playbook/exec-types.js';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk, _e, cb) {
        text += String(chunk);
        cb();
      },
    }),
    text: () => text,
  };
}

const stats = { ok: 1, changed: 1, unreachable: 0, failed: 0, skipped: 1, rescued: 0, ignored: 0 };
const host = (
  task: string,
  module: string,
  h: string,
  status: 'ok' | 'changed' | 'skipped',
  changeCount?: number,
  changeNoun?: [string, string],
): RunEvent => ({
  kind: 'host_result',
  play: 0,
  task,
  module,
  host: h,
  status,
  durationMs: 5,
  ...(changeCount ? { changeCount } : {}),
  ...(changeNoun ? { changeNoun } : {}),
});

function run(events: RunEvent[], opts: { verbosity?: number; now?: () => number } = {}) {
  const out = sink();
  const err = sink();
  const r = new HumanRenderer(out.stream, err.stream, opts);
  for (const e of events) r.handle(e);
  return { out: out.text(), err: err.text() };
}

const PLAY: RunEvent[] = [
  { kind: 'play_start', play: 0, name: 'remote-server', hosts: ['r1', 'r2'] },
  {
    kind: 'task_start',
    play: 0,
    task: 'only on 8.12',
    module: 'debug',
    handler: false,
    source: 'x:1',
    hosts: ['r1', 'r2'],
  },
  host('only on 8.12', 'debug', 'r1', 'skipped'),
  host('only on 8.12', 'debug', 'r2', 'skipped'),
  { kind: 'task_end', play: 0, task: 'only on 8.12', durationMs: 3 },
  {
    kind: 'task_start',
    play: 0,
    task: 'yml block',
    module: 'elasticsearch_yml',
    handler: false,
    source: 'x:2',
    hosts: ['r1', 'r2'],
  },
  host('yml block', 'elasticsearch_yml', 'r1', 'changed', 1, ['file', 'files']),
  host('yml block', 'elasticsearch_yml', 'r2', 'skipped'),
  { kind: 'task_end', play: 0, task: 'yml block', durationMs: 2500 },
  {
    kind: 'task_start',
    play: 0,
    task: 'restart',
    module: 'es_rolling_restart',
    handler: false,
    source: 'x:3',
    hosts: ['r1'],
  },
  host('restart', 'es_rolling_restart', 'r1', 'changed', 2, ['restart', 'restarts']),
  { kind: 'task_end', play: 0, task: 'restart', durationMs: 40 },
  { kind: 'recap', stats: { r1: stats, r2: stats } },
];

test('a dry run says so first and ends with a plan summary; skipped hosts and skip-only tasks are collapsed', (t) => {
  const r = run([{ kind: 'run_start', plays: 1, check: true, diff: false, startPlay: 0 }, ...PLAY]);
  t.regex(r.out, /^\nDRY RUN \(--check\): nothing is changed/);
  t.notRegex(r.out, /only on 8\.12/, 'a task whose hosts were all skipped prints nothing');
  t.notRegex(r.out, /skipping:/);
  t.regex(r.out, /TASK \[yml block\] \*+ \d\d:\d\d:\d\d\nchanged: \[r1\]\n\(2\.5 s\)\n/);
  t.regex(r.out, /Plan: 1 file, 2 restarts\. \(dry run: nothing was changed\)\n$/);
});

test('changes of a module without a noun are "other changes"', (t) => {
  const r = run([
    { kind: 'run_start', plays: 1, check: false, diff: false, startPlay: 0 },
    host('x', 'mystery', 'r1', 'changed', 2),
    host('x', 'mystery', 'r2', 'changed'),
    host('y', 'copy', 'r1', 'changed', 1, ['file', 'files']),
    { kind: 'recap', stats: { r1: stats, r2: stats } },
  ]);
  t.regex(r.out, /Changed: 3 other changes, 1 file\.\n$/);
});

test('-v shows skipped hosts; a real run ends with what changed; nothing to do says "No changes."', (t) => {
  const v = run([{ kind: 'run_start', plays: 1, check: false, diff: false, startPlay: 0 }, ...PLAY], { verbosity: 1 });
  t.regex(v.out, /TASK \[only on 8\.12\][^\n]*\nskipping: \[r1\]\nskipping: \[r2\]/);
  t.regex(v.out, /Changed: 1 file, 2 restarts\.\n$/);
  const none = run([
    { kind: 'run_start', plays: 1, check: false, diff: false, startPlay: 0 },
    {
      kind: 'task_start',
      play: 0,
      task: 'yml block',
      module: 'elasticsearch_yml',
      handler: false,
      source: 'x:2',
      hosts: ['r1'],
    },
    host('yml block', 'elasticsearch_yml', 'r1', 'ok'),
    { kind: 'recap', stats: { r1: stats } },
  ]);
  t.regex(none.out, /No changes\.\n$/);
});

test('progress on a non-terminal stderr: timestamped lines, at most one per 10 s per host and task', (t) => {
  let now = Date.parse('2026-12-03T10:00:00Z');
  const progress = (message: string): RunEvent => ({ kind: 'progress', host: 'r1', task: 'restart', message });
  const r = run(
    [
      progress('r2 (1/3): stopping'),
      progress('r2 (1/3): waiting for the node to leave'),
      progress('r2 (1/3): starting'),
    ],
    {
      now: () => {
        const v = now;
        now += 6000;
        return v;
      },
    },
  );
  t.is(r.err, '10:00:00 [r1] r2 (1/3): stopping\n10:00:12 [r1] r2 (1/3): starting\n');
});

test('a plan shows keystore entries by name only, structured values as YAML-ish lines, files as diffs', async (t) => {
  const { renderChange } = await import('../../controller/cli/output/human.js');
  t.is(
    renderChange({ target: 'cluster.remote.my_remote.credentials', action: 'create', secret: true, after: 'x' }),
    '  + cluster.remote.my_remote.credentials = (sensitive)\n',
  );
  t.is(
    renderChange({ target: 'cluster.remote.old.credentials', action: 'delete', secret: true }),
    '  - cluster.remote.old.credentials\n',
  );
  t.is(
    renderChange({
      target: 'POST /_security/cross_cluster/api_key crosskey-my_remote',
      action: 'create',
      after: { access: { search: [{ names: ['logs-*'] }], replication: [{ names: ['leader-*'] }] } },
    }),
    [
      '  + POST /_security/cross_cluster/api_key crosskey-my_remote (create)',
      '    after:',
      '      access:',
      '        search:',
      '          - names: [logs-*]',
      '        replication:',
      '          - names: [leader-*]',
      '',
    ].join('\n'),
  );
  t.is(
    renderChange({ target: '/etc/x mode', action: 'update', before: '0644', after: '0600' }),
    '  ~ /etc/x mode: 0644 -> 0600\n',
  );
  t.is(renderChange({ target: '/etc/x', action: 'update', unified: '--- a\n+++ b\n' }), '--- a\n+++ b\n');
});

test('wait lines of a controller task name the node it waits for: [task host -> node], with the wait and its share done', async (t) => {
  const { progressLine } = await import('../../controller/cli/output/human.js');
  const wait = {
    for: 'green',
    elapsedMs: 12_000,
    timeoutMs: 300_000,
    health: { status: 'yellow' as const, nodes: 3, relocating: 2, initializing: 4, unassigned: 3 },
  };
  t.is(
    progressLine({
      kind: 'progress',
      host: 'local-1',
      task: 'restart',
      node: 'local-3',
      message: 'waiting for green: 12 s / 300 s, cluster yellow, 2 relocating, 4 initializing, 3 unassigned',
      fraction: 0.5,
      wait,
    }),
    '[local-1 -> local-3] waiting for green: 12 s / 300 s, cluster yellow, 2 relocating, 4 initializing, 3 unassigned (50%)',
  );
  t.is(
    progressLine({ kind: 'progress', host: 'remote-1', task: 'restart', node: 'remote-1', message: 'stopping' }),
    '[remote-1] stopping',
    'the task host itself: no arrow',
  );
  t.is(
    progressLine({ kind: 'progress', host: 'remote-1', task: 'restart', message: 'stopping' }),
    '[remote-1] stopping',
  );
});

test('non-terminal progress is throttled per node: the first line about the next node is not held back', (t) => {
  let now = Date.parse('2026-12-03T10:00:00Z');
  const progress = (node: string, message: string): RunEvent => ({
    kind: 'progress',
    host: 'local-1',
    task: 'restart',
    node,
    message,
  });
  const r = run(
    [
      progress('local-2', 'waiting for green: 0 s / 900 s'),
      progress('local-2', 'waiting for green: 3 s / 900 s, cluster yellow, 0 relocating, 1 initializing, 0 unassigned'),
      progress('local-3', 'checking cluster health (node 2 of 3)'),
      progress('local-3', 'allocation primaries, flush'),
    ],
    {
      now: () => {
        const v = now;
        now += 3000;
        return v;
      },
    },
  );
  t.is(
    r.err,
    '10:00:00 [local-1 -> local-2] waiting for green: 0 s / 900 s\n' +
      '10:00:06 [local-1 -> local-3] checking cluster health (node 2 of 3)\n',
  );
});

test('a run_once task that names the host that failed: the result line shows [task host -> failed host]', (t) => {
  const r = run([
    {
      kind: 'task_start',
      play: 0,
      task: 'restart',
      module: 'es_rolling_restart',
      handler: false,
      source: 'x:1',
      hosts: ['local-1'],
    },
    {
      kind: 'host_result',
      play: 0,
      task: 'restart',
      module: 'es_rolling_restart',
      host: 'local-1',
      status: 'failed',
      failedHost: 'local-3',
      msg: 'local-3: node local-3 did not come back after the restart',
      durationMs: 5,
    },
    {
      kind: 'play_end',
      play: 0,
      durationMs: 5,
      failed: ['local-1'],
      aborted: 'any_errors_fatal: local-3 failed (reported by the run_once task on local-1)',
    },
  ]);
  t.regex(r.out, /failed: \[local-1 -> local-3\] => local-3: node local-3 did not come back/);
  t.regex(r.out, /NO MORE HOSTS LEFT: any_errors_fatal: local-3 failed \(reported by the run_once task on local-1\)/);
});
