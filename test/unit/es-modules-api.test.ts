// Every example body of test/fixtures/es-examples for the APIs these wrappers cover parses, and the
// parsed values are the ones in the file.
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonc } from '../../controller/elastic/api/shape.js';
import {
  parseCreateCrossClusterApiKeyResponse,
  parseGetApiKeysResponse,
  validateAccess,
  accessHash,
  canonicalAccess,
  sameAccess,
  parseInvalidateApiKeysResponse,
} from '../../controller/elastic/api/security.js';
import {
  parseRemoteInfo,
  flattenSettings,
  aliasSettingsFrom,
  removeAliasBody,
  writeAliasBody,
  parseResolveCluster,
  aliasesIn,
} from '../../controller/elastic/api/remote.js';
import { parseClusterSettings, parseNodesSettings } from '../../controller/elastic/api/cluster.js';
import {
  parseTransforms,
  parseDatafeeds,
  parseDatafeedStats,
  parseAutoFollowPatterns,
  parseFollowInfo,
  parseJobStats,
  parseTransformStats,
  parseAcknowledged,
  parseMlFlag,
  parseCcrStats,
  parseFollowStats,
  acceptAlreadyDone,
} from '../../controller/elastic/api/tasks.js';
import { parseUpdateCrossClusterApiKey } from '../../controller/elastic/api/security.js';
import {
  parsePutRole,
  parseGetRoles,
  parseRoleDescriptor,
  deriveRemoteIndices,
  withRemotePrivileges,
  sameRole,
} from '../../controller/elastic/api/roles.js';
import { parseReloadSecureSettings, reloadFailures } from '../../controller/elastic/api/reload.js';
import { isSecret, secrets } from '../../controller/secrets.js';
import { EXAMPLES } from '../helpers/shape.js';

function examples(api: string, prefix: 'response' | 'request'): Array<{ file: string; body: unknown }> {
  const dir = join(EXAMPLES, api);
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .sort()
    .map((f) => ({ file: f, body: parseJsonc(readFileSync(join(dir, f), 'utf8')) }));
}

// API → parser of its response examples. Each must have at least one example file.
const responseParsers: Record<string, (b: unknown) => unknown> = {
  'security.create_cross_cluster_api_key': parseCreateCrossClusterApiKeyResponse,
  'security.get_api_key': parseGetApiKeysResponse,
  'security.get_role': parseGetRoles,
  'cluster.remote_info': parseRemoteInfo,
  'transform.get_transform': parseTransforms,
  'ml.get_datafeeds': parseDatafeeds,
  'ml.get_datafeed_stats': parseDatafeedStats,
  'ccr.get_auto_follow_pattern': parseAutoFollowPatterns,
  'ccr.follow_info': parseFollowInfo,
  'nodes.reload_secure_settings': parseReloadSecureSettings,
  'security.put_role': parsePutRole,
  'security.update_cross_cluster_api_key': parseUpdateCrossClusterApiKey,
  'transform.start_transform': (b) => parseAcknowledged('start transform', b),
  'transform.stop_transform': (b) => parseAcknowledged('stop transform', b),
  'ccr.pause_auto_follow_pattern': (b) => parseAcknowledged('pause pattern', b),
  'ccr.resume_auto_follow_pattern': (b) => parseAcknowledged('resume pattern', b),
  'ccr.pause_follow': (b) => parseAcknowledged('pause follow', b),
  'ccr.resume_follow': (b) => parseAcknowledged('resume follow', b),
  'ccr.stats': parseCcrStats,
  'ccr.follow_stats': parseFollowStats,
  'ml.close_job': (b) => parseMlFlag('close job', b, 'closed'),
  'ml.open_job': (b) => parseMlFlag('open job', b, 'opened'),
  'ml.start_datafeed': (b) => parseMlFlag('start datafeed', b, 'started'),
  'ml.get_jobs': (b) => b, // job configs are not read (the datafeed names its job); only stats are
};

test('every example folder of the APIs these wrappers own has a parser', (t) => {
  const mine = readdirSync(EXAMPLES).filter(
    (d) =>
      /^(ccr|ml|transform)\./.test(d) ||
      [
        'security.create_cross_cluster_api_key',
        'security.get_api_key',
        'security.get_role',
        'security.put_role',
        'security.update_cross_cluster_api_key',
        'cluster.remote_info',
        'nodes.reload_secure_settings',
      ].includes(d),
  );
  t.true(mine.length >= 20);
  t.deepEqual(
    mine.filter((d) => !(d in responseParsers)),
    [],
  );
});

