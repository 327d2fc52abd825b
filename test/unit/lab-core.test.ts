import test from 'ava';
import { Router, type Route } from '../../lab/node/router.js';
import { applyFilterPath, nestSettings, flattenInput } from '../../lab/node/rest-helpers.js';
import { reconcile, computeHealth, createIndex, type MemberInfo } from '../../lab/node/cluster/coordination.js';
import type { ClusterState } from '../../lab/node/cluster/state.js';
import { parseElasticsearchYml } from '../../lab/node/config/elasticsearch-yml.js';
import { validateSettings, StartupError } from '../../lab/node/config/validate.js';
import { lookupSetting } from '../../lab/node/config/settings.js';
import { emptyTasks } from '../../lab/node/tasks/model.js';

test('router: literal segments beat parameters; params decoded; 405 information', (t) => {
  const r = new Router();
  const h = () => ({});
  r.add(
    { method: 'GET', path: '/_security/role/{name}', handler: h } as Route,
    { method: 'GET', path: '/_security/role/_all', handler: h } as Route,
  );
  const a = r.match('GET', '/_security/role/my%20role');
  t.true(!!a && 'route' in a && a.params.name === 'my role');
  const b = r.match('GET', '/_security/role/_all');
  t.true(!!b && 'route' in b && b.route.path === '/_security/role/_all');
  const c = r.match('DELETE', '/_security/role/x');
  t.deepEqual(c, { methodNotAllowed: ['GET'] });
  t.is(r.match('GET', '/nope'), undefined);
});

test('filter_path: wildcards, ** and dotted (flat) field names', (t) => {
  const nodes = {
    nodes: { a: { name: 'n1', version: '8.15.0', roles: ['master'] }, b: { name: 'n2', version: '8.15.0' } },
    cluster_name: 'c',
  };
  t.deepEqual(applyFilterPath(nodes, 'nodes.*.name'), { nodes: { a: { name: 'n1' }, b: { name: 'n2' } } });
  t.deepEqual(applyFilterPath(nodes, '**.version,cluster_name'), {
    nodes: { a: { version: '8.15.0' }, b: { version: '8.15.0' } },
    cluster_name: 'c',
  });
  const flat = {
    persistent: { 'cluster.remote.r.mode': 'proxy', 'indices.recovery.max_bytes_per_sec': '50mb' },
    transient: {},
  };
  t.deepEqual(applyFilterPath(flat, 'persistent.cluster.remote'), { persistent: { 'cluster.remote.r.mode': 'proxy' } });
  t.deepEqual(applyFilterPath(flat, '-transient'), { persistent: flat.persistent });
  t.deepEqual(applyFilterPath({ a: 1 }, 'zzz'), {});
});

test('settings input: nested and flat, scalars to strings, null kept', (t) => {
  t.deepEqual(
    flattenInput({
      cluster: { remote: { r: { seeds: ['a:1'], skip_unavailable: false, 'transport.compress': true, mode: null } } },
    }),
    {
      'cluster.remote.r.seeds': ['a:1'],
      'cluster.remote.r.skip_unavailable': 'false',
      'cluster.remote.r.transport.compress': 'true',
      'cluster.remote.r.mode': null,
    },
  );
  t.deepEqual(nestSettings({ 'a.b.c': 'x', 'a.d': ['y'] }), { a: { b: { c: 'x' }, d: ['y'] } });
});

test('elasticsearch.yml: nested and dotted keys flatten alike; syntax errors name file:line', (t) => {
  t.deepEqual(
    parseElasticsearchYml('xpack:\n  security.enabled: true\nhttp.port: 9200\nnode.roles: [master, data]\n', 'es.yml'),
    {
      'xpack.security.enabled': 'true',
      'http.port': '9200',
      'node.roles': ['master', 'data'],
    },
  );
  t.deepEqual(parseElasticsearchYml('node.name: ${LAB_X}\n', 'es.yml', { LAB_X: 'n1' }), { 'node.name': 'n1' });
  t.throws(() => parseElasticsearchYml('node.name: ${LAB_MISSING}\n', 'es.yml', {}), {
    message: "Could not resolve placeholder 'LAB_MISSING'",
  });
  const err = t.throws(() => parseElasticsearchYml('a: b\n  c: [\n', '/x/elasticsearch.yml'));
  t.regex(err!.message, /\/x\/elasticsearch\.yml:\d+/);
});

