// GET /_nodes, /_nodes/{node_id|metric}, /_nodes/{node_id}/{metric}: node info from the members' heartbeats
// (settings are each node's elasticsearch.yml — secure settings never appear — plus what ES adds itself).
import { esError, boolParam, renderSettings, wildcardRegExp, type LabRequest, type Route } from '../router.js';
import type { MemberInfo } from '../cluster.js';
import type { ClusterState, FlatSettings } from '../state.js';
import type { NodeRuntime } from '../runtime.js';
import { buildInfo, currentCluster } from './core.js';

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
  'modules',
  'ingest',
  'aggregations',
  'indices',
  '_all',
  '_none',
];

const TRANSPORT_VERSION: Record<string, number> = {
  '8.10': 8500061,
  '8.11': 8512001,
  '8.12': 8560000,
  '8.13': 8595000,
  '8.14': 8636001,
  '8.15': 8702002,
};

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

function nodeInfo(m: MemberInfo, state: ClusterState, metrics: Set<string>, flat: boolean): Record<string, unknown> {
  const minor = m.version.split('.').slice(0, 2).join('.');
  const b = buildInfo(m.version);
  const info: Record<string, unknown> = {
    name: m.name,
    transport_address: `${m.address}:${m.transportPort}`,
    host: m.address,
    ip: m.address,
    version: m.version,
    transport_version: TRANSPORT_VERSION[minor] ?? 8702002,
    build_flavor: b.build_flavor,
    build_type: b.build_type,
    build_hash: b.build_hash,
    total_indexing_buffer: 53687091,
    roles: [...m.roles].sort(),
    attributes: m.attributes,
  };
  const all = metrics.has('_all');
  if (all || metrics.has('settings')) info.settings = renderSettings(nodeSettings(m, state.clusterName), flat);
  if (all || metrics.has('process')) info.process = { refresh_interval_in_millis: 1000, id: m.pid, mlockall: false };
  if (all || metrics.has('http')) {
    info.http = {
      bound_address: [`${m.address}:${m.httpPort}`],
      publish_address: `${m.address}:${m.httpPort}`,
      max_content_length_in_bytes: 104857600,
    };
  }
  if (all || metrics.has('transport')) {
    info.transport = {
      bound_address: [`${m.address}:${m.transportPort}`],
      publish_address: `${m.address}:${m.transportPort}`,
      profiles: {},
    };
  }
  if ((all || metrics.has('remote_cluster_server')) && m.remoteClusterPort !== null) {
    info.remote_cluster_server = {
      bound_address: [`${m.address}:${m.remoteClusterPort}`],
      publish_address: `${m.address}:${m.remoteClusterPort}`,
    };
  }
  if (all || metrics.has('plugins')) info.plugins = [];
  if (all || metrics.has('modules')) info.modules = [];
  return info;
}

function parseMetrics(spec: string | undefined): Set<string> {
  if (spec === undefined) return new Set(['_all']);
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
