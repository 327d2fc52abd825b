// Cluster, node and restart APIs (docs/procedure.md §2.1 and §2.10): typed wrappers with runtime shape checks, so a
// malformed answer fails with an error naming the API and field instead of an undefined deep in a gate.
import type { EsApi } from '../types.js';
import { shape, isObj, type Obj } from './shape.js';

// ---------- GET / ----------
export interface RootInfo {
  name: string;
  cluster_name: string;
  cluster_uuid: string;
  version: {
    number: string;
    build_flavor?: string;
    minimum_wire_compatibility_version?: string;
    minimum_index_compatibility_version?: string;
  };
}
export function parseInfo(body: unknown): RootInfo {
  const s = shape('GET /');
  const o = s.obj(body, 'body');
  const v = s.obj(o.version, 'version');
  return {
    name: s.str(o.name, 'name'),
    cluster_name: s.str(o.cluster_name, 'cluster_name'),
    cluster_uuid: s.str(o.cluster_uuid, 'cluster_uuid'),
    version: {
      number: s.str(v.number, 'version.number'),
      build_flavor: s.optStr(v.build_flavor, 'version.build_flavor'),
      minimum_wire_compatibility_version: s.optStr(
        v.minimum_wire_compatibility_version,
        'version.minimum_wire_compatibility_version',
      ),
      minimum_index_compatibility_version: s.optStr(
        v.minimum_index_compatibility_version,
        'version.minimum_index_compatibility_version',
      ),
    },
  };
}
export async function getInfo(es: EsApi): Promise<RootInfo> {
  return parseInfo((await es.request({ method: 'GET', path: '/' })).body);
}

// ---------- GET /_nodes ----------
export interface NodeInfo {
  id: string;
  name: string;
  version: string;
  roles: string[];
  host?: string;
  ip?: string;
  transport_address?: string;
  attributes: Record<string, string>;
}
export function parseNodesInfo(body: unknown, api = 'GET /_nodes'): NodeInfo[] {
  const s = shape(api);
  const o = s.obj(body, 'body');
  const nodes = s.obj(o.nodes ?? {}, 'nodes');
  return Object.entries(nodes).map(([id, v]) => {
    const n = s.obj(v, `nodes.${id}`);
    const attrs: Record<string, string> = {};
    for (const [k, x] of Object.entries(s.obj(n.attributes ?? {}, `nodes.${id}.attributes`))) attrs[k] = String(x);
    return {
      id,
      name: s.str(n.name, `nodes.${id}.name`),
      version: s.str(n.version, `nodes.${id}.version`),
      roles: s.strs(n.roles ?? [], `nodes.${id}.roles`),
      host: s.optStr(n.host, `nodes.${id}.host`),
      ip: s.optStr(n.ip, `nodes.${id}.ip`),
      transport_address: s.optStr(n.transport_address, `nodes.${id}.transport_address`),
      attributes: attrs,
    };
  });
}
const NODE_FIELDS =
  'nodes.*.name,nodes.*.version,nodes.*.roles,nodes.*.host,nodes.*.ip,nodes.*.transport_address,nodes.*.attributes';
/** All nodes, or the given node ids/names (`nodeIds` joined with commas). */
export async function getNodes(es: EsApi, nodeIds?: string[]): Promise<NodeInfo[]> {
  const path = nodeIds?.length ? `/_nodes/${nodeIds.map(encodeURIComponent).join(',')}` : '/_nodes';
  return parseNodesInfo(
    (await es.request({ method: 'GET', path, query: { filter_path: NODE_FIELDS } })).body,
    `GET ${path}`,
  );
}

// ---------- GET /_nodes/settings ----------
export interface NodeSettings {
  id: string;
  name: string;
  settings: Record<string, unknown>;
}
export function parseNodesSettings(body: unknown): NodeSettings[] {
  const s = shape('GET /_nodes/settings');
  const o = s.obj(body, 'body');
  return Object.entries(s.obj(o.nodes ?? {}, 'nodes')).map(([id, v]) => {
    const n = s.obj(v, `nodes.${id}`);
    return {
      id,
      name: s.str(n.name, `nodes.${id}.name`),
      settings: flat(s.obj(n.settings ?? {}, `nodes.${id}.settings`)),
    };
  });
}
export async function getNodesSettings(es: EsApi): Promise<NodeSettings[]> {
  const r = await es.request({
    method: 'GET',
    path: '/_nodes/settings',
    query: { flat_settings: true, filter_path: 'nodes.*.name,nodes.*.settings' },
  });
  return parseNodesSettings(r.body);
}

