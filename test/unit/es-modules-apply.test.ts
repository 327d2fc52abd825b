// Apply of the es_* modules from their plans, against a fake EsApi that records every request: apply performs
// exactly the planned ops in order (not what `current` says), reports the planned changes it performed (the same
// objects), and a failure part-way reports those already performed (PartialApplyError).
import test from 'ava';
import {
  ModuleError,
  PartialApplyError,
  type Change,
  type StateStore,
  type TaskContext,
} from '../../controller/modules/contract.js';
import type { EsApi, EsRequest } from '../../controller/elastic/types.js';
import { isSecret, Secret } from '../../controller/secrets.js';
import { accessHash } from '../../controller/elastic/api/security.js';
import { esClusterSettings } from '../../controller/modules/es/es_cluster_settings.js';
import { esReloadSecureSettings } from '../../controller/modules/es/es_reload_secure_settings.js';
import { esRoles, type RolesArgs, type RolesCurrent } from '../../controller/modules/es/es_roles.js';
import {
  esTasks,
  captureRunning,
  type DiscoveredTasks,
  type SavedTasks,
  type TasksArgs,
  type TasksCurrent,
} from '../../controller/modules/es/es_tasks.js';
import {
  esRemoteCluster,
  type RemoteClusterArgs,
  type RemoteClusterCurrent,
} from '../../controller/modules/es/es_remote_cluster.js';
import {
  esCrossClusterApiKey,
  META_ACCESS_HASH,
  META_ALIAS,
  type ApiKeyArgs,
  type ApiKeyCurrent,
} from '../../controller/modules/es/es_cross_cluster_api_key.js';
import { runTask } from '../helpers/run-task.js';
import { runSecrets } from '../../controller/modules/es/run-secrets.js';

/** Default answers of the APIs the modules call (shapes as in test/fixtures/es-examples). */
function answer(req: EsRequest): unknown {
  const { method, path } = req;
  if (method === 'PUT' && path === '/_cluster/settings') return { acknowledged: true, persistent: {}, transient: {} };
  if (method === 'PUT' && path.startsWith('/_security/role/')) return { role: { created: false } };
  if (method === 'POST' && path === '/_security/cross_cluster/api_key')
    return { id: 'NEW', name: (req.body as { name: string }).name, api_key: 'k3y-s3cr3t', encoded: 'ZW5jb2RlZC1ORVc=' };
  if (method === 'PUT' && path.startsWith('/_security/cross_cluster/api_key/')) return { updated: true };
  if (method === 'DELETE' && path === '/_security/api_key')
    return {
      invalidated_api_keys: (req.body as { ids: string[] }).ids,
      previously_invalidated_api_keys: [],
      error_count: 0,
    };
  if (method === 'POST' && path === '/_nodes/reload_secure_settings')
    return {
      _nodes: { total: 2, successful: 2, failed: 0 },
      cluster_name: 'local',
      nodes: { n1: { name: 'local-1' }, n2: { name: 'local-2' } },
    };
  if (path.endsWith('/_ml/datafeeds/df/_stop')) return { stopped: true };
  if (path.endsWith('/_ml/datafeeds/df/_start')) return { started: true };
  if (path.endsWith('/_close')) return { closed: true };
  if (path.endsWith('/_open')) return { opened: true };
  if (/\/(pause|resume)$|_ccr\/(pause|resume)_follow$|_transform\/[^/]+\/_(stop|start)$/.test(path))
    return { acknowledged: true };
  if (path === '/_ccr/stats') throw new Error('no ccr stats in this test');
  throw new Error(`unexpected request ${method} ${path}`);
}

interface World {
  ctx: TaskContext;
  es: EsApi;
  /** ES requests ("METHOD path") and saved-state writes ("state.set key"), in order. */
  log: string[];
  requests: EsRequest[];
  state: Map<string, unknown>;
  events: Array<{ kind: string; data: Record<string, unknown> }>;
}

