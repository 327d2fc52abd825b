// Remote cluster aliases (docs/procedure.md §2.3, §2.4): the three places an alias can be defined (persistent,
// transient,
// elasticsearch.yml via _nodes/settings), the requests that remove or write one consistently, and the per-node
// verification answers (_remote/info, _resolve/cluster).
import type { EsApi } from '../types.js';
import { shape, isObj, type Obj } from './shape.js';
import { getClusterSettings, getNodesSettings } from './cluster.js';

export type AliasSettingKind = 'persistent' | 'transient';
export type RemoteMode = 'sniff' | 'proxy';
export type SettingValue = string | string[];
/** Flat settings of one alias, keyed by the part after `cluster.remote.<alias>.` (e.g. `mode`, `seeds`). */
export type AliasSettings = Record<string, SettingValue>;

/** Every per-alias key ES knows (credentials is a secure setting and never appears here). */
export const SNIFF_KEYS = ['seeds', 'node_connections'] as const;
export const PROXY_KEYS = ['proxy_address', 'proxy_socket_connections', 'server_name'] as const;
export const COMMON_KEYS = [
  'mode',
  'skip_unavailable',
  'transport.ping_schedule',
  'transport.compress',
  'transport.compression_scheme',
] as const;
export const ALIAS_KEYS: readonly string[] = [...COMMON_KEYS, ...SNIFF_KEYS, ...PROXY_KEYS];

export function aliasPrefix(alias: string): string {
  return `cluster.remote.${alias}.`;
}

/** Flattens nested settings (`{cluster:{remote:{a:{mode:…}}}}`) into dotted keys; flat input passes through. */
export function flattenSettings(v: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (!isObj(v)) return out;
  for (const [k, x] of Object.entries(v)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isObj(x)) flattenSettings(x, key, out);
    else out[key] = x;
  }
  return out;
}

function settingValue(v: unknown): SettingValue | undefined {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) return v.map(String);
  return String(v); // ES answers settings as strings ("false", "18")
}

/** The settings of `alias` inside a flat settings map. */
export function aliasSettingsFrom(flat: Record<string, unknown>, alias: string): AliasSettings {
  const p = aliasPrefix(alias);
  const out: AliasSettings = {};
  for (const [k, v] of Object.entries(flat)) {
    // cluster.remote.<alias>.signing.* (9.3 strong identity) signs requests; it does not define the connection.
    if (!k.startsWith(p) || k.startsWith(`${p}signing.`)) continue;
    const sv = settingValue(v);
    if (sv !== undefined) out[k.slice(p.length)] = sv;
  }
  return out;
}

/** All aliases that have at least one setting in a flat map. */
export function aliasesIn(flat: Record<string, unknown>): string[] {
  const names = new Set<string>();
  for (const k of Object.keys(flat)) {
    const m = /^cluster\.remote\.([^.]+)\.(.+)$/.exec(k);
    if (m && ALIAS_KEYS.includes(m[2]!)) names.add(m[1]!);
  }
  return [...names].sort();
}

export interface PutSettingsBody {
  persistent?: Record<string, unknown>;
  transient?: Record<string, unknown>;
}

/** The alias as defined in each of the three places. `yml` is per node name (nodes without it are left out). */
export interface AliasDefinition {
  alias: string;
  persistent: AliasSettings;
  transient: AliasSettings;
  yml: Record<string, AliasSettings>;
}

export type AliasDefinitionKind = 'persistent' | 'transient' | 'yml';

export function definitionKinds(def: AliasDefinition): AliasDefinitionKind[] {
  const kinds: AliasDefinitionKind[] = [];
  if (Object.keys(def.persistent).length) kinds.push('persistent');
  if (Object.keys(def.transient).length) kinds.push('transient');
  if (Object.values(def.yml).some((s) => Object.keys(s).length)) kinds.push('yml');
  return kinds;
}

export async function readAliasDefinition(es: EsApi, alias: string): Promise<AliasDefinition> {
  const [cs, nodes] = await Promise.all([getClusterSettings(es), getNodesSettings(es)]);
  const yml: Record<string, AliasSettings> = {};
  for (const n of nodes) {
    const a = aliasSettingsFrom(n.settings, alias);
    if (Object.keys(a).length) yml[n.name] = a;
  }
  return {
    alias,
    persistent: aliasSettingsFrom(cs.persistent, alias),
    transient: aliasSettingsFrom(cs.transient, alias),
    yml,
  };
}

/** Effective mode of a settings set: explicit `mode`, else sniff (ES's default). */
export function modeOf(s: AliasSettings): RemoteMode {
  return s.mode === 'proxy' ? 'proxy' : 'sniff';
}

/**
 * A request body that nulls every key of the alias under `kind`, mode-consistent: the keys of both modes are nulled
 * in the same request (ES validates mode/keys consistency on each update).
 */
export function removeAliasBody(alias: string, kind: AliasSettingKind, current: AliasSettings): PutSettingsBody {
  const p = aliasPrefix(alias);
  const body: Record<string, null> = {};
  for (const k of new Set([...ALIAS_KEYS, ...Object.keys(current)])) body[p + k] = null;
  return { [kind]: body };
}

