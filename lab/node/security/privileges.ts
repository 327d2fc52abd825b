// Privilege evaluation as ES does it, reduced to what the lab's scenarios exercise:
// named cluster privileges with their implications, index privileges granting index actions,
// `remote_indices` matched by cluster alias, and API keys as limiting layers
// (a REST key grants an action only if both its role_descriptors and its owner snapshot do).

import {
  resolveRole,
  type Principal,
  type RoleDescriptor,
  type SecurityState,
  type IndicesPrivileges,
} from './model.js';

/** One layer = the union of some role descriptors; a permission = the intersection of its layers. */
export interface Permission {
  layers: RoleDescriptor[][];
  /** Role names as ES prints them in "effective roles [..]" */
  effectiveRoles: string[];
  /** Assigned role names that do not exist (ES: "(assigned roles [x] were not found)") */
  missingRoles: string[];
}

/** Splits a Lucene regex at top-level `&` (intersection), outside parentheses and brackets. */
function splitIntersection(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cls = false;
  let cur = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\') {
      cur += c + (body[i + 1] ?? '');
      i++;
      continue;
    }
    if (cls) cls = c !== ']';
    else if (c === '[') cls = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '&' && depth === 0) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  return parts;
}

/** Whether the `(` that `body` starts with closes at its last character (so `~(…)` is one complemented group). */
function wholeGroup(body: string): boolean {
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\') {
      i++;
      continue;
    }
    if (body[i] === '(') depth++;
    else if (body[i] === ')' && --depth === 0) return i === body.length - 1;
  }
  return false;
}

/**
 * A Lucene regex as index patterns use it (`/…/`): JS regex syntax plus top-level `&` (intersection) and `~(…)`
 * (complement), which reserved roles use (ReservedRolesStore.java: viewer's `/~(([.]|ilm-history-).*)/`).
 */
function luceneRegexMatches(body: string, value: string): boolean {
  const parts = splitIntersection(body);
  if (parts.length > 1) return parts.every((p) => luceneRegexMatches(p, value));
  if (body.startsWith('~(') && wholeGroup(body.slice(1))) return !luceneRegexMatches(body.slice(2, -1), value);
  try {
    return new RegExp('^(?:' + body + ')$').test(value);
  } catch {
    return false;
  }
}

// `*`/`?` wildcards, or a Lucene-style regex between slashes, e.g. /logs-.*/
export function patternMatches(pattern: string, value: string): boolean {
  if (pattern.length > 1 && pattern.startsWith('/') && pattern.endsWith('/'))
    return luceneRegexMatches(pattern.slice(1, -1), value);
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === value;
  const re =
    '^' +
    pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('') +
    '$';
  return new RegExp(re).test(value);
}

export function anyPatternMatches(patterns: string[], value: string): boolean {
  return patterns.some((p) => patternMatches(p, value));
}

/** Named cluster privilege → the named privileges it implies (transitively closed below). */
const CLUSTER_IMPLIES: Record<string, string[]> = {
  manage: [
    'monitor',
    'manage_ccr',
    'manage_ml',
    'manage_transform',
    'manage_ilm',
    'manage_index_templates',
    'manage_pipeline',
    'manage_enrich',
  ],
  monitor: ['monitor_ml', 'monitor_transform', 'monitor_enrich', 'read_ccr'],
  manage_security: ['manage_api_key', 'read_security', 'manage_own_api_key'],
  manage_api_key: ['manage_own_api_key'],
  manage_ccr: ['read_ccr'],
  manage_ml: ['monitor_ml'],
  manage_transform: ['monitor_transform'],
};

function clusterPrivilegeImplies(held: string, wanted: string, seen = new Set<string>()): boolean {
  if (held === 'all' || held === wanted) return true;
  if (held.startsWith('cluster:') && wanted.startsWith('cluster:')) return patternMatches(held, wanted);
  if (seen.has(held)) return false;
  seen.add(held);
  return (CLUSTER_IMPLIES[held] ?? []).some((h) => clusterPrivilegeImplies(h, wanted, seen));
}

/** Index action names the lab simulates, and the index privileges that grant each (ES's "granted by" list). */
export const INDEX_ACTIONS: Record<string, string[]> = {
  'indices:data/read/search': ['read', 'all'],
  'indices:data/read/xpack/ccr/shard_changes': [
    'read',
    'cross_cluster_replication',
    'cross_cluster_replication_internal',
    'all',
  ],
  'indices:monitor/stats': ['monitor', 'manage', 'all'],
  'indices:admin/get': ['view_index_metadata', 'manage', 'all'],
  // Documents (the lab's _doc, _bulk, index creation; ES's IndexPrivilege automata, reduced to these actions).
  'indices:data/write/index': ['index', 'create', 'create_doc', 'write', 'all'],
  'indices:data/write/bulk[s]': ['index', 'create', 'create_doc', 'write', 'delete', 'all'],
  'indices:data/read/get': ['read', 'all'],
  'indices:admin/create': ['create_index', 'manage', 'all'],
  'indices:admin/auto_create': ['create_index', 'create', 'create_doc', 'index', 'write', 'manage', 'all'],
};

function indexPrivilegeGrants(privileges: string[], action: string): boolean {
  const grantedBy = INDEX_ACTIONS[action];
  if (privileges.includes('all')) return true;
  if (grantedBy) return privileges.some((p) => grantedBy.includes(p));
  return privileges.some((p) => p.startsWith('indices:') && patternMatches(p, action));
}

