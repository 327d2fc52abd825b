// GET /_cluster/state[/<metrics>[/<indices>]] (docs/es-behaviour.md §10; ES: ClusterState.toXContent,
// rest-api-spec cluster.state/10_basic.yml and 20_filtering.yml): cluster_name and cluster_uuid always, every
// other section only when its metric is asked for; the index filter limits metadata.indices and
// routing_table.indices. The node and index-metadata entries carry the fields the lab can fill; their full field
// lists per version are not established.
import { createHash } from 'node:crypto';
import type { LabRequest, Route } from '../router.js';
import { esError } from '../http-error.js';
import { boolParam, renderSettings, wildcardRegExp } from '../rest-helpers.js';
import type { MemberInfo } from './coordination.js';
import type { ClusterState, IndexState, ShardCopy } from './state.js';
import { currentCluster } from './routes.js';
import { nodeAttributes } from './nodes-routes.js';
import { parseVersion } from '../../../controller/version.js';

const METRICS = [
  '_all',
  'version',
  'master_node',
  'blocks',
  'nodes',
  'metadata',
  'routing_table',
  'routing_nodes',
  'customs',
];

function parseMetrics(path: string, spec: string | undefined): Set<string> {
  if (spec === undefined) return new Set(['_all']);
  const out = new Set<string>();
  for (const m of spec.split(',').filter(Boolean)) {
    if (!METRICS.includes(m))
      throw esError(400, 'illegal_argument_exception', `request [${path}] contains unrecognized metric: [${m}]`);
    out.add(m);
  }
  return out;
}

/** An IndexVersion-like id for the version (minIndexVersion/maxIndexVersion; exact values not established). */
function indexVersionId(v: string): number {
  const [a, b, c] = parseVersion(v);
  return a * 1_000_000 + b * 10_000 + c * 100 + 99;
}

function nodeEntry(m: MemberInfo): Record<string, unknown> {
  const [major] = parseVersion(m.version);
  return {
    name: m.name,
    ephemeral_id: createHash('sha256').update(`${m.id}:${m.startedAt}`).digest('base64url').slice(0, 22),
    transport_address: `${m.address}:${m.transportPort}`,
    external_id: m.name,
    attributes: nodeAttributes(m),
    roles: [...m.roles].sort(),
    version: m.version,
    minIndexVersion: indexVersionId(`${major - 1}.0.0`),
    maxIndexVersion: indexVersionId(m.version),
  };
}

function shardEntry(name: string, c: ShardCopy, i: number): Record<string, unknown> {
  return {
    state: c.state,
    primary: c.primary,
    node: c.node,
    relocating_node: c.relocatingTo ?? null,
    shard: c.shard,
    index: name,
    ...(c.node ? { allocation_id: { id: `${name}-${c.shard}-${i}` } } : {}),
    ...(c.state === 'UNASSIGNED'
      ? {
          unassigned_info: {
            reason: c.unassignedReason ?? 'INDEX_CREATED',
            at: new Date(c.unassignedAt ?? Date.now()).toISOString(),
            delayed: false,
            allocation_status: 'no_attempt',
          },
        }
      : {}),
  };
}

function indexMetadata(name: string, idx: IndexState, version: string, flat: boolean): Record<string, unknown> {
  const flatSettings: Record<string, string> = {
    'index.creation_date': String(idx.creationDate),
    'index.number_of_replicas': String(idx.numberOfReplicas),
    'index.number_of_shards': String(idx.numberOfShards),
    'index.provided_name': name,
    'index.uuid': idx.uuid,
    'index.version.created': String(indexVersionId(version)),
  };
  const shards = Array.from({ length: idx.numberOfShards }, (_, i) => i);
  return {
    version: 1,
    mapping_version: 1,
    settings_version: 1,
    aliases_version: 1,
    routing_num_shards: idx.numberOfShards,
    state: 'open',
    settings: renderSettings(flatSettings, flat),
    mappings: idx.mappings ?? {},
    aliases: [],
    primary_terms: Object.fromEntries(shards.map((s) => [String(s), 1])),
    in_sync_allocations: Object.fromEntries(
      shards.map((s) => [
        String(s),
        idx.shards
          .map((c, i) => ({ c, i }))
          .filter(({ c }) => c.shard === s && c.node)
          .map(({ c, i }) => `${name}-${c.shard}-${i}`),
      ]),
    ),
    rollover_info: {},
    system: false,
    timestamp_range: { shards: [] },
  };
}