/**
 * A complete, mode-consistent definition: the keys of the other mode are nulled in the same request so that
 * switching mode never fails with "cannot be used with the configured mode".
 */
export function writeAliasBody(alias: string, kind: AliasSettingKind, desired: AliasSettings): PutSettingsBody {
  const p = aliasPrefix(alias);
  const mode = modeOf(desired);
  const other: readonly string[] = mode === 'proxy' ? SNIFF_KEYS : PROXY_KEYS;
  const body: Record<string, unknown> = {};
  for (const k of ALIAS_KEYS) body[p + k] = null;
  for (const [k, v] of Object.entries(desired)) {
    if (other.includes(k)) continue;
    body[p + k] = v;
  }
  body[p + 'mode'] = mode;
  return { [kind]: body };
}

/** Compares two alias settings sets by value (string forms, lists in order). */
export function sameAliasSettings(a: AliasSettings, b: AliasSettings): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return false;
  }
  return true;
}

// ---- verification ----

export interface RemoteInfoEntry {
  connected: boolean;
  mode: RemoteMode;
  skip_unavailable?: boolean;
  initial_connect_timeout?: string;
  cluster_credentials?: string;
  seeds?: string[];
  num_nodes_connected?: number;
  max_connections_per_cluster?: number;
  proxy_address?: string;
  server_name?: string;
  num_proxy_sockets_connected?: number;
  max_proxy_socket_connections?: number;
}
export type RemoteInfo = Record<string, RemoteInfoEntry>;

export function parseRemoteInfo(body: unknown): RemoteInfo {
  const api = 'GET /_remote/info';
  const s = shape(api);
  const o = s.obj(body, 'body');
  const out: RemoteInfo = {};
  for (const [alias, v] of Object.entries(o)) {
    const e = s.obj(v, alias);
    const entry: RemoteInfoEntry = {
      connected: s.bool(e.connected, `${alias}.connected`),
      mode: s.oneOf(e.mode ?? 'sniff', `${alias}.mode`, ['sniff', 'proxy'] as const),
    };
    const sk = s.optBool(e.skip_unavailable, `${alias}.skip_unavailable`);
    if (sk !== undefined) entry.skip_unavailable = sk;
    const ict = s.optStr(e.initial_connect_timeout, `${alias}.initial_connect_timeout`);
    if (ict !== undefined) entry.initial_connect_timeout = ict;
    const cc = s.optStr(e.cluster_credentials, `${alias}.cluster_credentials`);
    if (cc !== undefined) entry.cluster_credentials = cc;
    const seeds = s.optStrs(e.seeds, `${alias}.seeds`);
    if (seeds) entry.seeds = seeds;
    for (const k of [
      'num_nodes_connected',
      'max_connections_per_cluster',
      'num_proxy_sockets_connected',
      'max_proxy_socket_connections',
    ] as const) {
      const n = s.optNum(e[k], `${alias}.${k}`);
      if (n !== undefined) entry[k] = n;
    }
    const pa = s.optStr(e.proxy_address, `${alias}.proxy_address`);
    if (pa !== undefined) entry.proxy_address = pa;
    const sn = s.optStr(e.server_name, `${alias}.server_name`);
    if (sn !== undefined) entry.server_name = sn;
    out[alias] = entry;
  }
  return out;
}

export async function getRemoteInfo(es: EsApi): Promise<RemoteInfo> {
  const res = await es.request({ method: 'GET', path: '/_remote/info' });
  return parseRemoteInfo(res.body);
}

export interface ResolveClusterEntry {
  connected: boolean;
  skip_unavailable: boolean;
  matching_indices?: boolean;
  error?: string;
  version?: { number: string };
}
export type ResolveCluster = Record<string, ResolveClusterEntry>;

export function parseResolveCluster(body: unknown): ResolveCluster {
  const s = shape('GET /_resolve/cluster');
  const o = s.obj(body, 'body');
  const out: ResolveCluster = {};
  for (const [alias, v] of Object.entries(o)) {
    const e = s.obj(v, alias);
    const entry: ResolveClusterEntry = {
      connected: s.bool(e.connected, `${alias}.connected`),
      skip_unavailable: s.optBool(e.skip_unavailable, `${alias}.skip_unavailable`) ?? false,
    };
    const mi = s.optBool(e.matching_indices, `${alias}.matching_indices`);
    if (mi !== undefined) entry.matching_indices = mi;
    if (e.error !== undefined) entry.error = typeof e.error === 'string' ? e.error : JSON.stringify(e.error);
    if (isObj(e.version)) entry.version = { number: s.str((e.version as Obj).number, `${alias}.version.number`) };
    out[alias] = entry;
  }
  return out;
}

/** `GET /_resolve/cluster/<alias>:*` (8.13+): forces a round trip to the remote. */
export async function resolveCluster(es: EsApi, alias: string): Promise<ResolveCluster> {
  const res = await es.request({ method: 'GET', path: `/_resolve/cluster/${encodeURIComponent(alias)}:*` });
  return parseResolveCluster(res.body);
}

/** Port of a `host:port` (IPv6 `[::1]:9443` too); undefined when absent. */
export function portOf(address: string): number | undefined {
  const m = /:(\d+)$/.exec(address.trim());
  return m ? Number(m[1]) : undefined;
}
