// Cluster/node/restart wrappers (controller/elastic/api/cluster.ts): every relevant example of
// test/fixtures/es-examples parses to the values in the file; malformed answers name the API;
// error examples map to EsError with cause and fix.
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonc, ApiShapeError } from '../../controller/elastic/api/shape.js';
import {
  parseInfo,
  parseNodesInfo,
  parseCatNodes,
  parseCatMaster,
  parseHealth,
  parseClusterSettings,
  parseLicense,
  parseAuthenticate,
  parseHasPrivileges,
  parseFlush,
  parseNodesSettings,
  clusterHealth,
  putClusterSettings,
  allocationEnable,
  licenseAllowsRcs2,
  durationMs,
  isMasterEligible,
  NotAcknowledgedError,
  catNodes,
} from '../../controller/elastic/api/cluster.js';
import { esErrorFromResponse } from '../../controller/elastic/errors.js';
import type { EsApi, EsRequest, EsResponse } from '../../controller/elastic/types.js';
import { EXAMPLES } from '../helpers/shape.js';

function examples(api: string, prefix = 'response'): Array<{ file: string; body: unknown }> {
  return readdirSync(join(EXAMPLES, api))
    .filter((f) => f.startsWith(prefix))
    .sort()
    .map((f) => ({ file: f, body: parseJsonc(readFileSync(join(EXAMPLES, api, f), 'utf8')) }));
}

const parsers: Record<string, (b: unknown) => unknown> = {
  info: parseInfo,
  'nodes.info': (b) => parseNodesInfo(b),
  'cat.nodes': parseCatNodes,
  'cluster.health': parseHealth,
  'cluster.get_settings': (b) => parseClusterSettings(b),
  'cluster.put_settings': (b) => parseClusterSettings(b, 'PUT /_cluster/settings'),
  'license.get': parseLicense,
  'security.authenticate': parseAuthenticate,
};
for (const [api, parse] of Object.entries(parsers)) {
  test(`every ${api} response example parses`, (t) => {
    const ex = examples(api);
    t.true(ex.length > 0);
    for (const { file, body } of ex) t.notThrows(() => parse(body), file);
  });
}

test('parsed values are the ones in the examples', (t) => {
  const info = parseInfo(examples('info')[0].body);
  t.is(info.version.number, '9.1.0');
  t.is(info.cluster_uuid, 'zk-HjQtYQGyL3NFSSu7InA');
  t.is(info.version.minimum_wire_compatibility_version, '8.19.0');
  const [n] = parseNodesInfo(examples('nodes.info')[0].body);
  t.like(n, {
    id: 'USpTGYaBSIKbgSUJR2Z9lg',
    name: 'node-0',
    roles: ['master', 'data', 'ingest'],
    host: 'node-0.elastic.co',
  });
  t.true(isMasterEligible(n.roles));
  const [c] = parseCatNodes(examples('cat.nodes')[0].body);
  t.deepEqual(c, {
    id: undefined,
    name: 'mJw06l1',
    ip: '127.0.0.1',
    version: undefined,
    roles: 'cdfhilmrstw',
    elected: true,
  });
  t.true(isMasterEligible(c.roles));
  t.false(isMasterEligible('dil'));
  const h = parseHealth(examples('cluster.health')[0].body);
  t.like(h, { status: 'yellow', timed_out: false, number_of_nodes: 1, unassigned_shards: 1, relocating_shards: 0 });
  const gs = parseClusterSettings(examples('cluster.get_settings')[0].body);
  t.deepEqual(gs.persistent, {});
  t.is(gs.transient['indices.recovery.max_bytes_per_sec'], '50mb');
  const ps = examples('cluster.put_settings').map((e) => parseClusterSettings(e.body, 'PUT /_cluster/settings'));
  t.true(ps.every((p) => p.acknowledged === true));
  const lic = parseLicense(examples('license.get')[0].body);
  t.like(lic, { type: 'trial', status: 'active' });
  t.true(licenseAllowsRcs2(lic));
  t.false(licenseAllowsRcs2({ ...lic, type: 'platinum' }));
  const auths = examples('security.authenticate').map((e) => parseAuthenticate(e.body));
  t.deepEqual(
    auths.map((a) => [a.username, a.authentication_type]),
    [
      ['rdeniro', 'realm'],
      ['0000000001', 'token'],
      ['elastic/fleet-server', 'token'],
    ],
  );
  t.is(auths[0].authentication_realm?.type, 'file');
});

test('shapes ES documents but has no example for: cat master, has_privileges, flush, nodes settings', (t) => {
  t.deepEqual(parseCatMaster([{ id: 'Yz3-abc', host: '127.0.0.1', ip: '127.0.0.1', node: 'local-1' }]), {
    id: 'Yz3-abc',
    node: 'local-1',
    host: '127.0.0.1',
    ip: '127.0.0.1',
  });
  t.throws(() => parseCatMaster([]), { message: /GET \/_cat\/master: .*expected one elected master, got 0/ });
  const hp = parseHasPrivileges({
    username: 'crosskey',
    has_all_requested: false,
    cluster: { manage: true, manage_security: false },
    index: {},
    application: {},
  });
  t.deepEqual(hp.missing, ['manage_security']);
  t.deepEqual(parseFlush({ _shards: { total: 4, successful: 4, failed: 0 } }), { total: 4, successful: 4, failed: 0 });
  const ns = parseNodesSettings({
    nodes: { a1: { name: 'n1', settings: { 'cluster.name': 'x', path: { home: '/es' } } } },
  });
  t.deepEqual(ns, [{ id: 'a1', name: 'n1', settings: { 'cluster.name': 'x', 'path.home': '/es' } }]);
});

