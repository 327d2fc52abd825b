// Lab core REST API against a running lab (2 clusters × 3 nodes over real HTTPS): answers have the field names
// and types of Elastic's published examples, ES's errors and status codes, server-side health waits, restarts
// (yellow → green; `primaries` keeps yellow), faults, and the official client. One lab, torn down always.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { labUp } from '../../lab/up.js';
import { labDown, labFault } from '../../lab/ops.js';
import { labHttp } from '../../lab/http-client.js';
import { readFaults } from '../../lab/node/process/faults.js';
import type { LabClusterEntry, LabFile, LabNodeEntry } from '../../lab/layout.js';
import { shapeDiff, EXAMPLES } from '../helpers/shape.js';

let lab: LabFile;
let dir: string;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lab-api-'));
  lab = (await labUp({ dir, nodes: 3, startDelayMs: 200, recoveryMs: 600 })).lab;
});
test.after.always(async () => {
  if (lab) await labDown(dir).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

const cl = (name: string) => lab.clusters.find((c) => c.name === name)!;
function http(
  c: LabClusterEntry,
  method: string,
  path: string,
  body?: unknown,
  opts: { node?: LabNodeEntry; auth?: string | null } = {},
) {
  const url = opts.node ? `https://${opts.node.address}:${opts.node.httpPort}` : c.url;
  return labHttp(
    { url, user: c.user, passwordFile: c.passwordFile, caCert: lab.caCert },
    method,
    path,
    body,
    opts.auth !== undefined ? { auth: opts.auth } : {},
  );
}
function example(api: string, file: string): unknown {
  return JSON.parse(readFileSync(join(EXAMPLES, api, file), 'utf8'));
}
function examples(api: string, prefix: string): Array<[string, unknown]> {
  return readdirSync(join(EXAMPLES, api))
    .filter((f) => f.startsWith(prefix))
    .sort()
    .map((f) => [f, example(api, f)]);
}

test.serial('GET /, health, license, authenticate, nodes, cat nodes: shapes of the published examples', async (t) => {
  const local = cl('local');
  // every published response of each endpoint (security.authenticate examples 2 and 3 are token logins —
  // SAML and service accounts — which the lab does not simulate; their extra `token` field is the difference)
  const endpoints: Array<[string, string, string[], (f: string) => boolean]> = [
    ['/', 'info', [], () => true],
    ['/_cluster/health', 'cluster.health', [], () => true],
    ['/_license', 'license.get', [], () => true],
    ['/_security/_authenticate', 'security.authenticate', [], (f) => f.includes('Example1')],
    ['/_nodes', 'nodes.info', ['nodes'], () => true],
    ['/_cat/nodes?format=json', 'cat.nodes', [], () => true],
  ];
  let compared = 0;
  for (const [path, api, dyn, use] of endpoints) {
    const r = await http(local, 'GET', path);
    t.is(r.status, 200, `${path}: ${r.text}`);
    t.is(r.headers['x-elastic-product'], 'Elasticsearch');
    for (const [file, ex] of examples(api, 'response.').filter(([f]) => use(f))) {
      t.deepEqual(shapeDiff(r.json, ex, dyn), [], `${api}/${file} (${path})`);
      compared++;
    }
  }
  t.is(compared, 7);
  const info = (await http(local, 'GET', '/')).json as { version: { number: string }; cluster_name: string };
  t.is(info.version.number, '8.15.0');
  t.is(info.cluster_name, 'local');
  const nodes = (await http(local, 'GET', '/_nodes')).json as { nodes: Record<string, { name: string }> };
  t.deepEqual(
    Object.values(nodes.nodes)
      .map((n) => n.name)
      .sort(),
    ['local-1', 'local-2', 'local-3'],
  );
});

test.serial(
  "cluster settings: every published PUT example is accepted; GET answers in the examples' shapes",
  async (t) => {
    const remote = cl('remote');
    const order = [
      'add-three-remotes-sniff-and-proxy',
      'update-remote-compress-ping',
      'remove-remote-with-nulls',
      'add-remote-sniff-cluster_one',
      'migrate-readd-proxy-remote',
      'transient-update',
      'reset-setting-null',
      'transient-to-persistent-migration',
      'ClusterPutSettingsRequestExample1',
      'ClusterPutSettingsRequestExample2',
    ];
    const requests = examples('cluster.put_settings', 'request.');
    t.is(requests.length, order.length, 'every request example is exercised');
    for (const key of order) {
      const [file, body] = requests.find(([f]) => f.includes(key))!;
      // flat_settings=true: the published responses are flat (transient-update-flat_settings)
      const r = await http(remote, 'PUT', '/_cluster/settings?flat_settings=true', body);
      t.is(r.status, 200, `${file}: ${r.text}`);
      for (const [resp, ex] of examples('cluster.put_settings', 'response.'))
        t.deepEqual(shapeDiff(r.json, ex, ['persistent', 'transient']), [], `${file} vs ${resp}`);
    }
    const nestedPut = (
      await http(remote, 'PUT', '/_cluster/settings', {
        persistent: { 'cluster.remote.cluster_one.skip_unavailable': true },
      })
    ).json as any;
    t.deepEqual(
      nestedPut.persistent,
      { cluster: { remote: { cluster_one: { skip_unavailable: 'true' } } } },
      'nested by default, values as strings',
    );
    const flat = await http(remote, 'GET', '/_cluster/settings?flat_settings=true');
    const s = flat.json as { persistent: Record<string, unknown>; transient: Record<string, unknown> };
    t.is(s.persistent['cluster.remote.my_remote.proxy_address'], 'my.remote.cluster.com:9443');
    t.deepEqual(s.persistent['cluster.remote.cluster_one.seeds'], ['127.0.0.1:9443']);
    t.is(s.persistent['cluster.remote.cluster_two.mode'], undefined, 'nulls removed cluster_two');
    t.is(s.persistent['cluster.indices.close.enable'], 'false', 'values come back as strings');
    t.deepEqual(s.transient, {}, '"*": null cleared transient');
    const ex = example('cluster.get_settings', 'response.es-docs.flat_settings-filter_path-transient.json');
    await http(remote, 'PUT', '/_cluster/settings', { transient: { 'indices.recovery.max_bytes_per_sec': '50mb' } });
    const filtered = await http(remote, 'GET', '/_cluster/settings?flat_settings=true&filter_path=transient');
    t.deepEqual(shapeDiff(filtered.json, ex, ['transient']), []);
    t.deepEqual(Object.keys(filtered.json as object), ['transient']);
    const nested = (await http(remote, 'GET', '/_cluster/settings?filter_path=persistent.cluster.remote')).json as any;
    t.is(nested.persistent.cluster.remote.my_remote.mode, 'proxy');
    const defaults = (await http(remote, 'GET', '/_cluster/settings?include_defaults=true&flat_settings=true'))
      .json as any;
    t.is(defaults.defaults['cluster.routing.allocation.enable'], 'all');
    t.is(
      typeof defaults.defaults['network.host'],
      'string',
      "defaults carry the node's elasticsearch.yml values, as ES does",
    );
    // wildcard null, then clean up
    const wipe = await http(remote, 'PUT', '/_cluster/settings', {
      persistent: {
        'cluster.remote.*': null,
        'cluster.indices.close.enable': null,
        'indices.recovery.max_bytes_per_sec': null,
        'action.auto_create_index': null,
      },
      transient: { '*': null },
    });
    t.is(wipe.status, 200, wipe.text);
    t.deepEqual((await http(remote, 'GET', '/_cluster/settings')).json, { persistent: {}, transient: {} });
  },
);

test.serial('ES errors: 401 as published, unknown endpoint/parameter, settings validation', async (t) => {
  const local = cl('local');
  const anon = await http(local, 'GET', '/', undefined, { auth: null });
  t.is(anon.status, 401);
  t.deepEqual(anon.json, example('errors', '401.security_exception.missing-authentication-credentials.json'));
  t.truthy(anon.headers['www-authenticate']);
  const bad = await http(local, 'GET', '/_cluster/health', undefined, {
    auth: 'Basic ' + Buffer.from('crosskey:wrong').toString('base64'),
  });
  t.is(bad.status, 401);
  t.is((bad.json as any).error.reason, 'unable to authenticate user [crosskey] for REST request [/_cluster/health]');
  const unknown = await http(local, 'GET', '/_not_simulated');
  t.is(unknown.status, 400);
  t.regex(
    (unknown.json as any).error.reason,
    /no handler found for uri \[\/_not_simulated\] and method \[GET\] \(the crosskey lab does not simulate this endpoint\)/,
  );
  const param = await http(local, 'GET', '/_cluster/health?bogus=1');
  t.is(param.status, 400);
  t.is((param.json as any).error.reason, 'request [/_cluster/health] contains unrecognized parameter: [bogus]');
  t.deepEqual(
    shapeDiff(param.json, example('errors', '400.illegal_argument_exception.invalid-size-param.json')).filter(
      (d) => !d.startsWith('error.caused_by'),
    ),
    [],
  );
  const cases: Array<[unknown, string]> = [
    [{ persistent: { 'cluster.remote.x.foo': 'a' } }, 'persistent setting [cluster.remote.x.foo], not recognized'],
    [
      { transient: { 'xpack.security.enabled': false } },
      'transient setting [xpack.security.enabled], not dynamically updateable',
    ],
    [
      { persistent: { 'cluster.remote.x.mode': 'proxy', 'cluster.remote.x.seeds': ['a:9300'] } },
      'Setting "cluster.remote.x.seeds" cannot be used with the configured "cluster.remote.x.mode" [required=SNIFF, configured=PROXY]',
    ],
    [
      { persistent: { 'cluster.remote.x.proxy_address': 'a:9443' } },
      'Setting "cluster.remote.x.proxy_address" cannot be used with the configured "cluster.remote.x.mode" [required=PROXY, configured=SNIFF]',
    ],
    [
      { persistent: { 'cluster.remote.x.skip_unavailable': true } },
      'Cannot configure setting [cluster.remote.x.skip_unavailable] if remote cluster is not enabled.',
    ],
    [
      { persistent: { 'cluster.routing.allocation.enable': 'sometimes' } },
      "illegal value can't update [cluster.routing.allocation.enable] from [all] to [sometimes]",
    ],
  ];
  for (const [body, reason] of cases) {
    const r = await http(local, 'PUT', '/_cluster/settings', body);
    t.is(r.status, 400, JSON.stringify(body));
    t.is((r.json as any).error.type, 'illegal_argument_exception');
    t.is((r.json as any).error.reason, reason);
  }
});

test.serial('the official client works against the lab (product header, TLS with the lab CA)', async (t) => {
  const local = cl('local');
  const client = new Client({
    node: local.url,
    auth: { username: local.user, password: readFileSync(local.passwordFile, 'utf8').trim() },
    tls: { ca: readFileSync(lab.caCert) },
  });
  t.teardown(() => client.close());
  const info = await client.info();
  t.is(info.version.number, '8.15.0');
  const health = await client.cluster.health({ wait_for_status: 'green', timeout: '30s' });
  t.is(health.status, 'green');
  const cat = await client.cat.nodes({ format: 'json', h: 'name,master,node.role', full_id: true });
  t.is(cat.length, 3);
  t.is(cat.filter((n) => n.master === '*').length, 1);
});

test.serial('health waits are answered server-side; 408 with timed_out on timeout', async (t) => {
  const local = cl('local');
  const t0 = Date.now();
  const r = await http(local, 'GET', '/_cluster/health?wait_for_nodes=5&timeout=700ms');
  t.is(r.status, 408);
  t.true((r.json as any).timed_out);
  t.true(Date.now() - t0 >= 650);
  const ok = await http(
    local,
    'GET',
    '/_cluster/health?wait_for_status=green&wait_for_nodes=3&wait_for_no_relocating_shards=true&wait_for_no_initializing_shards=true&timeout=30s',
  );
  t.is(ok.status, 200);
  t.is((ok.json as any).status, 'green');
  const level = (await http(local, 'GET', '/_cluster/health/local-*?level=indices')).json as any;
  t.deepEqual(Object.keys(level.indices).sort(), ['local-logs', 'local-metrics']);
  t.deepEqual(level.indices['local-logs'], {
    status: 'green',
    number_of_shards: 2,
    number_of_replicas: 1,
    active_primary_shards: 2,
    active_shards: 4,
    relocating_shards: 0,
    initializing_shards: 0,
    unassigned_shards: 0,
  });
});

function service(n: LabNodeEntry, action: string): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(join(n.home, 'bin', 'elasticsearch-service'), [action], { stdio: 'ignore' });
    p.on('close', (code) => resolve(code ?? -1));
  });
}

