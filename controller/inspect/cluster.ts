// The cluster part of `crosskey inspect`: only HTTP (no SSH), so it works when the hosts cannot be reached.
// Per cluster group (a group with es_url): health, license, nodes, every remote alias and where it is defined,
// each node's own _remote/info (via es_node_url) with the model it uses, and the tasks that read through each alias.
import { esForNode, esForVars, type EsClientOptions } from '../elastic/client.js';
import { EsError } from '../elastic/errors.js';
import { nonBlank } from '../values.js';
import type { EsApi } from '../elastic/types.js';
import {
  aliasesIn,
  aliasSettingsFrom,
  getRemoteInfo,
  modeOf,
  type AliasSettings,
  type RemoteInfo,
  type RemoteInfoEntry,
} from '../elastic/api/remote.js';
import { getClusterSettings, getNodesSettings } from '../elastic/api/cluster.js';
import { aliasesNamedBy, readLocalTasks, tasksOfAlias } from '../elastic/alias-tasks.js';
import type { AliasReport, AliasTasks, ClusterReport, Model, NodeAliasState, NodeRemoteInfo } from './types.js';
import { errorText } from '../values.js';

/** RCS2 when the node holds credentials for the alias (`cluster_credentials: "::es_redacted::"`), else RCS1. */
export function modelOf(entry: RemoteInfoEntry): Model {
  return entry.cluster_credentials !== undefined ? 'RCS2' : 'RCS1';
}

export function nodeAliasStates(info: RemoteInfo): Record<string, NodeAliasState> {
  const out: Record<string, NodeAliasState> = {};
  for (const [alias, e] of Object.entries(info)) {
    const connections = e.mode === 'proxy' ? e.num_proxy_sockets_connected : e.num_nodes_connected;
    out[alias] = {
      connected: e.connected,
      mode: e.mode,
      model: modelOf(e),
      credentials: e.cluster_credentials !== undefined,
      addresses: e.mode === 'proxy' ? (e.proxy_address ? [e.proxy_address] : []) : (e.seeds ?? []),
      ...(connections !== undefined ? { connections } : {}),
    };
  }
  return out;
}

const list = (v: string | string[] | undefined): string[] =>
  v === undefined
    ? []
    : Array.isArray(v)
      ? v
      : v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);

/** Where each alias is defined; the effective definition is transient > persistent > yml, as ES resolves it. */
export function describeAliases(
  persistent: Record<string, unknown>,
  transient: Record<string, unknown>,
  ymlByNode: Record<string, Record<string, unknown>>,
  remoteInfo: string[] | RemoteInfo = [],
): AliasReport[] {
  const remoteInfoAliases = Array.isArray(remoteInfo) ? remoteInfo : Object.keys(remoteInfo);
  const names = new Set<string>([...aliasesIn(persistent), ...aliasesIn(transient), ...remoteInfoAliases]);
  for (const flat of Object.values(ymlByNode)) for (const a of aliasesIn(flat)) names.add(a);
  const out: AliasReport[] = [];
  for (const alias of [...names].sort()) {
    const p = aliasSettingsFrom(persistent, alias);
    const t = aliasSettingsFrom(transient, alias);
    const ymlNodes: string[] = [];
    let yml: AliasSettings = {};
    for (const [node, flat] of Object.entries(ymlByNode)) {
      const s = aliasSettingsFrom(flat, alias);
      if (Object.keys(s).length) {
        ymlNodes.push(node);
        yml = s;
      }
    }
    const configuredAs: AliasReport['configuredAs'] = [];
    if (Object.keys(p).length) configuredAs.push('persistent');
    if (Object.keys(t).length) configuredAs.push('transient');
    if (ymlNodes.length) configuredAs.push('yml');
    const effective: AliasSettings = { ...yml, ...p, ...t };
    // Defined nowhere we can read (e.g. only in a node's own settings ES does not list): what _remote/info
    // reports is the truth about its mode and addresses.
    const seen = !configuredAs.length && !Array.isArray(remoteInfo) ? remoteInfo[alias] : undefined;
    if (seen) {
      out.push({
        alias,
        configuredAs,
        mode: seen.mode,
        addresses: seen.mode === 'proxy' ? (seen.proxy_address ? [seen.proxy_address] : []) : [...(seen.seeds ?? [])],
        ...(seen.skip_unavailable !== undefined ? { skipUnavailable: String(seen.skip_unavailable) } : {}),
        ymlNodes: [],
      });
      continue;
    }
    const mode = modeOf(effective);
    const skip = effective.skip_unavailable;
    out.push({
      alias,
      configuredAs,
      mode,
      addresses: mode === 'proxy' ? list(effective.proxy_address) : list(effective.seeds),
      ...(typeof skip === 'string' ? { skipUnavailable: skip } : {}),
      ymlNodes: ymlNodes.sort(),
    });
  }
  return out;
}

