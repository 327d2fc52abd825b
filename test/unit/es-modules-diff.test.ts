// Diff logic of the es_* modules on given current states (pure: read() is covered by the lab integration tests).
import test from 'ava';
import type { TaskContext } from '../../controller/modules/contract.js';
import {
  esRemoteCluster,
  desiredSettings,
  type RemoteClusterArgs,
  type RemoteClusterCurrent,
} from '../../controller/modules/es/es_remote_cluster.js';
import {
  esTasks,
  captureRunning,
  type DiscoveredTasks,
  type SavedTasks,
  type TasksArgs,
} from '../../controller/modules/es/es_tasks.js';
import {
  esCrossClusterApiKey,
  META_ACCESS_HASH,
  META_ALIAS,
  type ApiKeyArgs,
  type ApiKeyCurrent,
} from '../../controller/modules/es/es_cross_cluster_api_key.js';
import {
  keystore,
  type KeystoreArgs,
  type KeystoreCurrent,
  type KeystoreOp,
} from '../../controller/modules/es/keystore.js';
import { runSecrets } from '../../controller/modules/es/run-secrets.js';
import { accessHash } from '../../controller/elastic/api/security.js';
import { Secret } from '../../controller/secrets.js';
import { versionAtLeast, parseVersion } from '../../controller/version.js';

const ctx = { host: 'local-1', vars: {} } as unknown as TaskContext;

function rc(args: Partial<RemoteClusterArgs>): RemoteClusterArgs {
  return { alias: 'my_remote', state: 'present', kind: 'persistent', ...args };
}
const rcs1Def = {
  alias: 'my_remote',
  persistent: { mode: 'sniff', seeds: ['127.0.0.1:9300'], skip_unavailable: 'true', 'transport.compress': 'true' },
  transient: {},
  yml: {},
};
function rcCurrent(over: Partial<RemoteClusterCurrent> = {}): RemoteClusterCurrent {
  return { clusterUuid: 'U', savedKey: 'remote_cluster/U/my_remote/original', def: structuredClone(rcs1Def), ...over };
}

test('remote_cluster saved: one change, then none once saved', async (t) => {
  const c = await esRemoteCluster.diff(rcCurrent(), rc({ state: 'saved' }), ctx);
  t.is(c.length, 1);
  t.is(c[0]!.target, 'saved state remote_cluster/U/my_remote/original');
  t.deepEqual(c[0]!.op, { kind: 'save', key: 'remote_cluster/U/my_remote/original', clusterUuid: 'U', def: rcs1Def });
  const saved = { ...rcs1Def, cluster_uuid: 'U', saved_at: 'x' };
  t.deepEqual(await esRemoteCluster.diff(rcCurrent({ saved }), rc({ state: 'saved' }), ctx), []);
});

test('remote_cluster absent: deletes persistent and transient, saves first', async (t) => {
  const cur = rcCurrent();
  cur.def.transient = { mode: 'sniff' };
  const c = await esRemoteCluster.diff(cur, rc({ state: 'absent' }), ctx);
  t.deepEqual(
    c.map((x) => [x.action, x.target]),
    [
      ['create', 'saved state remote_cluster/U/my_remote/original'],
      ['delete', 'cluster.remote.my_remote.* (persistent)'],
      ['delete', 'cluster.remote.my_remote.* (transient)'],
    ],
  );
  // The ops: save the whole definition, then null every key of the alias in each scope.
  t.deepEqual(
    c.map((x) => x.op),
    [
      { kind: 'save', key: 'remote_cluster/U/my_remote/original', clusterUuid: 'U', def: cur.def },
      { kind: 'remove', scope: 'persistent', present: rcs1Def.persistent },
      { kind: 'remove', scope: 'transient', present: { mode: 'sniff' } },
    ],
  );
  t.deepEqual(
    await esRemoteCluster.diff(
      rcCurrent({ def: { alias: 'my_remote', persistent: {}, transient: {}, yml: {} } }),
      rc({ state: 'absent' }),
      ctx,
    ),
    [],
  );
});

