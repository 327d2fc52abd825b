// Core endpoints: GET /, cluster health (with server-side waits), _cat/health|master|nodes, _flush, _license.
import { freemem, loadavg, totalmem } from 'node:os';
import { statfsSync } from 'node:fs';
import type { LabRequest, Route } from '../router.js';
import { esError, illegalArgument } from '../http-error.js';
import { wildcardRegExp } from '../rest-helpers.js';
import {
  computeHealth,
  nextStateChangeAt,
  reconcile,
  type ClusterHealth,
  type HealthStatus,
  type MemberInfo,
} from './coordination.js';
import type { NodeRuntime } from '../runtime.js';
import type { ClusterState } from './state.js';
import { catBytes, catResponse, CAT_PARAMS, type CatColumn } from './cat.js';
import { parseTimeMs } from './time.js';
import { compatibilityVersions } from './versions.js';

const LUCENE: Record<string, string> = {
  '8.10': '9.7.0',
  '8.11': '9.8.0',
  '8.12': '9.9.2',
  '8.13': '9.10.0',
  '8.14': '9.10.0',
  '8.15': '9.11.1',
  '8.16': '9.12.0',
  '8.17': '9.12.0',
  '8.18': '9.12.1',
  '8.19': '9.12.2',
};

// 9.x per docs/es-9x.md §1.1 (captures of real `GET /`): by minor, and the patches known to differ from their
// minor's first documented value (9.2.4 has Lucene 10.3.2; 9.2.2–9.2.3 are not established, the minor's is used).
const LUCENE_9: Record<string, string> = { '9.0': '10.1.0', '9.1': '10.2.2', '9.2': '10.3.1', '9.3': '10.3.2' };
const LUCENE_9_FROM_PATCH: Array<{ from: string; minor: string; lucene: string }> = [
  { from: '9.2.4', minor: '9.2', lucene: '10.3.2' },
];

function parts(version: string): [number, number, number] {
  const [a = 0, b = 0, c = 0] = version.split('.').map((x) => Number.parseInt(x, 10) || 0);
  return [a, b, c];
}

export function buildInfo(version: string) {
  const minor = version.split('.').slice(0, 2).join('.');
  const [major, , patch] = parts(version);
  if (major >= 9) {
    const later = LUCENE_9_FROM_PATCH.find((p) => p.minor === minor && patch >= parts(p.from)[2]);
    return {
      number: version,
      build_flavor: 'default',
      build_type: 'tar',
      build_hash: 'c1ab0e5b1d1e7b4a2ff00000000000000000lab0',
      build_date: '2026-01-29T10:05:46.708397977Z',
      build_snapshot: false,
      lucene_version: later?.lucene ?? LUCENE_9[minor] ?? '10.3.2',
      // docs/es-9x.md §1.1: 8.18.0 in 9.0, 8.19.0 from 9.1 on; (major-1).0.0 (cluster/versions.ts).
      ...compatibilityVersions(version),
    };
  }
  return {
    number: version,
    build_flavor: 'default',
    build_type: 'tar',
    build_hash: 'c1ab0e5b1d1e7b4a2ff00000000000000000lab0',
    build_date: '2024-08-05T10:05:34.233336849Z',
    build_snapshot: false,
    lucene_version: LUCENE[minor] ?? '9.11.1',
    ...compatibilityVersions(version),
  };
}

/** Runs one round of master work, then returns the state and live members the answer is computed from. */
export async function currentCluster(rt: NodeRuntime): Promise<{ state: ClusterState; members: MemberInfo[] }> {
  const members = rt.members();
  const state = await rt.updateState((s) => {
    reconcile(s, members);
    return s;
  });
  return { state, members };
}

const STATUS_RANK: Record<HealthStatus, number> = { red: 0, yellow: 1, green: 2 };