/** A context whose cluster is a fake EsApi; `fail` makes a request throw. */
function world(opts: { fail?: (req: EsRequest) => boolean; answer?: (req: EsRequest) => unknown } = {}): World {
  const log: string[] = [];
  const requests: EsRequest[] = [];
  const state = new Map<string, unknown>();
  const events: World['events'] = [];
  const es: EsApi = {
    label: 'local',
    url: 'https://local:9200',
    async request<T>(req: EsRequest) {
      log.push(`${req.method} ${req.path}`);
      requests.push(req);
      if (opts.fail?.(req)) throw new Error(`[local] ${req.method} ${req.path}: boom`);
      const body = (opts.answer?.(req) ?? answer(req)) as T;
      return { status: 200, body };
    },
  };
  const store: StateStore = {
    get: <T>(k: string) => structuredClone(state.get(k)) as T | undefined,
    async set(k, v) {
      log.push(`state.set ${k}`);
      state.set(k, structuredClone(v));
    },
    async delete(k) {
      log.push(`state.delete ${k}`);
      state.delete(k);
    },
    keys: (prefix = '') => [...state.keys()].filter((k) => k.startsWith(prefix)),
  };
  const ctx = {
    host: 'local-1',
    vars: { groups: { local: ['local-1', 'local-2'], remote: ['remote-1'] } },
    hostVars: () => ({}),
    playHosts: ['local-1', 'local-2'],
    check: false,
    diff: true,
    state: store,
    journal: { event: (kind: string, data: Record<string, unknown>) => events.push({ kind, data }) },
    progress: () => {},
    changedFiles: new Map(),
    signal: new AbortController().signal,
    es: { forVars: () => es, forNode: () => es },
  } as unknown as TaskContext;
  return { ctx, es, log, requests, state, events };
}

/** The same change objects, in the same order. */
function sameChanges(t: { is: (a: unknown, b: unknown, m?: string) => void }, got: Change[], want: Change[]) {
  t.is(got.length, want.length, 'count');
  want.forEach((c, i) => t.is(got[i], c, `change ${i} (${c.target})`));
}

const ops = (plan: Change[]) => plan.map((c) => (c.op as { kind: string }).kind);

// ---- es_cluster_settings ----

test('cluster settings: the plan in one request, set and remove from the ops', async (t) => {
  const w = world();
  const args = { settings: { a: 'x', b: null, c: ['1', 2] }, kind: 'transient' as const };
  const plan = await esClusterSettings.diff({ b: 'old', c: ['1'] }, args, w.ctx);
  t.deepEqual(
    plan.map((c) => c.op),
    [
      { kind: 'set', key: 'a', value: 'x' },
      { kind: 'remove', key: 'b' },
      { kind: 'set', key: 'c', value: ['1', '2'] },
    ],
  );
  const r = await esClusterSettings.apply(w.ctx, args, plan, {});
  sameChanges(t, r.applied, plan);
  t.deepEqual(w.log, ['PUT /_cluster/settings']);
  t.deepEqual(w.requests[0]!.body, { transient: { a: 'x', b: null, c: ['1', '2'] } });
});

// ---- es_reload_secure_settings ----

test('reload: the password travels as a Secret in the op; clears the marks of the planned hosts', async (t) => {
  const w = world();
  await w.ctx.state.set('keystore_pending_reload/local-1', { at: 'x' });
  await w.ctx.state.set('keystore_pending_reload/local-2', { at: 'x' });
  const args = { force: false, keystore_password: new Secret('ks-pass-word') };
  const current = { version: '8.15.0', pendingHosts: ['local-1'], hosts: ['local-1', 'local-2'] };
  const plan = await esReloadSecureSettings.diff(current, args, w.ctx);
  t.is(plan[0]!.op!.kind, 'reload');
  t.true(isSecret(plan[0]!.op!.password));
  t.deepEqual(plan[0]!.op!.pendingHosts, ['local-1']);
  w.log.length = 0;
  // apply clears what the plan says, not what `current` says by then
  const r = await esReloadSecureSettings.apply(w.ctx, args, plan, { ...current, pendingHosts: [] });
  sameChanges(t, r.applied, plan);
  t.is(r.msg, 'reloaded on 2 node(s)');
  t.deepEqual(r.data, { nodes: ['local-1', 'local-2'], restart_required: false });
  t.deepEqual(w.log, ['POST /_nodes/reload_secure_settings', 'state.delete keystore_pending_reload/local-1']);
  t.deepEqual(w.requests[0]!.body, { secure_settings_password: 'ks-pass-word' });
  t.true(w.requests[0]!.secretBody);
  t.true(w.state.has('keystore_pending_reload/local-2'));

  const failing = world({
    answer: () => ({
      nodes: { n1: { name: 'local-1', reload_exception: { type: 'security_exception', reason: 'bad password' } } },
    }),
  });
  const e = await t.throwsAsync(esReloadSecureSettings.apply(failing.ctx, args, plan, current), {
    instanceOf: ModuleError,
    message: /reload_secure_settings failed on 1 node\(s\): local-1 \(n1\): security_exception: bad password/,
  });
  t.deepEqual((e as ModuleError).data, { failures: ['local-1 (n1): security_exception: bad password'] });
});

// ---- es_roles ----