test('remote_cluster present: keeps captured skip_unavailable and transport options, proxy mode', (t) => {
  const saved = { ...rcs1Def, cluster_uuid: 'U', saved_at: 'x' };
  const want = desiredSettings(
    rc({ mode: 'proxy', proxy_address: 'fc:9443', server_name: 'fc' }),
    rcCurrent({ saved, def: { alias: 'my_remote', persistent: {}, transient: {}, yml: {} } }),
  );
  t.deepEqual(want, {
    mode: 'proxy',
    skip_unavailable: 'true',
    'transport.compress': 'true',
    proxy_address: 'fc:9443',
    server_name: 'fc',
  });
  // sniff keeps node_connections of a sniff original
  const s2 = { ...saved, persistent: { ...saved.persistent, node_connections: '5' } };
  t.is(desiredSettings(rc({ seeds: ['fc:9443'] }), rcCurrent({ saved: s2 })).node_connections, '5');
  // explicit arg wins
  t.is(
    desiredSettings(rc({ seeds: ['fc:9443'], skip_unavailable: false }), rcCurrent({ saved })).skip_unavailable,
    'false',
  );
  // yml original counts as captured
  const ymlOnly = {
    alias: 'my_remote',
    persistent: {},
    transient: {},
    yml: { 'local-1': { seeds: ['x:9300'], skip_unavailable: 'false' } },
  };
  t.is(desiredSettings(rc({ seeds: ['fc:9443'] }), rcCurrent({ def: ymlOnly })).skip_unavailable, 'false');
});

test('remote_cluster present: refuses to guess skip_unavailable; validates mode keys', (t) => {
  const empty = rcCurrent({ def: { alias: 'my_remote', persistent: {}, transient: {}, yml: {} } });
  t.throws(() => desiredSettings(rc({ seeds: ['fc:9443'] }), empty), { message: /skip_unavailable is not set.*8\.15/ });
  t.throws(() => desiredSettings(rc({ mode: 'proxy', skip_unavailable: true }), empty), {
    message: /proxy needs proxy_address/,
  });
  t.throws(
    () => desiredSettings(rc({ seeds: ['a:1'], skip_unavailable: true, settings: { proxy_address: 'x' } }), empty),
    { message: /cannot be used with mode sniff/ },
  );
  t.throws(() => desiredSettings(rc({ seeds: ['a:1'], skip_unavailable: true, settings: { foo: 1 } }), empty), {
    message: /unknown setting "foo"/,
  });
});

test('remote_cluster present: ok when ES already has exactly that (string values)', async (t) => {
  const saved = { ...rcs1Def, cluster_uuid: 'U', saved_at: 'x' };
  const def = {
    alias: 'my_remote',
    persistent: { mode: 'sniff', seeds: ['fc:9443'], skip_unavailable: 'true', 'transport.compress': 'true' },
    transient: {},
    yml: {},
  };
  t.deepEqual(await esRemoteCluster.diff(rcCurrent({ saved, def }), rc({ seeds: ['fc:9443'] }), ctx), []);
  const c = await esRemoteCluster.diff(rcCurrent({ saved }), rc({ seeds: ['fc:9443'] }), ctx);
  t.deepEqual(
    c.map((x) => x.action),
    ['update'],
  );
  t.deepEqual(c[0]!.op, {
    kind: 'write',
    scope: 'persistent',
    settings: { mode: 'sniff', skip_unavailable: 'true', 'transport.compress': 'true', seeds: ['fc:9443'] },
    present: rcs1Def.persistent,
  });
});

test('remote_cluster restored: needs a saved original; puts it back', async (t) => {
  await t.throwsAsync(async () => esRemoteCluster.diff(rcCurrent(), rc({ state: 'restored' }), ctx), {
    message: /nothing saved/,
  });
  const saved = { ...rcs1Def, cluster_uuid: 'U', saved_at: 'x' };
  const now = {
    alias: 'my_remote',
    persistent: { mode: 'sniff', seeds: ['fc:9443'], skip_unavailable: 'true' },
    transient: {},
    yml: {},
  };
  const c = await esRemoteCluster.diff(rcCurrent({ saved, def: now }), rc({ state: 'restored' }), ctx);
  t.is(c.length, 1);
  t.deepEqual(c[0]!.after, rcs1Def.persistent);
  t.deepEqual(c[0]!.op, { kind: 'write', scope: 'persistent', settings: rcs1Def.persistent, present: now.persistent });
  t.deepEqual(await esRemoteCluster.diff(rcCurrent({ saved }), rc({ state: 'restored' }), ctx), []);
});

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