test.serial(
  'restart one node: yellow, then green after recovery; with allocation `primaries` yellow until restored',
  async (t) => {
    const local = cl('local');
    const [n1, , n3] = local.nodes;
    t.is(await service(n3!, 'stop'), 0);
    t.is(await service(n3!, 'status'), 3);
    // Health of the lab's own indices (1 replica each); the follower indices have no replica and go red.
    const yellow = await http(
      local,
      'GET',
      '/_cluster/health/local-logs,local-metrics?wait_for_nodes=2&timeout=10s',
      undefined,
      { node: n1 },
    );
    t.is((yellow.json as any).status, 'yellow');
    t.is((yellow.json as any).number_of_nodes, 2);
    t.is(await service(n3!, 'start'), 0);
    t.is(await service(n3!, 'status'), 0);
    const green = await http(
      local,
      'GET',
      '/_cluster/health?wait_for_status=green&wait_for_nodes=3&timeout=30s',
      undefined,
      { node: n1 },
    );
    t.is(green.status, 200, green.text);

    t.is(
      (
        await http(local, 'PUT', '/_cluster/settings', {
          persistent: { 'cluster.routing.allocation.enable': 'primaries' },
        })
      ).status,
      200,
    );
    t.is(await service(n3!, 'restart'), 0);
    const still = await http(
      local,
      'GET',
      '/_cluster/health/local-logs,local-metrics?wait_for_status=green&wait_for_nodes=3&timeout=2500ms',
      undefined,
      { node: n1 },
    );
    t.is(still.status, 408);
    t.is((still.json as any).status, 'yellow');
    t.true((still.json as any).unassigned_shards > 0);
    t.is(
      (await http(local, 'PUT', '/_cluster/settings', { persistent: { 'cluster.routing.allocation.enable': null } }))
        .status,
      200,
    );
    const back = await http(local, 'GET', '/_cluster/health?wait_for_status=green&timeout=30s', undefined, {
      node: n1,
    });
    t.is(back.status, 200, back.text);
  },
);