const alias = 'my_remote';
const ri = (names: string[]) => ({ clusters: [alias], names, privileges: ['read'] });
function rolesCurrent(): RolesCurrent {
  return {
    clusterUuid: 'U',
    version: '8.15.0',
    apiKeyTasks: [],
    roles: [
      {
        name: 'a',
        local: { cluster: ['monitor'], indices: [], transient_metadata: { enabled: true } },
        desired: { cluster: ['monitor'], indices: [], remote_indices: [ri(['logs*'])] },
        savedKey: 'roles/U/my_remote/a/original',
      },
      {
        name: 'b',
        local: { cluster: [] },
        desired: { cluster: [], remote_indices: [ri(['metrics*'])] },
        saved: { cluster: [] },
        savedKey: 'roles/U/my_remote/b/original',
      },
      { name: 'c', desired: { remote_indices: [ri(['c*'])] }, savedKey: 'roles/U/my_remote/c/original' },
    ],
  };
}
const rolesArgs = (over: Partial<RolesArgs> = {}): RolesArgs => ({
  alias,
  state: 'present',
  from_tasks: false,
  remote_group: 'remote',
  ...over,
});

test('roles present: each role put from its op, the original saved first when none is', async (t) => {
  const w = world();
  const current = rolesCurrent();
  const plan = await esRoles.diff(current, rolesArgs(), w.ctx);
  t.deepEqual(
    plan.map((c) => [c.target, c.action, c.op]),
    [
      [
        'role a',
        'update',
        {
          kind: 'put',
          name: 'a',
          role: current.roles[0]!.desired,
          saveOriginal: { key: 'roles/U/my_remote/a/original', original: { cluster: ['monitor'], indices: [] } },
        },
      ],
      ['role b', 'update', { kind: 'put', name: 'b', role: current.roles[1]!.desired }],
      [
        'role c',
        'create',
        {
          kind: 'put',
          name: 'c',
          role: current.roles[2]!.desired,
          saveOriginal: { key: 'roles/U/my_remote/c/original', original: null },
        },
      ],
    ],
  );
  // apply works from the plan alone
  const r = await esRoles.apply(w.ctx, rolesArgs(), plan, { ...current, roles: [] });
  sameChanges(t, r.applied, plan);
  t.is(r.msg, '3 role(s) updated');
  t.deepEqual(w.log, [
    'state.set roles/U/my_remote/a/original',
    'PUT /_security/role/a',
    'PUT /_security/role/b',
    'state.set roles/U/my_remote/c/original',
    'PUT /_security/role/c',
  ]);
  t.is(w.state.get('roles/U/my_remote/c/original'), null);
  t.deepEqual(w.requests[0]!.body, current.roles[0]!.desired);
});

test('roles: a failure part-way reports the roles already put', async (t) => {
  const w = world({ fail: (req) => req.path === '/_security/role/b' });
  const plan = await esRoles.diff(rolesCurrent(), rolesArgs(), w.ctx);
  const e = await t.throwsAsync(esRoles.apply(w.ctx, rolesArgs(), plan, rolesCurrent()), {
    instanceOf: PartialApplyError,
    message: '[local] PUT /_security/role/b: boom',
  });
  sameChanges(t, (e as PartialApplyError).applied, [plan[0]!]);
  const first = world({ fail: (req) => req.path === '/_security/role/a' });
  const err = await esRoles.apply(first.ctx, rolesArgs(), plan, rolesCurrent()).catch((x: unknown) => x);
  t.is((err as Error).message, '[local] PUT /_security/role/a: boom');
  t.false(err instanceof PartialApplyError, 'nothing performed: the error as it is');
});

test('roles reverted: puts the saved original from the op', async (t) => {
  const w = world();
  const current = rolesCurrent();
  current.roles[1]!.local = { cluster: [], remote_indices: [ri(['metrics*'])] };
  const plan = await esRoles.diff(current, rolesArgs({ state: 'reverted' }), w.ctx);
  t.deepEqual(
    plan.map((c) => [c.target, c.op]),
    [['role b', { kind: 'revert', name: 'b', role: { cluster: [] } }]],
  );
  const r = await esRoles.apply(w.ctx, rolesArgs({ state: 'reverted' }), plan, current);
  sameChanges(t, r.applied, plan);
  t.is(r.msg, '1 role(s) reverted');
  t.deepEqual(w.requests[0]!.body, { cluster: [] });
});

test('roles through the executor: changed from the applied changes; a part-way failure shows them', async (t) => {
  const answerRead = (req: EsRequest) => {
    if (req.path === '/')
      return { name: 'n', cluster_name: 'local', cluster_uuid: 'U', version: { number: '8.15.0' }, tagline: 'x' };
    if (req.method === 'GET' && req.path === '/_security/role/a,b')
      return {
        a: { cluster: [], indices: [{ names: ['logs*'], privileges: ['read'] }] },
        b: { cluster: [], indices: [{ names: ['metrics*'], privileges: ['read'] }] },
      };
    return undefined;
  };
  const run = async (w: World) => {
    const out = await runTask(esRoles, w.ctx, { alias, roles: ['a', 'b'], from_tasks: false });
    return { out, warnings: out.warnings };
  };
  const ok = world({ answer: answerRead });
  const { out } = await run(ok);
  t.is(out.status, 'changed');
  t.deepEqual(
    out.changes.map((c) => [c.target, c.action]),
    [
      ['role a', 'update'],
      ['role b', 'update'],
    ],
  );
  t.is(out.msg, '2 role(s) updated');

  const partial = world({ answer: answerRead, fail: (req) => req.method === 'PUT' && req.path.endsWith('/b') });
  const { out: failed } = await run(partial);
  t.is(failed.status, 'failed');
  t.is(failed.msg, '[local] PUT /_security/role/b: boom');
  t.deepEqual(
    failed.changes.map((c) => c.target),
    ['role a'],
  );
});

