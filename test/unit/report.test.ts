// crosskey report from a real journal: the real executor runs a playbook of real core modules (debug, assert, fail)
// plus a controller-side test module that writes real files and journals gate events in the shape
// controller/elastic/rolling-restart.ts writes them; the events go through the real RunJournal (as `crosskey run`
// wires it). The report is then read back from the .jsonl file only.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Executor } from '../../controller/playbook/executor.js';
import { makeLang } from '../../controller/playbook/exec-lang.js';
import { inventoryView } from '../../controller/playbook/exec-inventory.js';
import { loadInventory } from '../../controller/inventory/index.js';
import type { Resource } from '../../controller/modules/contract.js';
import type { AnyModule } from '../../controller/modules/registry.js';
import { coreModules } from '../../controller/modules/core/index.js';
import type { ModuleTask, Play, Playbook } from '../../controller/playbook/types.js';
import { FileStateStore } from '../../controller/state/store.js';
import { RunJournal, readRun } from '../../controller/state/journal.js';
import { ensureStateDir } from '../../controller/state/dir.js';
import { Secret, secrets } from '../../controller/secrets.js';
import {
  buildRunReport,
  loadRunReport,
  renderReportHtml,
  renderReportText,
  resolveRunId,
} from '../../controller/report/index.js';

const PASSWORD = 'Lab-Pa55word-for-report-test';

// A restart-like module: changes a real file, then journals G0…G7 for its host with timestamps.
interface RestartArgs {
  fail?: boolean;
}
const fakeRestart: Resource<RestartArgs, { path: string; exists: boolean }> = {
  name: 'test_restart',
  description: 'test: file change + gate events',
  runsOn: 'controller',
  schema: { fail: { type: 'boolean' } },
  async read(ctx) {
    const path = join(String(ctx.vars.out_dir), `${ctx.host}.restarted`);
    return { path, exists: existsSync(path) };
  },
  diff(cur) {
    return cur.exists ? [] : [{ target: cur.path, action: 'create' }];
  },
  async apply(ctx, args, plan, cur) {
    const gate = (g: string, data: Record<string, unknown> = {}) =>
      ctx.journal.event('rolling_restart.gate', {
        gate: g,
        host: ctx.host,
        node: `node-${ctx.host}`,
        at: new Date().toISOString(),
        ...data,
      });
    gate('G0', { status: 'green', nodes: 2 });
    gate('G1', { allocation: 'primaries' });
    // The health while the node is away, and what the engine sampled during the whole restart (G7, node_failed).
    const away = { status: 'yellow', nodes: 1, relocating: 0, initializing: 0, unassigned: 2 };
    gate('G2', { nodeId: 'abc', ...away });
    gate('G3');
    if (args.fail) {
      ctx.journal.event('rolling_restart.node_failed', {
        host: ctx.host,
        node: `node-${ctx.host}`,
        reason: 'did not come back',
        at: new Date().toISOString(),
        healthSeen: {
          worst: 'red',
          samples: 4,
          yellowMs: 5000,
          redMs: 3000,
          maxRelocating: 0,
          maxInitializing: 0,
          maxUnassigned: 4,
        },
      });
      throw new Error(`node-${ctx.host} did not come back`);
    }
    gate('G4', { nodeId: 'abc', ...away });
    gate('G6', { allocation: null });
    writeFileSync(cur.path, 'x');
    gate('G7', {
      status: 'green',
      healthSeen: {
        worst: 'yellow',
        samples: 6,
        yellowMs: 12_000,
        redMs: 0,
        maxRelocating: 1,
        maxInitializing: 2,
        maxUnassigned: 2,
      },
    });
    ctx.journal.event('api_key.created', { name: 'rcs-key', id: 'key-id-123', alias: 'my_remote' });
    return { applied: plan, changedFiles: [{ path: cur.path }], data: { path: cur.path } };
  },
};
const modules = new Map<string, AnyModule>([...coreModules, fakeRestart].map((m) => [m.name, m]));

let line = 1;
const t = (module: string, args: Record<string, unknown>, extra: Partial<ModuleTask> = {}): ModuleTask => ({
  kind: 'task',
  module,
  args,
  tags: [],
  loopVar: 'item',
  ignoreErrors: false,
  noLog: false,
  runOnce: false,
  notify: [],
  vars: {},
  source: { file: 'pb.yml', line: line++ },
  ...extra,
});
const play = (name: string, hosts: string, tasks: ModuleTask[]): Play => ({
  name,
  hosts,
  vars: {},
  varsFiles: [],
  anyErrorsFatal: false,
  gatherFacts: false,
  tags: [],
  tasks,
  handlers: [],
  source: { file: 'pb.yml', line: 1 },
});

