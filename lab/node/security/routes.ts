// Security REST APIs of the lab node: _authenticate, users, roles, REST and cross-cluster API keys, query API keys.
// Shapes: test/fixtures/es-examples/security.*
import type { Route, RouteContext, LabRequest } from '../router.js';
import { esError } from '../http-error.js';
import { boolParam } from '../rest-helpers.js';
import type { Principal, RoleDescriptor, StoredApiKey } from './model.js';
import { isReservedRole, RESERVED_ROLES, RESERVED_USERS, reservedRoleNames, reservedUserView } from './model.js';
import { parseRoleBody, roleView } from './roles.js';
import { userPrivileges } from './user-privileges.js';
import { matchesQuery } from '../search/query.js';
import {
  apiKeyView,
  createCrossClusterApiKey,
  createRestApiKey,
  findApiKeys,
  invalidateApiKeys,
  updateCrossClusterApiKey,
  updateRestApiKey,
} from './api-keys.js';
import {
  anyPatternMatches,
  clusterGrantedBy,
  describeRoles,
  grantsCluster,
  hasPrivileges,
  permissionOf,
  patternMatches,
} from './privileges.js';
import { hashPassword } from './passwords.js';
import { versionAtLeast } from '../../../controller/version.js';
import type { ClusterState } from '../cluster/state.js';

function principalOf(ctx: RouteContext): Principal {
  if (!ctx.principal) throw esError(401, 'security_exception', 'missing authentication credentials');
  return ctx.principal;
}

/** ES's 403 for a missing cluster privilege. */
export function requireCluster(ctx: RouteContext, privilege: string, action: string): void {
  const p = principalOf(ctx);
  const perm = permissionOf(ctx.state.security, p);
  if (grantsCluster(perm, privilege)) return;
  const who =
    p.kind === 'api_key'
      ? `API key id [${p.key.id}] of user [${p.username}]`
      : `user [${p.username}] with effective roles ${describeRoles(perm)}`;
  throw esError(
    403,
    'security_exception',
    `action [${action}] is unauthorized for ${who}, this action is granted by the cluster privileges [${clusterGrantedBy(privilege)}]`,
  );
}

/** RCS2 features need an Enterprise or trial license (ES: advanced-remote-cluster-security). */
export function requireEnterprise(state: ClusterState): void {
  const l = state.license;
  if ((l.type === 'enterprise' || l.type === 'trial') && l.status === 'active') return;
  throw esError(403, 'security_exception', 'current license is non-compliant for [advanced-remote-cluster-security]', {
    'license.expired.feature': 'advanced-remote-cluster-security',
  });
}

function bodyObject(req: LabRequest): Record<string, unknown> {
  const b = req.body;
  if (b === undefined) return {};
  if (b === null || typeof b !== 'object' || Array.isArray(b))
    throw esError(400, 'parse_exception', 'request body must be a JSON object');
  return b as Record<string, unknown>;
}

function names(param: string | undefined): string[] | undefined {
  return param
    ? param
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
}

// ---- roles ----
/** Native roles and this version's reserved roles (ReservedRolesStore, metadata._reserved), sorted by name. */
function allRoles(ctx: RouteContext): Array<[string, RoleDescriptor]> {
  const all: Record<string, RoleDescriptor> = { ...ctx.state.security.roles };
  for (const n of reservedRoleNames(ctx.rt.esVersion)) all[n] = RESERVED_ROLES[n]!;
  return Object.entries(all).sort(([a], [b]) => a.localeCompare(b));
}

function getRoles(ctx: RouteContext, wanted: string[] | undefined) {
  requireCluster(ctx, 'read_security', 'cluster:admin/xpack/security/role/get');
  const out: Record<string, unknown> = {};
  for (const [n, r] of allRoles(ctx)) {
    if (!wanted || wanted.some((w) => patternMatches(w, n))) out[n] = roleView(r, ctx.rt.esVersion, n);
  }
  if (wanted && Object.keys(out).length === 0) return { status: 404, body: {} };
  return { body: out };
}