// ---- es_tasks ----

const discovered: DiscoveredTasks = {
  transforms: [{ id: 'tr-remote', state: 'started', indices: ['*:logs'] }],
  datafeeds: [
    { datafeed_id: 'df', job_id: 'job', state: 'started', job_state: 'opened', indices: ['my_remote:metrics'] },
  ],
  auto_follow_patterns: [{ name: 'afp', active: true }],
  followers: [
    {
      index: 'f1',
      status: 'active',
      leader_index: 'l1',
      parameters: { max_read_request_operation_count: 99, read_poll_timeout: '7s' },
    },
  ],
};
const pausedTasks: DiscoveredTasks = {
  transforms: [{ id: 'tr-remote', state: 'stopped', indices: [] }],
  datafeeds: [{ ...discovered.datafeeds[0]!, state: 'stopped', job_state: 'closed' }],
  auto_follow_patterns: [{ name: 'afp', active: false }],
  followers: [{ index: 'f1', status: 'paused', leader_index: 'l1' }],
};
const emptySaved: SavedTasks = {
  cluster_uuid: 'U',
  alias,
  transforms: [],
  datafeeds: [],
  auto_follow_patterns: [],
  followers: [],
};
const KEY = 'tasks/U/my_remote';
const tasksCur = (over: Partial<TasksCurrent> = {}): TasksCurrent => ({
  clusterUuid: 'U',
  savedKey: KEY,
  tasks: discovered,
  ...over,
});

test('tasks paused: capture recorded before the first step, then each step in plan order', async (t) => {
  const w = world();
  const args: TasksArgs = { alias, state: 'paused' };
  const plan = await esTasks.diff(tasksCur(), args, w.ctx);
  t.deepEqual(ops(plan), ['pause_auto_follow_pattern', 'pause_follow', 'stop_transform', 'stop_datafeed', 'close_job']);
  t.deepEqual(plan[0]!.op!.saveBefore, captureRunning(emptySaved, discovered));
  t.true(plan.slice(1).every((c) => c.op!.saveBefore === undefined && c.op!.saveAfter === undefined));
  // apply works from the plan alone
  const r = await esTasks.apply(w.ctx, args, plan, tasksCur({ tasks: pausedTasks }));
  sameChanges(t, r.applied, plan);
  t.is(r.msg, '5 task change(s) on alias my_remote');
  t.deepEqual(w.log, [
    `state.set ${KEY}`,
    'POST /_ccr/auto_follow/afp/pause',
    'POST /f1/_ccr/pause_follow',
    'POST /_transform/tr-remote/_stop',
    'POST /_ml/datafeeds/df/_stop',
    'POST /_ml/anomaly_detectors/job/_close',
  ]);
  t.deepEqual(w.events, [
    { kind: 'tasks.captured', data: { key: KEY, transforms: 1, datafeeds: 1, followers: 1, auto_follow_patterns: 1 } },
  ]);
  t.deepEqual(w.state.get(KEY), captureRunning(emptySaved, discovered));
});

test('tasks paused: a failure part-way keeps the capture and reports the steps done', async (t) => {
  const w = world({ fail: (req) => req.path.includes('_transform') });
  const args: TasksArgs = { alias, state: 'paused' };
  const plan = await esTasks.diff(tasksCur(), args, w.ctx);
  const e = await t.throwsAsync(esTasks.apply(w.ctx, args, plan, tasksCur()), { instanceOf: PartialApplyError });
  sameChanges(t, (e as PartialApplyError).applied, plan.slice(0, 2));
  t.truthy(w.state.get(KEY));
});