test('409 on start counts as done only for "already started"', (t) => {
  const conflict = (reason: string) => ({
    status: 409,
    body: { error: { type: 'status_exception', reason }, status: 409 },
  });
  t.notThrows(() =>
    acceptAlreadyDone(
      'start df',
      conflict('cannot start datafeed [d] because it has already been started'),
      /already (been )?started/i,
    ),
  );
  t.throws(
    () =>
      acceptAlreadyDone(
        'start df',
        conflict('cannot start datafeed [d] because job [j] is closed'),
        /already (been )?started/i,
      ),
    { message: /start df: conflict \(409\): .*job \[j\] is closed/ },
  );
  t.notThrows(() => acceptAlreadyDone('x', { status: 200, body: {} }, /x/));
});

test('ack answers: shape errors name the API', (t) => {
  t.true(parseAcknowledged('x', { acknowledged: true }));
  t.throws(() => parseMlFlag('POST close', { closed: 'yes' }, 'closed'), { message: /POST close: .*closed/ });
  const stats = parseCcrStats(examples('ccr.stats', 'response')[0]!.body);
  t.is(stats.shards[0]!.follower_index, 'follower_index');
  t.is(stats.shards[0]!.failed_read_requests, 0);
});

for (const [api, parse] of Object.entries(responseParsers)) {
  test(`every ${api} response example parses`, (t) => {
    const ex = examples(api, 'response');
    t.true(ex.length > 0, `no examples for ${api}`);
    for (const { file, body } of ex) t.notThrows(() => parse(body), `${api}/${file}`);
  });
}

test('request examples: access specs validate, role bodies parse, put_settings bodies flatten', (t) => {
  for (const api of ['security.create_cross_cluster_api_key', 'security.update_cross_cluster_api_key']) {
    for (const { file, body } of examples(api, 'request')) {
      t.notThrows(() => validateAccess((body as { access: unknown }).access), `${api}/${file}`);
    }
  }
  for (const { file, body } of examples('security.put_role', 'request')) {
    t.notThrows(() => parseRoleDescriptor('PUT role', body, 'body'), file);
  }
  const three = examples('cluster.put_settings', 'request').find((e) => e.file.includes('three-remotes'))!;
  const flat = flattenSettings((three.body as { persistent: unknown }).persistent);
  t.deepEqual(aliasesIn(flat), ['cluster_one', 'cluster_three', 'cluster_two']);
  t.deepEqual(aliasSettingsFrom(flat, 'cluster_two'), {
    mode: 'sniff',
    seeds: ['127.0.0.1:9444'],
    'transport.compress': 'true',
    skip_unavailable: 'true',
  });
});

test('create key: encoded is a Secret and redacted everywhere', (t) => {
  const [ex] = examples('security.create_cross_cluster_api_key', 'response').filter((e) =>
    e.file.includes('with-expiration'),
  );
  const k = parseCreateCrossClusterApiKeyResponse(ex!.body);
  t.is(k.id, 'VuaCfGcBCdbkQm-e5aOx');
  t.is(k.expiration, 1544068612110);
  t.true(isSecret(k.encoded));
  t.is(JSON.stringify(k), JSON.stringify({ id: k.id, name: k.name, encoded: '********', expiration: 1544068612110 }));
  const raw = ex!.body as { encoded: string; api_key: string };
  t.is(k.encoded.reveal(), raw.encoded);
  t.false(secrets.redact(`value ${raw.encoded} and ${raw.api_key}`).includes(raw.api_key));
});

test('get api key: access parsed; hash equal for request and ES-normalized answer', (t) => {
  const ex = examples('security.get_api_key', 'response').find((e) => e.file.includes('search-and-replication'))!;
  const [key] = parseGetApiKeysResponse(ex.body);
  t.is(key!.type, 'cross_cluster');
  t.false(key!.invalidated);
  const requested = validateAccess({ replication: [{ names: ['archive*'] }], search: [{ names: ['logs*'] }] });
  t.true(sameAccess(key!.access, requested));
  t.is(accessHash(key!.access!), accessHash(requested));
  t.not(accessHash(requested), accessHash({ search: [{ names: ['logs*'] }] }));
  t.deepEqual(canonicalAccess({ search: [{ names: ['b', 'a'], allow_restricted_indices: false }] }), {
    search: [{ names: ['a', 'b'] }],
  });
  const rest = parseGetApiKeysResponse(
    examples('security.get_api_key', 'response').find((e) => e.file.includes('SecurityGetApiKey'))!.body,
  );
  t.is(rest[0]!.type, undefined);
  t.is(rest[0]!.limited_by?.length, 1);
});