test.serial('cat APIs, nodes settings, flush, and the http-429 fault', async (t) => {
  const local = cl('local');
  const text = await http(local, 'GET', '/_cat/nodes?v&h=name,master');
  t.regex(text.text, /^name\s+master\n/);
  t.is(text.text.trim().split('\n').length, 4);
  const master = (await http(local, 'GET', '/_cat/master?format=json')).json as Array<{ node: string }>;
  t.is(master.length, 1);
  const health = (await http(local, 'GET', '/_cat/health?format=json')).json as Array<Record<string, string>>;
  t.is(health[0]!.status, 'green');
  const settings = (
    await http(local, 'GET', '/_nodes/settings?flat_settings=true&filter_path=nodes.*.name,nodes.*.settings')
  ).json as any;
  const one = Object.values(settings.nodes)[0] as any;
  t.is(one.settings['xpack.security.transport.ssl.keystore.path'], 'certs/transport.p12');
  t.false(JSON.stringify(settings).includes('secure_password'), 'secure settings never shown');
  const localOnly = (await http(local, 'GET', '/_nodes/_local', undefined, { node: local.nodes[1] })).json as any;
  t.deepEqual(
    Object.values(localOnly.nodes).map((n: any) => n.name),
    ['local-2'],
  );
  const flush = (await http(local, 'POST', '/_flush')).json as any;
  t.is(flush._shards.failed, 0);
  t.true(flush._shards.total > 0);
  const n2 = local.nodes[1]!;
  await labFault(dir, n2.name, 'http-429', { count: 2 });
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await http(local, 'GET', '/', undefined, { node: n2 })).status);
  t.deepEqual(statuses, [429, 429, 200]);
  t.is(readFaults(n2.home)['http-429'], undefined, 'a counted fault is used up');
});