const emptyTasks: SavedTasks = {
  cluster_uuid: 'U',
  alias: 'my_remote',
  transforms: [],
  datafeeds: [],
  auto_follow_patterns: [],
  followers: [],
};

test('tasks paused: pattern, follower, transform, datafeed, job; nothing when all paused', async (t) => {
  const cur = { clusterUuid: 'U', savedKey: 'tasks/U/my_remote', tasks: discovered };
  const args: TasksArgs = { alias: 'my_remote', state: 'paused' };
  const c = await esTasks.diff(cur, args, ctx);
  t.deepEqual(
    c.map((x) => x.target),
    ['auto_follow_pattern afp', 'follower f1', 'transform tr-remote', 'datafeed df', 'job job'],
  );
  t.deepEqual(
    c.map((x) => x.op!.kind),
    ['pause_auto_follow_pattern', 'pause_follow', 'stop_transform', 'stop_datafeed', 'close_job'],
  );
  // The capture (follower parameters included) is saved before the first step.
  t.deepEqual(c[0]!.op!.saveBefore, captureRunning({ ...emptyTasks, cluster_uuid: 'U' }, discovered));
  t.true(c.slice(1).every((x) => x.op!.saveBefore === undefined));
  const paused: DiscoveredTasks = {
    transforms: [{ ...discovered.transforms[0]!, state: 'stopped' }],
    datafeeds: [{ ...discovered.datafeeds[0]!, state: 'stopped', job_state: 'closed' }],
    auto_follow_patterns: [{ name: 'afp', active: false }],
    followers: [{ index: 'f1', status: 'paused', leader_index: 'l1' }],
  };
  t.deepEqual(await esTasks.diff({ ...cur, tasks: paused }, args, ctx), []);
});

test('tasks capture: first capture kept across an interrupted pause; new cycle after resume', (t) => {
  const s0: SavedTasks = {
    cluster_uuid: 'U',
    alias: 'my_remote',
    transforms: [],
    datafeeds: [],
    auto_follow_patterns: [],
    followers: [],
  };
  const s1 = captureRunning(s0, discovered);
  t.deepEqual(s1.followers[0]!.parameters, { max_read_request_operation_count: 99, read_poll_timeout: '7s' });
  // Interrupted: follower paused already (no parameters visible any more); re-capture must keep the parameters.
  const half: DiscoveredTasks = { ...discovered, followers: [{ index: 'f1', status: 'paused', leader_index: 'l1' }] };
  const s2 = captureRunning(s1, half);
  t.deepEqual(s2.followers, s1.followers);
  // After a full resume the entry is replaced by a fresh capture.
  const resumed = structuredClone(s2);
  resumed.transforms[0]!.resumed = true;
  const s3 = captureRunning(resumed, {
    ...discovered,
    transforms: [{ id: 'tr-remote', state: 'indexing', indices: [] }],
  });
  t.deepEqual(s3.transforms, [{ id: 'tr-remote', was: 'indexing', resumed: false }]);
});