function nodesCondition(spec: string): (n: number) => boolean {
  const m = /^(>=|<=|>|<|ge\(|le\(|gt\(|lt\()?(\d+)\)?$/.exec(spec.trim());
  if (!m) throw illegalArgument(`cannot parse wait_for_nodes [${spec}]`);
  const n = Number(m[2]);
  switch (m[1]) {
    case '>=':
    case 'ge(':
      return (x) => x >= n;
    case '<=':
    case 'le(':
      return (x) => x <= n;
    case '>':
    case 'gt(':
      return (x) => x > n;
    case '<':
    case 'lt(':
      return (x) => x < n;
    default:
      return (x) => x === n;
  }
}

function selectIndices(state: ClusterState, indices: string | undefined): ClusterState {
  if (!indices || indices === '_all' || indices === '*') return state;
  const re = indices.split(',').map(wildcardRegExp);
  return {
    ...state,
    indices: Object.fromEntries(Object.entries(state.indices).filter(([k]) => re.some((r) => r.test(k)))),
  };
}

function healthFor(state: ClusterState, members: MemberInfo[], indices: string | undefined): ClusterHealth {
  return computeHealth(selectIndices(state, indices), members);
}

/** `level=indices`: per-index health, in ES's ClusterIndexHealth shape. */
function indicesLevel(
  state: ClusterState,
  members: MemberInfo[],
  indices: string | undefined,
): Record<string, unknown> {
  const sub = selectIndices(state, indices);
  const out: Record<string, unknown> = {};
  for (const [name, idx] of Object.entries(sub.indices)) {
    const h = computeHealth({ ...sub, indices: { [name]: idx } }, members);
    out[name] = {
      status: h.status,
      number_of_shards: idx.numberOfShards,
      number_of_replicas: idx.numberOfReplicas,
      active_primary_shards: h.active_primary_shards,
      active_shards: h.active_shards,
      relocating_shards: h.relocating_shards,
      initializing_shards: h.initializing_shards,
      unassigned_shards: h.unassigned_shards,
    };
  }
  return out;
}

async function clusterHealth(req: LabRequest, rt: NodeRuntime, indices?: string) {
  const q = req.query;
  const timeoutMs = parseTimeMs(q.get('timeout') ?? '30s', 'timeout');
  const waitStatus = q.get('wait_for_status') as HealthStatus | null;
  if (waitStatus && !(waitStatus in STATUS_RANK))
    throw illegalArgument(`unknown cluster health status [${waitStatus}]`);
  const nodesOk = q.get('wait_for_nodes') ? nodesCondition(q.get('wait_for_nodes')!) : undefined;
  const noInit = q.get('wait_for_no_initializing_shards') === 'true' || q.get('wait_for_no_initializing_shards') === '';
  const noReloc = q.get('wait_for_no_relocating_shards') === 'true' || q.get('wait_for_no_relocating_shards') === '';
  const waits = !!(waitStatus || nodesOk || noInit || noReloc);
  const level = q.get('level') ?? 'cluster';
  if (!['cluster', 'indices', 'shards'].includes(level))
    throw illegalArgument(
      `No enum constant org.elasticsearch.action.admin.cluster.health.ClusterHealthRequest.Level.${level.toUpperCase()}`,
    );
  if (level === 'shards')
    throw illegalArgument('level=shards is not simulated by the crosskey lab (use level=cluster or level=indices)');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { state, members } = await currentCluster(rt);
    const h = healthFor(state, members, indices);
    const ok =
      (!waitStatus || STATUS_RANK[h.status] >= STATUS_RANK[waitStatus]) &&
      (!nodesOk || nodesOk(h.number_of_nodes)) &&
      (!noInit || h.initializing_shards === 0) &&
      (!noReloc || h.relocating_shards === 0);
    const withLevel = (body: ClusterHealth) =>
      q.get('level') === 'indices' ? { ...body, indices: indicesLevel(state, members, indices) } : body;
    if (!waits || ok) return { body: withLevel(h) };
    const now = Date.now();
    if (now >= deadline) return { status: 408, body: withLevel({ ...h, timed_out: true }) };
    // Sleep until the next expected change (recovery done, delayed allocation) or a membership check, never spin.
    const next = nextStateChangeAt(state);
    const wake = Math.min(deadline, next !== undefined && next > now ? next + 5 : now + 250, now + 250);
    await new Promise((r) => setTimeout(r, Math.max(20, wake - now)));
  }
}

const HEALTH_PARAMS = [
  'level',
  'local',
  'master_timeout',
  'timeout',
  'wait_for_active_shards',
  'wait_for_events',
  'wait_for_nodes',
  'wait_for_no_initializing_shards',
  'wait_for_no_relocating_shards',
  'wait_for_status',
  'expand_wildcards',
];

const NODE_ROLE_LETTERS: Record<string, string> = {
  data_content: 's',
  data_cold: 'c',
  data: 'd',
  data_frozen: 'f',
  data_hot: 'h',
  ingest: 'i',
  ml: 'l',
  master: 'm',
  remote_cluster_client: 'r',
  transform: 't',
  voting_only: 'v',
  data_warm: 'w',
};

export function roleLetters(roles: string[]): string {
  const s = roles
    .map((r) => NODE_ROLE_LETTERS[r] ?? '')
    .filter(Boolean)
    .sort()
    .join('');
  return s || '-';
}

// RestNodesAction's columns with their aliases (docs/es-behaviour.md §7); defaults as ES prints them.
const CAT_NODES_COLUMNS: CatColumn[] = [
  { name: 'id', aliases: ['id', 'nodeId'], desc: 'unique node id' },
  { name: 'pid', aliases: ['p'], desc: 'process id' },
  { name: 'ip', aliases: ['i'], default: true, desc: 'ip address' },
  { name: 'port', aliases: ['po'], desc: 'bound transport port' },
  { name: 'http_address', aliases: ['http'], desc: 'bound http address' },
  { name: 'version', aliases: ['v'], desc: 'es version' },
  { name: 'flavor', aliases: ['f'], desc: 'es distribution flavor' },
  { name: 'type', aliases: ['t'], desc: 'es distribution type' },
  { name: 'build', aliases: ['b'], desc: 'es build hash' },
  { name: 'jdk', aliases: ['j'], desc: 'jdk version' },
  { name: 'disk.total', aliases: ['dt', 'diskTotal'], desc: 'total disk space' },
  { name: 'disk.used', aliases: ['du', 'diskUsed'], desc: 'used disk space' },
  { name: 'disk.avail', aliases: ['d', 'da', 'disk', 'diskAvail'], desc: 'available disk space' },
  { name: 'disk.used_percent', aliases: ['dup', 'diskUsedPercent'], desc: 'used disk space percentage' },
  { name: 'heap.current', aliases: ['hc', 'heapCurrent'], desc: 'used heap' },
  { name: 'heap.percent', aliases: ['hp', 'heapPercent'], default: true, desc: 'used heap ratio' },
  { name: 'heap.max', aliases: ['hm', 'heapMax'], desc: 'max configured heap' },
  { name: 'ram.current', aliases: ['rc', 'ramCurrent'], desc: 'used machine memory' },
  { name: 'ram.percent', aliases: ['rp', 'ramPercent'], default: true, desc: 'used machine memory ratio' },
  { name: 'ram.max', aliases: ['rm', 'ramMax'], desc: 'total machine memory' },
  { name: 'file_desc.current', aliases: ['fdc', 'fileDescriptorCurrent'], desc: 'used file descriptors' },
  { name: 'file_desc.percent', aliases: ['fdp', 'fileDescriptorPercent'], desc: 'used file descriptor ratio' },
  { name: 'file_desc.max', aliases: ['fdm', 'fileDescriptorMax'], desc: 'max file descriptors' },
  { name: 'cpu', aliases: ['cpu'], default: true, desc: 'recent cpu usage' },
  { name: 'load_1m', aliases: ['l'], default: true, desc: '1m load avg' },
  { name: 'load_5m', aliases: ['l'], default: true, desc: '5m load avg' },
  { name: 'load_15m', aliases: ['l'], default: true, desc: '15m load avg' },
  { name: 'uptime', aliases: ['u'], desc: 'node uptime' },
  { name: 'node.role', aliases: ['r', 'role', 'nodeRole'], default: true, desc: 'node roles' },
  { name: 'master', aliases: ['m'], default: true, desc: '*:current master' },
  { name: 'name', aliases: ['n'], default: true, desc: 'node name' },
];

/** The lab's simulated JVM heap (a real node's 1 GB default-ish); only its ratio varies per node. */
const HEAP_MAX = 1024 * 1024 * 1024;

function catNodes(req: LabRequest, state: ClusterState, members: MemberInfo[], home: string) {
  const fullId = req.query.get('full_id') === 'true' || req.query.get('full_id') === '';
  const unit = req.query.get('bytes');
  const load = loadavg();
  const ram = String(Math.round((1 - freemem() / totalmem()) * 100));
  let disk = { total: 0, avail: 0 };
  try {
    const fs = statfsSync(home);
    disk = { total: fs.blocks * fs.bsize, avail: fs.bavail * fs.bsize };
  } catch {
    /* unknown: zeros */
  }
  const rows = members.map((m) => {
    const heapPercent = 20 + (m.pid % 40);
    return {
      id: fullId ? m.id : m.id.slice(0, 4),
      pid: String(m.pid),
      ip: m.address,
      port: String(m.transportPort),
      http_address: `${m.address}:${m.httpPort}`,
      version: m.version,
      flavor: 'default',
      type: 'tar',
      build: buildInfo(m.version).build_hash.slice(0, 7),
      jdk: '21.0.2',
      'disk.total': catBytes(disk.total, unit),
      'disk.used': catBytes(disk.total - disk.avail, unit),
      'disk.avail': catBytes(disk.avail, unit),
      'disk.used_percent': disk.total ? ((1 - disk.avail / disk.total) * 100).toFixed(2) : '0.00',
      'heap.current': catBytes(Math.round((HEAP_MAX * heapPercent) / 100), unit),
      'heap.percent': String(heapPercent),
      'heap.max': catBytes(HEAP_MAX, unit),
      'ram.current': catBytes(totalmem() - freemem(), unit),
      'ram.percent': ram,
      'ram.max': catBytes(totalmem(), unit),
      'file_desc.current': '512',
      'file_desc.percent': '0',
      'file_desc.max': '65535',
      cpu: '1',
      load_1m: load[0]!.toFixed(2),
      load_5m: load[1]!.toFixed(2),
      load_15m: load[2]!.toFixed(2),
      uptime: `${Math.round((Date.now() - m.startedAt) / 1000)}s`,
      'node.role': roleLetters(m.roles),
      master: m.id === state.masterNodeId ? '*' : '-',
      name: m.name,
    };
  });
  return catResponse(req, CAT_NODES_COLUMNS, rows);
}

// RestHealthAction's columns and aliases (docs/es-behaviour.md §7): `t` is epoch's alias first (table order).
const CAT_HEALTH_COLUMNS: CatColumn[] = (
  [
    ['epoch', ['t', 'time']],
    ['timestamp', ['ts', 'hms', 'hhmmss']],
    ['cluster', ['cl']],
    ['status', ['st']],
    ['node.total', ['nt', 'nodeTotal']],
    ['node.data', ['nd', 'nodeData']],
    ['shards', ['t', 'sh', 'shards.total', 'shardsTotal']],
    ['pri', ['p', 'shards.primary', 'shardsPrimary']],
    ['relo', ['r', 'shards.relocating', 'shardsRelocating']],
    ['init', ['i', 'shards.initializing', 'shardsInitializing']],
    ['unassign', ['u', 'shards.unassigned', 'shardsUnassigned']],
    ['pending_tasks', ['pt', 'pendingTasks']],
    ['max_task_wait_time', ['mtwt', 'maxTaskWaitTime']],
    ['active_shards_percent', ['asp', 'activeShardsPercent']],
  ] as Array<[string, string[]]>
).map(([name, aliases]) => ({ name, aliases, default: true }));

function catHealth(req: LabRequest, state: ClusterState, members: MemberInfo[]) {
  const h = computeHealth(state, members);
  const now = new Date();
  const row = {
    epoch: String(Math.floor(now.getTime() / 1000)),
    timestamp: now.toISOString().slice(11, 19),
    cluster: h.cluster_name,
    status: h.status,
    'node.total': String(h.number_of_nodes),
    'node.data': String(h.number_of_data_nodes),
    shards: String(h.active_shards),
    pri: String(h.active_primary_shards),
    relo: String(h.relocating_shards),
    init: String(h.initializing_shards),
    unassign: String(h.unassigned_shards),
    pending_tasks: String(h.number_of_pending_tasks),
    max_task_wait_time: '-',
    active_shards_percent: `${h.active_shards_percent_as_number.toFixed(1)}%`,
  };
  // `ts=false` drops the time columns even when asked for by name (Table.startHeadersWithTimestamp).
  const ts = req.query.get('ts');
  return catResponse(req, CAT_HEALTH_COLUMNS, [row], ts === 'false' ? { drop: ['epoch', 'timestamp'] } : {});
}

const CAT_MASTER_COLUMNS: CatColumn[] = ['id', 'host', 'ip', 'node'].map((name) => ({ name, default: true }));

export function licenseBody(state: ClusterState) {
  const l = state.license;
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    license: {
      status: l.expiryDateMillis !== null && l.expiryDateMillis < Date.now() ? 'expired' : l.status,
      uid: l.uid,
      type: l.type,
      issue_date: iso(l.issueDateMillis),
      issue_date_in_millis: l.issueDateMillis,
      ...(l.expiryDateMillis !== null
        ? { expiry_date: iso(l.expiryDateMillis), expiry_date_in_millis: l.expiryDateMillis }
        : {}),
      max_nodes: l.maxNodes,
      max_resource_units: l.maxResourceUnits,
      issued_to: l.issuedTo,
      issuer: l.issuer,
      start_date_in_millis: l.startDateMillis,
    },
  };
}

function flushAnswer(state: ClusterState, indexExpr?: string) {
  const names = Object.keys(state.indices).filter(
    (n) => !indexExpr || indexExpr === '_all' || indexExpr.split(',').some((p) => wildcardRegExp(p).test(n)),
  );
  if (indexExpr && !indexExpr.includes('*') && indexExpr !== '_all') {
    for (const n of indexExpr.split(',')) {
      if (!state.indices[n])
        throw esError(404, 'index_not_found_exception', `no such index [${n}]`, {
          'resource.type': 'index_or_alias',
          'resource.id': n,
          index_uuid: '_na_',
          index: n,
        });
    }
  }
  let total = 0;
  let ok = 0;
  for (const n of names)
    for (const c of state.indices[n]!.shards) {
      total++;
      if (c.state === 'STARTED') ok++;
    }
  return { _shards: { total, successful: ok, failed: 0 } };
}

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/',
    privilege: 'monitor',
    handler: (_req, { rt, state }) => ({
      body: {
        name: rt.nodeName,
        cluster_name: rt.clusterName,
        cluster_uuid: state.clusterUuid,
        version: buildInfo(rt.esVersion),
        tagline: 'You Know, for Search',
      },
    }),
  },
  {
    method: 'GET',
    path: '/_cluster/health',
    params: HEALTH_PARAMS,
    privilege: 'monitor',
    handler: (req, { rt }) => clusterHealth(req, rt),
  },
  {
    method: 'GET',
    path: '/_cluster/health/{index}',
    params: HEALTH_PARAMS,
    privilege: 'monitor',
    handler: (req, { rt }) => clusterHealth(req, rt, req.params.index),
  },
  {
    method: 'GET',
    path: '/_cat/nodes',
    params: [...CAT_PARAMS, 'full_id', 'include_unloaded_segments'],
    privilege: 'monitor',
    handler: async (req, { rt }) => {
      const c = await currentCluster(rt);
      return catNodes(req, c.state, c.members, rt.home);
    },
  },
  {
    method: 'GET',
    path: '/_cat/health',
    params: [...CAT_PARAMS, 'ts'],
    privilege: 'monitor',
    handler: async (req, { rt }) => {
      const c = await currentCluster(rt);
      return catHealth(req, c.state, c.members);
    },
  },
  {
    method: 'GET',
    path: '/_cat/master',
    params: CAT_PARAMS,
    privilege: 'monitor',
    handler: async (req, { rt }) => {
      const { state, members } = await currentCluster(rt);
      const m = members.find((x) => x.id === state.masterNodeId);
      return catResponse(
        req,
        CAT_MASTER_COLUMNS,
        m ? [{ id: m.id, host: m.address, ip: m.address, node: m.name }] : [],
      );
    },
  },
  {
    method: ['POST', 'GET'],
    path: '/_flush',
    params: ['force', 'wait_if_ongoing', 'ignore_unavailable', 'allow_no_indices', 'expand_wildcards'],
    privilege: 'monitor',
    handler: async (_req, { rt }) => ({ body: flushAnswer((await currentCluster(rt)).state) }),
  },
  {
    method: ['POST', 'GET'],
    path: '/{index}/_flush',
    params: ['force', 'wait_if_ongoing', 'ignore_unavailable', 'allow_no_indices', 'expand_wildcards'],
    privilege: 'monitor',
    handler: async (req, { rt }) => ({ body: flushAnswer((await currentCluster(rt)).state, req.params.index) }),
  },
  {
    method: 'GET',
    path: '/_license',
    params: ['accept_enterprise', 'local'],
    privilege: 'monitor',
    handler: (_req, { state }) => ({ body: licenseBody(state) }),
  },
];