async function putRole(req: LabRequest, ctx: RouteContext) {
  requireCluster(ctx, 'manage_security', 'cluster:admin/xpack/security/role/put');
  const name = req.params.name!;
  const role = parseRoleBody(name, req.body, ctx.rt.esVersion);
  const created = await ctx.rt.updateState((s) => {
    const isNew = !s.security.roles[name];
    s.security.roles[name] = role;
    return isNew;
  });
  return { body: { role: { created } } };
}

async function deleteRole(req: LabRequest, ctx: RouteContext) {
  requireCluster(ctx, 'manage_security', 'cluster:admin/xpack/security/role/delete');
  const name = req.params.name!;
  // TransportDeleteRoleAction (docs/es-behaviour.md §3): lower-case `role`, illegal_argument_exception.
  if (isReservedRole(name, ctx.rt.esVersion))
    throw esError(400, 'illegal_argument_exception', `role [${name}] is reserved and cannot be deleted`);
  const found = await ctx.rt.updateState((s) => {
    const had = Boolean(s.security.roles[name]);
    delete s.security.roles[name];
    return had;
  });
  return { status: found ? 200 : 404, body: { found } };
}

/** The fields `POST /_security/_query/role` may query (QueryRoleRequest's RoleBoolQueryBuilder). */
function roleQueryDoc(name: string, r: RoleDescriptor) {
  return {
    _id: name,
    _source: {
      name,
      ...(r.description !== undefined ? { description: r.description } : {}),
      metadata: r.metadata,
      applications: r.applications,
    },
  };
}

function checkRoleQueryFields(q: unknown): void {
  if (q === null || typeof q !== 'object') return;
  for (const [k, v] of Object.entries(q as Record<string, unknown>)) {
    if (['term', 'terms', 'prefix', 'wildcard', 'match', 'range'].includes(k) && v && typeof v === 'object') {
      for (const f of Object.keys(v as object)) {
        if (f === 'boost') continue;
        const okField =
          [
            'name',
            'description',
            'applications.application',
            'applications.resources',
            'applications.privileges',
          ].includes(f) || f.startsWith('metadata.');
        if (!okField)
          throw esError(400, 'illegal_argument_exception', `Field [${f}] is not allowed for querying or aggregation`);
      }
    } else if (k === 'exists') {
      const f = (v as { field?: string }).field ?? '';
      if (!['name', 'description'].includes(f) && !f.startsWith('metadata.') && !f.startsWith('applications.'))
        throw esError(400, 'illegal_argument_exception', `Field [${f}] is not allowed for querying or aggregation`);
    } else if (k === 'bool' && v && typeof v === 'object') {
      for (const c of Object.values(v as Record<string, unknown>))
        (Array.isArray(c) ? c : [c]).forEach(checkRoleQueryFields);
    }
  }
}