test('tasks resumed: exactly the captured ones, followers with parameters; none twice', async (t) => {
  const saved = captureRunning(
    { cluster_uuid: 'U', alias: 'my_remote', transforms: [], datafeeds: [], auto_follow_patterns: [], followers: [] },
    discovered,
  );
  const paused: DiscoveredTasks = {
    transforms: [
      { id: 'tr-remote', state: 'stopped', indices: [] },
      { id: 'other', state: 'stopped', indices: [] },
    ],
    datafeeds: [{ ...discovered.datafeeds[0]!, state: 'stopped', job_state: 'closed' }],
    auto_follow_patterns: [{ name: 'afp', active: false }],
    followers: [
      { index: 'f1', status: 'paused', leader_index: 'l1' },
      { index: 'f2', status: 'paused', leader_index: 'l2' },
    ],
  };
  const args: TasksArgs = { alias: 'my_remote', state: 'resumed' };
  const c = await esTasks.diff({ clusterUuid: 'U', savedKey: 'k', tasks: paused, saved }, args, ctx);
  t.deepEqual(
    c.map((x) => x.target),
    ['job job', 'datafeed df', 'transform tr-remote', 'follower f1', 'auto_follow_pattern afp'],
  );
  t.deepEqual((c[3]!.after as { parameters: unknown }).parameters, {
    max_read_request_operation_count: 99,
    read_poll_timeout: '7s',
  });
  t.deepEqual(
    c.map((x) => x.op!.kind),
    ['open_job', 'start_datafeed', 'start_transform', 'resume_follow', 'resume_auto_follow_pattern'],
  );
  t.like(c[3]!.op, { index: 'f1', parameters: { max_read_request_operation_count: 99, read_poll_timeout: '7s' } });
  // Saved as each entry is done (the job's datafeed follows it); the last save has every entry resumed.
  t.is(c[0]!.op!.saveAfter, undefined);
  const last = c[4]!.op!.saveAfter!;
  t.true(
    [...last.transforms, ...last.datafeeds, ...last.followers, ...last.auto_follow_patterns].every((e) => e.resumed),
  );
  const done = structuredClone(saved);
  for (const l of [done.transforms, done.datafeeds, done.followers, done.auto_follow_patterns])
    for (const e of l) e.resumed = true;
  t.deepEqual(await esTasks.diff({ clusterUuid: 'U', savedKey: 'k', tasks: paused, saved: done }, args, ctx), []);
  t.deepEqual(
    await esTasks.diff({ clusterUuid: 'U', savedKey: 'k', tasks: paused }, args, ctx),
    [],
    'nothing saved: nothing to resume',
  );
});

const access = { search: [{ names: ['logs*'] }] };
function keyArgs(over: Partial<ApiKeyArgs> = {}): ApiKeyArgs {
  return {
    name: 'crosskey-my_remote',
    alias: 'my_remote',
    access,
    state: 'present',
    invalidate_previous: false,
    local_group: 'local',
    ...over,
  };
}
function keyCurrent(over: Partial<ApiKeyCurrent> = {}): ApiKeyCurrent {
  return {
    localUuid: 'L',
    remoteUuid: 'R',
    keys: [],
    savedKey: 'api_key/L/my_remote',
    secretKnown: false,
    stageHosts: ['local-1', 'local-2'],
    registerAs: 'cluster.remote.my_remote.credentials',
    ...over,
  };
}
const key = (id: string, creation: number, acc = access) => ({
  id,
  name: 'crosskey-my_remote',
  creation,
  invalidated: false,
  type: 'cross_cluster',
  metadata: { [META_ALIAS]: 'my_remote', [META_ACCESS_HASH]: accessHash(acc) },
  access: acc,
});

test('api key: create when none; ok when secret known; update on access drift', async (t) => {
  const created = await esCrossClusterApiKey.diff(keyCurrent(), keyArgs(), ctx);
  t.deepEqual(
    created.map((c) => [c.action, c.op?.kind]),
    [['create', 'create']],
  );
  t.like(created[0]!.op, {
    request: { name: 'crosskey-my_remote', access, metadata: { [META_ALIAS]: 'my_remote' } },
    accessHash: accessHash(access),
  });
  t.deepEqual(
    await esCrossClusterApiKey.diff(keyCurrent({ keys: [key('A', 1)], secretKnown: true }), keyArgs(), ctx),
    [],
  );
  const drift = await esCrossClusterApiKey.diff(
    keyCurrent({ keys: [key('A', 1)], secretKnown: true }),
    keyArgs({ access: { search: [{ names: ['logs*', 'metrics*'] }] } }),
    ctx,
  );
  t.deepEqual(
    drift.map((c) => c.action),
    ['update'],
  );
  t.falsy((drift[0]!.after as Record<string, unknown>).rotate);
  t.like(drift[0]!.op, {
    kind: 'update',
    access: { search: [{ names: ['logs*', 'metrics*'] }] },
    keep: { id: 'A', name: 'crosskey-my_remote' },
  });
});