function entryGrants(entry: IndicesPrivileges, index: string, action: string): boolean {
  return anyPatternMatches(entry.names, index) && indexPrivilegeGrants(entry.privileges, action);
}

function layerGrantsCluster(layer: RoleDescriptor[], wanted: string): boolean {
  return layer.some((d) => d.cluster.some((h) => clusterPrivilegeImplies(h, wanted)));
}

function layerGrantsIndex(layer: RoleDescriptor[], index: string, action: string): boolean {
  return layer.some((d) => d.indices.some((e) => entryGrants(e, index, action)));
}

/** The permission of an authenticated caller. */
export function permissionOf(state: SecurityState, principal: Principal): Permission {
  if (principal.kind === 'user') return permissionOfRoles(state, principal.roles);
  return permissionOfApiKey(principal.key);
}

export function permissionOfRoles(state: SecurityState, roleNames: string[]): Permission {
  const found: RoleDescriptor[] = [];
  const effectiveRoles: string[] = [];
  const missingRoles: string[] = [];
  for (const n of roleNames) {
    const r = resolveRole(state, n);
    if (r) {
      found.push(r);
      effectiveRoles.push(n);
    } else missingRoles.push(n);
  }
  return { layers: [found], effectiveRoles, missingRoles };
}

/** REST key: limited_by (owner snapshot) ∩ role_descriptors (when the key has any). */
export function permissionOfApiKey(key: {
  role_descriptors: Record<string, RoleDescriptor>;
  limited_by?: Array<Record<string, RoleDescriptor>>;
}): Permission {
  const layers: RoleDescriptor[][] = [];
  const own = Object.values(key.role_descriptors);
  if (own.length > 0) layers.push(own);
  for (const snap of key.limited_by ?? []) layers.push(Object.values(snap));
  if (layers.length === 0) layers.push([]);
  return { layers, effectiveRoles: Object.keys(key.role_descriptors), missingRoles: [] };
}

export function grantsCluster(p: Permission, privilegeOrAction: string): boolean {
  return p.layers.every((l) => layerGrantsCluster(l, privilegeOrAction));
}

export function grantsIndex(p: Permission, index: string, action: string): boolean {
  return p.layers.every((l) => layerGrantsIndex(l, index, action));
}

/** Does any remote_indices entry of the permission apply to this alias (in every layer)? */
export function hasRemoteIndicesFor(p: Permission, alias: string): boolean {
  return p.layers.every((l) =>
    l.some((d) => (d.remote_indices ?? []).some((e) => anyPatternMatches(e.clusters, alias))),
  );
}

/**
 * RCS2: what the querying cluster sends to the fulfilling cluster — per layer, the remote_indices entries
 * that apply to the alias, turned into plain `indices` descriptors (ES's RoleDescriptorsIntersection).
 */
export function remoteDescriptorsFor(p: Permission, alias: string): RoleDescriptor[][] {
  return p.layers.map((l) =>
    l
      .map((d) => ({
        cluster: [],
        applications: [],
        run_as: [],
        metadata: {},
        transient_metadata: { enabled: true },
        indices: (d.remote_indices ?? [])
          .filter((e) => anyPatternMatches(e.clusters, alias))
          .map(({ clusters: _c, ...rest }) => rest),
      }))
      .filter((d) => d.indices.length > 0),
  );
}

export function describeRoles(p: Permission): string {
  const eff = `[${p.effectiveRoles.join(',')}]`;
  return p.missingRoles.length > 0 ? `${eff} (assigned roles [${p.missingRoles.join(',')}] were not found)` : eff;
}

/** Cluster privileges that grant an action, for ES's "this action is granted by the cluster privileges [..]". */
export function clusterGrantedBy(privilege: string): string {
  const holders = Object.entries(CLUSTER_IMPLIES)
    .filter(([, v]) => v.includes(privilege))
    .map(([k]) => k);
  return [privilege, ...holders, 'all'].filter((v, i, a) => a.indexOf(v) === i).join(',');
}

export function indexGrantedBy(action: string): string {
  return (INDEX_ACTIONS[action] ?? ['all']).join(',');
}

/** `POST /_security/user/_has_privileges` evaluation (cluster + index parts). */
export function hasPrivileges(
  p: Permission,
  req: { cluster?: string[]; index?: Array<{ names: string[]; privileges: string[] }> },
) {
  const cluster: Record<string, boolean> = {};
  for (const c of req.cluster ?? []) cluster[c] = grantsCluster(p, c);
  const index: Record<string, Record<string, boolean>> = {};
  for (const entry of req.index ?? []) {
    for (const name of entry.names) {
      index[name] ??= {};
      for (const priv of entry.privileges) {
        // A privilege is held on a name if some role entry covering the name holds that privilege (or `all`).
        index[name][priv] = p.layers.every((l) =>
          l.some((d) =>
            d.indices.some(
              (e) => anyPatternMatches(e.names, name) && (e.privileges.includes(priv) || e.privileges.includes('all')),
            ),
          ),
        );
      }
    }
  }
  const all =
    Object.values(cluster).every(Boolean) && Object.values(index).every((m) => Object.values(m).every(Boolean));
  return { has_all_requested: all, cluster, index, application: {} };
}