/** POST|GET /_security/_query/role (8.15+, docs/es-behaviour.md §11): native roles only, `_sort` when sorted. */
function queryRoles(req: LabRequest, ctx: RouteContext) {
  if (!versionAtLeast(ctx.rt.esVersion, '8.15.0'))
    throw esError(
      400,
      'illegal_argument_exception',
      `no handler found for uri [${req.path}] and method [${req.method}]`,
    );
  requireCluster(ctx, 'read_security', 'cluster:admin/xpack/security/role/query');
  const b = bodyObject(req);
  for (const k of Object.keys(b))
    if (!['query', 'from', 'size', 'sort', 'search_after'].includes(k))
      throw esError(400, 'x_content_parse_exception', `[1:2] [query_role_request] unknown field [${k}]`);
  checkRoleQueryFields(b.query);
  const sortSpec = b.sort === undefined ? [] : Array.isArray(b.sort) ? b.sort : [b.sort];
  const sorts = sortSpec.map((x) => {
    if (typeof x === 'string') return { field: x, desc: false };
    const [field, o] = Object.entries(x as Record<string, unknown>)[0] ?? ['name', 'asc'];
    const order = typeof o === 'string' ? o : (o as { order?: string })?.order;
    return { field, desc: order === 'desc' };
  });
  for (const so of sorts)
    if (so.field !== 'name' && so.field !== 'description' && !so.field.startsWith('metadata.'))
      throw esError(400, 'illegal_argument_exception', `sorting is not supported for field [${so.field}]`);
  const native = Object.entries(ctx.state.security.roles);
  const value = (name: string, r: RoleDescriptor, f: string): string => {
    if (f === 'name') return name;
    if (f === 'description') return r.description ?? '';
    return String(
      f
        .slice(9)
        .split('.')
        .reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], r.metadata) ?? '',
    );
  };
  const matched = native
    .filter(([n, r]) => matchesQuery(b.query, roleQueryDoc(n, r)))
    .sort(([an, ar], [bn, br]) => {
      for (const so of sorts.length ? sorts : [{ field: 'name', desc: false }]) {
        const c = value(an, ar, so.field).localeCompare(value(bn, br, so.field));
        if (c) return so.desc ? -c : c;
      }
      return 0;
    });
  let start = Number(b.from ?? 0);
  if (Array.isArray(b.search_after) && sorts.length) {
    const after = b.search_after.map(String);
    const i = matched.findIndex(
      ([n, r]) => sorts.map((so) => value(n, r, so.field)).join('\u0000') > after.join('\u0000'),
    );
    start = i < 0 ? matched.length : i;
  }
  const page = matched.slice(start, start + Number(b.size ?? 10));
  return {
    body: {
      total: matched.length,
      count: page.length,
      roles: page.map(([n, r]) => ({
        name: n,
        ...roleView(r, ctx.rt.esVersion, n),
        ...(sorts.length ? { _sort: sorts.map((so) => value(n, r, so.field)) } : {}),
      })),
    },
  };
}

// ---- users ----
function userView(u: ClusterState['security']['users'][string]) {
  return {
    username: u.username,
    roles: u.roles,
    full_name: u.full_name ?? null,
    email: u.email ?? null,
    metadata: u.metadata ?? {},
    enabled: u.enabled,
  };
}

/** Reserved users (ClientReservedRealm) first, then native users. */
function allUsers(ctx: RouteContext) {
  const out = Object.keys(RESERVED_USERS).map((n) => reservedUserView(n)!);
  for (const u of Object.values(ctx.state.security.users)) if (!RESERVED_USERS[u.username]) out.push(u);
  return out;
}

async function putUser(req: LabRequest, ctx: RouteContext) {
  requireCluster(ctx, 'manage_security', 'cluster:admin/xpack/security/user/put');
  const name = req.params.username!;
  // TransportPutUserAction.validateRequest (docs/es-behaviour.md §3).
  if (RESERVED_USERS[name])
    throw esError(
      400,
      'action_request_validation_exception',
      `Validation Failed: 1: user [${name}] is reserved and only the password can be changed;`,
    );
  const b = bodyObject(req);
  for (const k of Object.keys(b))
    if (!['password', 'roles', 'full_name', 'email', 'metadata', 'enabled', 'password_hash'].includes(k))
      throw esError(400, 'parse_exception', `failed to parse add user request. unexpected field [${k}]`);
  if (b.password !== undefined && (typeof b.password !== 'string' || b.password.length < 6))
    throw esError(
      400,
      'action_request_validation_exception',
      'Validation Failed: 1: passwords must be at least [6] characters long;',
    );
  const created = await ctx.rt.updateState((s) => {
    const old = s.security.users[name];
    if (!old && b.password === undefined)
      throw esError(
        400,
        'action_request_validation_exception',
        'Validation Failed: 1: password must be specified unless you are updating an existing user;',
      );
    s.security.users[name] = {
      ...(old ?? {}),
      username: name,
      roles: (b.roles as string[] | undefined) ?? old?.roles ?? [],
      full_name: (b.full_name as string | null | undefined) ?? old?.full_name ?? null,
      email: (b.email as string | null | undefined) ?? old?.email ?? null,
      metadata: (b.metadata as Record<string, unknown> | undefined) ?? old?.metadata ?? {},
      enabled: (b.enabled as boolean | undefined) ?? old?.enabled ?? true,
      password_hash: typeof b.password === 'string' ? hashPassword(b.password) : old?.password_hash,
    };
    return !old;
  });
  return { body: { created } };
}

