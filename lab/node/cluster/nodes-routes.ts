// GET /_nodes, /_nodes/{node_id|metric}, /_nodes/{node_id}/{metric}: node info from the members' heartbeats
// (settings are each node's elasticsearch.yml — secure settings never appear — plus what ES adds itself).
// Metric filtering as NodesInfoResponse writes it (docs/es-behaviour.md §8): the fixed fields always, a section
// only when its metric is asked for, `_none` = fixed fields only, `_all` = everything.
import { availableParallelism, totalmem } from 'node:os';
import type { LabRequest, Route } from '../router.js';
import { esError } from '../http-error.js';
import { boolParam, renderSettings, wildcardRegExp } from '../rest-helpers.js';
import type { MemberInfo } from './coordination.js';
import type { ClusterState, FlatSettings } from './state.js';
import type { NodeRuntime } from '../runtime.js';
import { buildInfo, currentCluster } from './routes.js';
import { transportVersion } from './versions.js';

const METRICS = [
  'settings',
  'os',
  'process',
  'jvm',
  'thread_pool',
  'transport',
  'http',
  'remote_cluster_server',
  'plugins',
  'ingest',
  'aggregations',
  'indices',
  '_all',
  '_none',
];

function selectNodes(spec: string, members: MemberInfo[], state: ClusterState, self: string): MemberInfo[] {
  if (spec === '_all' || spec === '*' || spec === '') return members;
  const out = new Set<MemberInfo>();
  for (const part of spec.split(',')) {
    if (part === '_local') members.filter((m) => m.id === self).forEach((m) => out.add(m));
    else if (part === '_master') members.filter((m) => m.id === state.masterNodeId).forEach((m) => out.add(m));
    else {
      const re = wildcardRegExp(part);
      members.filter((m) => re.test(m.id) || re.test(m.name) || m.address === part).forEach((m) => out.add(m));
    }
  }
  return members.filter((m) => out.has(m));
}

function nodeSettings(m: MemberInfo, clusterName: string): FlatSettings {
  return {
    ...m.settings,
    'cluster.name': clusterName,
    'node.name': m.name,
    'client.type': 'node',
    'http.type.default': 'netty4',
    'transport.type.default': 'netty4',
  };
}

/** Attributes ES sets on every node of the default distribution besides `node.attr.*` (ML's, on ML nodes). */
export function nodeAttributes(m: MemberInfo): Record<string, string> {
  return {
    ...(m.roles.includes('ml')
      ? {
          'ml.allocated_processors': String(availableParallelism()),
          'ml.machine_memory': String(totalmem()),
          'ml.max_jvm_size': String(HEAP_MAX),
        }
      : {}),
    'xpack.installed': 'true',
    ...m.attributes,
  };
}

const HEAP_MAX = 1024 * 1024 * 1024;