test('tasks resumed: steps in order, each entry marked resumed once its steps are done', async (t) => {
  const w = world();
  const saved = captureRunning(emptySaved, discovered);
  const args: TasksArgs = { alias, state: 'resumed' };
  const cur = tasksCur({ tasks: pausedTasks, saved });
  const plan = await esTasks.diff(cur, args, w.ctx);
  t.deepEqual(ops(plan), [
    'open_job',
    'start_datafeed',
    'start_transform',
    'resume_follow',
    'resume_auto_follow_pattern',
  ]);
  t.like(plan[3]!.op, {
    kind: 'resume_follow',
    index: 'f1',
    parameters: { max_read_request_operation_count: 99, read_poll_timeout: '7s' },
  });
  const resumedFlags = (s: SavedTasks | undefined) =>
    s && [s.datafeeds, s.transforms, s.followers, s.auto_follow_patterns].map((l) => l.map((e) => e.resumed));
  t.deepEqual(
    plan.map((c) => resumedFlags(c.op!.saveAfter)),
    [
      undefined, // the job: its datafeed still to start
      [[true], [false], [false], [false]],
      [[true], [true], [false], [false]],
      [[true], [true], [true], [false]],
      [[true], [true], [true], [true]],
    ],
  );
  const r = await esTasks.apply(w.ctx, args, plan, cur);
  sameChanges(t, r.applied, plan);
  t.deepEqual(w.log, [
    'POST /_ml/anomaly_detectors/job/_open',
    'POST /_ml/datafeeds/df/_start',
    `state.set ${KEY}`,
    'POST /_transform/tr-remote/_start',
    `state.set ${KEY}`,
    'POST /f1/_ccr/resume_follow',
    `state.set ${KEY}`,
    'POST /_ccr/auto_follow/afp/resume',
    `state.set ${KEY}`,
    'GET /_ccr/stats',
  ]);
  t.deepEqual(w.requests[3]!.body, { max_read_request_operation_count: 99, read_poll_timeout: '7s' });
  t.deepEqual(w.events, [{ kind: 'tasks.resumed', data: { key: KEY } }]);
  t.deepEqual(
    await esTasks.diff(tasksCur({ tasks: pausedTasks, saved: w.state.get(KEY) as SavedTasks }), args, w.ctx),
    [],
  );
});

test('tasks resumed: a failure part-way leaves the done entries marked; the next plan is the rest', async (t) => {
  const w = world({ fail: (req) => req.path.endsWith('resume_follow') });
  const args: TasksArgs = { alias, state: 'resumed' };
  const cur = tasksCur({ tasks: pausedTasks, saved: captureRunning(emptySaved, discovered) });
  const plan = await esTasks.diff(cur, args, w.ctx);
  const e = await t.throwsAsync(esTasks.apply(w.ctx, args, plan, cur), { instanceOf: PartialApplyError });
  sameChanges(t, (e as PartialApplyError).applied, plan.slice(0, 3));
  t.deepEqual(w.events, [], 'not resumed');
  const now: DiscoveredTasks = {
    ...pausedTasks,
    transforms: [{ id: 'tr-remote', state: 'started', indices: [] }],
    datafeeds: [{ ...discovered.datafeeds[0]! }],
  };
  const next = await esTasks.diff(tasksCur({ tasks: now, saved: w.state.get(KEY) as SavedTasks }), args, w.ctx);
  t.deepEqual(
    next.map((c) => c.target),
    ['follower f1', 'auto_follow_pattern afp'],
  );
});

test('tasks resumed: entries already running are marked with the next save, or alone', async (t) => {
  const saved = captureRunning(emptySaved, discovered);
  const args: TasksArgs = { alias, state: 'resumed' };
  // Everything running again but the pattern: the pattern's step saves every entry as resumed.
  const onlyPattern: DiscoveredTasks = { ...discovered, auto_follow_patterns: [{ name: 'afp', active: false }] };
  const w = world();
  const plan = await esTasks.diff(tasksCur({ tasks: onlyPattern, saved }), args, w.ctx);
  t.deepEqual(ops(plan), ['resume_auto_follow_pattern']);
  await esTasks.apply(w.ctx, args, plan, tasksCur({ tasks: onlyPattern, saved }));
  t.deepEqual(await esTasks.diff(tasksCur({ saved: w.state.get(KEY) as SavedTasks }), args, w.ctx), []);
  // Everything running again: only the saved state changes.
  const w2 = world();
  const mark = await esTasks.diff(tasksCur({ saved }), args, w2.ctx);
  t.deepEqual(
    mark.map((c) => [c.target, c.op!.kind]),
    [['saved state (tasks already running: mark resumed)', 'mark_resumed']],
  );
  const r = await esTasks.apply(w2.ctx, args, mark, tasksCur({ saved }));
  sameChanges(t, r.applied, mark);
  t.deepEqual(w2.log, [`state.set ${KEY}`, 'GET /_ccr/stats']);
  t.deepEqual(await esTasks.diff(tasksCur({ saved: w2.state.get(KEY) as SavedTasks }), args, w2.ctx), []);
});

// ---- es_remote_cluster ----