test('start-up validation: ES messages for unknown, secure-in-yml, version-gated and profile settings', (t) => {
  const msg = (config: Record<string, string>, secure: Record<string, string> = {}, version = '8.15.0') => {
    try {
      validateSettings(config, new Map(Object.entries(secure).map(([k, v]) => [k, Buffer.from(v)])), version);
      return 'ok';
    } catch (e) {
      t.true(e instanceof StartupError);
      return (e as Error).message;
    }
  };
  t.is(msg({ 'cluster.name': 'x', 'cluster.remote.r.seeds': 'a:9300' }), 'ok');
  t.is(
    msg({ 'xpack.securty.enabled': 'true' }),
    'unknown setting [xpack.securty.enabled] please check that any required plugins are installed, or check the breaking changes documentation for removed settings',
  );
  t.is(
    msg({ 'remote_cluster_server.enabled': 'true' }, {}, '8.9.0'),
    'unknown setting [remote_cluster_server.enabled] please check that any required plugins are installed, or check the breaking changes documentation for removed settings',
  );
  t.is(msg({ 'remote_cluster_server.enabled': 'true' }, {}, '8.10.0'), 'ok');
  t.is(
    msg({}, { 'cluster.remote.r.credentail': 'x' }),
    'unknown secure setting [cluster.remote.r.credentail] please check that any required plugins are installed, or check the breaking changes documentation for removed settings',
  );
  t.is(
    msg({ 'transport.profiles._remote_cluster.port': '9443' }),
    'Remote Access settings should not be configured using the [_remote_cluster] profile. Use the [remote_cluster.] settings instead.',
  );
  t.is(
    msg(
      { 'xpack.security.enabled': 'false' },
      { 'cluster.remote.a.credentials': 'k', 'cluster.remote.b.credentials': 'k' },
    ),
    'Found [2] remote clusters with credentials [a,b]. Security [xpack.security.enabled] must be enabled to connect to them. Please either enable security or remove these settings from the keystore.',
  );
  t.regex(
    msg({ 'xpack.security.transport.ssl.keystore.secure_password': 'x' }),
    /is a secure setting and must be stored inside the Elasticsearch keystore/,
  );
  t.truthy(lookupSetting('cluster.remote.my_remote.proxy_address', '8.15.0')?.dynamic);
  t.falsy(lookupSetting('remote_cluster_server.enabled', '8.15.0')?.dynamic);
});

function member(id: string, extra: Partial<MemberInfo> = {}): MemberInfo {
  return {
    id,
    name: id,
    pid: process.pid,
    address: '127.0.0.1',
    version: '8.15.0',
    roles: ['master', 'data'],
    attributes: {},
    httpPort: 9200,
    transportPort: 9300,
    remoteClusterPort: null,
    settings: {},
    startedAt: id.charCodeAt(0),
    heartbeatAt: Date.now(),
    stallRecovery: false,
    ...extra,
  };
}

function newState(): ClusterState {
  const s: ClusterState = {
    clusterName: 'c',
    clusterUuid: 'u',
    esVersion: '8.15.0',
    version: 1,
    masterNodeId: null,
    persistent: {},
    transient: {},
    license: {
      uid: 'x',
      type: 'trial',
      status: 'active',
      issueDateMillis: 0,
      expiryDateMillis: null,
      startDateMillis: -1,
      maxNodes: 1000,
      maxResourceUnits: null,
      issuedTo: 'c',
      issuer: 'e',
    },
    indices: {},
    lab: { recoveryMs: 1000, nodeLeftDelayedTimeoutMs: 60_000 },
    security: { users: {}, roles: {}, apiKeys: [] },
    tasks: emptyTasks(),
    counters: { disruptions: 0, disruption_log: [] },
    events: [],
  };
  createIndex(s, 'i1', 2, 1, 0);
  return s;
}