// ---- API keys ----
function canManageAllKeys(ctx: RouteContext): boolean {
  return grantsCluster(permissionOf(ctx.state.security, principalOf(ctx)), 'manage_api_key');
}

async function createKey(req: LabRequest, ctx: RouteContext) {
  requireCluster(ctx, 'manage_own_api_key', 'cluster:admin/xpack/security/api_key/create');
  const p = principalOf(ctx);
  const res = await ctx.rt.updateState((s) => createRestApiKey(s.security, p, req.body));
  return { body: res };
}

/** Cross-cluster API keys exist from 8.10 on: older nodes have no such endpoint. */
function requireCrossClusterKeys(req: LabRequest, ctx: RouteContext) {
  if (!versionAtLeast(ctx.rt.esVersion, '8.10.0'))
    throw esError(
      400,
      'illegal_argument_exception',
      `no handler found for uri [${req.path}] and method [${req.method}]`,
    );
}

async function createCrossClusterKey(req: LabRequest, ctx: RouteContext) {
  requireCrossClusterKeys(req, ctx);
  requireEnterprise(ctx.state);
  requireCluster(ctx, 'manage_security', 'cluster:admin/xpack/security/cross_cluster/api_key/create');
  const p = principalOf(ctx);
  const res = await ctx.rt.updateState((s) => createCrossClusterApiKey(s.security, p, req.body, ctx.rt.esVersion));
  return { body: res };
}

async function updateCrossClusterKey(req: LabRequest, ctx: RouteContext) {
  requireCrossClusterKeys(req, ctx);
  requireEnterprise(ctx.state);
  requireCluster(ctx, 'manage_security', 'cluster:admin/xpack/security/cross_cluster/api_key/update');
  const p = principalOf(ctx);
  const res = await ctx.rt.updateState((s) =>
    updateCrossClusterApiKey(s.security, p, req.params.id!, req.body, ctx.rt.esVersion),
  );
  return { body: res };
}

async function updateKey(req: LabRequest, ctx: RouteContext) {
  requireCluster(ctx, 'manage_own_api_key', 'cluster:admin/xpack/security/api_key/update');
  const p = principalOf(ctx);
  const res = await ctx.rt.updateState((s) => {
    const k = s.security.apiKeys.find((x) => x.id === req.params.id);
    if (k?.type === 'cross_cluster')
      throw esError(
        400,
        'illegal_argument_exception',
        `cannot update API key of type [cross_cluster] while expected type is [rest]`,
      );
    return updateRestApiKey(s.security, p, req.params.id!, req.body);
  });
  return { body: res };
}

function getKeys(req: LabRequest, ctx: RouteContext) {
  const q = req.query;
  const owner = boolParam(q, 'owner');
  const p = principalOf(ctx);
  if (owner || p.kind === 'api_key')
    requireCluster(ctx, 'manage_own_api_key', 'cluster:admin/xpack/security/api_key/get');
  else requireCluster(ctx, 'manage_api_key', 'cluster:admin/xpack/security/api_key/get');
  const keys = findApiKeys(ctx.state.security, p, {
    id: q.get('id') ?? undefined,
    name: q.get('name') ?? undefined,
    username: q.get('username') ?? undefined,
    realm_name: q.get('realm_name') ?? undefined,
    owner: owner || p.kind === 'api_key',
    active_only: boolParam(q, 'active_only'),
  });
  // ES answers an empty list (200) when nothing matches (ApiKeyService: GetApiKeyResponse.EMPTY).
  return { body: { api_keys: keys.map((k) => apiKeyView(k, boolParam(q, 'with_limited_by'))) } };
}