const rcs1 = {
  alias,
  persistent: { mode: 'sniff', seeds: ['127.0.0.1:9300'], skip_unavailable: 'true' },
  transient: { 'transport.compress': 'true' },
  yml: {},
};
const rcArgs = (over: Partial<RemoteClusterArgs> = {}): RemoteClusterArgs => ({
  alias,
  state: 'absent',
  kind: 'persistent',
  ...over,
});
const rcCur = (over: Partial<RemoteClusterCurrent> = {}): RemoteClusterCurrent => ({
  clusterUuid: 'U',
  savedKey: 'remote_cluster/U/my_remote/original',
  def: structuredClone(rcs1),
  ...over,
});

test('remote cluster absent: save, then one request per scope from the ops', async (t) => {
  const w = world();
  const plan = await esRemoteCluster.diff(rcCur(), rcArgs(), w.ctx);
  t.deepEqual(
    plan.map((c) => [c.target, c.op!.kind, 'scope' in c.op! ? c.op.scope : undefined]),
    [
      ['saved state remote_cluster/U/my_remote/original', 'save', undefined],
      ['cluster.remote.my_remote.* (persistent)', 'remove', 'persistent'],
      ['cluster.remote.my_remote.* (transient)', 'remove', 'transient'],
    ],
  );
  // apply works from the plan alone
  const r = await esRemoteCluster.apply(
    w.ctx,
    rcArgs(),
    plan,
    rcCur({ def: { alias, persistent: {}, transient: {}, yml: {} } }),
  );
  sameChanges(t, r.applied, plan);
  t.deepEqual(w.log, [
    'state.set remote_cluster/U/my_remote/original',
    'PUT /_cluster/settings',
    'PUT /_cluster/settings',
  ]);
  t.like(w.state.get('remote_cluster/U/my_remote/original'), { ...rcs1, cluster_uuid: 'U' });
  t.deepEqual(w.events, [
    { kind: 'remote_cluster.saved', data: { alias, cluster_uuid: 'U', kinds: ['persistent', 'transient'] } },
  ]);
  const p = w.requests[0]!.body as { persistent: Record<string, unknown> };
  t.is(p.persistent['cluster.remote.my_remote.seeds'], null);
  t.is(p.persistent['cluster.remote.my_remote.mode'], null);
  t.is(
    (w.requests[1]!.body as { transient: Record<string, unknown> }).transient[
      'cluster.remote.my_remote.transport.compress'
    ],
    null,
  );
});

test('remote cluster present: writes exactly the planned settings; failure part-way; save never over one', async (t) => {
  const w = world();
  const args = rcArgs({ state: 'present', seeds: ['fc:9443'] });
  const plan = await esRemoteCluster.diff(rcCur(), args, w.ctx);
  t.deepEqual(ops(plan), ['save', 'write', 'remove']);
  const write = plan[1]!.op as { settings: Record<string, unknown> };
  t.deepEqual(write.settings, {
    mode: 'sniff',
    skip_unavailable: 'true',
    'transport.compress': 'true',
    seeds: ['fc:9443'],
  });
  await esRemoteCluster.apply(w.ctx, args, plan, rcCur());
  const body = (w.requests[0]!.body as { persistent: Record<string, unknown> }).persistent;
  t.deepEqual(body['cluster.remote.my_remote.seeds'], ['fc:9443']);
  t.is(body['cluster.remote.my_remote.proxy_address'], null);

  const failing = world({ fail: (req) => 'transient' in (req.body as object) });
  const e = await t.throwsAsync(esRemoteCluster.apply(failing.ctx, args, plan, rcCur()), {
    instanceOf: PartialApplyError,
  });
  sameChanges(t, (e as PartialApplyError).applied, plan.slice(0, 2));

  // An original saved meanwhile is kept: the save is not applied.
  const again = world();
  await again.ctx.state.set('remote_cluster/U/my_remote/original', { first: true });
  const r = await esRemoteCluster.apply(again.ctx, args, plan, rcCur());
  sameChanges(t, r.applied, plan.slice(1));
  t.deepEqual(again.state.get('remote_cluster/U/my_remote/original'), { first: true });
  t.deepEqual(again.events, []);
});

test('remote cluster restored: the saved original written from the op', async (t) => {
  const w = world();
  const saved = { ...rcs1, cluster_uuid: 'U', saved_at: 'x' };
  const now = {
    alias,
    persistent: { mode: 'sniff', seeds: ['fc:9443'], skip_unavailable: 'true' },
    transient: {},
    yml: {},
  };
  const plan = await esRemoteCluster.diff(rcCur({ saved, def: now }), rcArgs({ state: 'restored' }), w.ctx);
  t.deepEqual(
    plan.map((c) => [c.target, c.action, c.op]),
    [
      [
        'cluster.remote.my_remote.* (persistent)',
        'update',
        { kind: 'write', scope: 'persistent', settings: rcs1.persistent, present: now.persistent },
      ],
      [
        'cluster.remote.my_remote.* (transient)',
        'create',
        { kind: 'write', scope: 'transient', settings: rcs1.transient, present: {} },
      ],
    ],
  );
  const r = await esRemoteCluster.apply(w.ctx, rcArgs({ state: 'restored' }), plan, rcCur({ saved, def: now }));
  sameChanges(t, r.applied, plan);
  t.deepEqual(
    (w.requests[1]!.body as { transient: Record<string, unknown> }).transient[
      'cluster.remote.my_remote.transport.compress'
    ],
    'true',
  );
});