test('validateAccess rejects bad specs', (t) => {
  t.throws(() => validateAccess({}), { message: /at least one/ });
  t.throws(() => validateAccess({ search: [{ names: 'x' }] }), { message: /names/ });
  t.throws(() => validateAccess({ search: [{ names: ['x'] }], foo: 1 }), { message: /unknown field/ });
});

test('invalidate response with and without errors', (t) => {
  const ok = parseInvalidateApiKeysResponse({
    invalidated_api_keys: ['a'],
    previously_invalidated_api_keys: [],
    error_count: 0,
  });
  t.deepEqual(ok.invalidated_api_keys, ['a']);
  const bad = parseInvalidateApiKeysResponse({
    invalidated_api_keys: [],
    previously_invalidated_api_keys: [],
    error_count: 1,
    error_details: [{ type: 'exception', reason: 'nope' }],
  });
  t.is(bad.error_details![0]!.reason, 'nope');
});

test('remote info: proxy and sniff with credentials', (t) => {
  const all = examples('cluster.remote_info', 'response').map((e) => parseRemoteInfo(e.body));
  const proxy = all.find((r) => r.my_remote)!.my_remote!;
  t.is(proxy.mode, 'proxy');
  t.is(proxy.cluster_credentials, '::es_redacted::');
  t.is(proxy.max_proxy_socket_connections, 18);
  const sniff = all.find((r) => r.cluster_one)!.cluster_one!;
  t.is(sniff.mode, 'sniff');
  t.deepEqual(sniff.seeds, ['127.0.0.1:9443']);
  t.is(sniff.num_nodes_connected, 1);
  t.throws(() => parseRemoteInfo({ a: { connected: 'yes' } }), { message: /GET \/_remote\/info.*a\.connected/ });
});

test('remove and write bodies are complete and mode-consistent', (t) => {
  const rm = removeAliasBody('my_remote', 'persistent', { mode: 'proxy', proxy_address: 'x:9300' });
  const keys = Object.keys(rm.persistent!);
  for (const k of [
    'mode',
    'seeds',
    'proxy_address',
    'server_name',
    'skip_unavailable',
    'node_connections',
    'proxy_socket_connections',
  ]) {
    t.true(keys.includes(`cluster.remote.my_remote.${k}`), k);
  }
  t.true(Object.values(rm.persistent!).every((v) => v === null));
  const w = writeAliasBody('my_remote', 'persistent', {
    mode: 'proxy',
    proxy_address: 'fc:9443',
    seeds: ['stale:9300'],
    skip_unavailable: 'false',
  });
  const p = w.persistent!;
  t.is(p['cluster.remote.my_remote.mode'], 'proxy');
  t.is(p['cluster.remote.my_remote.proxy_address'], 'fc:9443');
  t.is(p['cluster.remote.my_remote.seeds'], null);
  t.is(p['cluster.remote.my_remote.node_connections'], null);
  t.is(p['cluster.remote.my_remote.skip_unavailable'], 'false');
  t.is(w.transient, undefined);
});

test('cluster settings: nested and flat forms give the same alias settings', (t) => {
  const nested = parseClusterSettings({
    persistent: { cluster: { remote: { r: { mode: 'sniff', seeds: ['a:9300'], skip_unavailable: 'true' } } } },
    transient: {},
  });
  const flat = parseClusterSettings({
    persistent: {
      'cluster.remote.r.mode': 'sniff',
      'cluster.remote.r.seeds': ['a:9300'],
      'cluster.remote.r.skip_unavailable': 'true',
    },
  });
  t.deepEqual(aliasSettingsFrom(nested.persistent, 'r'), aliasSettingsFrom(flat.persistent, 'r'));
  const nodes = parseNodesSettings({
    nodes: { id1: { name: 'n1', settings: { cluster: { remote: { r: { seeds: ['a:9300'] } } } } } },
  });
  t.deepEqual(aliasSettingsFrom(nodes[0]!.settings, 'r'), { seeds: ['a:9300'] });
  const rc = parseResolveCluster({ r: { connected: false, skip_unavailable: false, error: 'boom' } });
  t.is(rc.r!.error, 'boom');
});