async function clusterState(
  req: LabRequest,
  rt: Parameters<typeof currentCluster>[0],
  metric?: string,
  index?: string,
) {
  const metrics = parseMetrics(req.path, metric);
  const { state, members } = await currentCluster(rt);
  const flat = boolParam(req.query, 'flat_settings');
  const want = (m: string) => metrics.has('_all') || metrics.has(m);
  const selected = selectIndices(state, index);
  const out: Record<string, unknown> = { cluster_name: state.clusterName, cluster_uuid: state.clusterUuid };
  if (want('version')) {
    out.version = state.version;
    out.state_uuid = createHash('sha256')
      .update(`${state.clusterUuid}:${state.version}`)
      .digest('base64url')
      .slice(0, 22);
  }
  if (want('master_node')) out.master_node = state.masterNodeId;
  if (want('blocks')) out.blocks = {};
  if (want('nodes')) out.nodes = Object.fromEntries(members.map((m) => [m.id, nodeEntry(m)]));
  if (want('metadata')) {
    const ids = members.filter((m) => m.roles.includes('master')).map((m) => m.id);
    out.metadata = {
      cluster_uuid: state.clusterUuid,
      cluster_uuid_committed: true,
      cluster_coordination: {
        term: 1,
        last_committed_config: ids,
        last_accepted_config: ids,
        voting_config_exclusions: [],
      },
      templates: {},
      indices: Object.fromEntries(selected.map((n) => [n, indexMetadata(n, state.indices[n]!, state.esVersion, flat)])),
    };
  }
  if (want('routing_table')) {
    out.routing_table = {
      indices: Object.fromEntries(
        selected.map((n) => {
          const idx = state.indices[n]!;
          const shards: Record<string, unknown[]> = {};
          idx.shards.forEach((c, i) => (shards[String(c.shard)] ??= []).push(shardEntry(n, c, i)));
          return [n, { shards }];
        }),
      ),
    };
  }
  if (want('routing_nodes')) {
    const unassigned: unknown[] = [];
    const nodes: Record<string, unknown[]> = Object.fromEntries(members.map((m) => [m.id, []]));
    for (const n of Object.keys(state.indices).sort())
      state.indices[n]!.shards.forEach((c, i) => {
        const e = shardEntry(n, c, i);
        if (c.node) (nodes[c.node] ??= []).push(e);
        else unassigned.push(e);
      });
    out.routing_nodes = { unassigned, nodes };
  }
  return { body: out };
}

function selectIndices(state: ClusterState, expr: string | undefined): string[] {
  const names = Object.keys(state.indices).sort();
  if (!expr || expr === '_all' || expr === '*') return names;
  const res = expr.split(',').map(wildcardRegExp);
  return names.filter((n) => res.some((r) => r.test(n)));
}

const PARAMS = [
  'local',
  'master_timeout',
  'flat_settings',
  'expand_wildcards',
  'ignore_unavailable',
  'allow_no_indices',
  'wait_for_timeout',
];

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/_cluster/state',
    params: PARAMS,
    privilege: 'monitor',
    handler: (req, { rt }) => clusterState(req, rt),
  },
  {
    method: 'GET',
    path: '/_cluster/state/{metric}',
    params: PARAMS,
    privilege: 'monitor',
    handler: (req, { rt }) => clusterState(req, rt, req.params.metric),
  },
  {
    method: 'GET',
    path: '/_cluster/state/{metric}/{index}',
    params: PARAMS,
    privilege: 'monitor',
    handler: (req, { rt }) => clusterState(req, rt, req.params.metric, req.params.index),
  },
];