// ---------- GET /_cat/nodes, /_cat/master ----------
export interface CatNode {
  id?: string;
  name: string;
  ip?: string;
  version?: string;
  /** Abbreviated roles, e.g. "cdfhilmrstw" ("m" = master-eligible, "-" = coordinating only). */
  roles: string;
  /** "*" in the master column: the elected master. */
  elected: boolean;
}
export function parseCatNodes(body: unknown): CatNode[] {
  const s = shape('GET /_cat/nodes');
  return s.arr(body, 'body').map((v, i) => {
    const n = s.obj(v, `[${i}]`);
    return {
      id: s.optStr(n.id, `[${i}].id`),
      name: s.str(n.name, `[${i}].name`),
      ip: s.optStr(n.ip, `[${i}].ip`),
      version: s.optStr(n.version, `[${i}].version`),
      roles: s.optStr(n['node.role'], `[${i}].node.role`) ?? '',
      elected: n.master === '*',
    };
  });
}
export async function catNodes(es: EsApi): Promise<CatNode[]> {
  const r = await es.request({
    method: 'GET',
    path: '/_cat/nodes',
    query: { h: 'id,name,ip,version,node.role,master', format: 'json', full_id: true },
  });
  return parseCatNodes(r.body);
}
export interface CatMaster {
  id: string;
  node: string;
  host?: string;
  ip?: string;
}
export function parseCatMaster(body: unknown): CatMaster {
  const s = shape('GET /_cat/master');
  const list = s.arr(body, 'body');
  if (list.length !== 1)
    throw new Error(`GET /_cat/master: unexpected answer: expected one elected master, got ${list.length}`);
  const m = s.obj(list[0], '[0]');
  return {
    id: s.str(m.id, '[0].id'),
    node: s.str(m.node, '[0].node'),
    host: s.optStr(m.host, '[0].host'),
    ip: s.optStr(m.ip, '[0].ip'),
  };
}
export async function catMaster(es: EsApi): Promise<CatMaster> {
  // _cat/master always prints the full node id and rejects full_id as an unknown parameter.
  return parseCatMaster((await es.request({ method: 'GET', path: '/_cat/master', query: { format: 'json' } })).body);
}

// ---------- GET /_cluster/health ----------
export type HealthStatus = 'green' | 'yellow' | 'red';
export interface ClusterHealth {
  cluster_name: string;
  status: HealthStatus;
  timed_out: boolean;
  number_of_nodes: number;
  number_of_data_nodes: number;
  relocating_shards: number;
  initializing_shards: number;
  unassigned_shards: number;
  delayed_unassigned_shards?: number;
  active_shards_percent_as_number?: number;
}
export function parseHealth(body: unknown): ClusterHealth {
  const s = shape('GET /_cluster/health');
  const o = s.obj(body, 'body');
  return {
    cluster_name: s.str(o.cluster_name, 'cluster_name'),
    status: s.oneOf(o.status, 'status', ['green', 'yellow', 'red'] as const),
    timed_out: s.optBool(o.timed_out, 'timed_out') ?? false,
    number_of_nodes: s.num(o.number_of_nodes, 'number_of_nodes'),
    number_of_data_nodes: s.num(o.number_of_data_nodes, 'number_of_data_nodes'),
    relocating_shards: s.num(o.relocating_shards, 'relocating_shards'),
    initializing_shards: s.num(o.initializing_shards, 'initializing_shards'),
    unassigned_shards: s.num(o.unassigned_shards, 'unassigned_shards'),
    delayed_unassigned_shards: s.optNum(o.delayed_unassigned_shards, 'delayed_unassigned_shards'),
    active_shards_percent_as_number: s.optNum(o.active_shards_percent_as_number, 'active_shards_percent_as_number'),
  };
}
export interface HealthWait {
  waitForStatus?: HealthStatus;
  waitForNoRelocatingShards?: boolean;
  waitForNoInitializingShards?: boolean;
  /** "3", ">=3", "<3", "ge(3)" … */
  waitForNodes?: string;
  /** Server-side wait, e.g. "30s". */
  timeout?: string;
}
/** Health, optionally waiting server-side; a wait that times out answers 408 with timed_out: true (not an error). */
export async function clusterHealth(es: EsApi, wait: HealthWait = {}): Promise<ClusterHealth> {
  const timeoutMs = wait.timeout ? durationMs(wait.timeout) + 15_000 : undefined;
  const r = await es.request({
    method: 'GET',
    path: '/_cluster/health',
    query: {
      wait_for_status: wait.waitForStatus,
      wait_for_no_relocating_shards: wait.waitForNoRelocatingShards,
      wait_for_no_initializing_shards: wait.waitForNoInitializingShards,
      wait_for_nodes: wait.waitForNodes,
      timeout: wait.timeout,
    },
    okStatuses: [408],
    timeoutMs,
  });
  const h = parseHealth(r.body);
  if (r.status === 408) h.timed_out = true;
  return h;
}