test.serial("faults: stall-recovery holds a returning node's recoveries; http-503 answers ES's 503", async (t) => {
  const local = cl('local');
  const [n1, n2] = local.nodes;
  await labFault(dir, n2!.name, 'stall-recovery', {});
  t.is(await service(n2!, 'restart'), 0);
  const stalled = await http(
    local,
    'GET',
    '/_cluster/health/local-logs,local-metrics?wait_for_status=green&timeout=2500ms',
    undefined,
    { node: n1 },
  );
  t.is(stalled.status, 408);
  t.true((stalled.json as any).initializing_shards > 0 || (stalled.json as any).unassigned_shards > 0);
  await labFault(dir, n2!.name, 'stall-recovery', { clear: true });
  const green = await http(
    local,
    'GET',
    '/_cluster/health/local-logs,local-metrics?wait_for_status=green&timeout=30s',
    undefined,
    { node: n1 },
  );
  t.is(green.status, 200, green.text);
  await labFault(dir, n2!.name, 'http-503', { count: 1 });
  const unavailable = await http(local, 'GET', '/_cluster/health', undefined, { node: n2 });
  t.is(unavailable.status, 503);
  t.is((unavailable.json as any).error.type, 'master_not_discovered_exception');
  t.is((await http(local, 'GET', '/_cluster/health', undefined, { node: n2 })).status, 200);
});
