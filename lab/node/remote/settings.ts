// Effective remote-cluster alias settings of one node, as ES resolves them: for every key,
// transient > persistent > the node's elasticsearch.yml (flat keys). Credentials come from the keystore.
import { versionAtLeast } from '../../../controller/version.js';

export type RemoteMode = 'sniff' | 'proxy';

export interface AliasSettings {
  alias: string;
  mode: RemoteMode;
  seeds: string[];
  proxyAddress: string;
  serverName: string;
  nodeConnections: number;
  proxySocketConnections: number;
  skipUnavailable: boolean;
  initialConnectTimeout: string;
  /** Where the alias is defined (for messages). */
  source: 'transient' | 'persistent' | 'yml';
}

type Flat = Record<string, unknown>;
const PREFIX = 'cluster.remote.';
const GLOBAL_KEYS = new Set(['initial_connect_timeout', 'connections_per_cluster', 'node', 'connect']);

function asList(v: unknown): string[] {
  if (v === undefined || v === null || v === '') return [];
  if (Array.isArray(v)) return v.map(String).filter((s) => s !== '');
  return String(v)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Aliases named in any of the layers (a key `cluster.remote.<alias>.<setting>`). */
function aliasNames(layers: Flat[]): string[] {
  const names = new Set<string>();
  for (const l of layers)
    for (const k of Object.keys(l)) {
      if (!k.startsWith(PREFIX)) continue;
      const rest = k.slice(PREFIX.length);
      const dot = rest.indexOf('.');
      if (dot <= 0) continue;
      const alias = rest.slice(0, dot);
      if (!GLOBAL_KEYS.has(alias)) names.add(alias);
    }
  return [...names].sort();
}

/**
 * Effective alias settings: only aliases whose mode has an address (sniff: seeds, proxy: proxy_address),
 * like ES's RemoteClusterService, which ignores an alias without one.
 */
export function effectiveAliases(yml: Flat, persistent: Flat, transient: Flat, version: string): AliasSettings[] {
  const layers: Array<[AliasSettings['source'], Flat]> = [
    ['transient', transient],
    ['persistent', persistent],
    ['yml', yml],
  ];
  const out: AliasSettings[] = [];
  for (const alias of aliasNames(layers.map((l) => l[1]))) {
    const get = (key: string): { value: unknown; source: AliasSettings['source'] } | undefined => {
      for (const [source, l] of layers) {
        const v = l[`${PREFIX}${alias}.${key}`];
        if (v !== undefined && v !== null) return { value: v, source };
      }
      return undefined;
    };
    const mode = String(get('mode')?.value ?? 'sniff') as RemoteMode;
    const seeds = asList(get('seeds')?.value);
    const proxyAddress = String(get('proxy_address')?.value ?? '');
    if (mode === 'sniff' ? seeds.length === 0 : proxyAddress === '') continue;
    const src = get(mode === 'sniff' ? 'seeds' : 'proxy_address')!.source;
    const skip = get('skip_unavailable')?.value;
    out.push({
      alias,
      mode,
      seeds,
      proxyAddress,
      serverName: String(get('server_name')?.value ?? ''),
      nodeConnections: Number(get('node_connections')?.value ?? yml['cluster.remote.connections_per_cluster'] ?? 3),
      proxySocketConnections: Number(get('proxy_socket_connections')?.value ?? 18),
      skipUnavailable: skip === undefined ? versionAtLeast(version, '8.15.0') : String(skip) === 'true',
      initialConnectTimeout: String(yml['cluster.remote.initial_connect_timeout'] ?? '30s'),
      source: src,
    });
  }
  return out;
}

/** Key identifying the connection-relevant part of an alias and its credentials (a digest, '' for none), to know
 *  when to rebuild its connection. */
export function aliasFingerprint(a: AliasSettings, credentialDigest: string): string {
  return JSON.stringify([
    a.mode,
    a.seeds,
    a.proxyAddress,
    a.serverName,
    a.nodeConnections,
    a.proxySocketConnections,
    credentialDigest,
  ]);
}

export function credentialsSettingName(alias: string): string {
  return `cluster.remote.${alias}.credentials`;
}

/** Parses `host:port` (IPv4 or name; `[v6]:port`). */
export function parseAddress(addr: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(addr.trim());
  if (!m) throw new Error(`failed to parse remote address [${addr}]`);
  return { host: m[1], port: Number(m[2]) };
}

export interface ConnectionStatus {
  connected: boolean;
  nodesConnected: number;
  socketsConnected: number;
}

/** One alias of GET /_remote/info for the node asked (shapes: es-api/examples/cluster.remote_info). */
export function remoteInfoEntry(
  a: AliasSettings,
  status: ConnectionStatus,
  hasCredentials: boolean,
): Record<string, unknown> {
  const base: Record<string, unknown> =
    a.mode === 'sniff'
      ? {
          connected: status.connected,
          mode: 'sniff',
          seeds: a.seeds,
          num_nodes_connected: status.nodesConnected,
          max_connections_per_cluster: a.nodeConnections,
        }
      : {
          connected: status.connected,
          mode: 'proxy',
          proxy_address: a.proxyAddress,
          server_name: a.serverName,
          num_proxy_sockets_connected: status.socketsConnected,
          max_proxy_socket_connections: a.proxySocketConnections,
        };
  base.initial_connect_timeout = a.initialConnectTimeout;
  base.skip_unavailable = a.skipUnavailable;
  if (hasCredentials) base.cluster_credentials = '::es_redacted::';
  return base;
}
