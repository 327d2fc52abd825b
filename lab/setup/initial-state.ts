// The lab's starting point for a migration (called by `lab up` once every cluster is green): every alias of the
// layout (`--connect`, default local → remote as `my_remote`) on the certificate model (RCS1), in persistent
// cluster settings (with `--static-remote` in every local node's elasticsearch.yml instead, written by `lab up`
// before the first start), leader indices on each remote, the roles the tasks run under defined the RCS1 way on
// both sides (same names; the remote's copies grant the index access), and the cross-cluster tasks, created over
// REST by the user that owns them. Through the first alias: two transforms (one through the alias, one local), an
// anomaly detection job + datafeed, an auto-follow pattern and two follower indices (one with custom parameters);
// through each further alias: a transform `<alias>-logs-summary`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_CONNECTION,
  labConnections,
  type LabConnection,
  type LabFile,
  type LabClusterEntry,
  type LabNodeEntry,
} from '../layout.js';
import { labHttp, type LabHttpResponse } from '../http-client.js';
import { updateState } from '../node/cluster/state.js';
import { createIndex } from '../node/cluster/coordination.js';
import { hashPassword } from '../node/security/passwords.js';
import { start as serviceStart, stop as serviceStop } from '../node/process/service.js';
import { versionAtLeast } from '../../controller/version.js';

export const REMOTE_ALIAS = DEFAULT_CONNECTION.alias;
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

interface RoleBody {
  cluster: string[];
  indices: Array<{ names: string[]; privileges: string[] }>;
}

/** A cluster that is local for one alias and remote for another (or itself) holds both sides of each role. */
function mergedRoles(local: boolean, remote: boolean): Record<string, RoleBody> {
  const out: Record<string, RoleBody> = {};
  for (const [use, defs] of [
    [local, LOCAL_ROLES],
    [remote, REMOTE_ROLES],
  ] as const) {
    if (!use) continue;
    for (const [name, body] of Object.entries(defs as Record<string, RoleBody>)) {
      const r = (out[name] ??= { cluster: [], indices: [] });
      for (const p of body.cluster) if (!r.cluster.includes(p)) r.cluster.push(p);
      r.indices.push(...body.indices);
    }
  }
  return out;
}

/** The alias in elasticsearch.yml (`lab up --static-remote`), RCS1: sniff mode to the remote transport port. */
export function staticAliasLines(alias: string, seeds: string[]): string {
  return `cluster.remote.${alias}.mode: sniff\ncluster.remote.${alias}.seeds: [${seeds.map((s) => `"${s}"`).join(', ')}]\ncluster.remote.${alias}.skip_unavailable: false\n`;
}

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

async function nodeConnected(lab: LabFile, c: LabClusterEntry, n: LabNodeEntry, alias: string): Promise<boolean> {
  const r = await labHttp(
    { url: `https://${n.address}:${n.httpPort}`, user: c.user, passwordFile: c.passwordFile, caCert: lab.caCert },
    'GET',
    '/_remote/info',
  );
  return !!(r.json as Record<string, { connected?: boolean }> | undefined)?.[alias]?.connected;
}

/**
 * Static aliases connect when the node starts. `lab up` starts the remote clusters first, except in a cycle of
 * aliases (a → b → a): a node that found no remote node listening at its start is made to connect as ES would, by a
 * request through the alias (`_resolve/cluster`, 8.13+), or else restarted once, since ES opens a configured alias
 * at start-up and afterwards only on demand.
 */
async function connectStatic(lab: LabFile, c: LabClusterEntry, alias: string): Promise<void> {
  const connected = async (n: LabNodeEntry) => {
    for (let i = 0; i < 15; i++) {
      if (await nodeConnected(lab, c, n, alias)) return true;
      await sleep(200);
    }
    return false;
  };
  const missed = (await Promise.all(c.nodes.map(async (n) => ((await connected(n)) ? [] : [n])))).flat();
  for (const n of missed) {
    if (versionAtLeast(lab.esVersion, '8.13.0')) {
      await labHttp(
        { url: `https://${n.address}:${n.httpPort}`, user: c.user, passwordFile: c.passwordFile, caCert: lab.caCert },
        'GET',
        `/_resolve/cluster/${alias}:*`,
      );
      continue;
    }
    const out: string[] = [];
    await serviceStop(n.home);
    const rc = await serviceStart(n.home, lab.nodeScript, (s: string) => out.push(s));
    if (rc !== 0) throw new Error(`initial state: restart of ${n.name} failed: ${out.join('').trim()}`);
    await call(lab, c, 'GET', `/_cluster/health?wait_for_status=green&wait_for_nodes=${c.nodes.length}&timeout=60s`);
  }
}