async function deleteKeys(req: LabRequest, ctx: RouteContext) {
  requireCluster(ctx, 'manage_own_api_key', 'cluster:admin/xpack/security/api_key/invalidate');
  const p = principalOf(ctx);
  const all = canManageAllKeys(ctx);
  const res = await ctx.rt.updateState((s) => invalidateApiKeys(s.security, p, req.body, all));
  return { body: res };
}

/** The subset of the query DSL that POST /_security/_query/api_key supports in the lab. */
function keyMatchesQuery(k: StoredApiKey, q: unknown, now: number): boolean {
  if (q === undefined || q === null) return true;
  const [kind, arg] = Object.entries(q as Record<string, unknown>)[0] ?? [];
  const field = (name: string): unknown => {
    switch (name) {
      case 'type':
        return k.type;
      case 'name':
        return k.name;
      case 'id':
        return k.id;
      case 'username':
        return k.username;
      case 'realm_name':
        return k.realm;
      case 'invalidated':
        return k.invalidated;
      case 'expiration':
        return k.expiration;
      case 'creation':
        return k.creation;
      default:
        if (name.startsWith('metadata.'))
          return name
            .slice(9)
            .split('.')
            .reduce<unknown>((o, p) => (o as Record<string, unknown> | undefined)?.[p], k.metadata);
        throw esError(400, 'illegal_argument_exception', `Field [${name}] is not allowed for querying or aggregation`);
    }
  };
  const single = (a: unknown): [string, unknown] => {
    const [f, v] = Object.entries(a as Record<string, unknown>)[0]!;
    return [f, v !== null && typeof v === 'object' && 'value' in (v as object) ? (v as { value: unknown }).value : v];
  };
  switch (kind) {
    case 'match_all':
      return true;
    case 'term': {
      const [f, v] = single(arg);
      return String(field(f)) === String(v);
    }
    case 'terms': {
      const [f, v] = Object.entries(arg as Record<string, unknown[]>)[0]!;
      return (v as unknown[]).map(String).includes(String(field(f)));
    }
    case 'prefix': {
      const [f, v] = single(arg);
      return String(field(f) ?? '').startsWith(String(v));
    }
    case 'wildcard': {
      const [f, v] = single(arg);
      return patternMatches(String(v), String(field(f) ?? ''));
    }
    case 'ids':
      return ((arg as { values: string[] }).values ?? []).includes(k.id);
    case 'exists':
      return field((arg as { field: string }).field) != null;
    case 'bool': {
      const b = arg as Record<string, unknown>;
      const list = (x: unknown) => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
      if (!list(b.filter).every((c) => keyMatchesQuery(k, c, now))) return false;
      if (!list(b.must).every((c) => keyMatchesQuery(k, c, now))) return false;
      if (list(b.must_not).some((c) => keyMatchesQuery(k, c, now))) return false;
      const should = list(b.should);
      if (should.length && !should.some((c) => keyMatchesQuery(k, c, now))) return false;
      return true;
    }
    default:
      throw esError(
        400,
        'illegal_argument_exception',
        `Query type [${kind}] is not currently supported in this context`,
      );
  }
}

