// Lab conformance (issue "Lab conformance", item 2): the lab answers as real Elasticsearch does, fact by fact from
// docs/es-behaviour.md, each test citing the ES source file the fact was read from. One 8.15.0 lab (local:1 +
// remote:1, embedded SSH, alias my_remote on RCS1) shared by the tests; before them the remote gets a remote
// cluster server (PEM certificate from the lab CA, restart) and the local an RCS2 alias `rcs2` with a
// cross-cluster API key, so that both security models are searched through.
import test from 'ava';
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labHttp, type LabHttpResponse } from '../../lab/http-client.js';
import type { LabClusterEntry, LabFile, LabNodeEntry } from '../../lab/layout.js';
import { issueCert } from '../../controller/certs/index.js';
import { waitConnected } from '../../lab/setup/initial-state.js';
import { clusterOf, sharedLab } from '../helpers/lab.js';

const RCS2 = 'rcs2';
let rcs2Key: { id: string; encoded: string };

const lab = sharedLab(test, {
  nodes: 1,
  ssh: 'embedded',
  startDelayMs: 150,
  recoveryMs: 150,
  prefix: 'ck-conf-',
  // The local node trusts the lab CA for RCS2 connections (a static setting: before the first start).
  yml: [
    {
      cluster: 'local',
      key: 'xpack.security.remote_cluster_client.ssl.certificate_authorities',
      value: ['certs/http_ca.crt'],
    },
  ],
  setup: async (l) => {
    const remote = clusterOf(l, 'remote');
    const local = clusterOf(l, 'local');
    const rn = remote.nodes[0]!;
    // Remote cluster server on the remote node: a PEM key and certificate from the lab CA, then a restart.
    const ca = {
      certPem: readFileSync(join(l.dir, 'ca', 'ca.crt'), 'utf8'),
      keyPem: readFileSync(join(l.dir, 'ca', 'ca.key'), 'utf8'),
    };
    const leaf = issueCert({ ca, ip: [rn.address], dns: [rn.name] });
    writeFileSync(join(rn.configDir, 'rcs.key'), leaf.keyPem, { mode: 0o600 });
    writeFileSync(join(rn.configDir, 'rcs.crt'), leaf.certPem);
    appendFileSync(
      join(rn.configDir, 'elasticsearch.yml'),
      'remote_cluster_server.enabled: true\nxpack.security.remote_cluster_server.ssl.key: rcs.key\nxpack.security.remote_cluster_server.ssl.certificate: rcs.crt\n',
    );
    const r = await run(rn, 'elasticsearch-service', ['restart']);
    if (r.code !== 0) throw new Error(`restart ${rn.name}: ${r.out}`);
    await ok(l, remote, 'GET', '/_cluster/health?wait_for_status=green&timeout=60s');
    // Documents on the remote, read through both aliases.
    await ok(l, remote, 'PUT', '/docs-1', { settings: { number_of_shards: 1, number_of_replicas: 0 } });
    await ok(
      l,
      remote,
      'POST',
      '/_bulk?refresh=true',
      '{"index":{"_index":"docs-1","_id":"1"}}\n{"category":"shared","msg":"one","n":1}\n' +
        '{"index":{"_index":"docs-1","_id":"2"}}\n{"category":"private","msg":"two","n":2}\n' +
        '{"index":{"_index":"leader-index","_id":"l1"}}\n{"category":"shared"}\n',
    );
    // RCS2 alias: a search-only cross-cluster key with DLS, its credentials in the local keystore, reloaded.
    rcs2Key = await ok(l, remote, 'POST', '/_security/cross_cluster/api_key', {
      name: 'conformance-rcs2',
      access: { search: [{ names: ['docs-*'], query: { term: { category: 'shared' } } }] },
    });
    const add = await run(
      local.nodes[0]!,
      'elasticsearch-keystore',
      ['add', '-f', '-x', `cluster.remote.${RCS2}.credentials`],
      rcs2Key.encoded,
    );
    if (add.code !== 0) throw new Error(`keystore add: ${add.out}`);
    await ok(l, local, 'POST', '/_nodes/reload_secure_settings');
    await ok(l, local, 'PUT', '/_cluster/settings', {
      persistent: {
        [`cluster.remote.${RCS2}.seeds`]: [`${rn.address}:9443`],
        [`cluster.remote.${RCS2}.skip_unavailable`]: false,
      },
    });
    await waitConnected(l, local, RCS2, 30_000, true);
  },
});

function run(n: LabNodeEntry, script: string, args: string[], stdin = ''): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(join(n.home, 'bin', script), args, {
      env: { ...process.env, ES_PATH_CONF: n.configDir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
    p.stdin.end(stdin);
  });
}

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

