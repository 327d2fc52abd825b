// Roles (docs/procedure.md §2.8): read/write role descriptors and derive the `remote_indices` / `remote_cluster`
// privileges a local role needs under API-key security from the remote cluster's role of the same name.
import type { EsApi } from '../types.js';
import { wildcardMatch } from '../index-expr.js';
import { shape, isObj, sortDeep, type Obj } from './shape.js';

export interface IndicesPrivileges {
  names: string[];
  privileges: string[];
  field_security?: { grant?: string[]; except?: string[] };
  query?: string | object;
  allow_restricted_indices?: boolean;
}
export interface RemoteIndicesPrivileges extends IndicesPrivileges {
  clusters: string[];
}
export interface RemoteClusterPrivileges {
  clusters: string[];
  privileges: string[];
}

export interface RoleDescriptor {
  cluster?: string[];
  indices?: IndicesPrivileges[];
  applications?: unknown[];
  run_as?: string[];
  metadata?: Record<string, unknown>;
  transient_metadata?: { enabled: boolean };
  description?: string;
  remote_indices?: RemoteIndicesPrivileges[];
  remote_cluster?: RemoteClusterPrivileges[];
  [k: string]: unknown;
}

function parseIndices(api: string, v: unknown, field: string): IndicesPrivileges[] {
  const s = shape(api);
  return s.arr(v, field).map((e, i) => {
    const o = s.obj(e, `${field}[${i}]`);
    const out: IndicesPrivileges = {
      names: s.strOrStrs(o.names, `${field}[${i}].names`),
      privileges: s.strs(o.privileges, `${field}[${i}].privileges`),
    };
    if (o.field_security !== undefined)
      out.field_security = s.obj(
        o.field_security,
        `${field}[${i}].field_security`,
      ) as IndicesPrivileges['field_security'];
    if (o.query !== undefined) out.query = o.query as string | object;
    const ari = s.optBool(o.allow_restricted_indices, `${field}[${i}].allow_restricted_indices`);
    if (ari !== undefined) out.allow_restricted_indices = ari;
    return out;
  });
}

export function parseRoleDescriptor(api: string, v: unknown, field: string): RoleDescriptor {
  const s = shape(api);
  const o = s.obj(v, field);
  const out: RoleDescriptor = { ...o };
  if (o.cluster !== undefined) out.cluster = s.strs(o.cluster, `${field}.cluster`);
  if (o.indices !== undefined) out.indices = parseIndices(api, o.indices, `${field}.indices`);
  if (o.run_as !== undefined) out.run_as = s.strs(o.run_as, `${field}.run_as`);
  if (o.metadata !== undefined) out.metadata = s.obj(o.metadata, `${field}.metadata`);
  if (o.remote_indices !== undefined) {
    out.remote_indices = s.arr(o.remote_indices, `${field}.remote_indices`).map((e, i) => {
      const eo = s.obj(e, `${field}.remote_indices[${i}]`);
      const [base] = parseIndices(api, [eo], `${field}.remote_indices[${i}]`);
      return { clusters: s.strs(eo.clusters, `${field}.remote_indices[${i}].clusters`), ...base! };
    });
  }
  if (o.remote_cluster !== undefined) {
    out.remote_cluster = s.arr(o.remote_cluster, `${field}.remote_cluster`).map((e, i) => {
      const eo = s.obj(e, `${field}.remote_cluster[${i}]`);
      return {
        clusters: s.strs(eo.clusters, `${field}.remote_cluster[${i}].clusters`),
        privileges: s.strs(eo.privileges, `${field}.remote_cluster[${i}].privileges`),
      };
    });
  }
  return out;
}

export function parseGetRoles(body: unknown): Record<string, RoleDescriptor> {
  const api = 'GET /_security/role';
  const s = shape(api);
  const o = s.obj(body, 'body');
  const out: Record<string, RoleDescriptor> = {};
  for (const [name, d] of Object.entries(o)) out[name] = parseRoleDescriptor(api, d, name);
  return out;
}

/** Roles by name; missing names are simply absent (ES answers 404 `{}` when none exists). */
export async function getRoles(es: EsApi, names: string[]): Promise<Record<string, RoleDescriptor>> {
  if (names.length === 0) return {};
  const res = await es.request({
    method: 'GET',
    path: `/_security/role/${names.map(encodeURIComponent).join(',')}`,
    okStatuses: [404],
  });
  if (res.status === 404) return {};
  return parseGetRoles(res.body);
}

export function isReserved(role: RoleDescriptor): boolean {
  return isObj(role.metadata) && (role.metadata as Obj)._reserved === true;
}

/** The writable part of a descriptor (PUT is a full replace; `transient_metadata` is server-owned). */
export function writableRole(role: RoleDescriptor): RoleDescriptor {
  const { transient_metadata: _t, ...rest } = role;
  return rest;
}

export async function putRole(es: EsApi, name: string, role: RoleDescriptor): Promise<{ created: boolean }> {
  const res = await es.request({
    method: 'PUT',
    path: `/_security/role/${encodeURIComponent(name)}`,
    body: writableRole(role),
  });
  return parsePutRole(res.body);
}