function queryKeys(req: LabRequest, ctx: RouteContext) {
  const p = principalOf(ctx);
  const all = canManageAllKeys(ctx);
  if (!all) requireCluster(ctx, 'manage_own_api_key', 'cluster:admin/xpack/security/api_key/query');
  const b = bodyObject(req);
  for (const k of Object.keys(b))
    if (!['query', 'from', 'size', 'sort', 'search_after'].includes(k))
      throw esError(400, 'x_content_parse_exception', `[1:2] [query_api_key_request] unknown field [${k}]`);
  const now = Date.now();
  const visible = ctx.state.security.apiKeys.filter((k) => all || (k.username === p.username && k.realm === p.realm));
  const matched = visible.filter((k) => keyMatchesQuery(k, b.query, now)).sort((a, c) => a.creation - c.creation);
  const from = Number(b.from ?? req.query.get('from') ?? 0);
  const size = Number(b.size ?? req.query.get('size') ?? 10);
  const page = matched.slice(from, from + size);
  return {
    body: {
      total: matched.length,
      count: page.length,
      api_keys: page.map((k) => ({ ...apiKeyView(k, boolParam(req.query, 'with_limited_by')), _sort: [k.creation] })),
    },
  };
}

/** GET /_security/privilege/_builtin: what this version knows (remote_cluster from 8.15, monitor_stats 8.17). */
function builtinPrivileges(version: string) {
  const cluster = [
    'all',
    'cancel_task',
    'create_snapshot',
    'cross_cluster_replication',
    'cross_cluster_search',
    'grant_api_key',
    'manage',
    'manage_api_key',
    'manage_ccr',
    'manage_enrich',
    'manage_ilm',
    'manage_index_templates',
    'manage_ml',
    'manage_own_api_key',
    'manage_pipeline',
    'manage_security',
    'manage_transform',
    'monitor',
    'monitor_enrich',
    'monitor_ml',
    'monitor_transform',
    'read_ccr',
    'read_security',
  ];
  const index = [
    'all',
    'create',
    'create_doc',
    'create_index',
    'cross_cluster_replication',
    'cross_cluster_replication_internal',
    'delete',
    'delete_index',
    'index',
    'maintenance',
    'manage',
    'manage_follow_index',
    'manage_ilm',
    'manage_leader_index',
    'monitor',
    'none',
    'read',
    'read_cross_cluster',
    'view_index_metadata',
    'write',
  ];
  const out: Record<string, string[]> = { cluster, index };
  if (versionAtLeast(version, '8.15.0'))
    out.remote_cluster = versionAtLeast(version, '8.17.0') ? ['monitor_enrich', 'monitor_stats'] : ['monitor_enrich'];
  return out;
}

function hasPrivilegesRoute(req: LabRequest, ctx: RouteContext) {
  const p = principalOf(ctx);
  const b = bodyObject(req) as { cluster?: string[]; index?: Array<{ names: string[]; privileges: string[] }> };
  return { body: { username: p.username, ...hasPrivileges(permissionOf(ctx.state.security, p), b) } };
}

/** GET /_security/_authenticate: who the caller is, in ES's shape (has_privileges is below). */
const authenticateRoute: Route = {
  method: 'GET',
  path: '/_security/_authenticate',
  handler: (_req, { principal, state }) => {
    if (!principal) throw esError(401, 'security_exception', 'missing authentication credentials');
    if (principal.kind === 'user') {
      const u = state.security.users[principal.username];
      const realm = { name: principal.realm, type: principal.realmType };
      return {
        body: {
          username: principal.username,
          roles: principal.roles,
          full_name: u?.full_name ?? null,
          email: u?.email ?? null,
          metadata: u?.metadata ?? {},
          enabled: u?.enabled ?? true,
          authentication_realm: realm,
          lookup_realm: realm,
          authentication_type: 'realm',
        },
      };
    }
    const realm = { name: '_es_api_key', type: '_es_api_key' };
    return {
      body: {
        username: principal.username,
        roles: [],
        full_name: null,
        email: null,
        metadata: {},
        enabled: true,
        authentication_realm: realm,
        lookup_realm: realm,
        authentication_type: 'api_key',
        api_key: { id: principal.key.id, name: principal.key.name },
      },
    };
  },
};