test('malformed answers: clear errors naming the API and field', (t) => {
  t.throws(() => parseHealth({ cluster_name: 'c', status: 'purple' }), {
    instanceOf: ApiShapeError,
    message: /^GET \/_cluster\/health: unexpected answer: status should be one of green\|yellow\|red, got "purple"/,
  });
  t.throws(() => parseInfo({ name: 'x', version: {} }), {
    message: /^GET \/: unexpected answer: cluster_name should be a string, got undefined/,
  });
  t.throws(() => parseCatNodes({ nodes: [] }), {
    message: /^GET \/_cat\/nodes: unexpected answer: body should be a list, got object/,
  });
  t.throws(() => parseLicense({}), { message: /^GET \/_license: unexpected answer: license should be an object/ });
  t.throws(() => parseNodesInfo({ nodes: { x: { name: 'n', version: 8 } } }), {
    message: /GET \/_nodes: unexpected answer: nodes\.x\.version should be a string, got number/,
  });
  t.throws(() => durationMs('soon'), { message: /bad duration "soon"/ });
  t.is(durationMs('2m'), 120_000);
});

test('error examples map to EsError with status, type, reason, cause and fix', (t) => {
  const where = { label: 'local', method: 'GET', path: '/x', url: 'https://es:9200' };
  const files = readdirSync(join(EXAMPLES, 'errors')).filter((f) => /^\d{3}\./.test(f));
  t.true(files.length >= 5);
  for (const f of files) {
    const body = parseJsonc(readFileSync(join(EXAMPLES, 'errors', f), 'utf8')) as {
      error: { type: string };
      status: number;
    };
    const status = Number(f.slice(0, 3));
    const e = esErrorFromResponse(where, status, body);
    t.is(e.status, status, f);
    t.is(e.type, body.error.type, f);
    t.truthy(e.reason, f);
    t.regex(e.message, /^\[local\] GET \/x: \d{3} \w+: .+ — .+; fix: .+/, f);
  }
  const e401 = esErrorFromResponse(
    where,
    401,
    parseJsonc(
      readFileSync(join(EXAMPLES, 'errors', '401.security_exception.missing-authentication-credentials.json'), 'utf8'),
    ),
  );
  t.regex(e401.message, /bad credentials; fix: check es_user/);
  const frag = parseJsonc(
    readFileSync(
      join(EXAMPLES, 'errors', 'security_exception.no-remote-indices-privileges.error-object-fragment.json'),
      'utf8',
    ),
  ) as Record<string, unknown>;
  const e403 = esErrorFromResponse(where, 403, 'error' in frag ? frag : { error: frag });
  t.regex(e403.message, /remote cluster privileges|lacks a privilege/);
});

// A recorded-answer EsApi: what a real cluster answered, replayed (the real client is tested in
// elastic-client.test.ts).
function recorded(answers: Array<EsResponse<unknown>>): EsApi & { requests: EsRequest[] } {
  const requests: EsRequest[] = [];
  return {
    label: 'local',
    url: 'https://es:9200',
    requests,
    async request<T>(req: EsRequest) {
      requests.push(req);
      return answers.shift() as EsResponse<T>;
    },
  };
}

test('clusterHealth: wait params go to the server; 408 is an answer with timed_out; client timeout exceeds the wait', async (t) => {
  const body = { ...(examples('cluster.health')[0].body as object), timed_out: true };
  const es = recorded([{ status: 408, body }]);
  const h = await clusterHealth(es, {
    waitForStatus: 'green',
    waitForNoRelocatingShards: true,
    waitForNoInitializingShards: true,
    timeout: '30s',
  });
  t.true(h.timed_out);
  t.is(h.status, 'yellow');
  t.deepEqual(es.requests[0].okStatuses, [408]);
  t.like(es.requests[0].query, {
    wait_for_status: 'green',
    wait_for_no_relocating_shards: true,
    wait_for_no_initializing_shards: true,
    timeout: '30s',
  });
  t.true((es.requests[0].timeoutMs ?? 0) > 30_000);
});

test('putClusterSettings: not acknowledged is an error; allocationEnable reads transient over persistent', async (t) => {
  const es = recorded([{ status: 200, body: { acknowledged: false, persistent: {}, transient: {} } }]);
  await t.throwsAsync(putClusterSettings(es, { persistent: { 'cluster.routing.allocation.enable': 'primaries' } }), {
    instanceOf: NotAcknowledgedError,
    message: /\[local\] PUT \/_cluster\/settings: the cluster did not acknowledge/,
  });
  t.is(allocationEnable({ persistent: {}, transient: {} }), 'all');
  t.is(
    allocationEnable({ persistent: { 'cluster.routing.allocation.enable': 'primaries' }, transient: {} }),
    'primaries',
  );
  t.is(
    allocationEnable({
      persistent: { 'cluster.routing.allocation.enable': 'primaries' },
      transient: { 'cluster.routing.allocation.enable': 'none' },
    }),
    'none',
  );
  const es2 = recorded([{ status: 200, body: examples('cat.nodes')[0].body }]);
  await catNodes(es2);
  t.like(es2.requests[0].query, { h: 'id,name,ip,version,node.role,master', format: 'json', full_id: true });
});
