// Lab tasks and security APIs against a running lab (2 × 2 nodes, initial state from `lab up`):
// answers in the shapes of the published examples; stopping tasks before cutting the alias keeps the disruption
// count at 0, cutting it under running tasks raises it (shown by `lab status --json`); tasks created by a REST API
// key keep the privileges the key had. One lab, torn down always.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labUp } from '../../lab/up.js';
import { labDown, labStatus } from '../../lab/ops.js';
import { labHttp } from '../../lab/http-client.js';
import type { LabClusterEntry, LabFile } from '../../lab/layout.js';
import { CUSTOM_FOLLOW_PARAMETERS, REMOTE_ALIAS, TASK_USER, waitConnected } from '../../lab/setup/initial-state.js';
import { shapeDiff, examplesOf, EXAMPLES } from '../helpers/shape.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let lab: LabFile;
let dir: string;

function cl(name: string): LabClusterEntry {
  return lab.clusters.find((c) => c.name === name)!;
}
async function http(c: LabClusterEntry, method: string, path: string, body?: unknown, auth?: string) {
  return labHttp(
    { url: c.url, user: c.user, passwordFile: c.passwordFile, caCert: lab.caCert },
    method,
    path,
    body,
    auth ? { auth } : {},
  );
}
async function ok(c: LabClusterEntry, method: string, path: string, body?: unknown, auth?: string) {
  const r = await http(c, method, path, body, auth);
  if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${r.text}`);
  return r.json as any;
}
function taskAuth(): string {
  const pw = readFileSync(join(lab.dir, 'credentials', `local-${TASK_USER}-password`), 'utf8').trim();
  return 'Basic ' + Buffer.from(`${TASK_USER}:${pw}`).toString('base64');
}
const disruptions = () => labStatus(dir).clusters.find((c) => c.name === 'local')!.counters.disruptions;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ck-lab-tasks-'));
  lab = (await labUp({ dir, nodes: 2, startDelayMs: 200, recoveryMs: 200 })).lab;
});
test.after.always(async () => {
  if (lab) await labDown(dir).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

test.serial(
  "initial state: tasks run through the alias as their owner; answers have the examples' shapes",
  async (t) => {
    const local = cl('local');
    const remote = cl('remote');
    await sleep(1200); // a couple of ticks
    const checks: Array<[string, string, string]> = [
      ['transform.get_transform', 'GET', '/_transform/_all'],
      ['ml.get_jobs', 'GET', '/_ml/anomaly_detectors/_all'],
      ['ml.get_datafeeds', 'GET', '/_ml/datafeeds/_all'],
      ['ml.get_datafeed_stats', 'GET', '/_ml/datafeeds/_all/_stats'],
      ['ccr.follow_info', 'GET', '/_all/_ccr/info'],
      ['ccr.follow_stats', 'GET', '/leader-index-follower/_ccr/stats'],
      ['ccr.get_auto_follow_pattern', 'GET', '/_ccr/auto_follow'],
      ['ccr.stats', 'GET', '/_ccr/stats'],
      ['security.get_role', 'GET', '/_security/role/remote_search'],
    ];
    for (const [api, method, path] of checks) {
      const r = await ok(local, method, path);
      for (const [file, ex] of examplesOf(api)) {
        const exBody = api === 'security.get_role' ? { remote_search: Object.values(ex as object)[0] } : ex;
        t.deepEqual(
          shapeDiff(r, exBody).filter(
            (d) =>
              !/\.(description|retention_policy|pipeline|groups|finished_time|model_plot_config|custom_settings|model_snapshot_id|analysis_limits|detectors\[\d+\]\.(field_name|over_field_name|detector_index)|influencers|categorization_examples_limit|query\.bool|field_security|metadata\.version)/.test(
                d,
              ) &&
              !/^transforms\[\d+\]\.(dest\.pipeline|retention_policy|description|sync|source\.query\.|pivot\.(group_by|aggregations)\.)/.test(
                d,
              ),
          ),
          [],
          `${api} ${file}`,
        );
      }
    }
    const tr = (await ok(local, 'GET', '/_transform/remote-logs-summary')).transforms[0];
    t.deepEqual(tr.authorization, { roles: ['remote_search', 'remote_replication'] });
    const stats = (await ok(local, 'GET', '/_transform/remote-logs-summary/_stats')).transforms[0];
    t.is(stats.state, 'started');
    t.true(stats.checkpointing.last.checkpoint >= 1, 'reads through the alias succeed');
    const info = (await ok(local, 'GET', '/_all/_ccr/info')).follower_indices;
    t.deepEqual(
      info.map((f: any) => f.follower_index),
      ['archive-001-follower', 'leader-custom-follower', 'leader-index-follower'],
    );
    const custom = info.find((f: any) => f.follower_index === 'leader-custom-follower');
    for (const [k, v] of Object.entries(CUSTOM_FOLLOW_PARAMETERS)) t.is(custom.parameters[k], v);
    // security answers (remote cluster: cross-cluster keys)
    const created = await ok(
      remote,
      'POST',
      '/_security/cross_cluster/api_key',
      JSON.parse(
        readFileSync(
          join(
            EXAMPLES,
            'security.create_cross_cluster_api_key/request.spec.CreateCrossClusterApiKeyRequestExample1.json',
          ),
          'utf8',
        ),
      ),
    );
    t.deepEqual(
      shapeDiff(
        created,
        examplesOf('security.create_cross_cluster_api_key').find(([f]) => f.includes('with-expiration'))![1],
      ),
      [],
    );
    const got = await ok(remote, 'GET', `/_security/api_key?id=${created.id}`);
    t.deepEqual(
      shapeDiff(got, examplesOf('security.get_api_key').find(([f]) => f.includes('search-and-replication'))![1]),
      [],
    );
    t.deepEqual(got.api_keys[0].role_descriptors.cross_cluster.cluster, [
      'cross_cluster_search',
      'monitor_enrich',
      'cross_cluster_replication',
    ]);
    const upd = await ok(
      remote,
      'PUT',
      `/_security/cross_cluster/api_key/${created.id}`,
      JSON.parse(
        readFileSync(
          join(
            EXAMPLES,
            'security.update_cross_cluster_api_key/request.spec.UpdateCrossClusterApiKeyRequestExample1.json',
          ),
          'utf8',
        ),
      ),
    );
    t.deepEqual(upd, { updated: true });
    const q = await ok(remote, 'POST', '/_security/_query/api_key', {
      query: { bool: { filter: [{ term: { type: 'cross_cluster' } }, { prefix: { name: 'my-cross' } }] } },
    });
    t.deepEqual(
      q.api_keys.map((k: any) => k.id),
      [created.id],
    );
    const byName = await ok(remote, 'GET', '/_security/api_key?name=my-cross*&active_only=true');
    t.is(byName.api_keys.length, 1);
    const inv = await ok(remote, 'DELETE', '/_security/api_key', { name: 'my-cross-cluster-api-key' });
    t.deepEqual(inv.invalidated_api_keys, [created.id]);
    t.is((await ok(remote, 'GET', '/_security/api_key?name=my-cross*&active_only=true')).api_keys.length, 0);
    const reload = await ok(local, 'POST', '/_nodes/reload_secure_settings');
    t.deepEqual(Object.keys(reload).sort(), ['_nodes', 'cluster_name', 'nodes']);
    t.is(reload._nodes.successful, local.nodes.length);
  },
);

test.serial(
  'stopping the tasks first keeps disruptions at 0; resume with the captured parameters; cutting the alias under running tasks raises them',
  async (t) => {
    const local = cl('local');
    const as = taskAuth();
    t.is(disruptions(), 0);
    // capture, then stop everything that reads through the alias
    const before = (await ok(local, 'GET', '/_all/_ccr/info')).follower_indices as Array<{
      follower_index: string;
      parameters: Record<string, unknown>;
    }>;
    await ok(local, 'POST', '/_ccr/auto_follow/archive-pattern/pause', undefined, as);
    for (const f of before) await ok(local, 'POST', `/${f.follower_index}/_ccr/pause_follow`, undefined, as);
    await ok(local, 'POST', '/_transform/remote-logs-summary/_stop?wait_for_completion=true', undefined, as);
    await ok(local, 'POST', '/_ml/anomaly_detectors/remote-logs-rate/_close', undefined, as);
    t.is(
      (await ok(local, 'GET', '/_ml/datafeeds/datafeed-remote-logs-rate/_stats')).datafeeds[0].state,
      'stopped',
      'closing the job stopped its datafeed',
    );
    t.false(
      'parameters' in (await ok(local, 'GET', '/leader-custom-follower/_ccr/info')).follower_indices[0],
      'paused followers show no parameters',
    );
    const again = await http(local, 'POST', '/leader-custom-follower/_ccr/pause_follow', undefined, as);
    t.is(again.status, 400);
    // cut the alias, wait several ticks, put it back
    const saved = (await ok(local, 'GET', '/_cluster/settings?flat_settings=true')).persistent;
    await ok(local, 'PUT', '/_cluster/settings', { persistent: { [`cluster.remote.${REMOTE_ALIAS}.*`]: null } });
    await sleep(1500);
    t.is(disruptions(), 0);
    // resuming needs the alias: ES checks the leader / source through it with the task's identity
    const early = await http(
      local,
      'POST',
      '/leader-index-follower/_ccr/resume_follow',
      before.find((f) => f.follower_index === 'leader-index-follower')!.parameters,
      as,
    );
    t.is(early.status, 404);
    t.is((early.json as any).error.reason, `no such remote cluster: [${REMOTE_ALIAS}]`);
    t.is((await http(local, 'POST', '/_transform/remote-logs-summary/_start', undefined, as)).status, 404);
    t.is(disruptions(), 0, 'refused requests are not disruptions');
    await ok(local, 'PUT', '/_cluster/settings', {
      persistent: Object.fromEntries(
        Object.entries(saved).filter(([k]) => k.startsWith(`cluster.remote.${REMOTE_ALIAS}.`)),
      ),
    });
    await waitConnected(lab, local, REMOTE_ALIAS);
    // resume as the same user, with the captured parameters
    await ok(local, 'POST', '/_ml/anomaly_detectors/remote-logs-rate/_open', undefined, as);
    await ok(local, 'POST', '/_ml/datafeeds/datafeed-remote-logs-rate/_start', undefined, as);
    await ok(local, 'POST', '/_transform/remote-logs-summary/_start', undefined, as);
    const restarted = await http(local, 'POST', '/_transform/remote-logs-summary/_start', undefined, as);
    t.is(restarted.status, 409);
    for (const f of before) await ok(local, 'POST', `/${f.follower_index}/_ccr/resume_follow`, f.parameters, as);
    await ok(local, 'POST', '/_ccr/auto_follow/archive-pattern/resume', undefined, as);
    t.deepEqual(
      (await ok(local, 'GET', '/_all/_ccr/info')).follower_indices.map((f: any) => f.parameters),
      before.map((f) => f.parameters),
    );
    await sleep(1200);
    t.is(disruptions(), 0);

    // now cut it while everything runs
    await ok(local, 'PUT', '/_cluster/settings', { persistent: { [`cluster.remote.${REMOTE_ALIAS}.*`]: null } });
    const deadline = Date.now() + 10_000;
    while (disruptions() < 5 && Date.now() < deadline) await sleep(200);
    const status = labStatus(dir).clusters.find((c) => c.name === 'local')!;
    t.true(status.counters.disruptions >= 5, JSON.stringify(status.counters));
    const state = JSON.parse(readFileSync(join(local.dir, 'state.json'), 'utf8'));
    const kinds = new Set(state.counters.disruption_log.map((d: any) => d.task_type));
    for (const k of ['transform', 'datafeed', 'follower', 'auto_follow']) t.true(kinds.has(k), k);
    const tr = (await ok(local, 'GET', '/_transform/remote-logs-summary/_stats')).transforms[0];
    t.is(tr.state, 'failed');
    t.regex(tr.reason, /no such remote cluster: \[my_remote\]/);
    t.is(
      (await http(local, 'POST', '/_transform/remote-logs-summary/_stop', undefined, as)).status,
      409,
      'a failed transform needs force',
    );
    const df = (await ok(local, 'GET', '/_ml/datafeeds/datafeed-remote-logs-rate/_stats')).datafeeds[0];
    t.is(df.state, 'stopped');
    const local2 = (await ok(local, 'GET', '/_transform/local-metrics-summary/_stats')).transforms[0];
    t.is(local2.state, 'started', 'the local-only transform is not affected');
    // put the alias back for the next test
    await ok(local, 'PUT', '/_cluster/settings', {
      persistent: Object.fromEntries(
        Object.entries(saved).filter(([k]) => k.startsWith(`cluster.remote.${REMOTE_ALIAS}.`)),
      ),
    });
    await waitConnected(lab, local, REMOTE_ALIAS);
    await ok(local, 'POST', '/_transform/remote-logs-summary/_stop?force=true', undefined, as);
  },
);

test.serial('a transform created with a REST API key keeps the privileges the key had', async (t) => {
  const local = cl('local');
  const as = taskAuth();
  // Under RCS1 an API key's own descriptors are evaluated by the remote: the local role must name the remote indices.
  const role = (await ok(local, 'GET', '/_security/role/remote_search')).remote_search;
  const { transient_metadata: _tm, ...editable } = role;
  await ok(local, 'PUT', '/_security/role/remote_search', {
    ...editable,
    indices: [
      ...role.indices,
      { names: ['logs-*'], privileges: ['read', 'read_cross_cluster', 'view_index_metadata'] },
    ],
  });
  const key = await ok(local, 'POST', '/_security/api_key', { name: 'transform-key' }, as);
  const byKey = `ApiKey ${key.encoded}`;
  t.is((await ok(local, 'GET', '/_security/_authenticate', undefined, byKey)).authentication_type, 'api_key');
  await ok(
    local,
    'PUT',
    '/_transform/key-transform',
    {
      source: { index: [`${REMOTE_ALIAS}:logs-*`] },
      dest: { index: 'key-transform-summary' },
      pivot: { group_by: { h: { terms: { field: 'h' } } }, aggregations: { n: { value_count: { field: 'h' } } } },
    },
    byKey,
  );
  t.deepEqual((await ok(local, 'GET', '/_transform/key-transform')).transforms[0].authorization, {
    api_key: { id: key.id, name: 'transform-key' },
  });
  await ok(local, 'POST', '/_transform/key-transform/_start', undefined, byKey);
  // the owner's role loses the grant; the key's snapshot (and the task's) still has it
  await ok(local, 'PUT', '/_security/role/remote_search', editable);
  const base = disruptions();
  await sleep(1500);
  const st = (await ok(local, 'GET', '/_transform/key-transform/_stats')).transforms[0];
  t.is(st.state, 'started', JSON.stringify(st));
  t.true(st.checkpointing.last.checkpoint >= 2);
  t.is(disruptions(), base);
  // a key created now has no such grant: ES checks the source with the stored identity when the transform starts
  const key2 = await ok(local, 'POST', '/_security/api_key', { name: 'transform-key-2' }, as);
  await ok(
    local,
    'PUT',
    '/_transform/key-transform-2',
    {
      source: { index: [`${REMOTE_ALIAS}:logs-*`] },
      dest: { index: 'k2' },
      pivot: { group_by: { h: { terms: { field: 'h' } } }, aggregations: { n: { value_count: { field: 'h' } } } },
    },
    `ApiKey ${key2.encoded}`,
  );
  const start2 = await http(local, 'POST', '/_transform/key-transform-2/_start', undefined, `ApiKey ${key2.encoded}`);
  t.is(start2.status, 403);
  t.regex(
    (start2.json as any).error.reason,
    /is unauthorized for API key id \[.+\] of user \[task_runner\] on indices \[logs-\*\], this action is granted by the index privileges \[read,all\]/,
  );
  t.is(disruptions(), base);

  // RCS1: the remote cluster's role of the same name decides. Deleting it there fails the running role-based
  // transform at its next read (a disruption); the key-based one runs on with the key's own descriptors.
  await ok(local, 'POST', '/_transform/remote-logs-summary/_start', undefined, as);
  await ok(cl('remote'), 'DELETE', '/_security/role/remote_search');
  const deadline = Date.now() + 5000;
  let st2: any;
  do {
    await sleep(300);
    st2 = (await ok(local, 'GET', '/_transform/remote-logs-summary/_stats')).transforms[0];
  } while (st2.state !== 'failed' && Date.now() < deadline);
  t.is(st2.state, 'failed');
  t.regex(
    st2.reason,
    /^task encountered irrecoverable failure: org\.elasticsearch\.ElasticsearchSecurityException: action \[indices:data\/read\/search\] is unauthorized for user \[task_runner\] with effective roles \[remote_replication\] \(assigned roles \[remote_search\] were not found\) on indices \[logs-\*\]/,
  );
  t.is(disruptions(), base + 1);
  t.is((await ok(local, 'GET', '/_transform/key-transform/_stats')).transforms[0].state, 'started');
});

test.serial(
  'lab up --static-remote: the alias lives in every local elasticsearch.yml, not in cluster settings',
  async (t) => {
    await labDown(dir);
    rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(join(tmpdir(), 'ck-lab-static-'));
    lab = (await labUp({ dir, nodes: 1, staticRemote: true, startDelayMs: 200, recoveryMs: 200 })).lab;
    const local = cl('local');
    for (const n of local.nodes)
      t.regex(
        readFileSync(join(n.configDir, 'elasticsearch.yml'), 'utf8'),
        new RegExp(`cluster\\.remote\\.${REMOTE_ALIAS}\\.seeds`),
      );
    t.deepEqual((await ok(local, 'GET', '/_cluster/settings?flat_settings=true')).persistent, {});
    const info = (await ok(local, 'GET', '/_remote/info'))[REMOTE_ALIAS];
    t.true(info.connected);
    t.false('cluster_credentials' in info);
    const settings = await ok(local, 'GET', '/_nodes/settings?flat_settings=true');
    const nodeSettings = Object.values(settings.nodes as Record<string, { settings: Record<string, unknown> }>)[0]!
      .settings;
    t.deepEqual(
      nodeSettings[`cluster.remote.${REMOTE_ALIAS}.seeds`],
      cl('remote').nodes.map((n) => `${n.address}:9300`),
    );
    await sleep(1000);
    t.true(
      (await ok(local, 'GET', '/_transform/remote-logs-summary/_stats')).transforms[0].checkpointing.last.checkpoint >=
        1,
    );
  },
);

test.serial(
  'reload_secure_settings with a password-protected keystore: wrong or missing password is a per-node reload_exception',
  async (t) => {
    const local = cl('local');
    const n = local.nodes[0]!;
    const run = (args: string[], stdin: string, env: Record<string, string> = {}) =>
      new Promise<{ code: number; out: string }>((resolve, reject) => {
        const p = spawn(join(n.home, 'bin', args[0]!), args.slice(1), {
          env: { ...process.env, ES_PATH_CONF: n.configDir, ...env },
        });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (out += d));
        p.on('error', reject);
        p.on('close', (code) => resolve({ code: code ?? -1, out }));
        p.stdin.end(stdin);
      });
    const pw = 'keystore-pass-123';
    t.is((await run(['elasticsearch-keystore', 'passwd'], `${pw}\n${pw}\n`)).code, 0);
    const passFile = join(dir, 'keystore-pass');
    writeFileSync(passFile, pw + '\n', { mode: 0o600 });
    const r = await run(['elasticsearch-service', 'restart'], '', { ES_KEYSTORE_PASSPHRASE_FILE: passFile });
    t.is(r.code, 0, r.out);
    await waitConnected(lab, local, REMOTE_ALIAS);
    const missing = await ok(local, 'POST', '/_nodes/reload_secure_settings');
    t.is(
      Object.values(missing.nodes as Record<string, any>)[0].reload_exception?.reason,
      'Provided keystore password was incorrect',
    );
    const wrong = await ok(local, 'POST', '/_nodes/reload_secure_settings', { secure_settings_password: 'nope-nope' });
    t.is(
      Object.values(wrong.nodes as Record<string, any>)[0].reload_exception?.reason,
      'Provided keystore password was incorrect',
    );
    const right = await ok(local, 'POST', '/_nodes/_local/reload_secure_settings', { secure_settings_password: pw });
    t.is(Object.values(right.nodes as Record<string, any>)[0].reload_exception, undefined);
    t.deepEqual(right._nodes, { total: 1, successful: 1, failed: 0 });
    const logs = readFileSync(join(n.home, 'logs', 'local.log'), 'utf8');
    t.false(logs.includes(pw), 'the keystore password is never logged');
  },
);