export async function applyInitialState(lab: LabFile): Promise<void> {
  const connections = labConnections(lab);
  const locals = [...new Set(connections.map((k) => k.local))];
  const remotes = [...new Set(connections.map((k) => k.remote))];

  // Leader indices on each remote (the lab's own index creation: the lab has no document APIs).
  for (const name of remotes) {
    const remote = cluster(lab, name);
    const replicas = remote.nodes.length > 1 ? 1 : 0;
    await updateState(remote.dir, (s) => {
      for (const i of LEADER_INDICES) if (!s.indices[i]) createIndex(s, i, 1, replicas);
    });
  }

  // Roles on both sides, the RCS1 way.
  for (const c of lab.clusters) {
    const roles = mergedRoles(locals.includes(c.name), remotes.includes(c.name));
    for (const [name, body] of Object.entries(roles)) await call(lab, c, 'PUT', `/_security/role/${name}`, body);
  }

  // The user owning the tasks on each local cluster (its password next to the tool's, for tests and demos).
  const taskAuth = new Map<string, string>();
  for (const name of locals) {
    const password = randomBytes(15).toString('base64url');
    const pwFile = join(lab.dir, 'credentials', `${name}-${TASK_USER}-password`);
    writeFileSync(pwFile, password + '\n', { mode: 0o600 });
    await updateState(cluster(lab, name).dir, (s) => {
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
    taskAuth.set(name, 'Basic ' + Buffer.from(`${TASK_USER}:${password}`).toString('base64'));
  }

  // The aliases, RCS1: sniff mode to the remote transport port.
  for (const k of connections) {
    const local = cluster(lab, k.local);
    if (lab.staticRemote) await connectStatic(lab, local, k.alias);
    else {
      const seeds = cluster(lab, k.remote).nodes.map((n) => `${n.address}:${n.transportPort}`);
      await call(lab, local, 'PUT', '/_cluster/settings', {
        persistent: {
          [`cluster.remote.${k.alias}.mode`]: 'sniff',
          [`cluster.remote.${k.alias}.seeds`]: seeds,
          [`cluster.remote.${k.alias}.skip_unavailable`]: false,
        },
      });
    }
  }
  for (const k of connections) await waitConnected(lab, cluster(lab, k.local), k.alias);

  const [first, ...more] = connections;
  await primaryTasks(lab, first!, taskAuth.get(first!.local)!);
  for (const k of more) {
    await call(
      lab,
      cluster(lab, k.local),
      'PUT',
      `/_transform/${k.alias}-logs-summary`,
      {
        source: { index: [`${k.alias}:logs-*`] },
        dest: { index: `${k.alias}-logs-summary` },
        frequency: '1s',
        sync: { time: { field: '@timestamp', delay: '1s' } },
        pivot: {
          group_by: { host: { terms: { field: 'host.name' } } },
          aggregations: { events: { value_count: { field: '@timestamp' } } },
        },
        description: `reads through the remote alias ${k.alias}`,
      },
      taskAuth.get(k.local),
    );
    await call(
      lab,
      cluster(lab, k.local),
      'POST',
      `/_transform/${k.alias}-logs-summary/_start`,
      undefined,
      taskAuth.get(k.local),
    );
  }
}

/** Today's tasks, through the first alias. */
async function primaryTasks(lab: LabFile, k: LabConnection, taskAuth: string): Promise<void> {
  const local = cluster(lab, k.local);
  const REMOTE_ALIAS = k.alias;
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
    // An alias to its own cluster would otherwise follow its own followers (archive-001-follower matches archive-*).
    ...(k.local === k.remote ? { leader_index_exclusion_patterns: ['*-follower'] } : {}),
    follow_index_pattern: '{{leader_index}}-follower',
  });
  await as('PUT', '/leader-index-follower/_ccr/follow', { remote_cluster: REMOTE_ALIAS, leader_index: 'leader-index' });
  await as('PUT', '/leader-custom-follower/_ccr/follow', {
    remote_cluster: REMOTE_ALIAS,
    leader_index: 'leader-custom',
    ...CUSTOM_FOLLOW_PARAMETERS,
  });
}
