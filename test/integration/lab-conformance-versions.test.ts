// Lab conformance, the version-gated side of the facts (docs/es-behaviour.md): two one-node clusters, each its own
// remote (alias `self`, as Elastic's CCR YAML suite runs, §13) — 8.10.0 (before the 8.11 `_clusters` counters, the
// 8.14 DLS/FLS + replication rule, the 8.15 query-role API and remote_cluster privileges) and 9.1.0 (9.x reserved
// roles, monitor_stats from 8.17). The 8.15.0 side of each fact is in lab-conformance.test.ts.
import test from 'ava';
import { labHttp, type LabHttpResponse } from '../../lab/http-client.js';
import type { LabFile } from '../../lab/layout.js';
import { startLab } from '../helpers/lab.js';
import { closeAllClients, esForVars } from '../../controller/elastic/client.js';
import { clusterHealth, getInfo } from '../../controller/elastic/api/cluster.js';

const SELF = 'self';
const labs: Record<string, { lab: LabFile; down(): Promise<void> }> = {};

test.before(async () => {
  const up = (esVersion: string) =>
    startLab({
      esVersion,
      ssh: 'embedded',
      startDelayMs: 150,
      recoveryMs: 150,
      prefix: `ck-conf-${esVersion}-`,
      clusters: [{ name: 'local', nodes: 1 }],
      connections: [{ local: 'local', remote: 'local', alias: SELF }],
    });
  // One after the other: two labs starting at once would double the load on a small machine.
  labs['8.10.0'] = await up('8.10.0');
  labs['9.1.0'] = await up('9.1.0');
});
test.after.always(async () => {
  await closeAllClients();
  for (const l of Object.values(labs)) await l.down();
});

function call(v: string, method: string, path: string, body?: unknown): Promise<LabHttpResponse> {
  const l = labs[v]!.lab;
  const c = l.clusters[0]!;
  return labHttp({ url: c.url, user: c.user, passwordFile: c.passwordFile, caCert: l.caCert }, method, path, body);
}
async function ok(v: string, method: string, path: string, body?: unknown) {
  const r = await call(v, method, path, body);
  if (r.status >= 300) throw new Error(`${v} ${method} ${path} → ${r.status} ${r.text}`);
  return r.json as any;
}

// CrossClusterApiKeyRoleDescriptorBuilder.java: the DLS/FLS + replication rule arrived in 8.14.0 (PR #108600,
// 8.14.0 release notes, breaking changes); monitor_enrich in the search cluster privileges in 8.15.
test.serial('§5 8.10: a key with search DLS and replication is accepted; its query is a string', async (t) => {
  const k = await ok('8.10.0', 'POST', '/_security/cross_cluster/api_key', {
    name: 'legacy-mixed',
    access: { search: [{ names: ['logs*'], query: { term: { a: 1 } } }], replication: [{ names: ['leader-*'] }] },
  });
  const got = (await ok('8.10.0', 'GET', `/_security/api_key?id=${k.id}`)).api_keys[0];
  t.is(got.access.search[0].query, '{"term":{"a":1}}');
  t.deepEqual(got.role_descriptors.cross_cluster.cluster, ['cross_cluster_search', 'cross_cluster_replication']);
  t.false('remote_indices' in got.role_descriptors.cross_cluster);
  // 9.1 (≥ 8.14) refuses the same key.
  const refused = await call('9.1.0', 'POST', '/_security/cross_cluster/api_key', {
    name: 'legacy-mixed',
    access: { search: [{ names: ['logs*'], query: { term: { a: 1 } } }], replication: [{ names: ['leader-*'] }] },
  });
  t.is(refused.status, 400);
  t.true(refused.text.includes('search does not support document or field level security if replication is assigned'));
});

// rest-api-spec/src/main/resources/rest-api-spec/api/security.query_role.json; 8.15.0 release notes (PR #108733).
test.serial('§11 before 8.15 there is no query-role API; 9.1 has it', async (t) => {
  const r = await call('8.10.0', 'POST', '/_security/_query/role', { query: { match_all: {} } });
  t.is(r.status, 400);
  t.regex((r.json as any).error.reason, /no handler found for uri \[\/_security\/_query\/role\] and method \[POST\]/);
  const q = await ok('9.1.0', 'POST', '/_security/_query/role', { query: { match_all: {} } });
  t.true(q.roles.every((x: any) => x.metadata?._reserved !== true));
});