test('api key: secret unknown → rotate unless fully staged; duplicates invalidated', async (t) => {
  const notStaged = await esCrossClusterApiKey.diff(keyCurrent({ keys: [key('A', 1)] }), keyArgs(), ctx);
  t.truthy((notStaged[0]!.after as Record<string, unknown>).rotate);
  // The resume rule is a rotation: a new key, then the unknown one invalidated.
  t.like(notStaged[0]!.op, { kind: 'rotate', from: 'A', invalidateFrom: true });
  const partly = keyCurrent({
    keys: [key('A', 1)],
    saved: { id: 'A', name: 'n', access_hash: accessHash(access), staged_hosts: ['local-1'], created_at: '' },
  });
  t.truthy(((await esCrossClusterApiKey.diff(partly, keyArgs(), ctx))[0]!.after as Record<string, unknown>).rotate);
  const full = keyCurrent({
    keys: [key('A', 1)],
    saved: {
      id: 'A',
      name: 'n',
      access_hash: accessHash(access),
      staged_hosts: ['local-1', 'local-2'],
      created_at: '',
    },
  });
  t.deepEqual(await esCrossClusterApiKey.diff(full, keyArgs(), ctx), []);
  const two = keyCurrent({
    keys: [key('A', 1), key('B', 2)],
    secretKnown: true,
    saved: { id: 'B', name: 'n', access_hash: '', staged_hosts: [], created_at: '' },
  });
  t.deepEqual(await esCrossClusterApiKey.diff(two, keyArgs(), ctx), [], 'other keys are only reported');
  const dup = await esCrossClusterApiKey.diff(two, keyArgs({ invalidate_previous: true }), ctx);
  t.deepEqual(
    dup.map((c) => [c.action, c.target]),
    [['delete', 'api_key crosskey-my_remote (A)']],
  );
  t.like(dup[0]!.op, { kind: 'invalidate', id: 'A', reason: 'previous', keep: { id: 'B' } });
  const absent = await esCrossClusterApiKey.diff(
    keyCurrent({ keys: [key('A', 1)] }),
    keyArgs({ state: 'absent' }),
    ctx,
  );
  t.deepEqual(
    absent.map((c) => [c.action, c.op]),
    [['delete', { kind: 'invalidate', id: 'A', reason: 'absent' }]],
  );
  await t.throwsAsync(async () => esCrossClusterApiKey.diff(keyCurrent(), keyArgs({ access: {} }), ctx), {
    message: /at least one/,
  });
});

test('api key rotated: new key unless this run already made it', async (t) => {
  const c = await esCrossClusterApiKey.diff(
    keyCurrent({ keys: [key('A', 1)], secretKnown: false }),
    keyArgs({ state: 'rotated' }),
    ctx,
  );
  t.deepEqual(
    c.map((x) => x.action),
    ['create'],
  );
  // A rotation plan: the previous key stays valid until invalidate_previous.
  t.like(c[0]!.op, { kind: 'rotate', from: 'A', invalidateFrom: false });
  t.deepEqual(
    await esCrossClusterApiKey.diff(
      keyCurrent({ keys: [key('A', 1), key('B', 2)], secretKnown: true }),
      keyArgs({ state: 'rotated' }),
      ctx,
    ),
    [],
  );
});

function ksArgs(over: Partial<KeystoreArgs> = {}): KeystoreArgs {
  return { name: 'cluster.remote.my_remote.credentials', state: 'present', compare_value: false, ...over };
}
function ksCurrent(over: Partial<KeystoreCurrent> = {}): KeystoreCurrent {
  return {
    path: '/es/config/elasticsearch.keystore',
    exists: true,
    hasPassword: false,
    present: false,
    recordKey: 'keystore/local-1/x',
    ...over,
  };
}