/**
 * Tasks of the local cluster that read through each alias (same rules as es_tasks: wildcards count too). Aliases
 * the tasks name literally are added even when no definition exists (e.g. mid-migration, between "remove the alias"
 * and "re-add it": the paused tasks must still be visible).
 */
export async function tasksByAlias(es: EsApi, knownAliases: string[]): Promise<Record<string, AliasTasks>> {
  const all = await readLocalTasks(es);
  const aliases = new Set([...knownAliases, ...aliasesNamedBy(all)]);
  const out: Record<string, AliasTasks> = {};
  for (const alias of [...aliases].sort()) {
    const t = tasksOfAlias(all, alias);
    out[alias] = {
      transforms: t.transforms.map((x) => ({ id: x.id, state: x.state, indices: x.source.index })),
      datafeeds: t.datafeeds.map((d) => ({
        id: d.datafeed_id,
        job: d.job_id,
        state: d.state,
        jobState: d.job_state,
        indices: d.indices,
      })),
      autoFollowPatterns: t.autoFollowPatterns.map((p) => ({
        name: p.name,
        active: p.active,
        leaderPatterns: p.leader_index_patterns,
      })),
      followers: t.followers.map((f) => ({ index: f.follower_index, leader: f.leader_index, status: f.status })),
    };
  }
  return out;
}

/** Per alias: the model of every node that answered, and the cluster's overall model. */
export function modelsByAlias(remoteInfo: NodeRemoteInfo[], aliases: string[]): NonNullable<ClusterReport['models']> {
  const out: NonNullable<ClusterReport['models']> = {};
  for (const alias of aliases) {
    const perNode: Record<string, Model> = {};
    for (const n of remoteInfo) {
      const s = n.aliases[alias];
      if (s) perNode[n.nodeName ?? n.host] = s.model;
    }
    const kinds = new Set(Object.values(perNode));
    out[alias] = { model: kinds.size === 0 ? 'unknown' : kinds.size > 1 ? 'mixed' : [...kinds][0]!, perNode };
  }
  return out;
}

export interface ClusterTarget {
  group: string;
  vars: Record<string, unknown>;
  /** Hosts of the group with their vars (for es_node_url). */
  hosts: Array<{ host: string; vars: Record<string, unknown> }>;
}

interface RootInfo {
  name?: string;
  cluster_name?: string;
  cluster_uuid?: string;
  version?: { number?: string };
}
interface Health {
  status: string;
  number_of_nodes: number;
  number_of_data_nodes?: number;
  active_shards?: number;
  relocating_shards?: number;
  initializing_shards?: number;
  unassigned_shards?: number;
}
interface License {
  license?: { type?: string; status?: string; expiry_date?: string };
}
interface NodesInfo {
  nodes?: Record<string, { name: string; version: string; roles?: string[]; http?: { publish_address?: string } }>;
}