// RestGetUserPrivilegesAction.java / GetUserPrivilegesResponse.java: remote_cluster only from 8.15.0 (PR #107493);
// monitor_stats from 8.17 (lab/node/security/roles.ts); ReservedRolesStore.java and the 9.x roles page (§3).
test.serial('§3/§4 remote_cluster only from 8.15; 9.x reserved roles', async (t) => {
  const p810 = await ok('8.10.0', 'GET', '/_security/user/_privileges');
  t.deepEqual(Object.keys(p810), ['cluster', 'global', 'indices', 'applications', 'run_as', 'remote_indices']);
  t.false('remote_cluster' in (await ok('8.10.0', 'GET', '/_security/role/superuser')).superuser);
  const p91 = await ok('9.1.0', 'GET', '/_security/user/_privileges');
  t.deepEqual(p91.remote_cluster, [{ privileges: ['monitor_enrich', 'monitor_stats'], clusters: ['*'] }]);
  const roles91 = await ok('9.1.0', 'GET', '/_security/role');
  const roles810 = await ok('8.10.0', 'GET', '/_security/role');
  t.is(roles91.inference_admin?.metadata?._reserved, true);
  t.false('apm_user' in roles91);
  t.false('inference_admin' in roles810);
  t.is(roles810.apm_user?.metadata?._deprecated, true);
  const del = await call('9.1.0', 'DELETE', '/_security/role/inference_user');
  t.is(del.status, 400);
});

// SearchResponse.java: 8.10 wrote total/successful/skipped + details; running/partial/failed came in 8.11
// (PR #99566). qa/multi-cluster-search …/multi_cluster/10_basic.yml.
test.serial(
  '§12/§13 a cluster searching itself through its alias; 8.10 _clusters without the 8.11 counters',
  async (t) => {
    await ok('8.10.0', 'PUT', '/own-docs/_doc/1?refresh=true', { a: 1 });
    const s = await ok('8.10.0', 'GET', `/own-docs,${SELF}:own-docs/_search`);
    t.deepEqual(s.hits.hits.map((h: any) => h._index).sort(), ['own-docs', `${SELF}:own-docs`]);
    t.deepEqual(Object.keys(s._clusters), ['total', 'successful', 'skipped', 'details']);
    t.like(s._clusters, { total: 2, successful: 2, skipped: 0 });
    t.is(s._clusters.details[SELF].status, 'successful');
    await ok('9.1.0', 'PUT', '/own-docs/_doc/1?refresh=true', { a: 1 });
    const s9 = await ok('9.1.0', 'GET', `/${SELF}:own-docs/_search`);
    t.deepEqual(Object.keys(s9._clusters), [
      'total',
      'successful',
      'skipped',
      'running',
      'partial',
      'failed',
      'details',
    ]);
    t.false('(local)' in s9._clusters.details);
    t.false('num_reduce_phases' in s9);
  },
);

// x-pack/plugin/ccr/qa/rest/src/yamlRestTest/resources/rest-api-spec/test/ccr/follow_info.yml and auto_follow.yml:
// the set-up every CCR YAML file repeats on one cluster that is its own remote `local` (§13).
test.serial(
  '§13 the CCR YAML set-up: own transport address as seed, follow and auto-follow on one cluster',
  async (t) => {
    const v = '9.1.0';
    const { master_node } = await ok(v, 'GET', '/_cluster/state');
    const nodes = await ok(v, 'GET', '/_nodes');
    const localIp = nodes.nodes[master_node].transport_address;
    await ok(v, 'PUT', '/_cluster/settings?flat_settings=true', {
      persistent: { 'cluster.remote.local.seeds': localIp },
    });
    await ok(v, 'PUT', '/foo', {
      settings: { index: { number_of_shards: 1, number_of_replicas: 0, soft_deletes: { enabled: true } } },
    });
    const f = await ok(v, 'PUT', '/bar/_ccr/follow?wait_for_active_shards=1', {
      remote_cluster: 'local',
      leader_index: 'foo',
    });
    t.deepEqual(f, { follow_index_created: true, follow_index_shards_acked: true, index_following_started: true });
    const info = (await ok(v, 'GET', '/bar/_ccr/info')).follower_indices[0];
    t.like(info, { follower_index: 'bar', remote_cluster: 'local', leader_index: 'foo', status: 'active' });
    await ok(v, 'PUT', '/_ccr/auto_follow/my_pattern', {
      remote_cluster: 'local',
      leader_index_patterns: ['logs-*'],
      max_outstanding_read_requests: 2,
    });
    const p = (await ok(v, 'GET', '/_ccr/auto_follow/my_pattern')).patterns[0].pattern;
    t.deepEqual(p, {
      active: true,
      remote_cluster: 'local',
      leader_index_patterns: ['logs-*'],
      leader_index_exclusion_patterns: [],
      max_outstanding_read_requests: 2,
    });
    const s = await ok(v, 'GET', '/local:foo/_search');
    t.is(s._clusters.details.local.status, 'successful');
  },
);