// ---- es_cross_cluster_api_key (serial: runSecrets is process-wide) ----

const access = { search: [{ names: ['logs*'] }] };
const keyArgs = (over: Partial<ApiKeyArgs> = {}): ApiKeyArgs => ({
  name: 'crosskey-my_remote',
  alias,
  access,
  state: 'present',
  invalidate_previous: false,
  local_group: 'local',
  ...over,
});
const keyCur = (over: Partial<ApiKeyCurrent> = {}): ApiKeyCurrent => ({
  localUuid: 'L',
  remoteUuid: 'R',
  keys: [],
  savedKey: 'api_key/L/my_remote',
  secretKnown: false,
  stageHosts: ['local-1', 'local-2'],
  registerAs: 'cluster.remote.my_remote.credentials',
  ...over,
});
const key = (id: string, creation: number, acc: unknown = access) => ({
  id,
  name: 'crosskey-my_remote',
  creation,
  invalidated: false,
  type: 'cross_cluster',
  metadata: { [META_ALIAS]: alias, [META_ACCESS_HASH]: accessHash(acc as never) },
  access: acc as typeof access,
});
const SK = 'api_key/L/my_remote';

test.serial('api key create: from the op; recorded, registered, journaled', async (t) => {
  runSecrets.clear();
  const w = world();
  const plan = await esCrossClusterApiKey.diff(keyCur(), keyArgs({ expiration: '30d' }), w.ctx);
  t.like(plan[0]!.op, { kind: 'create', request: { name: 'crosskey-my_remote', access, expiration: '30d' } });
  const r = await esCrossClusterApiKey.apply(w.ctx, keyArgs({ expiration: '30d' }), plan, keyCur());
  sameChanges(t, r.applied, plan);
  t.is(r.msg, 'created key crosskey-my_remote (NEW)');
  t.like(r.data, {
    id: 'NEW',
    created: true,
    rotated: false,
    invalidated: [],
    register_as: 'cluster.remote.my_remote.credentials',
  });
  t.true(isSecret(r.data!.encoded));
  t.deepEqual(w.log, ['POST /_security/cross_cluster/api_key', `state.set ${SK}`]);
  t.like(w.state.get(SK), { id: 'NEW', access_hash: accessHash(access as never), staged_hosts: [] });
  t.is(runSecrets.get('cluster.remote.my_remote.credentials')?.version, 'NEW');
  t.deepEqual(w.events, [
    { kind: 'api_key.created', data: { name: 'crosskey-my_remote', id: 'NEW', alias, rotated_from: undefined } },
  ]);
  runSecrets.clear();
});

test.serial('api key resume rule: previous keys invalidated, new key, then the unknown one invalidated', async (t) => {
  runSecrets.clear();
  const w = world();
  const cur = keyCur({
    keys: [key('A', 1), key('B', 2)],
    saved: { id: 'B', name: 'n', access_hash: '', staged_hosts: ['local-1'], created_at: '' },
  });
  const args = keyArgs({ invalidate_previous: true });
  const plan = await esCrossClusterApiKey.diff(cur, args, w.ctx);
  t.deepEqual(
    plan.map((c) => [c.action, c.target, c.op!.kind]),
    [
      ['delete', 'api_key crosskey-my_remote (A)', 'invalidate'],
      ['update', 'api_key crosskey-my_remote', 'rotate'],
    ],
  );
  t.like(plan[1]!.op, { kind: 'rotate', from: 'B', invalidateFrom: true });
  t.is((plan[0]!.op as { keep?: unknown }).keep, undefined, 'the rotation records the new key');
  const r = await esCrossClusterApiKey.apply(w.ctx, args, plan, keyCur());
  sameChanges(t, r.applied, plan);
  t.is(r.msg, 'rotated key crosskey-my_remote: B → NEW');
  t.like(r.data, { id: 'NEW', created: true, rotated: true, invalidated: ['A', 'B'] });
  t.deepEqual(w.log, [
    'DELETE /_security/api_key',
    'POST /_security/cross_cluster/api_key',
    `state.set ${SK}`,
    'DELETE /_security/api_key',
  ]);
  t.deepEqual(w.requests[2]!.body, { ids: ['B'] });
  t.like(w.events[0], { kind: 'api_key.created', data: { id: 'NEW', rotated_from: 'B' } });
  runSecrets.clear();
});