async function recordRun(
  dir: string,
  stateDir: string,
  pb: Playbook,
  diff: boolean,
): Promise<{ id: string; exitCode: number }> {
  const inv = loadInventory(join(dir, 'inv.yml'));
  const journal = RunJournal.start(
    stateDir,
    { argv: ['run', 'pb.yml', '-i', 'inv.yml'], playbook: pb.file, inventory: inv.path, check: false, options: {} },
    secrets,
  );
  const ex = new Executor({
    inventory: inventoryView(inv),
    agents: {
      agent: async () => {
        throw new Error('no SSH in this test');
      },
      local: async () => {
        throw new Error('no local agent');
      },
      closeAll: async () => {},
    },
    lang: makeLang(),
    modules,
    state: new FileStateStore(stateDir),
    journal,
    diff,
    extraVars: { lab_password: new Secret(PASSWORD) },
    emit: (ev) => {
      const { kind, ...data } = ev;
      journal.event(kind, data as Record<string, unknown>);
    },
  });
  const r = await ex.run(pb);
  journal.close();
  return { id: journal.id, exitCode: r.exitCode };
}

function fixture(tt: { teardown(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'ck-report-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'inv.yml'),
    `all:\n  vars:\n    out_dir: ${dir}\n  children:\n    local:\n      hosts:\n        local-1: {}\n        local-2: {}\n`,
  );
  const stateDir = ensureStateDir(join(dir, '.crosskey'));
  const pb: Playbook = {
    file: join(dir, 'pb.yml'),
    dir,
    plays: [
      play('preflight', 'local', [
        t('debug', { msg: 'connecting with {{ lab_password }}' }, { name: 'show the connection' }),
        t('assert', { that: ['1 == 1'] }, { name: 'versions are supported' }),
      ]),
      play('restart the local cluster', 'local', [
        t('test_restart', { fail: "{{ inventory_hostname == 'local-2' }}" }, { name: 'rolling restart' }),
        t('fail', { msg: 'never reached on local-2' }, { name: 'optional check', ignoreErrors: true }),
      ]),
    ],
  };
  return { dir, stateDir, pb };
}

test.serial(
  'report of a real journal: every play, task and host; restarts from gate events; changes; no secret',
  async (tt) => {
    const { dir, stateDir, pb } = fixture(tt);
    const { id, exitCode } = await recordRun(dir, stateDir, pb, true);
    tt.is(exitCode, 2); // local-2's restart failed
    const journalText = readFileSync(join(stateDir, 'runs', `${id}.jsonl`), 'utf8');
    tt.false(journalText.includes(PASSWORD), 'the journal itself is redacted');

    const r = buildRunReport(readRun(stateDir, id));
    tt.is(r.id, id);
    tt.is(r.status, 'failed');
    tt.deepEqual(
      r.plays.map((p) => p.name),
      ['preflight', 'restart the local cluster'],
    );
    tt.deepEqual(
      r.plays[0]!.tasks.map((x) => x.name),
      ['show the connection', 'versions are supported'],
    );
    tt.deepEqual(
      r.plays[1]!.tasks.map((x) => x.name),
      ['rolling restart', 'optional check'],
    );
    const restartTask = r.plays[1]!.tasks[0]!;
    tt.deepEqual(restartTask.hosts.map((h) => `${h.host}:${h.status}`).sort(), ['local-1:changed', 'local-2:failed']);
    tt.true(restartTask.hosts.every((h) => typeof h.durationMs === 'number'));
    tt.regex(restartTask.hosts.find((h) => h.host === 'local-2')!.msg ?? '', /did not come back/);
    // local-2 failed in play 2 and is not run further; the ignored failure on local-1 is recorded as such.
    tt.deepEqual(
      r.plays[1]!.tasks[1]!.hosts.map((h) => `${h.host}:${h.status}:${!!h.ignored}`),
      ['local-1:failed:true'],
    );
    tt.deepEqual(Object.keys(r.recap).sort(), ['local-1', 'local-2']);
    tt.is(r.recap['local-2']!.failed, 1);

    // Restarts: local-1 done (G1→G7), local-2 failed after G3.
    const byHost = Object.fromEntries(r.restarts.map((x) => [x.host, x]));
    tt.is(byHost['local-1']!.outcome, 'done');
    tt.is(byHost['local-1']!.node, 'node-local-1');
    tt.is(byHost['local-1']!.healthBefore, 'green');
    tt.is(byHost['local-1']!.healthAfter, 'green');
    tt.true(byHost['local-1']!.totalMs! >= 0 && byHost['local-1']!.awayMs! >= 0);
    tt.is(byHost['local-2']!.outcome, 'failed');
    tt.regex(byHost['local-2']!.note ?? '', /did not come back/);
    // The health seen during each restart: the worst status, how long it was yellow (and red), the most shards.
    tt.like(byHost['local-1']!, {
      worstHealth: 'yellow',
      yellowMs: 12_000,
      redMs: 0,
      maxShards: { unassigned: 2, initializing: 2, relocating: 1 },
    });
    tt.like(byHost['local-2']!, { worstHealth: 'red', yellowMs: 5000, redMs: 3000 });
    const g7 = r.timeline['local-1']!.find((e) => e.gate === 'G7')!;
    tt.regex(
      g7.detail,
      /health seen: worst yellow \(yellow 12 s; at most 2 unassigned, 2 initializing, 1 relocating\)/,
    );
    tt.is(r.timeline['local-1']!.find((e) => e.gate === 'G2')!.health, 'yellow');
    tt.deepEqual(
      r.timeline['local-1']!.map((e) => e.gate),
      ['G0', 'G1', 'G2', 'G3', 'G4', 'G6', 'G7'],
    );

    // What changed where (recorded with --diff): the file on local-1; the key id from the module's event.
    tt.deepEqual(
      r.changes.map((c) => `${c.host} ${c.action} ${c.target}`),
      [`local-1 create ${join(dir, 'local-1.restarted')}`],
    );
    tt.true(r.moduleEvents.some((e) => e.kind === 'api_key.created' && e.detail.includes('id=key-id-123')));

    const text = renderReportText(r);
    const html = renderReportHtml(r);
    // The timeline shows the worst health sampled while each node was away (local-1 yellow; local-2 failed, no bar).
    tt.regex(html, /<rect class="health"[^>]*fill="#bf8700"><title>local-1: cluster at worst yellow<\/title>/);
    for (const out of [text, html]) {
      for (const name of [
        'preflight',
        'show the connection',
        'versions are supported',
        'rolling restart',
        'optional check',
        'local-1',
        'local-2',
        'key-id-123',
      ]) {
        tt.true(out.includes(name), `report shows ${name}`);
      }
      tt.false(out.includes(PASSWORD));
      tt.false(out.includes(Buffer.from(PASSWORD).toString('base64')));
    }
    tt.regex(text, /worst\s+yellow for\s+after\s+outcome/);
    tt.regex(text, /local-1 +node-local-1 +green .* yellow +12\.0s +green +done/);
    tt.regex(text, /local-2 +node-local-2 +green .* red +5\.0s, red 3\.0s +failed/);
    tt.regex(html, /<th>worst health<\/th><th>yellow for<\/th>/);
    tt.regex(
      html,
      /<span class="badge h-yellow">yellow<\/span><br><span class="muted">at most 2 unassigned, 2 initializing, 1 relocating<\/span>/,
    );
    tt.regex(html, /<td class="num">12\.0s<\/td>/);
    tt.regex(
      html,
      /cluster at worst <span class="badge h-red">red<\/span> <span class="muted">\(longest yellow: 12\.0s, longest red: 3\.0s\)<\/span>/,
    );
    // Self-contained: no scripts, no external resources.
    tt.false(/<script|<link|<img|@import|url\(/i.test(html));
    tt.false(/\b(src|href)=/i.test(html));
    tt.regex(html, /^<!DOCTYPE html>/);
    tt.regex(html, /<style>/);
  },
);

test.serial('without --diff a changed step is still listed; latest run, prefixes and errors', async (tt) => {
  const { dir, stateDir, pb } = fixture(tt);
  const first = await recordRun(dir, stateDir, pb, false);
  rmSync(join(dir, 'local-1.restarted'));
  await new Promise((res) => setTimeout(res, 1100)); // run ids are per-second stamps
  const second = await recordRun(dir, stateDir, pb, false);
  tt.not(first.id, second.id);
  tt.is(resolveRunId(stateDir), second.id);
  tt.is(resolveRunId(stateDir, first.id.slice(0, 20)), first.id);
  tt.throws(() => resolveRunId(stateDir, 'nope'), { message: /no run nope in / });
  tt.throws(() => resolveRunId(join(dir, 'empty')), { message: /no runs recorded/ });
  const r = loadRunReport(stateDir);
  tt.is(r.id, second.id);
  tt.deepEqual(
    r.changes.map((c) => `${c.host} ${c.task} ${c.target}`),
    [`local-1 rolling restart path=${join(dir, 'local-1.restarted')}`],
  );
});

test('a run killed mid-task: incomplete, the torn last line ignored, the open restart shown as incomplete', (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'ck-report-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const stateDir = ensureStateDir(join(dir, '.crosskey'));
  const j = RunJournal.start(
    stateDir,
    { argv: ['run', 'pb.yml'], playbook: '/pb.yml', inventory: '/inv.yml', check: false, options: {} },
    secrets,
  );
  j.event('play_start', { play: 0, name: 'switch', hosts: ['local-1'] });
  j.event('task_start', {
    play: 0,
    task: 'rolling restart',
    module: 'es_rolling_restart',
    handler: false,
    source: 'pb.yml:3',
    hosts: ['local-1'],
  });
  j.event('rolling_restart.gate', {
    host: 'local-1',
    task: 'rolling restart',
    gate: 'G0',
    node: 'local-1',
    status: 'green',
    at: new Date().toISOString(),
  });
  j.event('rolling_restart.gate', {
    host: 'local-1',
    task: 'rolling restart',
    gate: 'G1',
    node: 'local-1',
    allocation: 'primaries',
    at: new Date().toISOString(),
  });
  j.close();
  writeFileSync(j.file, readFileSync(j.file, 'utf8') + '{"seq":99,"ts":"2026-', { flag: 'w' }); // SIGKILL mid-write
  const r = buildRunReport(readRun(stateDir, j.id));
  tt.is(r.status, 'incomplete');
  tt.is(r.endedAt, undefined);
  tt.deepEqual(
    r.plays[0]!.tasks.map((x) => [x.name, x.hosts.length]),
    [['rolling restart', 0]],
  );
  tt.deepEqual(
    r.restarts.map((x) => [x.host, x.outcome, x.healthBefore, x.worstHealth, x.yellowMs]),
    [['local-1', 'incomplete', 'green', undefined, undefined]],
    'no health sampled yet: worst health and time yellow unknown',
  );
  tt.regex(renderReportText(r), /INCOMPLETE/);
  tt.regex(renderReportHtml(r), /not recorded: the run did not finish/);
});

test('a run_once failure that names the failing host: the step shows task host -> failed host', (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'ck-report-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const stateDir = ensureStateDir(join(dir, '.crosskey'));
  const j = RunJournal.start(
    stateDir,
    { argv: ['run', 'pb.yml'], playbook: '/pb.yml', inventory: '/inv.yml', check: false, options: {} },
    secrets,
  );
  j.event('play_start', { play: 0, name: 'switch', hosts: ['local-1', 'local-3'] });
  j.event('task_start', {
    play: 0,
    task: 'rolling restart',
    module: 'es_rolling_restart',
    handler: false,
    source: 'pb.yml:3',
    hosts: ['local-1'],
  });
  j.event('host_result', {
    play: 0,
    task: 'rolling restart',
    module: 'es_rolling_restart',
    host: 'local-1',
    status: 'failed',
    failedHost: 'local-3',
    msg: 'local-3: node local-3 did not come back after the restart',
    durationMs: 1000,
  });
  j.close();
  const r = buildRunReport(readRun(stateDir, j.id));
  tt.like(r.plays[0]!.tasks[0]!.hosts[0], { host: 'local-1', failedHost: 'local-3', status: 'failed' });
  tt.regex(renderReportText(r), /local-1 -> local-3 +failed/);
  tt.regex(renderReportHtml(r), /<span class="nw">local-1<\/span> <span class="nw">→ local-3<\/span>/);
});

test('summary: models before → after per node, the key in use, tasks paused/resumed and who ran it', (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'ck-report-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const stateDir = ensureStateDir(join(dir, '.crosskey'));
  const j = RunJournal.start(
    stateDir,
    {
      argv: ['run', 'migrate.yml'],
      playbook: '/pb/migrate.yml',
      inventory: '/inv.yml',
      check: false,
      options: {},
      operator: 'ops@controller-1',
      playbook_commit: '0123456789ab+changes',
    },
    secrets,
  );
  const result = (task: string, module: string, status: string, res: Record<string, unknown>, extra = {}) => {
    j.event('task_start', { play: 0, task, module, handler: false, source: 'pb.yml:1', hosts: ['local-1'] });
    j.event('host_result', { play: 0, task, module, host: 'local-1', status, durationMs: 5, result: res, ...extra });
  };
  j.event('play_start', { play: 0, name: 'migrate', hosts: ['local-1', 'local-2'] });
  result('preflight', 'es_preflight', 'ok', {
    alias: 'my_remote',
    alias_model_per_node: { 'local-1': 'rcs1', 'local-2': 'rcs1' },
  });
  j.event('tasks.captured', {
    host: 'local-1',
    task: 'pause tasks',
    transforms: 1,
    datafeeds: 0,
    followers: 2,
    auto_follow_patterns: 0,
  });
  result('pause tasks', 'es_tasks', 'changed', { saved_key: 'k' }, { changeCount: 3 });
  result('api key', 'es_cross_cluster_api_key', 'changed', { id: 'key-<id>-42', name: 'crosskey-my_remote' });
  j.event('tasks.resumed', { host: 'local-1', task: 'resume tasks', key: 'k' });
  result('resume tasks', 'es_tasks', 'changed', { saved_key: 'k' }, { changeCount: 4 });
  const node = (host: string, creds: boolean) => ({
    host,
    ok: true,
    problems: [],
    info: { connected: true, seeds: ['10.0.0.9:9443'], ...(creds ? { cluster_credentials: '::es_redacted::' } : {}) },
  });
  result('verify', 'es_remote_verify', 'ok', {
    alias: 'my_remote',
    verified: false,
    nodes: [node('local-1', true), node('local-2', false)],
  });
  j.event('play_end', { play: 0, durationMs: 100 });
  j.event('run_end', { exitCode: 0, durationMs: 100 });
  j.close();

  const r = buildRunReport(readRun(stateDir, j.id));
  tt.deepEqual(r.nodeModels, {
    alias: 'my_remote',
    nodes: [
      { host: 'local-1', before: 'RCS1', after: 'RCS2' },
      { host: 'local-2', before: 'RCS1', after: 'RCS1' },
    ],
  });
  tt.deepEqual(r.apiKeyInUse, { id: 'key-<id>-42', name: 'crosskey-my_remote', host: 'local-1' });
  tt.deepEqual(r.tasks, {
    paused: 3,
    resumed: 4,
    captured: { transforms: 1, datafeeds: 0, followers: 2, auto_follow_patterns: 0 },
  });
  tt.is(r.operator, 'ops@controller-1');
  tt.is(r.playbookCommit, '0123456789ab+changes');

  const html = renderReportHtml(r);
  tt.regex(html, /<dt>Model per node \(alias my_remote\), before → after<\/dt>/);
  tt.regex(html, /local-1: <span class="badge s-changed">RCS1<\/span> → <span class="badge s-ok">RCS2<\/span>/);
  tt.regex(html, /local-2: <span class="badge s-changed">RCS1<\/span> → <span class="badge s-changed">RCS1<\/span>/);
  tt.regex(html, /<dt>API key in use<\/dt><dd><code>key-&lt;id&gt;-42<\/code> crosskey-my_remote<\/dd>/);
  tt.regex(
    html,
    /<dt>Cross-cluster tasks<\/dt><dd>3 paused, 4 resumed \(task changes\) <span class="muted">captured: transforms 1, followers 2<\/span>/,
  );
  tt.regex(html, /<dt>Run by<\/dt><dd>ops@controller-1<\/dd>/);
  tt.regex(html, /at <code>0123456789ab\+changes<\/code>/);
  tt.false(html.includes('key-<id>'), 'escaped');

  const text = renderReportText(r);
  tt.regex(text, /run by {5}ops@controller-1/);
  tt.regex(text, /api key {4}key-<id>-42 \(crosskey-my_remote\)/);
  tt.regex(text, /tasks {6}3 paused, 4 resumed/);
  tt.regex(text, /models {5}alias my_remote: local-1 RCS1 -> RCS2, local-2 RCS1 -> RCS1/);
});

test('summary without preflight, key or tasks in the journal: those lines are left out', (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'ck-report-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const stateDir = ensureStateDir(join(dir, '.crosskey'));
  const j = RunJournal.start(
    stateDir,
    { argv: ['run', 'pb.yml'], playbook: '/pb.yml', inventory: '/inv.yml', check: false, options: {} },
    secrets,
  );
  j.event('run_end', { exitCode: 0, durationMs: 1 });
  j.close();
  const r = buildRunReport(readRun(stateDir, j.id));
  tt.is(r.nodeModels, undefined);
  tt.is(r.apiKeyInUse, undefined);
  tt.is(r.tasks, undefined);
  const html = renderReportHtml(r);
  tt.false(html.includes('API key in use'));
  tt.false(html.includes('Cross-cluster tasks'));
  tt.regex(html, /Model per node \(last verification\)/);
  tt.regex(html, /<dt>Run by<\/dt><dd>\(not recorded\)<\/dd>/);
});