// One release, one set of versions (lab/node/cluster/versions.ts): GET / and _resolve/cluster carry the minimum
// compatibility versions of the node's release (Version.java computeMinCompatVersion, docs/es-9x.md §1.1;
// ResolveClusterActionResponse.java writes the same Build fields), GET /_nodes its transport version
// (TransportVersions.csv: 8.10.0 → 8500061, 9.1.0 → 9112003).
test.serial(
  '§1.1 versions per release: GET /, _resolve/cluster (local and remote), _nodes transport_version',
  async (t) => {
    const v8 = (await ok('8.10.0', 'GET', '/')).version;
    t.like(v8, { minimum_wire_compatibility_version: '7.17.0', minimum_index_compatibility_version: '7.0.0' });
    const v9 = (await ok('9.1.0', 'GET', '/')).version;
    t.like(v9, { minimum_wire_compatibility_version: '8.19.0', minimum_index_compatibility_version: '8.0.0' });
    const resolved = await ok('9.1.0', 'GET', `/_resolve/cluster/*,${SELF}:*`);
    const want = {
      number: '9.1.0',
      build_flavor: 'default',
      minimum_wire_compatibility_version: '8.19.0',
      minimum_index_compatibility_version: '8.0.0',
    };
    t.deepEqual(resolved['(local)'].version, want);
    t.true(resolved[SELF].connected, JSON.stringify(resolved));
    t.deepEqual(resolved[SELF].version, want);
    // no _resolve/cluster before 8.13
    t.is((await call('8.10.0', 'GET', `/_resolve/cluster/${SELF}:*`)).status, 400);
    const tv = async (v: string) =>
      (Object.values((await ok(v, 'GET', '/_nodes/_none')).nodes)[0] as any).transport_version;
    t.is(await tv('8.10.0'), 8500061);
    t.is(await tv('9.1.0'), 9112003);
  },
);

// RestCompatibleVersionHelper.getCompatibleVersion (docs/es-9x.md §1.2): a node of major M serves compatible-with
// M and M-1 only; with a body, both headers name the same version or neither does.
test.serial('§1.2 REST compatibility headers: 9.x serves compatible-with=8 and 9, 8.x serves 7 and 8', async (t) => {
  const v8 = 'application/vnd.elasticsearch+json; compatible-with=8';
  const with_ = (v: string, headers: Record<string, string>, body?: unknown) => {
    const l = labs[v]!.lab;
    const c = l.clusters[0]!;
    return labHttp(
      { url: c.url, user: c.user, passwordFile: c.passwordFile, caCert: l.caCert },
      body === undefined ? 'GET' : 'POST',
      body === undefined ? '/' : '/_security/_query/api_key',
      body,
      { headers },
    );
  };
  for (const v of ['8.10.0', '9.1.0']) {
    t.is((await with_(v, { accept: v8 })).status, 200, `${v} accepts compatible-with=8`);
    t.is((await with_(v, { accept: v8, 'content-type': v8 }, { size: 1 })).status, 200, `${v} body with 8 on both`);
  }
  const seven = await with_('9.1.0', { accept: 'application/vnd.elasticsearch+json; compatible-with=7' });
  t.is(seven.status, 400);
  t.like(seven.json as object, { error: { type: 'status_exception' }, status: 400 });
  t.true(seven.text.includes('Accept version must be either version 9 or 8, but found 7'), seven.text);
  const nine = await with_('8.10.0', { accept: 'application/vnd.elasticsearch+json; compatible-with=9' });
  t.true(nine.text.includes('Accept version must be either version 8 or 7, but found 9'), nine.text);
  const onlyAccept = await with_('9.1.0', { accept: v8 }, { size: 1 });
  t.is(onlyAccept.status, 400);
  t.true(onlyAccept.text.includes('the compatible versions must match'), onlyAccept.text);
});

test.serial(
  '§1.2 the 8.x Elasticsearch client (what crosskey uses) talks to 9.x with its compatibility headers',
  async (t) => {
    const l = labs['9.1.0']!.lab;
    const c = l.clusters[0]!;
    const es = esForVars({ es_url: c.url, es_user: c.user, es_password_file: c.passwordFile, es_ca_cert: l.caCert });
    const info = await getInfo(es);
    t.is(info.version.number, '9.1.0');
    const health = await clusterHealth(es);
    t.is(health.number_of_nodes, 1); // yellow or green: earlier tests of this file made indices
    const key = await es.request<{ id: string }>({
      method: 'POST',
      path: '/_security/cross_cluster/api_key',
      body: { name: 'compat-probe', access: { search: [{ names: ['logs-*'] }] } },
    });
    t.regex(key.body.id, /\S/);
  },
);