// ---------- cluster settings ----------
export interface ClusterSettings {
  persistent: Record<string, unknown>;
  transient: Record<string, unknown>;
  defaults?: Record<string, unknown>;
}
/** Nested settings objects become dotted keys (answers are flat with flat_settings=true, but be lenient). */
function flat(o: Obj, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(o)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isObj(v)) flat(v, key, out);
    else out[key] = v;
  }
  return out;
}
export function parseClusterSettings(
  body: unknown,
  api = 'GET /_cluster/settings',
): ClusterSettings & { acknowledged?: boolean } {
  const s = shape(api);
  const o = s.obj(body, 'body');
  const out: ClusterSettings & { acknowledged?: boolean } = {
    persistent: flat(s.obj(o.persistent ?? {}, 'persistent')),
    transient: flat(s.obj(o.transient ?? {}, 'transient')),
  };
  if (o.defaults !== undefined) out.defaults = flat(s.obj(o.defaults, 'defaults'));
  if (o.acknowledged !== undefined) out.acknowledged = s.bool(o.acknowledged, 'acknowledged');
  return out;
}
export async function getClusterSettings(
  es: EsApi,
  opts: { includeDefaults?: boolean; filterPath?: string } = {},
): Promise<ClusterSettings> {
  const r = await es.request({
    method: 'GET',
    path: '/_cluster/settings',
    query: { flat_settings: true, include_defaults: opts.includeDefaults || undefined, filter_path: opts.filterPath },
  });
  return parseClusterSettings(r.body);
}
export class NotAcknowledgedError extends Error {
  constructor(api: string, label: string) {
    super(
      `[${label}] ${api}: the cluster did not acknowledge the change in time (acknowledged: false); check GET /_cluster/health and retry`,
    );
    this.name = 'NotAcknowledgedError';
  }
}
/** PUT /_cluster/settings; `null` resets a setting. Throws when not acknowledged. */
export async function putClusterSettings(
  es: EsApi,
  update: { persistent?: Record<string, unknown>; transient?: Record<string, unknown> },
): Promise<ClusterSettings> {
  const r = await es.request({
    method: 'PUT',
    path: '/_cluster/settings',
    query: { flat_settings: true },
    body: update,
  });
  const parsed = parseClusterSettings(r.body, 'PUT /_cluster/settings');
  if (parsed.acknowledged !== true) throw new NotAcknowledgedError('PUT /_cluster/settings', es.label);
  return parsed;
}

export const ALLOCATION_ENABLE = 'cluster.routing.allocation.enable';
/** The effective `cluster.routing.allocation.enable` (transient wins over persistent; default "all"). */
export function allocationEnable(settings: ClusterSettings): string {
  const v = settings.transient[ALLOCATION_ENABLE] ?? settings.persistent[ALLOCATION_ENABLE];
  return v === undefined || v === null ? 'all' : String(v);
}
/** Sets allocation ("primaries" before a stop, null = default after the node is back). */
export async function setAllocation(
  es: EsApi,
  value: 'primaries' | 'none' | 'new_primaries' | 'all' | null,
): Promise<void> {
  await putClusterSettings(es, { persistent: { [ALLOCATION_ENABLE]: value } });
}