export async function inspectCluster(target: ClusterTarget, opts: EsClientOptions): Promise<ClusterReport> {
  const url = String(target.vars.es_url ?? '');
  const report: ClusterReport = { group: target.group, url, remoteInfo: [] };
  let es: EsApi;
  try {
    es = esForVars(target.vars, { ...opts, label: target.group });
    const [root, health, license, nodes] = await Promise.all([
      es.request<RootInfo>({ method: 'GET', path: '/' }),
      es.request<Health>({ method: 'GET', path: '/_cluster/health' }),
      es.request<License>({ method: 'GET', path: '/_license', okStatuses: [404] }),
      es.request<NodesInfo>({
        method: 'GET',
        path: '/_nodes',
        query: { filter_path: 'nodes.*.name,nodes.*.version,nodes.*.roles,nodes.*.http.publish_address' },
      }),
    ]);
    const r = root.body;
    if (r.cluster_name) report.name = r.cluster_name;
    if (r.cluster_uuid) report.uuid = r.cluster_uuid;
    if (r.version?.number) report.version = r.version.number;
    const h = health.body;
    report.health = {
      status: h.status,
      nodes: h.number_of_nodes,
      ...(h.number_of_data_nodes !== undefined ? { dataNodes: h.number_of_data_nodes } : {}),
      ...(h.active_shards !== undefined ? { activeShards: h.active_shards } : {}),
      ...(h.relocating_shards !== undefined ? { relocating: h.relocating_shards } : {}),
      ...(h.initializing_shards !== undefined ? { initializing: h.initializing_shards } : {}),
      ...(h.unassigned_shards !== undefined ? { unassigned: h.unassigned_shards } : {}),
    };
    const l = license.body.license;
    if (l)
      report.license = {
        type: l.type ?? 'unknown',
        status: l.status ?? 'unknown',
        ...(l.expiry_date ? { expiry: l.expiry_date } : {}),
      };
    report.nodes = Object.values(nodes.body.nodes ?? {})
      .map((n) => ({
        name: n.name,
        version: n.version,
        roles: [...(n.roles ?? [])].sort(),
        ...(n.http?.publish_address ? { http: n.http.publish_address } : {}),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  } catch (e) {
    report.error = errorText(e);
    if (e instanceof EsError && (e.status === 401 || e.status === 403)) {
      report.authError = true;
      const user = nonBlank(target.vars.es_user);
      const who = user ? `user ${user}` : 'the API key (es_api_key)';
      report.error = `${e.status} for ${who} on cluster ${target.group}: ${errorText(e)}`;
    }
    return report;
  }

  // Aliases: cluster settings + each node's elasticsearch.yml (from _nodes/settings) + what _remote/info knows.
  let clusterRemote: RemoteInfo = {};
  try {
    const [cs, nodeSettings, ri] = await Promise.all([getClusterSettings(es), getNodesSettings(es), getRemoteInfo(es)]);
    clusterRemote = ri;
    const ymlByNode: Record<string, Record<string, unknown>> = {};
    for (const n of nodeSettings) ymlByNode[n.name] = n.settings;
    report.aliases = describeAliases(cs.persistent, cs.transient, ymlByNode, ri);
  } catch (e) {
    report.error = `aliases: ${errorText(e)}`;
  }
  const aliases = (report.aliases ?? []).map((a) => a.alias);

  // Each node's own _remote/info: a node answers for its own connections and its own keystore credentials.
  report.remoteInfo = await Promise.all(
    target.hosts.map(async ({ host, vars }): Promise<NodeRemoteInfo> => {
      const nodeUrl = typeof vars.es_node_url === 'string' && vars.es_node_url ? vars.es_node_url : undefined;
      if (!nodeUrl) return { host, error: 'es_node_url is not set', aliases: {} };
      try {
        const node = esForNode(vars, nodeUrl, { ...opts, label: host });
        const [root, info] = await Promise.all([
          node.request<RootInfo>({ method: 'GET', path: '/', retry: false }),
          getRemoteInfo(node),
        ]);
        return {
          host,
          url: nodeUrl,
          ...(root.body.name ? { nodeName: root.body.name } : {}),
          aliases: nodeAliasStates(info),
        };
      } catch (e) {
        return { host, url: nodeUrl, error: errorText(e), aliases: {} };
      }
    }),
  );
  if (!target.hosts.length) {
    // No hosts listed for the group: the cluster URL's own node is the only answer there is.
    report.remoteInfo = [{ host: target.group, url, aliases: nodeAliasStates(clusterRemote) }];
  }
  report.models = modelsByAlias(report.remoteInfo, aliases);

  try {
    report.tasks = await tasksByAlias(es, aliases);
  } catch (e) {
    report.tasksError = errorText(e);
  }
  return report;
}