function nodeInfo(m: MemberInfo, state: ClusterState, metrics: Set<string>, flat: boolean): Record<string, unknown> {
  const b = buildInfo(m.version);
  const has = (x: string) => metrics.has('_all') || metrics.has(x);
  const attributes = nodeAttributes(m);
  const info: Record<string, unknown> = {
    name: m.name,
    transport_address: `${m.address}:${m.transportPort}`,
    host: m.address,
    ip: m.address,
    version: m.version,
    transport_version: transportVersion(m.version),
    build_flavor: b.build_flavor,
    build_type: b.build_type,
    build_hash: b.build_hash,
    ...(has('indices') ? { total_indexing_buffer: 53687091 } : {}),
    roles: [...m.roles].sort(),
    ...(Object.keys(attributes).length ? { attributes } : {}),
  };
  if (has('settings')) info.settings = renderSettings(nodeSettings(m, state.clusterName), flat);
  if (has('os'))
    info.os = {
      refresh_interval_in_millis: 1000,
      name: 'Linux',
      pretty_name: 'Linux',
      arch: process.arch === 'x64' ? 'amd64' : process.arch,
      version: '6.0.0',
      available_processors: availableParallelism(),
      allocated_processors: availableParallelism(),
    };
  if (has('process')) info.process = { refresh_interval_in_millis: 1000, id: m.pid, mlockall: false };
  if (has('jvm'))
    info.jvm = {
      pid: m.pid,
      version: '21.0.2',
      vm_name: 'OpenJDK 64-Bit Server VM',
      vm_version: '21.0.2+13-58',
      vm_vendor: 'Oracle Corporation',
      bundled_jdk: true,
      using_bundled_jdk: true,
      start_time_in_millis: m.startedAt,
      mem: {
        heap_init_in_bytes: HEAP_MAX,
        heap_max_in_bytes: HEAP_MAX,
        non_heap_init_in_bytes: 7667712,
        non_heap_max_in_bytes: 0,
        direct_max_in_bytes: 0,
      },
      gc_collectors: ['G1 Young Generation', 'G1 Concurrent GC', 'G1 Old Generation'],
      memory_pools: ['CodeHeap', 'Metaspace', 'G1 Eden Space', 'G1 Old Gen', 'G1 Survivor Space'],
      using_compressed_ordinary_object_pointers: 'true',
      input_arguments: [],
    };
  if (has('thread_pool')) {
    const n = availableParallelism();
    info.thread_pool = {
      search: { type: 'fixed', size: Math.floor((n * 3) / 2) + 1, queue_size: 1000 },
      write: { type: 'fixed', size: n, queue_size: 10000 },
      management: { type: 'scaling', core: 1, max: 5, keep_alive: '5m', queue_size: -1 },
    };
  }
  if (has('transport')) {
    info.transport = {
      bound_address: [`${m.address}:${m.transportPort}`],
      publish_address: `${m.address}:${m.transportPort}`,
      profiles: {},
    };
  }
  if (has('http')) {
    info.http = {
      bound_address: [`${m.address}:${m.httpPort}`],
      publish_address: `${m.address}:${m.httpPort}`,
      max_content_length_in_bytes: 104857600,
    };
  }
  if (has('remote_cluster_server') && m.remoteClusterPort !== null) {
    info.remote_cluster_server = {
      bound_address: [`${m.address}:${m.remoteClusterPort}`],
      publish_address: `${m.address}:${m.remoteClusterPort}`,
    };
  }
  if (has('plugins')) {
    info.plugins = [];
    info.modules = [];
  }
  if (has('ingest'))
    info.ingest = { processors: ['append', 'date', 'remove', 'rename', 'set'].map((type) => ({ type })) };
  if (has('aggregations'))
    info.aggregations = { terms: { types: ['boolean', 'date', 'keyword', 'long'] }, value_count: { types: ['other'] } };
  return info;
}

function parseMetrics(spec: string | undefined): Set<string> {
  if (spec === undefined || spec === '') return new Set(['_all']);
  const out = new Set<string>();
  for (const m of spec.split(',')) {
    if (!METRICS.includes(m))
      throw esError(400, 'illegal_argument_exception', `request [/_nodes] contains unrecognized metric: [${m}]`);
    out.add(m);
  }
  return out;
}

async function nodesInfo(req: LabRequest, rt: NodeRuntime, nodeSpec: string, metricSpec: string | undefined) {
  const { state, members } = await currentCluster(rt);
  const selected = selectNodes(nodeSpec, members, state, rt.nodeId);
  const metrics = parseMetrics(metricSpec);
  const flat = boolParam(req.query, 'flat_settings');
  return {
    body: {
      _nodes: { total: selected.length, successful: selected.length, failed: 0 },
      cluster_name: state.clusterName,
      nodes: Object.fromEntries(selected.map((m) => [m.id, nodeInfo(m, state, metrics, flat)])),
    },
  };
}

const isMetricList = (s: string) => s.split(',').every((m) => METRICS.includes(m));
const PARAMS = ['flat_settings', 'timeout', 'master_timeout'];

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/_nodes',
    params: PARAMS,
    privilege: 'monitor',
    handler: (req, { rt }) => nodesInfo(req, rt, '_all', undefined),
  },
  {
    method: 'GET',
    path: '/_nodes/{a}',
    params: PARAMS,
    privilege: 'monitor',
    // ES disambiguates /_nodes/{node_id} from /_nodes/{metric} by the value.
    handler: (req, { rt }) =>
      isMetricList(req.params.a!)
        ? nodesInfo(req, rt, '_all', req.params.a)
        : nodesInfo(req, rt, req.params.a!, undefined),
  },
  {
    method: 'GET',
    path: '/_nodes/{node}/{metric}',
    params: PARAMS,
    privilege: 'monitor',
    handler: (req, { rt }) => nodesInfo(req, rt, req.params.node!, req.params.metric),
  },
];
