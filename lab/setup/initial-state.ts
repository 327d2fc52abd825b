// The lab's starting point for a migration (called by `lab up` once both clusters are green):
// the local cluster connected to the remote one under the certificate model (RCS1) with the alias `my_remote`
// (persistent cluster settings; with `--static-remote` in every local node's elasticsearch.yml instead), leader
// indices on the remote, the roles the tasks run under defined on both clusters the RCS1 way (same names; the
// remote's copies grant the index access), and the cross-cluster tasks, created over REST by the user that owns
// them: two transforms (one through the alias, one local), an anomaly detection job + datafeed through the alias,
// an auto-follow pattern and two follower indices (one with custom parameters).
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { LabFile, LabClusterEntry } from '../layout.js';
import { labHttp, type LabHttpResponse } from '../http-client.js';
import { updateState } from '../node/state.js';
import { createIndex } from '../node/cluster.js';
import { hashPassword } from '../node/passwords.js';
import { start as serviceStart, stop as serviceStop } from '../node/service.js';

export const REMOTE_ALIAS = 'my_remote';
export const TASK_USER = 'task_runner';
export const LEADER_INDICES = ['logs-2026.11', 'leader-index', 'leader-custom', 'archive-001'];
export const CUSTOM_FOLLOW_PARAMETERS = {
  max_read_request_operation_count: 1024,
  max_outstanding_read_requests: 16,
  read_poll_timeout: '30s',
};

/** Roles of the tasks, local side: cluster privileges to manage the tasks, index privileges on local indices. */
const LOCAL_ROLES: Record<string, unknown> = {
  remote_search: {
    cluster: ['manage_transform', 'manage_ml', 'monitor', 'manage_own_api_key'],
    indices: [{ names: ['local-*', '*-summary', '.ml-*'], privileges: ['all'] }],
  },
  remote_replication: {
    cluster: ['manage_ccr', 'monitor'],
    indices: [{ names: ['*-follower'], privileges: ['monitor', 'read', 'write', 'manage_follow_index'] }],
  },
};
/** The same role names on the remote cluster: under RCS1 these grant the remote index access. */
const REMOTE_ROLES: Record<string, unknown> = {
  remote_search: {
    cluster: [],
    indices: [{ names: ['logs-*'], privileges: ['read', 'read_cross_cluster', 'view_index_metadata'] }],
  },
  remote_replication: {
    cluster: ['read_ccr'],
    indices: [{ names: ['leader-*', 'archive-*'], privileges: ['monitor', 'read'] }],
  },
};

function cluster(lab: LabFile, name: string): LabClusterEntry {
  const c = lab.clusters.find((x) => x.name === name);
  if (!c) throw new Error(`lab ${lab.dir} has no cluster [${name}]`);
  return c;
}

async function call(
  lab: LabFile,
  c: LabClusterEntry,
  method: string,
  path: string,
  body?: unknown,
  auth?: string,
  url = c.url,
): Promise<LabHttpResponse> {
  const r = await labHttp(
    { url, user: c.user, passwordFile: c.passwordFile, caCert: lab.caCert },
    method,
    path,
    body,
    auth ? { auth } : {},
  );
  if (r.status >= 300)
    throw new Error(`initial state: ${method} ${path} on ${c.name} → HTTP ${r.status} ${r.text.slice(0, 400)}`);
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until every node of `c` reports the alias connected in its own `_remote/info`. */
export async function waitConnected(
  lab: LabFile,
  c: LabClusterEntry,
  alias: string,
  timeoutMs = 30_000,
  wantCredentials = false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const n of c.nodes) {
    for (;;) {
      const r = await labHttp(
        { url: `https://${n.address}:${n.httpPort}`, user: c.user, passwordFile: c.passwordFile, caCert: lab.caCert },
        'GET',
        '/_remote/info',
      );
      const info = (r.json as Record<string, { connected?: boolean; cluster_credentials?: string }> | undefined)?.[
        alias
      ];
      if (info?.connected && (info.cluster_credentials === '::es_redacted::') === wantCredentials) break;
      if (Date.now() > deadline)
        throw new Error(`alias [${alias}] not connected on ${n.name} after ${timeoutMs} ms: ${r.text.slice(0, 300)}`);
      await sleep(150);
    }
  }
}