test.serial(
  'api key rotated: new key, the previous one stays valid; invalidating the old one failing is part-way',
  async (t) => {
    runSecrets.clear();
    const w = world();
    const plan = await esCrossClusterApiKey.diff(keyCur({ keys: [key('A', 1)] }), keyArgs({ state: 'rotated' }), w.ctx);
    t.like(plan[0]!.op, { kind: 'rotate', from: 'A', invalidateFrom: false });
    const r = await esCrossClusterApiKey.apply(w.ctx, keyArgs({ state: 'rotated' }), plan, keyCur());
    t.is(r.msg, 'rotated key crosskey-my_remote: A → NEW');
    t.deepEqual(w.log, ['POST /_security/cross_cluster/api_key', `state.set ${SK}`]);

    // The resume rule's invalidation of the unknown key fails after the new key exists.
    const f = world({ fail: (req) => req.method === 'DELETE' });
    const plan2 = await esCrossClusterApiKey.diff(keyCur({ keys: [key('A', 1)] }), keyArgs(), f.ctx);
    t.like(plan2[0]!.op, { kind: 'rotate', invalidateFrom: true });
    const e = await t.throwsAsync(esCrossClusterApiKey.apply(f.ctx, keyArgs(), plan2, keyCur()), {
      instanceOf: PartialApplyError,
    });
    sameChanges(t, (e as PartialApplyError).applied, plan2);
    t.is(runSecrets.get('cluster.remote.my_remote.credentials')?.version, 'NEW');
    runSecrets.clear();
  },
);

test.serial('api key update and invalidate_previous: the kept key and its record', async (t) => {
  runSecrets.clear();
  const wider = { search: [{ names: ['logs*', 'metrics*'] }] };
  const cur = keyCur({
    keys: [key('A', 1), key('B', 2)],
    secretKnown: true,
    saved: { id: 'B', name: 'n', access_hash: 'old', staged_hosts: ['local-1', 'local-2'], created_at: 'c' },
  });
  const w = world();
  const args = keyArgs({ access: wider, invalidate_previous: true });
  const plan = await esCrossClusterApiKey.diff(cur, args, w.ctx);
  t.deepEqual(
    plan.map((c) => [c.action, c.op!.kind]),
    [
      ['delete', 'invalidate'],
      ['update', 'update'],
    ],
  );
  t.like(plan[0]!.op, { id: 'A', reason: 'previous', keep: { id: 'B' } });
  const r = await esCrossClusterApiKey.apply(w.ctx, args, plan, keyCur());
  sameChanges(t, r.applied, plan);
  t.is(r.msg, 'updated key crosskey-my_remote (B)');
  t.like(r.data, { id: 'B', created: false, rotated: false, invalidated: ['A'] });
  t.deepEqual(w.log, [
    'DELETE /_security/api_key',
    `state.set ${SK}`,
    'PUT /_security/cross_cluster/api_key/B',
    `state.set ${SK}`,
  ]);
  t.like(w.requests[1]!.body, { access: wider });
  t.deepEqual(w.state.get(SK), {
    id: 'B',
    name: 'n',
    access_hash: accessHash(wider as never),
    staged_hosts: ['local-1', 'local-2'],
    created_at: 'c',
  });
});

test.serial('api key absent: every key in one request, record and run secret dropped', async (t) => {
  runSecrets.clear();
  runSecrets.set('cluster.remote.my_remote.credentials', { secret: new Secret('enc-A-secret'), version: 'A' });
  const w = world();
  await w.ctx.state.set(SK, { id: 'A' });
  w.log.length = 0;
  const cur = keyCur({ keys: [key('A', 1), key('B', 2)] });
  const plan = await esCrossClusterApiKey.diff(cur, keyArgs({ state: 'absent' }), w.ctx);
  t.deepEqual(
    plan.map((c) => c.op),
    [
      { kind: 'invalidate', id: 'A', reason: 'absent' },
      { kind: 'invalidate', id: 'B', reason: 'absent' },
    ],
  );
  const r = await esCrossClusterApiKey.apply(w.ctx, keyArgs({ state: 'absent' }), plan, keyCur());
  sameChanges(t, r.applied, plan);
  t.is(r.msg, 'invalidated 2 key(s)');
  t.deepEqual(r.data, { invalidated: ['A', 'B'] });
  t.deepEqual(w.log, ['DELETE /_security/api_key', `state.delete ${SK}`]);
  t.deepEqual(w.requests[0]!.body, { ids: ['A', 'B'] });
  t.is(runSecrets.get('cluster.remote.my_remote.credentials'), undefined);
});