test('tasks: transforms, datafeeds, patterns, followers', (t) => {
  const [tr] = parseTransforms(examples('transform.get_transform', 'response')[0]!.body);
  t.deepEqual(tr!.source.index, ['kibana_sample_data_ecommerce']);
  t.deepEqual(tr!.authorization, { roles: ['superuser'] });
  const [df] = parseDatafeeds(examples('ml.get_datafeeds', 'response')[0]!.body);
  t.is(df!.job_id, 'high_sum_total_sales');
  const [ds] = parseDatafeedStats(examples('ml.get_datafeed_stats', 'response')[0]!.body);
  t.is(ds!.state, 'started');
  const [pat] = parseAutoFollowPatterns(examples('ccr.get_auto_follow_pattern', 'response')[0]!.body);
  t.is(pat!.remote_cluster, 'remote_cluster');
  t.true(pat!.active);
  const [f] = parseFollowInfo(examples('ccr.follow_info', 'response')[0]!.body);
  t.is(f!.parameters!.max_read_request_size, '32mb');
  t.is(f!.parameters!.max_outstanding_read_requests, 12);
  t.deepEqual(parseJobStats({ jobs: [{ job_id: 'j', state: 'opened' }] }), [{ job_id: 'j', state: 'opened' }]);
  t.is(parseTransformStats({ count: 1, transforms: [{ id: 'x', state: 'failed', reason: 'r' }] })[0]!.reason, 'r');
  t.throws(() => parseTransformStats({ transforms: [{ id: 'x', state: 'weird' }] }), {
    message: /transforms\[0\]\.state/,
  });
});

test('roles: derive remote_indices from the remote role and keep local indices', (t) => {
  const roles = parseGetRoles(examples('security.get_role', 'response')[0]!.body);
  const remote = roles.my_admin_role!;
  const ri = deriveRemoteIndices(remote, 'my_remote');
  t.deepEqual(ri, [
    {
      clusters: ['my_remote'],
      names: ['index1', 'index2'],
      privileges: ['all'],
      allow_restricted_indices: false,
      field_security: { grant: ['title', 'body'] },
    },
  ]);
  const local = { cluster: ['monitor'], indices: [{ names: ['local'], privileges: ['read'] }] };
  const merged = withRemotePrivileges(local, ri, []);
  t.deepEqual(merged.indices, local.indices);
  t.is(merged.remote_indices!.length, 1);
  t.true(sameRole(withRemotePrivileges(merged, ri, []), merged), 'idempotent merge');
  // CCR roles (read_ccr on the remote under certificate trust) get cross_cluster_replication on the leaders.
  const ccr = deriveRemoteIndices(
    { cluster: ['read_ccr'], indices: [{ names: ['leader-*'], privileges: ['monitor', 'read'] }] },
    'my_remote',
  );
  t.deepEqual(ccr, [
    { clusters: ['my_remote'], names: ['leader-*'], privileges: ['monitor', 'read', 'cross_cluster_replication'] },
  ]);
  t.false(sameRole(local, merged));
});

test('reload: failures name node and reason', (t) => {
  const ok = parseReloadSecureSettings(examples('nodes.reload_secure_settings', 'response')[0]!.body);
  t.deepEqual(reloadFailures(ok), []);
  t.is(ok.nodes[0]!.keystore_digest?.length, 64);
  const bad = parseReloadSecureSettings({
    _nodes: { total: 2, successful: 2, failed: 0 },
    cluster_name: 'qc',
    nodes: {
      a: { name: 'node-0' },
      b: {
        name: 'node-1',
        reload_exception: { type: 'security_exception', reason: 'Provided keystore password was incorrect' },
      },
    },
  });
  t.deepEqual(reloadFailures(bad), ['node-1 (b): security_exception: Provided keystore password was incorrect']);
});

test('access compared by meaning: a DLS query written as an object equals the compact string ES returns, any key order', (t) => {
  const written = {
    search: [{ names: ['logs-*'], query: { bool: { filter: [{ term: { category: 'shared' } }], must: [] } } }],
  };
  // What real Elasticsearch answers for that key (docs/es-behaviour.md §1): the query as a compact string,
  // allow_restricted_indices added.
  const answered = {
    search: [
      {
        names: ['logs-*'],
        query: '{"bool":{"must":[],"filter":[{"term":{"category":"shared"}}]}}',
        allow_restricted_indices: false,
      },
    ],
  };
  t.true(sameAccess(answered, written));
  t.is(accessHash(answered), accessHash(written));
  // A different query is a different access.
  const other = { search: [{ names: ['logs-*'], query: '{"term":{"category":"private"}}' }] };
  t.false(sameAccess(other, written));
  // A query that is not JSON is compared as written.
  t.true(
    sameAccess({ search: [{ names: ['a'], query: 'not json' }] }, { search: [{ names: ['a'], query: 'not json' }] }),
  );
});