export function parsePutRole(body: unknown): { created: boolean } {
  const s = shape('PUT /_security/role');
  const o = s.obj(body, 'body');
  return { created: s.bool(s.obj(o.role, 'role').created, 'role.created') };
}

// ---- derivation (docs/procedure.md §2.8 "Translating RCS1 roles") ----

/** Privileges of the remote `cross_cluster_*` built-in world: CCS reads and CCR replication. */
export const CCR_PRIVILEGES = ['cross_cluster_replication', 'cross_cluster_replication_internal', 'manage', 'all'];

/**
 * Under RCS1 the remote role of the same name grants index access; under RCS2 the local role needs those
 * `indices` entries as `remote_indices` with `clusters: [alias]` (field_security and query kept).
 * Entries for restricted indices are kept as they are.
 */
export function deriveRemoteIndices(
  remoteRole: RoleDescriptor,
  alias: string,
  localRole?: RoleDescriptor,
): RemoteIndicesPrivileges[] {
  // CCR under certificate trust: `read_ccr` on the remote role (+ read/monitor on the leaders). Under API keys the
  // follower's role needs the `cross_cluster_replication` index privilege on the leaders instead (docs/procedure.md
  // §2.7).
  const ccr =
    (remoteRole.cluster ?? []).some((p) => ['read_ccr', 'manage_ccr'].includes(p)) ||
    (localRole?.cluster ?? []).includes('manage_ccr');
  return (remoteRole.indices ?? []).map((e) => {
    const privileges = [...e.privileges];
    if (
      ccr &&
      privileges.some((p) => ['read', 'monitor'].includes(p)) &&
      !privileges.some((p) => ['all', 'cross_cluster_replication'].includes(p))
    ) {
      privileges.push('cross_cluster_replication');
    }
    return { clusters: [alias], ...e, privileges };
  });
}

/** `remote_cluster` (8.15+): `monitor_enrich` lets ES|QL ENRICH and CCS enrich policies work across the alias. */
export function deriveRemoteCluster(remoteRole: RoleDescriptor, alias: string): RemoteClusterPrivileges[] {
  const cluster = remoteRole.cluster ?? [];
  const wantsEnrich = cluster.some((p) => ['monitor_enrich', 'manage_enrich', 'monitor', 'manage', 'all'].includes(p));
  return wantsEnrich ? [{ clusters: [alias], privileges: ['monitor_enrich'] }] : [];
}

function entryApplies(clusters: string[], alias: string): boolean {
  return clusters.some((c) => wildcardMatch(c, alias));
}

/**
 * The local role with the derived entries merged: entries of other aliases and the local `indices` stay (so the
 * role works under both models during the transition, as Elastic's migration test does); entries already granting
 * the same thing for this alias are not added twice.
 */
export function withRemotePrivileges(
  local: RoleDescriptor,
  remoteIndices: RemoteIndicesPrivileges[],
  remoteCluster: RemoteClusterPrivileges[],
): RoleDescriptor {
  const out: RoleDescriptor = { ...local };
  const key = (e: unknown) => JSON.stringify(sortDeep(e));
  const ri = [...(local.remote_indices ?? [])];
  const have = new Set(ri.map(key));
  for (const e of remoteIndices)
    if (!have.has(key(e))) {
      ri.push(e);
      have.add(key(e));
    }
  if (ri.length) out.remote_indices = ri;
  const rc = [...(local.remote_cluster ?? [])];
  const haveRc = new Set(rc.map(key));
  for (const e of remoteCluster)
    if (!haveRc.has(key(e))) {
      rc.push(e);
      haveRc.add(key(e));
    }
  if (rc.length) out.remote_cluster = rc;
  return out;
}

/** Entries of a role that apply to `alias` (for reports). */
export function remoteEntriesFor(
  role: RoleDescriptor,
  alias: string,
): { remote_indices: RemoteIndicesPrivileges[]; remote_cluster: RemoteClusterPrivileges[] } {
  return {
    remote_indices: (role.remote_indices ?? []).filter((e) => entryApplies(e.clusters, alias)),
    remote_cluster: (role.remote_cluster ?? []).filter((e) => entryApplies(e.clusters, alias)),
  };
}

/** Compares the writable parts of two descriptors ignoring key order and ES-added defaults. */
export function sameRole(a: RoleDescriptor, b: RoleDescriptor): boolean {
  const norm = (r: RoleDescriptor) => {
    const w = writableRole(r) as Obj;
    const o: Obj = {};
    for (const [k, v] of Object.entries(w)) {
      if (Array.isArray(v) && v.length === 0) continue;
      if (isObj(v) && Object.keys(v).length === 0) continue;
      o[k] = v;
    }
    const strip = (list: unknown) =>
      Array.isArray(list)
        ? list.map((e) => {
            if (isObj(e) && e.allow_restricted_indices === false) {
              const { allow_restricted_indices: _a, ...r } = e;
              return r;
            }
            return e;
          })
        : list;
    for (const k of ['indices', 'remote_indices']) if (o[k]) o[k] = strip(o[k]);
    return JSON.stringify(sortDeep(o));
  };
  return norm(a) === norm(b);
}