test('allocation: new index → green after recovery; node leaves → yellow; returns → green again', (t) => {
  const s = newState();
  const all = [member('a'), member('b'), member('c')];
  reconcile(s, all, 0);
  t.is(s.masterNodeId, 'a');
  t.is(computeHealth(s, all, 0).status, 'yellow'); // new primaries start at once, replicas recover
  reconcile(s, all, 10);
  reconcile(s, all, 2000);
  reconcile(s, all, 4000);
  t.is(computeHealth(s, all, 4000).status, 'green');
  // copies of one shard never share a node
  for (let sh = 0; sh < 2; sh++) {
    const nodes = s.indices.i1!.shards.filter((c) => c.shard === sh).map((c) => c.node);
    t.is(new Set(nodes).size, 2);
  }
  const victim = s.indices.i1!.shards.find((c) => c.node === 'b')!;
  const twoLeft = all.filter((m) => m.id !== 'b');
  reconcile(s, twoLeft, 5000);
  const h = computeHealth(s, twoLeft, 5000);
  t.is(h.status, 'yellow');
  t.true(h.delayed_unassigned_shards > 0, 'replicas wait for the departed node (delayed allocation)');
  t.is(victim.state, 'UNASSIGNED');
  reconcile(s, all, 6000);
  t.is(computeHealth(s, all, 6000).status, 'yellow'); // recovering
  t.true(computeHealth(s, all, 6000).initializing_shards > 0);
  reconcile(s, all, 7100);
  t.is(computeHealth(s, all, 7100).status, 'green');
});

test('allocation: master stays while alive; primaries setting keeps replicas unassigned; stalled recovery never finishes', (t) => {
  const s = newState();
  const all = [member('a'), member('b'), member('c')];
  for (const at of [0, 10, 2000, 4000]) reconcile(s, all, at);
  t.is(s.masterNodeId, 'a');
  s.persistent['cluster.routing.allocation.enable'] = 'primaries';
  const noA = all.filter((m) => m.id !== 'a');
  reconcile(s, noA, 5000);
  t.is(s.masterNodeId, 'b');
  reconcile(s, all, 6000);
  t.is(s.masterNodeId, 'b', 'a returning node does not take mastership back');
  for (const at of [7000, 9000, 70_000, 80_000]) reconcile(s, all, at);
  t.is(computeHealth(s, all, 80_000).status, 'yellow');
  t.true(computeHealth(s, all, 80_000).unassigned_shards > 0);
  delete s.persistent['cluster.routing.allocation.enable'];
  const stalled = all.map((m) => (m.id === 'a' ? { ...m, stallRecovery: true } : m));
  for (const at of [81_000, 83_000, 90_000]) reconcile(s, stalled, at);
  t.is(computeHealth(s, stalled, 90_000).status, 'yellow');
  for (const at of [91_000, 93_000]) reconcile(s, all, at);
  t.is(computeHealth(s, all, 93_000).status, 'green');
});

test('rebalancing: a late node receives copies by relocation (source stays active: green, relocating_shards > 0)', (t) => {
  const s = newState();
  const ab = [member('a'), member('b')];
  for (const at of [0, 10, 2000, 4000]) reconcile(s, ab, at);
  t.is(computeHealth(s, ab, 4000).status, 'green');
  const all = [...ab, member('c')];
  reconcile(s, all, 5000);
  const moving = computeHealth(s, all, 5000);
  t.is(moving.status, 'green');
  t.is(moving.relocating_shards, 1);
  for (let at = 6100; at < 20_000; at += 1100) reconcile(s, all, at);
  const final = computeHealth(s, all, 20_000);
  t.is(final.relocating_shards, 0);
  const onC = s.indices.i1!.shards.filter((c) => c.node === 'c').length;
  t.true(onC >= 1, 'c holds copies after rebalancing');
  s.persistent['cluster.routing.rebalance.enable'] = 'none';
  const d = [...all, member('d')];
  reconcile(s, d, 21_000);
  t.is(computeHealth(s, d, 21_000).relocating_shards, 0, 'rebalance none: nothing moves');
});