export const routes: Route[] = [
  authenticateRoute,
  { method: 'GET', path: '/_security/role', handler: (_r, ctx) => getRoles(ctx, undefined) },
  { method: 'GET', path: '/_security/role/{name}', handler: (r, ctx) => getRoles(ctx, names(r.params.name)) },
  { method: ['PUT', 'POST'], path: '/_security/role/{name}', handler: putRole, params: ['refresh'] },
  { method: 'DELETE', path: '/_security/role/{name}', handler: deleteRole, params: ['refresh'] },
  {
    method: 'GET',
    path: '/_security/user',
    handler: (_r, ctx) => {
      requireCluster(ctx, 'read_security', 'cluster:admin/xpack/security/user/get');
      return { body: Object.fromEntries(allUsers(ctx).map((u) => [u.username, userView(u)])) };
    },
  },
  {
    method: 'GET',
    path: '/_security/user/{username}',
    handler: (r, ctx) => {
      requireCluster(ctx, 'read_security', 'cluster:admin/xpack/security/user/get');
      const want = names(r.params.username)!;
      const out = Object.fromEntries(
        allUsers(ctx)
          .filter((u) => anyPatternMatches(want, u.username))
          .map((u) => [u.username, userView(u)]),
      );
      return Object.keys(out).length ? { body: out } : { status: 404, body: {} };
    },
  },
  { method: ['PUT', 'POST'], path: '/_security/user/{username}', handler: putUser, params: ['refresh'] },
  {
    method: 'DELETE',
    path: '/_security/user/{username}',
    params: ['refresh'],
    handler: async (r, ctx) => {
      requireCluster(ctx, 'manage_security', 'cluster:admin/xpack/security/user/delete');
      // TransportDeleteUserAction; the exact text is not established by docs/es-behaviour.md §3.
      if (RESERVED_USERS[r.params.username!])
        throw esError(
          400,
          'illegal_argument_exception',
          `user [${r.params.username}] is reserved and cannot be deleted`,
        );
      const found = await ctx.rt.updateState((s) => {
        const had = Boolean(s.security.users[r.params.username!]);
        delete s.security.users[r.params.username!];
        return had;
      });
      return { status: found ? 200 : 404, body: { found } };
    },
  },
  { method: ['POST', 'PUT'], path: '/_security/api_key', handler: createKey, params: ['refresh'] },
  {
    method: 'GET',
    path: '/_security/api_key',
    handler: getKeys,
    params: ['id', 'name', 'username', 'realm_name', 'owner', 'active_only', 'with_limited_by', 'with_profile_uid'],
  },
  { method: 'DELETE', path: '/_security/api_key', handler: deleteKeys },
  { method: 'PUT', path: '/_security/api_key/{id}', handler: updateKey },
  { method: 'POST', path: '/_security/cross_cluster/api_key', handler: createCrossClusterKey },
  { method: 'PUT', path: '/_security/cross_cluster/api_key/{id}', handler: updateCrossClusterKey },
  {
    method: ['GET', 'POST'],
    path: '/_security/_query/api_key',
    handler: queryKeys,
    params: ['with_limited_by', 'with_profile_uid', 'typed_keys', 'from', 'size'],
  },
  { method: ['GET', 'POST'], path: '/_security/user/_has_privileges', handler: hasPrivilegesRoute },
  {
    // A literal path: before, `_privileges` was taken for a user name by /_security/user/{username}.
    method: 'GET',
    path: '/_security/user/_privileges',
    handler: (_r, ctx) => ({ body: userPrivileges(ctx.state.security, principalOf(ctx), ctx.rt.esVersion) }),
  },
  { method: ['GET', 'POST'], path: '/_security/_query/role', handler: queryRoles },
  {
    method: 'GET',
    path: '/_security/privilege/_builtin',
    handler: (_r, ctx) => ({ body: builtinPrivileges(ctx.rt.esVersion) }),
  },
];