test('keystore diff: presence, versions of run secrets, absent; changes are secret', async (t) => {
  runSecrets.clear();
  const c = await keystore.diff(ksCurrent(), ksArgs({ value: new Secret('s3cr3t-value') }), ctx);
  const { op, ...shown } = c[0]!;
  t.is(c.length, 1);
  t.deepEqual(shown, {
    target: '/es/config/elasticsearch.keystore: cluster.remote.my_remote.credentials',
    action: 'create',
    secret: true,
  });
  // The op: add this entry with the value, which stays a Secret.
  t.like(op, { kind: 'add', name: 'cluster.remote.my_remote.credentials' });
  const value = (op as Extract<KeystoreOp, { kind: 'add' }>).value;
  t.true(value instanceof Secret);
  t.is(value!.reveal(), 's3cr3t-value');
  t.deepEqual(
    await keystore.diff(ksCurrent({ present: true }), ksArgs({ value: new Secret('s3cr3t-value') }), ctx),
    [],
  );
  await t.throwsAsync(async () => keystore.diff(ksCurrent(), ksArgs({ value_from: 'nope' }), ctx), {
    message: /run secret "nope" is not known/,
  });
  const checkCtx = { ...ctx, check: true } as TaskContext;
  t.deepEqual(
    (await keystore.diff(ksCurrent(), ksArgs({ value_from: 'nope' }), checkCtx)).map((x) => [x.action, x.op]),
    [['create', { kind: 'add', name: 'cluster.remote.my_remote.credentials', value: undefined }]],
    'check mode: the secret would exist by then (its value is not known yet: such a plan is never applied)',
  );
  runSecrets.set('k', { secret: new Secret('encoded-key-B'), version: 'B', stagedStateKey: 'api_key/staged' });
  const upd = await keystore.diff(
    ksCurrent({ present: true, record: { version: 'A', written_at: '' } }),
    ksArgs({ value_from: 'k' }),
    ctx,
  );
  t.deepEqual(
    upd.map((x) => [x.action, x.before, x.after]),
    [['update', 'A', 'B']],
  );
  const updOp = upd[0]!.op as Extract<KeystoreOp, { kind: 'add' }>;
  t.like(updOp, { kind: 'add', version: 'B', stagedStateKey: 'api_key/staged' });
  t.is(updOp.value!.reveal(), 'encoded-key-B');
  t.deepEqual(
    await keystore.diff(
      ksCurrent({ present: true, record: { version: 'B', written_at: '' } }),
      ksArgs({ value_from: 'k' }),
      ctx,
    ),
    [],
  );
  runSecrets.clear();
  t.deepEqual(
    await keystore.diff(
      ksCurrent({ present: true, record: { version: 'B', written_at: '' } }),
      ksArgs({ value_from: 'k' }),
      ctx,
    ),
    [],
    'present, secret gone (new process): ok',
  );
  t.deepEqual(
    (await keystore.diff(ksCurrent({ present: true }), ksArgs({ state: 'absent' }), ctx)).map((x) => [x.action, x.op]),
    [['delete', { kind: 'remove', name: 'cluster.remote.my_remote.credentials' }]],
  );
  t.deepEqual(await keystore.diff(ksCurrent({ present: false, exists: false }), ksArgs({ state: 'absent' }), ctx), []);
  t.deepEqual(
    (
      await keystore.diff(
        ksCurrent({ present: true, sameValue: false }),
        ksArgs({ value: 'x-value', compare_value: true }),
        ctx,
      )
    ).map((x) => [x.action, x.op?.kind]),
    [['update', 'add']],
  );
});

test('versions', (t) => {
  t.deepEqual(parseVersion('8.15.0-SNAPSHOT'), [8, 15, 0]);
  t.true(versionAtLeast('8.13.0', '8.13.0'));
  t.true(versionAtLeast('9.0.0', '8.15.0'));
  t.false(versionAtLeast('8.12.9', '8.13.0'));
  t.throws(() => parseVersion('x'));
});

test('remote server addresses: publish host var (also as a plain {{ ref }}), else es_node_url host', async (t) => {
  const { remoteServerAddresses, plainVar, withPort } = await import('../../controller/modules/es/common.js');
  const hv: Record<string, Record<string, unknown>> = {
    'remote-1': { crosskey_rcs_publish_host: '{{ ansible_host }}', ansible_host: '127.9.2.1' },
    'remote-2': { es_node_url: 'https://127.9.2.2:9200' },
    'remote-3': { crosskey_rcs_publish_host: 'fc3.example.com' },
    'remote-4': { crosskey_rcs_publish_host: '{{ a }}-{{ b }}', ansible_host: '::1' },
  };
  const c = {
    host: 'local-1',
    vars: { groups: { remote: Object.keys(hv) } },
    hostVars: (h: string) => hv[h]!,
  } as unknown as TaskContext;
  t.deepEqual(remoteServerAddresses(c, 'remote', 9443), [
    '127.9.2.1:9443',
    '127.9.2.2:9443',
    'fc3.example.com:9443',
    '[::1]:9443',
  ]);
  t.is(plainVar({ a: '{{ b }}', b: '{{ a }}' }, 'a'), undefined, 'cycles end');
  t.is(withPort('fc:9300', 9443), 'fc:9443');
  t.is(withPort('[::1]:9300', 9443), '[::1]:9443');
});