export async function applyInitialState(lab: LabFile): Promise<void> {
  const local = cluster(lab, 'local');
  const remote = cluster(lab, 'remote');
  const replicas = remote.nodes.length > 1 ? 1 : 0;

  // Leader indices on the remote (the lab's own index creation: the lab has no document APIs).
  await updateState(remote.dir, (s) => {
    for (const i of LEADER_INDICES) if (!s.indices[i]) createIndex(s, i, 1, replicas);
  });

  // Roles on both clusters, the RCS1 way.
  for (const [name, body] of Object.entries(LOCAL_ROLES))
    await call(lab, local, 'PUT', `/_security/role/${name}`, body);
  for (const [name, body] of Object.entries(REMOTE_ROLES))
    await call(lab, remote, 'PUT', `/_security/role/${name}`, body);

  // The user owning the tasks (its password next to the tool's, for tests and demos).
  const password = randomBytes(15).toString('base64url');
  const pwFile = join(lab.dir, 'credentials', `local-${TASK_USER}-password`);
  writeFileSync(pwFile, password + '\n', { mode: 0o600 });
  await updateState(local.dir, (s) => {
    s.security.users[TASK_USER] = {
      username: TASK_USER,
      roles: Object.keys(LOCAL_ROLES),
      full_name: 'owner of the lab cross-cluster tasks',
      email: null,
      metadata: {},
      enabled: true,
      password_hash: hashPassword(password),
    };
  });
  const taskAuth = 'Basic ' + Buffer.from(`${TASK_USER}:${password}`).toString('base64');

  // The alias, RCS1: sniff mode to the remote transport port.
  const seeds = remote.nodes.map((n) => `${n.address}:${n.transportPort}`);
  if (lab.staticRemote) {
    for (const n of local.nodes) {
      const yml = join(n.configDir, 'elasticsearch.yml');
      if (!readFileSync(yml, 'utf8').includes(`cluster.remote.${REMOTE_ALIAS}.`)) {
        appendFileSync(
          yml,
          `cluster.remote.${REMOTE_ALIAS}.mode: sniff\ncluster.remote.${REMOTE_ALIAS}.seeds: [${seeds.map((s) => `"${s}"`).join(', ')}]\ncluster.remote.${REMOTE_ALIAS}.skip_unavailable: false\n`,
        );
      }
    }
    // Static settings need a restart (one node at a time keeps the cluster formed).
    for (const n of local.nodes) {
      const out: string[] = [];
      await serviceStop(n.home);
      const rc = await serviceStart(n.home, lab.nodeScript, (s: string) => out.push(s));
      if (rc !== 0) throw new Error(`initial state: restart of ${n.name} failed: ${out.join('').trim()}`);
    }
    await call(
      lab,
      local,
      'GET',
      `/_cluster/health?wait_for_status=green&wait_for_nodes=${local.nodes.length}&timeout=60s`,
    );
  } else {
    await call(lab, local, 'PUT', '/_cluster/settings', {
      persistent: {
        [`cluster.remote.${REMOTE_ALIAS}.mode`]: 'sniff',
        [`cluster.remote.${REMOTE_ALIAS}.seeds`]: seeds,
        [`cluster.remote.${REMOTE_ALIAS}.skip_unavailable`]: false,
      },
    });
  }
  await waitConnected(lab, local, REMOTE_ALIAS);

  // Tasks, created by their owner.
  const as = (method: string, path: string, body?: unknown) => call(lab, local, method, path, body, taskAuth);
  await as('PUT', '/_transform/remote-logs-summary', {
    source: { index: [`${REMOTE_ALIAS}:logs-*`] },
    dest: { index: 'remote-logs-summary' },
    frequency: '1s',
    sync: { time: { field: '@timestamp', delay: '1s' } },
    pivot: {
      group_by: { host: { terms: { field: 'host.name' } } },
      aggregations: { events: { value_count: { field: '@timestamp' } } },
    },
    description: 'reads through the remote alias',
  });
  await as('PUT', '/_transform/local-metrics-summary', {
    source: { index: ['local-metrics'] },
    dest: { index: 'local-metrics-summary' },
    frequency: '1s',
    pivot: {
      group_by: { host: { terms: { field: 'host.name' } } },
      aggregations: { avg_cpu: { avg: { field: 'cpu' } } },
    },
    description: 'local only',
  });
  await as('POST', '/_transform/remote-logs-summary/_start');
  await as('POST', '/_transform/local-metrics-summary/_start');
  await as('PUT', '/_ml/anomaly_detectors/remote-logs-rate', {
    analysis_config: { bucket_span: '15m', detectors: [{ function: 'count', detector_description: 'event rate' }] },
    data_description: { time_field: '@timestamp' },
    description: 'event rate of the remote logs',
  });
  await as('PUT', '/_ml/datafeeds/datafeed-remote-logs-rate', {
    job_id: 'remote-logs-rate',
    indices: [`${REMOTE_ALIAS}:logs-*`],
  });
  await as('POST', '/_ml/anomaly_detectors/remote-logs-rate/_open');
  await as('POST', '/_ml/datafeeds/datafeed-remote-logs-rate/_start');
  await as('PUT', '/_ccr/auto_follow/archive-pattern', {
    remote_cluster: REMOTE_ALIAS,
    leader_index_patterns: ['archive-*'],
    follow_index_pattern: '{{leader_index}}-follower',
  });
  await as('PUT', '/leader-index-follower/_ccr/follow', { remote_cluster: REMOTE_ALIAS, leader_index: 'leader-index' });
  await as('PUT', '/leader-custom-follower/_ccr/follow', {
    remote_cluster: REMOTE_ALIAS,
    leader_index: 'leader-custom',
    ...CUSTOM_FOLLOW_PARAMETERS,
  });
}