function http(
  l: LabFile,
  c: LabClusterEntry,
  method: string,
  path: string,
  body?: unknown,
  auth?: string,
): Promise<LabHttpResponse> {
  return labHttp(
    { url: c.url, user: c.user, passwordFile: c.passwordFile, caCert: l.caCert },
    method,
    path,
    body,
    auth ? { auth } : {},
  );
}

async function ok(l: LabFile, c: LabClusterEntry, method: string, path: string, body?: unknown, auth?: string) {
  const r = await http(l, c, method, path, body, auth);
  if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${r.text}`);
  return r.json as any;
}

const local = () => clusterOf(lab(), 'local');
const remote = () => clusterOf(lab(), 'remote');
const L = (method: string, path: string, body?: unknown, auth?: string) =>
  http(lab(), local(), method, path, body, auth);
const R = (method: string, path: string, body?: unknown, auth?: string) =>
  http(lab(), remote(), method, path, body, auth);
const err = (r: LabHttpResponse) => (r.json as any).error as { type: string; reason: string };

async function user(c: LabClusterEntry, name: string, roles: string[]): Promise<string> {
  const pw = `${name}-password`;
  await ok(lab(), c, 'PUT', `/_security/user/${name}`, { password: pw, roles });
  return basic(name, pw);
}

// x-pack/plugin/core/src/main/java/org/elasticsearch/xpack/core/security/authz/RoleDescriptor.java
// (parseIndexWithOptionalRemoteClusters QUERY branch; IndicesPrivileges.innerToXContent).
test.serial('§1 DLS query: an object comes back as a compact JSON string, a string verbatim, "" as none', async (t) => {
  await ok(lab(), local(), 'PUT', '/_security/role/dls_obj', {
    indices: [{ names: ['a-*'], privileges: ['read'], query: { term: { 'team.id': { value: 7 } } } }],
    remote_indices: [{ clusters: ['my_remote'], names: ['b-*'], privileges: ['read'], query: { match_all: {} } }],
  });
  await ok(lab(), local(), 'PUT', '/_security/role/dls_str', {
    indices: [
      { names: ['a-*'], privileges: ['read'], query: '{ "term" : {"x": 1} }' },
      { names: ['c-*'], privileges: ['read'], query: '' },
    ],
  });
  const roles = (await L('GET', '/_security/role/dls_obj,dls_str')).json as any;
  t.deepEqual(roles.dls_obj.indices[0], {
    names: ['a-*'],
    privileges: ['read'],
    query: '{"term":{"team.id":{"value":7}}}',
    allow_restricted_indices: false,
  });
  t.deepEqual(Object.keys(roles.dls_obj.remote_indices[0]), [
    'names',
    'privileges',
    'query',
    'allow_restricted_indices',
    'clusters',
  ]);
  t.is(roles.dls_obj.remote_indices[0].query, '{"match_all":{}}');
  t.is(roles.dls_str.indices[0].query, '{ "term" : {"x": 1} }');
  t.false('query' in roles.dls_str.indices[1]);
  t.false('remote_indices' in roles.dls_str, 'RoleDescriptor.toXContent writes remote_indices only when non-empty');
  const bad = await L('PUT', '/_security/role/dls_bad', {
    indices: [{ names: ['a'], privileges: ['read'], query: 5 }],
  });
  t.is(bad.status, 400);
  t.is(err(bad).type, 'parse_exception');
  t.is(
    err(bad).reason,
    'failed to parse indices privileges for role [dls_bad]. expected field [query] value to be null, a string, an array, or an object, but found [VALUE_NUMBER] instead',
  );
});

// x-pack/plugin/src/yamlRestTest/resources/rest-api-spec/test/api_key/50_cross_cluster.yml;
// CrossClusterApiKeyRoleDescriptorBuilder.java (8.15+: monitor_enrich).
test.serial('§1/§2 cross-cluster key: query string in access and role_descriptors, no remote_indices', async (t) => {
  const k = await ok(lab(), remote(), 'POST', '/_security/cross_cluster/api_key', {
    name: 'k-dls',
    access: {
      search: [
        {
          names: ['logs*'],
          query: { term: { category: 'shared' } },
          field_security: { grant: ['*'], except: ['private'] },
        },
      ],
    },
  });
  const got = (await ok(lab(), remote(), 'GET', `/_security/api_key?id=${k.id}&with_limited_by=true`)).api_keys[0];
  t.is(got.type, 'cross_cluster');
  t.false('limited_by' in got);
  t.deepEqual(got.access, {
    search: [
      {
        names: ['logs*'],
        field_security: { grant: ['*'], except: ['private'] },
        query: '{"term":{"category":"shared"}}',
        allow_restricted_indices: false,
      },
    ],
  });
  t.deepEqual(got.role_descriptors, {
    cross_cluster: {
      cluster: ['cross_cluster_search', 'monitor_enrich'],
      indices: [
        {
          names: ['logs*'],
          privileges: ['read', 'read_cross_cluster', 'view_index_metadata'],
          field_security: { grant: ['*'], except: ['private'] },
          query: '{"term":{"category":"shared"}}',
          allow_restricted_indices: false,
        },
      ],
      applications: [],
      run_as: [],
      metadata: {},
      transient_metadata: { enabled: true },
    },
  });
});

// CrossClusterApiKeyRoleDescriptorBuilder.java (build(): the 8.14.0 rule, PR #108600); ApiKeyRestIT.java.
test.serial('§5 8.15: search DLS/FLS with replication is refused (400); a lone * grant is not FLS', async (t) => {
  const withDls = await R('POST', '/_security/cross_cluster/api_key', {
    name: 'k-mixed',
    access: { search: [{ names: ['a*'], query: { match_all: {} } }], replication: [{ names: ['b*'] }] },
  });
  t.is(withDls.status, 400);
  t.true(withDls.text.includes('search does not support document or field level security if replication is assigned'));
  const withFls = await R('POST', '/_security/cross_cluster/api_key', {
    name: 'k-mixed',
    access: { search: [{ names: ['a*'], field_security: { grant: ['x'] } }], replication: [{ names: ['b*'] }] },
  });
  t.is(withFls.status, 400);
  const starOnly = await R('POST', '/_security/cross_cluster/api_key', {
    name: 'k-star',
    access: { search: [{ names: ['a*'], field_security: { grant: ['*'] } }], replication: [{ names: ['b*'] }] },
  });
  t.is(starOnly.status, 200, starOnly.text);
  // Update is checked the same way.
  const upd = await R('PUT', `/_security/cross_cluster/api_key/${(starOnly.json as any).id}`, {
    access: { search: [{ names: ['a*'], query: '{"match_all":{}}' }], replication: [{ names: ['b*'] }] },
  });
  t.is(upd.status, 400);
  t.true(upd.text.includes('search does not support document or field level security if replication is assigned'));
});

// x-pack/plugin/core/src/main/java/org/elasticsearch/xpack/core/security/authz/store/ReservedRolesStore.java;
// PutRoleRequest.java + NativeRealmValidationUtil.java; TransportDeleteRoleAction.java; ValidationException.java.
test.serial('§3 reserved roles: listed with _reserved, PUT and DELETE refused with ES errors', async (t) => {
  const all = (await L('GET', '/_security/role')).json as any;
  for (const r of ['superuser', 'viewer', 'editor', 'monitoring_user', 'remote_monitoring_agent', 'kibana_system'])
    t.is(all[r]?.metadata?._reserved, true, r);
  t.deepEqual(all.kibana_user.metadata, {
    _reserved: true,
    _deprecated: true,
    _deprecated_reason: 'Please use the [kibana_admin] role instead',
  });
  t.deepEqual(all.remote_search.metadata, {}, 'native roles are listed too');
  t.deepEqual(
    all.superuser.remote_cluster,
    [{ privileges: ['monitor_enrich'], clusters: ['*'] }],
    '8.15: no monitor_stats',
  );
  const put = await L('PUT', '/_security/role/viewer', { cluster: ['monitor'] });
  t.is(put.status, 400);
  t.deepEqual(err(put), {
    root_cause: [
      {
        type: 'action_request_validation_exception',
        reason: 'Validation Failed: 1: Role [viewer] is reserved and may not be used.;',
      },
    ],
    type: 'action_request_validation_exception',
    reason: 'Validation Failed: 1: Role [viewer] is reserved and may not be used.;',
  } as any);
  const del = await L('DELETE', '/_security/role/superuser');
  t.is(del.status, 400);
  t.is(err(del).type, 'illegal_argument_exception');
  t.is(err(del).reason, 'role [superuser] is reserved and cannot be deleted');
  const meta = await L('PUT', '/_security/role/copy', { metadata: { _reserved: true } });
  t.is(meta.status, 400);
  t.is(err(meta).reason, 'Validation Failed: 1: role descriptor metadata keys may not start with [_];');
});

// x-pack/plugin/security/src/main/java/org/elasticsearch/xpack/security/authc/esnative/ClientReservedRealm.java;
// TransportPutUserAction.java (validateRequest).
test.serial(
  '§3 reserved users: listed by GET /_security/user; PUT elastic refused; users may hold reserved roles',
  async (t) => {
    const users = (await L('GET', '/_security/user')).json as any;
    t.deepEqual(users.elastic, {
      username: 'elastic',
      roles: ['superuser'],
      full_name: null,
      email: null,
      metadata: { _reserved: true },
      enabled: true,
    });
    for (const u of [
      'kibana',
      'kibana_system',
      'logstash_system',
      'beats_system',
      'apm_system',
      'remote_monitoring_user',
    ])
      t.is(users[u]?.metadata?._reserved, true, u);
    t.is(users.kibana.metadata._deprecated_reason, 'Please use the [kibana_system] user instead.');
    const put = await L('PUT', '/_security/user/elastic', { password: 'changeme-123', roles: ['viewer'] });
    t.is(put.status, 400);
    t.is(err(put).type, 'action_request_validation_exception');
    t.is(err(put).reason, 'Validation Failed: 1: user [elastic] is reserved and only the password can be changed;');
    // viewer grants read on every index not starting with `.` (the Lucene regex /~(([.]|ilm-history-).*)/).
    await ok(lab(), local(), 'PUT', '/viewer-data/_doc/1?refresh=true', { a: 1 });
    const viewer = await user(local(), 'view_only', ['viewer']);
    const s = await L('GET', '/viewer-data/_search', undefined, viewer);
    t.is(s.status, 200, s.text);
    t.is((s.json as any).hits.total.value, 1);
    const w = await L('PUT', '/viewer-data/_doc/2', { a: 2 }, viewer);
    t.is(w.status, 403);
    t.regex(
      err(w).reason,
      /action \[indices:data\/write\/index\] is unauthorized for user \[view_only\] with effective roles \[viewer\] on indices \[viewer-data\]/,
    );
    // monitoring_user: cluster:monitor/main and xpack/info only — no cluster health (needs monitor).
    const mon = await user(local(), 'mon_only', ['monitoring_user']);
    t.is((await L('GET', '/_security/_authenticate', undefined, mon)).status, 200);
    t.is((await L('GET', '/_cluster/health', undefined, mon)).status, 403);
  },
);

// x-pack/plugin/security/src/main/java/org/elasticsearch/xpack/security/rest/action/user/RestGetUserPrivilegesAction.java;
// x-pack/plugin/src/yamlRestTest/resources/rest-api-spec/test/privileges/40_get_user_privs.yml.
test.serial(
  '§4 GET /_security/user/_privileges: the caller, merged, queries as arrays, remote_* only when set',
  async (t) => {
    await ok(lab(), local(), 'PUT', '/_security/role/p_one', {
      cluster: ['monitor'],
      indices: [
        {
          names: ['test-2-*'],
          privileges: ['read'],
          field_security: { grant: ['*'], except: ['private-*'] },
          query: { term: { test: true } },
        },
      ],
    });
    await ok(lab(), local(), 'PUT', '/_security/role/p_two', {
      cluster: ['manage_security'],
      indices: [
        {
          names: ['test-2-*'],
          privileges: ['read'],
          field_security: { grant: ['apps-*'] },
          query: '{"term":{"apps":true}}',
        },
      ],
      run_as: ['test-*'],
    });
    const u = await user(local(), 'priv_user', ['p_one', 'p_two']);
    const r = await L('GET', '/_security/user/_privileges', undefined, u);
    t.is(r.status, 200, r.text);
    t.deepEqual(r.json, {
      cluster: ['manage_security', 'monitor'],
      global: [],
      indices: [
        {
          names: ['test-2-*'],
          privileges: ['read'],
          field_security: [{ grant: ['*'], except: ['private-*'] }, { grant: ['apps-*'] }],
          query: ['{"term":{"test":true}}', '{"term":{"apps":true}}'],
          allow_restricted_indices: false,
        },
      ],
      applications: [],
      run_as: ['test-*'],
    });
    const sup = (await L('GET', '/_security/user/_privileges')).json as any;
    t.deepEqual(Object.keys(sup), [
      'cluster',
      'global',
      'indices',
      'applications',
      'run_as',
      'remote_indices',
      'remote_cluster',
    ]);
    t.deepEqual(sup.remote_cluster, [{ privileges: ['monitor_enrich'], clusters: ['*'] }]);
    // An API key with its own role descriptors cannot be shown as one privilege set.
    const key = await ok(lab(), local(), 'POST', '/_security/api_key', {
      name: 'limited',
      role_descriptors: { r: { cluster: ['monitor'] } },
    });
    const viaKey = await L('GET', '/_security/user/_privileges', undefined, `ApiKey ${key.encoded}`);
    t.is(viaKey.status, 400);
    t.regex(err(viaKey).reason, /^Cannot retrieve privileges for API keys with assigned role descriptors/);
  },
);

// x-pack/plugin/ccr/qa/rest/src/yamlRestTest/resources/rest-api-spec/test/ccr/auto_follow.yml;
// FollowParameters.java; AutoFollowMetadata.java.
test.serial('§6 auto-follow patterns keep exactly the follow parameters given at PUT', async (t) => {
  await ok(lab(), local(), 'PUT', '/_ccr/auto_follow/conf_pattern', {
    remote_cluster: 'my_remote',
    leader_index_patterns: ['nothing-*'],
    read_poll_timeout: '10s',
    max_outstanding_read_requests: 2,
  });
  const p = (await ok(lab(), local(), 'GET', '/_ccr/auto_follow/conf_pattern')).patterns[0];
  t.deepEqual(p, {
    name: 'conf_pattern',
    pattern: {
      active: true,
      remote_cluster: 'my_remote',
      leader_index_patterns: ['nothing-*'],
      leader_index_exclusion_patterns: [],
      max_outstanding_read_requests: 2,
      read_poll_timeout: '10s',
    },
  });
  await ok(lab(), local(), 'DELETE', '/_ccr/auto_follow/conf_pattern');
});

// x-pack/plugin/src/yamlRestTest/resources/rest-api-spec/test/ml/jobs_get_stats.yml; TimingStats.java;
// AnalysisConfig.java.
test.serial('§9 ML job: influencers always an array; job stats carry timing_stats', async (t) => {
  const job = (await ok(lab(), local(), 'GET', '/_ml/anomaly_detectors/remote-logs-rate')).jobs[0];
  t.deepEqual(job.analysis_config.influencers, []);
  const st = (await ok(lab(), local(), 'GET', '/_ml/anomaly_detectors/remote-logs-rate/_stats')).jobs[0];
  t.deepEqual(st.timing_stats, { job_id: 'remote-logs-rate', bucket_count: 0, total_bucket_processing_time_ms: 0 });
});

// server/src/main/java/org/elasticsearch/rest/action/cat/RestNodesAction.java, RestHealthAction.java;
// rest-api-spec/…/cat.nodes/10_basic.yml, cat.health/10_basic.yml.
test.serial('§7 _cat: column aliases, header as requested, ts=false', async (t) => {
  const nodes = await L('GET', '/_cat/nodes?h=dt,du,dup,hp,n,v,r&v');
  t.is(nodes.status, 200, nodes.text);
  const [head, row] = nodes.text.trim().split('\n');
  t.deepEqual(head!.split(/\s+/), ['dt', 'du', 'dup', 'hp', 'n', 'v', 'r']);
  t.deepEqual(row!.split(/\s+/).slice(4), ['local-1', '8.15.0', 'cdfhilmrstw']);
  const json = (await L('GET', '/_cat/nodes?h=name,heap.*&format=json')).json as any[];
  t.deepEqual(Object.keys(json[0]), ['name', 'heap.current', 'heap.percent', 'heap.max']);
  const health = await L('GET', '/_cat/health?h=cl,st,nt,sh,p,asp&v&format=json');
  t.deepEqual(Object.keys((health.json as any[])[0]), ['cl', 'st', 'nt', 'sh', 'p', 'asp']);
  const ts = await L('GET', '/_cat/health?v&ts=false');
  t.true(ts.text.startsWith('cluster '), ts.text);
});

// server/src/main/java/org/elasticsearch/action/admin/cluster/node/info/NodesInfoResponse.java;
// rest-api-spec/…/nodes.info/50_metrics.yml.
test.serial('§8 /_nodes/<metric>: fixed fields always, a section only when asked for', async (t) => {
  const fixed = [
    'name',
    'transport_address',
    'host',
    'ip',
    'version',
    'build_flavor',
    'build_type',
    'build_hash',
    'roles',
  ];
  const none = Object.values(((await L('GET', '/_nodes/_none')).json as any).nodes)[0] as any;
  for (const f of fixed) t.true(f in none, f);
  for (const s of ['settings', 'os', 'jvm', 'plugins', 'total_indexing_buffer']) t.false(s in none, s);
  const two = Object.values(((await L('GET', '/_nodes/settings,os?flat_settings=true')).json as any).nodes)[0] as any;
  t.truthy(two.settings['client.type']);
  t.truthy(two.os);
  t.false('jvm' in two);
  t.false('total_indexing_buffer' in two);
  const idx = Object.values(((await L('GET', '/_nodes/indices')).json as any).nodes)[0] as any;
  t.is(typeof idx.total_indexing_buffer, 'number');
  const plugins = Object.values(((await L('GET', '/_nodes/plugins')).json as any).nodes)[0] as any;
  t.true(Array.isArray(plugins.plugins) && Array.isArray(plugins.modules));
});

// rest-api-spec/…/cluster.state/20_filtering.yml and 10_basic.yml; DiscoveryNode.java.
test.serial('§10 /_cluster/state: cluster_name/uuid always, sections by metric, indices filter', async (t) => {
  const mv = (await L('GET', '/_cluster/state/master_node,version')).json as any;
  t.deepEqual(Object.keys(mv), ['cluster_name', 'cluster_uuid', 'version', 'state_uuid', 'master_node']);
  // The CCR YAML set-up: master_node is a node id, its transport address is in GET /_nodes.
  const nodes = (await L('GET', '/_nodes')).json as any;
  t.truthy(nodes.nodes[mv.master_node].transport_address);
  const n = (await L('GET', '/_cluster/state/nodes')).json as any;
  t.deepEqual(Object.keys(n.nodes[mv.master_node]).slice(0, 3), ['name', 'ephemeral_id', 'transport_address']);
  t.false('metadata' in n);
  const f = (await R('GET', '/_cluster/state/metadata,routing_table/docs-1')).json as any;
  t.deepEqual(Object.keys(f.metadata.indices), ['docs-1']);
  t.deepEqual(Object.keys(f.routing_table.indices), ['docs-1']);
  t.is(f.metadata.indices['docs-1'].settings.index.number_of_shards, '1');
  t.false('nodes' in f);
  const bad = await L('GET', '/_cluster/state/bogus');
  t.is(bad.status, 400);
});

// x-pack/plugin/core/src/main/java/org/elasticsearch/xpack/core/security/action/role/QueryRoleResponse.java;
// x-pack/plugin/src/yamlRestTest/resources/rest-api-spec/test/roles/10_basic.yml (8.15.0).
test.serial('§11 POST /_security/_query/role: native roles only, total/count, _sort when sorted', async (t) => {
  const all = (await ok(lab(), local(), 'POST', '/_security/_query/role', {
    query: { bool: { must_not: { term: { 'metadata._reserved': true } } } },
  })) as any;
  t.false(all.roles.some((r: any) => r.name === 'superuser'));
  t.true(all.roles.some((r: any) => r.name === 'remote_search'));
  t.is(all.total, all.count);
  const page = (await ok(lab(), local(), 'POST', '/_security/_query/role', {
    query: { match_all: {} },
    sort: ['name'],
    from: 1,
    size: 1,
  })) as any;
  t.is(page.count, 1);
  t.is(page.total, all.total);
  t.deepEqual(Object.keys(page.roles[0]).slice(0, 2), ['name', 'cluster']);
  t.deepEqual(page.roles[0]._sort, [page.roles[0].name]);
});

// Index and document APIs: rest-api-spec indices.create, bulk, index, count, search (10_basic.yml).
test.serial('§e indices and documents: PUT index, _bulk, _doc, _count, _search shapes', async (t) => {
  const created = await L('PUT', '/conf-idx', { settings: { index: { number_of_shards: 2, number_of_replicas: 0 } } });
  t.deepEqual(created.json, { acknowledged: true, shards_acknowledged: true, index: 'conf-idx' });
  const again = await L('PUT', '/conf-idx', {});
  t.is(again.status, 400);
  t.is(err(again).type, 'resource_already_exists_exception');
  const bulk = await L(
    'POST',
    '/conf-idx/_bulk?refresh=true',
    '{"index":{"_id":"a"}}\n{"k":"x","n":1}\n{"create":{"_id":"b"}}\n{"k":"y","n":2}\n{"create":{"_id":"a"}}\n{"k":"z"}\n',
  );
  const b = bulk.json as any;
  t.is(b.errors, true);
  t.deepEqual(Object.keys(b), ['errors', 'took', 'items']);
  t.is(b.items[0].index.result, 'created');
  t.is(b.items[0].index.status, 201);
  t.is(b.items[2].create.status, 409);
  t.is(b.items[2].create.error.type, 'version_conflict_engine_exception');
  const doc = await L('POST', '/conf-idx/_doc', { k: 'w', n: 3 });
  t.is(doc.status, 201);
  t.deepEqual(Object.keys(doc.json as object), [
    '_index',
    '_id',
    '_version',
    'result',
    '_shards',
    '_seq_no',
    '_primary_term',
  ]);
  const upd = await L('PUT', '/conf-idx/_doc/a', { k: 'x2', n: 1 });
  t.is(upd.status, 200);
  t.is((upd.json as any).result, 'updated');
  t.is((upd.json as any)._version, 2);
  t.deepEqual((await L('GET', '/conf-idx/_count')).json, {
    count: 3,
    _shards: { total: 2, successful: 2, skipped: 0, failed: 0 },
  });
  const s = (await L('GET', '/conf-idx/_search?size=2')).json as any;
  t.deepEqual(Object.keys(s), ['took', 'timed_out', '_shards', 'hits']);
  t.deepEqual(s.hits.total, { value: 3, relation: 'eq' });
  t.is(s.hits.hits.length, 2);
  t.deepEqual(Object.keys(s.hits.hits[0]), ['_index', '_id', '_score', '_source']);
  t.is(s.hits.hits[0]._index, 'conf-idx');
  const asInt = (
    await L('POST', '/conf-idx/_search?rest_total_hits_as_int=true', { query: { match_all: {} }, size: 0 })
  ).json as any;
  t.is(asInt.hits.total, 3);
  t.deepEqual(asInt.hits.hits, []);
  const term = (await L('POST', '/conf-idx/_search', { query: { term: { k: 'y' } } })).json as any;
  t.deepEqual(
    term.hits.hits.map((h: any) => h._id),
    ['b'],
  );
  const agg = await L('POST', '/conf-idx/_search', { aggs: { x: { terms: { field: 'k' } } } });
  t.is(agg.status, 400);
  t.regex(err(agg).reason, /not simulated/);
  t.is((await L('GET', '/missing-idx/_search')).status, 404);
});

// qa/multi-cluster-search/src/test/resources/rest-api-spec/test/multi_cluster/10_basic.yml;
// server/src/main/java/org/elasticsearch/action/search/SearchResponse.java (Clusters.toXContent).
test.serial('§12 CCS over RCS1: mixed local/remote, *:INDEX, _clusters details, ALIAS: prefixes', async (t) => {
  await ok(lab(), local(), 'PUT', '/docs-1/_doc/local-1?refresh=true', { category: 'local' });
  const s = (await ok(lab(), local(), 'GET', '/docs-1,my_remote:docs-1/_search')) as any;
  t.is(s.hits.total.value, 3);
  t.deepEqual(s.hits.hits.map((h: any) => h._index).sort(), ['docs-1', 'my_remote:docs-1', 'my_remote:docs-1']);
  t.deepEqual(Object.keys(s._clusters), ['total', 'successful', 'skipped', 'running', 'partial', 'failed', 'details']);
  t.deepEqual(
    { ...s._clusters, details: undefined },
    { total: 2, successful: 2, skipped: 0, running: 0, partial: 0, failed: 0, details: undefined },
  );
  t.deepEqual(Object.keys(s._clusters.details).sort(), ['(local)', 'my_remote']);
  const d = s._clusters.details.my_remote;
  t.deepEqual(Object.keys(d), ['status', 'indices', 'took', 'timed_out', '_shards']);
  t.is(d.status, 'successful');
  t.is(d.indices, 'docs-1');
  t.is(s._clusters.details['(local)'].indices, 'docs-1');
  // *:INDEX goes to every alias (my_remote and rcs2); a local-only search has no _clusters.
  const star = (await ok(lab(), local(), 'GET', '/*:docs-1/_search')) as any;
  t.deepEqual(Object.keys(star._clusters.details).sort(), ['my_remote', RCS2]);
  t.false('(local)' in star._clusters.details);
  t.false('_clusters' in ((await ok(lab(), local(), 'GET', '/docs-1/_search')) as any));
  const unknown = await L('GET', '/nope:docs-1/_search');
  t.is(unknown.status, 404);
  t.is(err(unknown).type, 'no_such_remote_cluster_exception');
});

// RCS1: the fulfilling cluster evaluates its own roles of the caller's role names (DLS/FLS included).
test.serial('§f RCS1: the remote applies its same-named role, DLS and FLS', async (t) => {
  await ok(lab(), remote(), 'PUT', '/_security/role/shared_reader', {
    indices: [
      {
        names: ['docs-*'],
        privileges: ['read'],
        query: { term: { category: 'shared' } },
        field_security: { grant: ['*'], except: ['msg'] },
      },
    ],
  });
  await ok(lab(), local(), 'PUT', '/_security/role/shared_reader', { cluster: [] });
  const u = await user(local(), 'rcs1_reader', ['shared_reader']);
  const s = await L('GET', '/my_remote:docs-1/_search', undefined, u);
  t.is(s.status, 200, s.text);
  t.deepEqual((s.json as any).hits.hits, [
    { _index: 'my_remote:docs-1', _id: '1', _score: 1, _source: { category: 'shared', n: 1 } },
  ]);
  // Not granted on the remote, skip_unavailable false (the lab's alias) → the search fails with the remote's 403.
  const denied = await L('GET', '/my_remote:leader-index/_search', undefined, u);
  t.is(denied.status, 403);
  t.regex(err(denied).reason, /action \[indices:data\/read\/search\] is unauthorized for user \[rcs1_reader\]/);
});

// RCS2: RemoteClusterSecurityWithDlsRestIT (names only in docs/es-behaviour.md §14): the caller's remote_indices
// for the alias ∩ the key's access.search.
test.serial('§f RCS2: remote_indices for the alias intersected with the key access (its DLS applies)', async (t) => {
  await ok(lab(), local(), 'PUT', '/_security/role/rcs2_reader', {
    remote_indices: [{ clusters: [RCS2], names: ['docs-*', 'leader-*'], privileges: ['read', 'read_cross_cluster'] }],
  });
  const u = await user(local(), 'rcs2_user', ['rcs2_reader']);
  const s = await L('GET', `/${RCS2}:docs-1/_search`, undefined, u);
  t.is(s.status, 200, s.text);
  t.deepEqual(
    (s.json as any).hits.hits.map((h: any) => [h._index, h._id]),
    [[`${RCS2}:docs-1`, '1']],
    'the key only grants category:shared',
  );
  // leader-* is in the role but not in the key's access.
  const notInKey = await L('GET', `/${RCS2}:leader-index/_search`, undefined, u);
  t.is(notInKey.status, 403, notInKey.text);
  t.regex(err(notInKey).reason, new RegExp(`API key id \\[${rcs2Key.id}\\]`));
  // A caller without remote_indices for the alias is refused before anything is sent.
  const none = await user(local(), 'rcs2_none', ['viewer']);
  const r = await L('GET', `/${RCS2}:docs-1/_search`, undefined, none);
  t.is(r.status, 403);
  t.regex(err(r).reason, /because no remote indices privileges apply for the target cluster/);
});

// SearchResponse.java (Cluster status skipped/failed); 70_connection_mode_configuration.yml; the skip_unavailable
// default of 8.15 (PR #105792) is in lab/node/remote/settings.ts.
test.serial(
  '§12 skip_unavailable: a remote that is down or refuses is skipped when true, an error when false',
  async (t) => {
    const rn = remote().nodes[0]!;
    await ok(lab(), local(), 'PUT', '/_cluster/settings', {
      persistent: { 'cluster.remote.down.seeds': [`${rn.address}:9399`], 'cluster.remote.down.skip_unavailable': true },
    });
    const skipped = (await ok(lab(), local(), 'GET', '/docs-1,down:docs-1/_search')) as any;
    t.is(skipped.hits.total.value, 1);
    t.like(skipped._clusters, { total: 2, successful: 1, skipped: 1, failed: 0 });
    const d = skipped._clusters.details.down;
    t.is(d.status, 'skipped');
    t.is(d.indices, 'docs-1');
    t.false('took' in d);
    t.is(d.failures[0].reason.type, 'connect_transport_exception');
    await ok(lab(), local(), 'PUT', '/_cluster/settings', {
      persistent: { 'cluster.remote.down.skip_unavailable': false },
    });
    const failed = await L('GET', '/docs-1,down:docs-1/_search');
    t.is(failed.status, 500);
    t.is(err(failed).type, 'connect_transport_exception');
    // Refused by the remote (403), skip_unavailable true → skipped with the remote's failure.
    await ok(lab(), local(), 'PUT', '/_cluster/settings', {
      persistent: { 'cluster.remote.my_remote.skip_unavailable': true, 'cluster.remote.down.*': null },
    });
    // rcs1_reader's same-named role on the remote grants docs-* only.
    const u = await user(local(), 'rcs1_reader', ['shared_reader']);
    const refused = (await ok(lab(), local(), 'GET', '/my_remote:leader-index/_search', undefined, u)) as any;
    t.is(refused._clusters.details.my_remote.status, 'skipped');
    t.is(refused._clusters.details.my_remote.failures[0].reason.type, 'security_exception');
    await ok(lab(), local(), 'PUT', '/_cluster/settings', {
      persistent: { 'cluster.remote.my_remote.skip_unavailable': false },
    });
  },
);

test.serial('the tool user sees every remote document through both aliases', async (t) => {
  const rcs2 = (await ok(lab(), local(), 'GET', `/${RCS2}:docs-1/_search`)) as any;
  t.is(rcs2.hits.total.value, 1, 'the key DLS applies to everyone going through the alias');
  const rcs1 = (await ok(lab(), local(), 'GET', '/my_remote:docs-1/_search')) as any;
  t.is(rcs1.hits.total.value, 2);
});