// ---------- POST /_flush ----------
export interface FlushResult {
  total: number;
  successful: number;
  failed: number;
}
export function parseFlush(body: unknown): FlushResult {
  const s = shape('POST /_flush');
  const sh = s.obj(s.obj(body, 'body')._shards, '_shards');
  return {
    total: s.num(sh.total, '_shards.total'),
    successful: s.num(sh.successful, '_shards.successful'),
    failed: s.num(sh.failed, '_shards.failed'),
  };
}
export async function flush(es: EsApi): Promise<FlushResult> {
  return parseFlush((await es.request({ method: 'POST', path: '/_flush' })).body);
}

// ---------- GET /_license ----------
export interface License {
  type: string;
  status: string;
  uid?: string;
  expiry_date_in_millis?: number;
  issued_to?: string;
}
export function parseLicense(body: unknown): License {
  const s = shape('GET /_license');
  const l = s.obj(s.obj(body, 'body').license, 'license');
  return {
    type: s.str(l.type, 'license.type'),
    status: s.str(l.status, 'license.status'),
    uid: s.optStr(l.uid, 'license.uid'),
    expiry_date_in_millis: s.optNum(l.expiry_date_in_millis, 'license.expiry_date_in_millis'),
    issued_to: s.optStr(l.issued_to, 'license.issued_to'),
  };
}
export async function getLicense(es: EsApi): Promise<License> {
  return parseLicense((await es.request({ method: 'GET', path: '/_license' })).body);
}
/** API-key remote clusters need Enterprise or trial, active. */
export function licenseAllowsRcs2(l: License): boolean {
  return (l.type === 'enterprise' || l.type === 'trial') && l.status === 'active';
}

// ---------- security: authenticate, has_privileges ----------
export interface AuthenticateResult {
  username: string;
  roles: string[];
  authentication_type?: string;
  authentication_realm?: { name: string; type: string };
  api_key?: { id: string; name?: string };
}
export function parseAuthenticate(body: unknown): AuthenticateResult {
  const s = shape('GET /_security/_authenticate');
  const o = s.obj(body, 'body');
  const out: AuthenticateResult = {
    username: s.str(o.username, 'username'),
    roles: s.strs(o.roles ?? [], 'roles'),
    authentication_type: s.optStr(o.authentication_type, 'authentication_type'),
  };
  if (o.authentication_realm !== undefined) {
    const r = s.obj(o.authentication_realm, 'authentication_realm');
    out.authentication_realm = {
      name: s.str(r.name, 'authentication_realm.name'),
      type: s.str(r.type, 'authentication_realm.type'),
    };
  }
  if (o.api_key !== undefined && o.api_key !== null) {
    const k = s.obj(o.api_key, 'api_key');
    out.api_key = { id: s.str(k.id, 'api_key.id'), name: s.optStr(k.name, 'api_key.name') };
  }
  return out;
}
export async function authenticate(es: EsApi): Promise<AuthenticateResult> {
  return parseAuthenticate((await es.request({ method: 'GET', path: '/_security/_authenticate' })).body);
}
export interface HasPrivilegesResult {
  username: string;
  has_all_requested: boolean;
  cluster: Record<string, boolean>;
  missing: string[];
}
export function parseHasPrivileges(body: unknown): HasPrivilegesResult {
  const s = shape('POST /_security/user/_has_privileges');
  const o = s.obj(body, 'body');
  const cluster: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(s.obj(o.cluster ?? {}, 'cluster'))) cluster[k] = s.bool(v, `cluster.${k}`);
  return {
    username: s.str(o.username, 'username'),
    has_all_requested: s.bool(o.has_all_requested, 'has_all_requested'),
    cluster,
    missing: Object.entries(cluster)
      .filter(([, v]) => !v)
      .map(([k]) => k),
  };
}
export async function hasPrivileges(es: EsApi, cluster: string[]): Promise<HasPrivilegesResult> {
  const r = await es.request({ method: 'POST', path: '/_security/user/_has_privileges', body: { cluster } });
  return parseHasPrivileges(r.body);
}

// ---------- helpers ----------
/** "30s", "2m", "500ms", "1h" → ms. */
export function durationMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(d.trim());
  if (!m) throw new Error(`bad duration "${d}" (expected e.g. 30s, 2m, 500ms)`);
  const n = Number(m[1]);
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}
export function isMasterEligible(roles: string[] | string): boolean {
  return Array.isArray(roles) ? roles.includes('master') : roles.includes('m');
}
