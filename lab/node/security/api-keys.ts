// API key lifecycle, as pure functions over the security state: create (REST and cross-cluster),
// update, invalidate, find, verify. The secret is returned once at creation and only its salted hash is kept.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  emptyRole,
  type CrossClusterAccess,
  type Principal,
  type RoleDescriptor,
  type SecurityState,
  type StoredApiKey,
} from './model.js';
import { patternMatches, permissionOfRoles } from './privileges.js';
import { EsHttpError } from '../http-error.js';
import { versionAtLeast } from '../../../controller/version.js';
import { javaPattern } from '../remote/signing.js';
import { normalizeDescriptor, normalizeQuery } from './roles.js';
import { isFieldLevelSecurity } from './access-control.js';

export interface CreatedApiKey {
  id: string;
  name: string;
  expiration?: number;
  api_key: string;
  encoded: string;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
function randomId(len: number): string {
  const b = randomBytes(len);
  let s = '';
  for (let i = 0; i < len; i++) s += ID_ALPHABET[b[i] % 64];
  return s;
}

export function hashSecret(secret: string, salt = randomBytes(16).toString('hex')): string {
  return `${salt}:${createHash('sha256').update(salt).update(secret).digest('hex')}`;
}

function secretMatches(hash: string, secret: string): boolean {
  const [salt, hex] = hash.split(':');
  if (!salt || !hex) return false;
  const want = Buffer.from(hex, 'hex');
  const got = createHash('sha256').update(salt).update(secret).digest();
  return want.length === got.length && timingSafeEqual(want, got);
}

/** ES time values: 90d, 12h, 30m, 10s, 500ms. */
export function parseTimeValueMs(v: string, field = 'expiration'): number {
  const m = /^(\d+)(ms|s|m|h|d|nanos|micros)$/.exec(String(v).trim());
  if (!m)
    throw new EsHttpError(
      400,
      'illegal_argument_exception',
      `failed to parse setting [${field}] with value [${v}] as a time value: unit is missing or unrecognized`,
    );
  const n = Number(m[1]);
  const mult: Record<string, number> = {
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
    d: 86_400_000,
    nanos: 1e-6,
    micros: 1e-3,
  };
  return Math.round(n * mult[m[2]]);
}

/** The single `cross_cluster` role descriptor ES derives from a cross-cluster key's access. */
export function deriveCrossClusterDescriptor(access: CrossClusterAccess, version: string): RoleDescriptor {
  const cluster: string[] = [];
  const indices: RoleDescriptor['indices'] = [];
  if (access.search?.length) {
    cluster.push('cross_cluster_search');
    if (versionAtLeast(version, '8.15.0')) cluster.push('monitor_enrich');
    for (const s of access.search) {
      indices.push({
        names: s.names,
        privileges: ['read', 'read_cross_cluster', 'view_index_metadata'],
        ...(s.field_security ? { field_security: s.field_security } : {}),
        ...(s.query !== undefined ? { query: normalizeQuery('cross_cluster', s.query) } : {}),
        allow_restricted_indices: s.allow_restricted_indices ?? false,
      });
    }
  }
  if (access.replication?.length) {
    cluster.push('cross_cluster_replication');
    for (const r of access.replication) {
      indices.push({
        names: r.names,
        privileges: ['cross_cluster_replication', 'cross_cluster_replication_internal'],
        allow_restricted_indices: r.allow_restricted_indices ?? false,
      });
    }
  }
  return { ...emptyRole(), cluster, indices };
}

/**
 * Validates a cross-cluster `access` object the way ES's parser and CrossClusterApiKeyRoleDescriptorBuilder do
 * (docs/es-behaviour.md §1, §2, §5). Entries come back in ES's output order — names, field_security, query (a
 * compact JSON string), allow_restricted_indices — as GET /_security/api_key shows `access`.
 */
export function normalizeAccess(raw: unknown, version: string): CrossClusterAccess {
  if (raw === null)
    throw new EsHttpError(400, 'x_content_parse_exception', "access doesn't support values of type: VALUE_NULL");
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new EsHttpError(400, 'x_content_parse_exception', '[access] must be an object');
  const a = raw as Record<string, unknown>;
  for (const k of Object.keys(a))
    if (k !== 'search' && k !== 'replication')
      throw new EsHttpError(
        400,
        'x_content_parse_exception',
        `[cross_cluster_api_key_request_access] unknown field [${k}]`,
      );
  const out: CrossClusterAccess = {};
  const entries = (k: 'search' | 'replication') => {
    const v = a[k];
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) throw new EsHttpError(400, 'x_content_parse_exception', `[${k}] must be an array`);
    return v.map((e: unknown) => {
      const o = e as Record<string, unknown>;
      if (!o || !Array.isArray(o.names) || o.names.length === 0 || !o.names.every((n) => typeof n === 'string'))
        throw new EsHttpError(400, 'x_content_parse_exception', `[${k}] entries require a non-empty [names] array`);
      const allowed = ['names', 'field_security', 'query', 'allow_restricted_indices'];
      for (const f of Object.keys(o))
        if (!allowed.includes(f))
          throw new EsHttpError(400, 'x_content_parse_exception', `[${k}] unknown field [${f}]`);
      const query = normalizeQuery('cross_cluster', o.query);
      return {
        names: o.names as string[],
        ...(o.field_security !== undefined ? { field_security: o.field_security as { grant?: string[] } } : {}),
        ...(query !== undefined ? { query } : {}),
        allow_restricted_indices: (o.allow_restricted_indices as boolean | undefined) ?? false,
      };
    });
  };
  const search = entries('search');
  const replication = entries('replication');
  if (!search?.length && !replication?.length)
    throw new EsHttpError(
      400,
      'action_request_validation_exception',
      'Validation Failed: 1: must specify non-empty access for either [search] or [replication];',
    );
  // DLS = any query; FLS = any field_security other than a lone `*` grant (docs/es-behaviour.md §5).
  const dlsFls = (e: { query?: string; field_security?: { grant?: string[]; except?: string[] } }) =>
    e.query !== undefined || isFieldLevelSecurity(e.field_security);
  if (replication?.some(dlsFls))
    throw new EsHttpError(
      400,
      'illegal_argument_exception',
      'replication does not support document or field level security',
    );
  // From 8.14.0 (PR #108600, a breaking change): search DLS/FLS only without replication. Older nodes accept it.
  if (versionAtLeast(version, '8.14.0') && replication?.length && search?.some(dlsFls))
    throw new EsHttpError(
      400,
      'illegal_argument_exception',
      'search does not support document or field level security if replication is assigned',
    );
  if (search?.length) out.search = search;
  if (replication?.length) out.replication = replication;
  return out;
}

function checkMetadata(md: unknown): Record<string, unknown> {
  if (md === undefined) return {};
  if (md === null || typeof md !== 'object' || Array.isArray(md))
    throw new EsHttpError(400, 'x_content_parse_exception', '[metadata] must be an object');
  const bad = Object.keys(md).filter((k) => k.startsWith('_'));
  if (bad.length)
    throw new EsHttpError(
      400,
      'action_request_validation_exception',
      `Validation Failed: 1: API key metadata keys may not start with [_];`,
    );
  return md as Record<string, unknown>;
}

function rejectApiKeyAuth(principal: Principal, what: string) {
  if (principal.kind === 'api_key')
    throw new EsHttpError(400, 'illegal_argument_exception', `authentication via API key not supported: ${what}`);
}

function issue(
  state: SecurityState,
  principal: Principal,
  base: Omit<StoredApiKey, 'id' | 'hash' | 'creation' | 'invalidated' | 'username' | 'realm' | 'realm_type'>,
  now: number,
): CreatedApiKey {
  const id = randomId(20);
  const secret = randomId(22);
  state.apiKeys.push({
    id,
    hash: hashSecret(secret),
    creation: now,
    invalidated: false,
    username: principal.username,
    realm: principal.realm,
    realm_type: principal.realmType,
    ...base,
  });
  return {
    id,
    name: base.name,
    ...(base.expiration !== null ? { expiration: base.expiration } : {}),
    api_key: secret,
    encoded: Buffer.from(`${id}:${secret}`, 'utf8').toString('base64'),
  };
}

const CC_CREATE_FIELDS = ['name', 'access', 'expiration', 'metadata'];
/** 9.3 added certificate_identity to cross-cluster keys (PR 134604, docs/es-9x.md §4.1). */
const ccFields = (base: string[], version: string) =>
  versionAtLeast(version, '9.3.0') ? [...base, 'certificate_identity'] : base;

/** certificate_identity: a Java regular expression (CertificateIdentity.java compiles it); null clears it. */
function certificateIdentity(v: unknown): string | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  const text = String(v);
  try {
    javaPattern(text);
  } catch {
    throw new EsHttpError(
      400,
      'illegal_argument_exception',
      `Invalid certificate_identity format: [${text}]. Must be a valid regex.`,
    );
  }
  return text;
}

/** POST /_security/cross_cluster/api_key (license and privilege checks happen in the REST layer). */
export function createCrossClusterApiKey(
  state: SecurityState,
  principal: Principal,
  body: unknown,
  version: string,
  now = Date.now(),
): CreatedApiKey {
  rejectApiKeyAuth(principal, 'An API key cannot be used to create a cross-cluster API key');
  const b = (body ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(b))
    if (!ccFields(CC_CREATE_FIELDS, version).includes(k))
      throw new EsHttpError(
        400,
        'x_content_parse_exception',
        `[1:2] [cross_cluster_api_key_request] unknown field [${k}]`,
      );
  if (typeof b.name !== 'string' || b.name === '')
    throw new EsHttpError(
      400,
      'x_content_parse_exception',
      b.access === undefined ? 'Required [access, name]' : 'Required [name]',
    );
  if (b.access === undefined) throw new EsHttpError(400, 'x_content_parse_exception', 'Required [access]');
  const access = normalizeAccess(b.access, version);
  const metadata = checkMetadata(b.metadata);
  const expiration = b.expiration != null ? now + parseTimeValueMs(String(b.expiration)) : null;
  const identity = certificateIdentity(b.certificate_identity);
  return issue(
    state,
    principal,
    {
      name: b.name,
      type: 'cross_cluster',
      expiration,
      metadata,
      role_descriptors: { cross_cluster: deriveCrossClusterDescriptor(access, version) },
      access,
      ...(identity ? { certificate_identity: identity } : {}),
    },
    now,
  );
}

/** Snapshot of a user's roles for a REST key's limited_by. */
function ownerSnapshot(state: SecurityState, principal: Principal): Array<Record<string, RoleDescriptor>> {
  if (principal.kind === 'api_key') {
    // A key created with an API key is limited by that key's own permission (ES: derived keys).
    const k = principal.key;
    return Object.keys(k.role_descriptors).length
      ? [structuredClone(k.role_descriptors)]
      : structuredClone(k.limited_by ?? []);
  }
  const perm = permissionOfRoles(state, principal.roles);
  const snap: Record<string, RoleDescriptor> = {};
  perm.effectiveRoles.forEach((n, i) => {
    snap[n] = structuredClone(perm.layers[0][i]);
  });
  return [snap];
}

/** A REST key's role_descriptors, parsed like roles (DLS queries kept as JSON strings). */
function restDescriptors(raw: unknown): Record<string, RoleDescriptor> {
  const rds: Record<string, RoleDescriptor> = {};
  for (const [n, d] of Object.entries((raw ?? {}) as Record<string, Partial<RoleDescriptor>>))
    rds[n] = normalizeDescriptor(n, { ...emptyRole(), ...d });
  return rds;
}

/** POST /_security/api_key (REST key). */
export function createRestApiKey(
  state: SecurityState,
  principal: Principal,
  body: unknown,
  now = Date.now(),
): CreatedApiKey {
  const b = (body ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(b))
    if (!['name', 'expiration', 'role_descriptors', 'metadata'].includes(k))
      throw new EsHttpError(400, 'x_content_parse_exception', `[1:2] [api_key_request] unknown field [${k}]`);
  if (typeof b.name !== 'string' || b.name === '')
    throw new EsHttpError(
      400,
      'action_request_validation_exception',
      'Validation Failed: 1: api key name is required;',
    );
  const rds = restDescriptors(b.role_descriptors);
  const expiration = b.expiration != null ? now + parseTimeValueMs(String(b.expiration)) : null;
  return issue(
    state,
    principal,
    {
      name: b.name,
      type: 'rest',
      expiration,
      metadata: checkMetadata(b.metadata),
      role_descriptors: rds,
      limited_by: ownerSnapshot(state, principal),
    },
    now,
  );
}

function findOwnedKey(
  state: SecurityState,
  principal: Principal,
  id: string,
  type: 'rest' | 'cross_cluster',
  now: number,
): StoredApiKey {
  const k = state.apiKeys.find((x) => x.id === id && x.username === principal.username && x.realm === principal.realm);
  if (!k)
    throw new EsHttpError(
      404,
      'resource_not_found_exception',
      `no API key owned by requesting user found for ID [${id}]`,
    );
  if (k.type !== type)
    throw new EsHttpError(
      400,
      'illegal_argument_exception',
      `cannot update API key of type [${k.type}] while expected type is [${type}]`,
    );
  if (k.invalidated)
    throw new EsHttpError(400, 'illegal_argument_exception', `cannot update invalidated API key [${id}]`);
  if (k.expiration !== null && k.expiration <= now)
    throw new EsHttpError(400, 'illegal_argument_exception', `cannot update expired API key [${id}]`);
  return k;
}

/** PUT /_security/cross_cluster/api_key/{id} → {updated} */
export function updateCrossClusterApiKey(
  state: SecurityState,
  principal: Principal,
  id: string,
  body: unknown,
  version: string,
  now = Date.now(),
): { updated: boolean } {
  rejectApiKeyAuth(principal, 'only the owner user can update an API key');
  if (body === undefined || body === null) throw new EsHttpError(400, 'parse_exception', 'request body is required');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b))
    if (!ccFields(['access', 'metadata', 'expiration'], version).includes(k))
      throw new EsHttpError(
        400,
        'x_content_parse_exception',
        `[1:2] [update_cross_cluster_api_key_request] unknown field [${k}]`,
      );
  if (
    b.access === undefined &&
    b.metadata === undefined &&
    b.expiration === undefined &&
    b.certificate_identity === undefined
  )
    throw new EsHttpError(
      400,
      'action_request_validation_exception',
      'Validation Failed: 1: must update either [access] or [metadata] for cross-cluster API keys;',
    );
  const access = b.access !== undefined ? normalizeAccess(b.access, version) : undefined;
  const metadata = b.metadata !== undefined ? checkMetadata(b.metadata) : undefined;
  const k = findOwnedKey(state, principal, id, 'cross_cluster', now);
  const identity = certificateIdentity(b.certificate_identity);
  const before = JSON.stringify([k.access, k.metadata, k.expiration, k.certificate_identity]);
  if (identity === null) delete k.certificate_identity;
  else if (identity !== undefined) k.certificate_identity = identity;
  if (access) {
    k.access = access;
    k.role_descriptors = { cross_cluster: deriveCrossClusterDescriptor(access, version) };
  }
  if (metadata) k.metadata = metadata;
  if (b.expiration != null) k.expiration = now + parseTimeValueMs(String(b.expiration));
  return {
    updated:
      JSON.stringify([k.access, k.metadata, k.expiration, k.certificate_identity]) !== before || b.expiration != null,
  };
}

/** PUT /_security/api_key/{id} → {updated}: refreshes limited_by to the owner's current roles. */
export function updateRestApiKey(
  state: SecurityState,
  principal: Principal,
  id: string,
  body: unknown,
  now = Date.now(),
): { updated: boolean } {
  rejectApiKeyAuth(principal, 'only the owner user can update an API key');
  const b = (body ?? {}) as Record<string, unknown>;
  const k = findOwnedKey(state, principal, id, 'rest', now);
  const before = JSON.stringify([k.role_descriptors, k.limited_by, k.metadata, k.expiration]);
  if (b.role_descriptors !== undefined) k.role_descriptors = restDescriptors(b.role_descriptors);
  if (b.metadata !== undefined) k.metadata = checkMetadata(b.metadata);
  if (b.expiration != null) k.expiration = now + parseTimeValueMs(String(b.expiration));
  k.limited_by = ownerSnapshot(state, principal);
  return { updated: JSON.stringify([k.role_descriptors, k.limited_by, k.metadata, k.expiration]) !== before };
}

export interface ApiKeyFilter {
  id?: string;
  name?: string;
  username?: string;
  realm_name?: string;
  owner?: boolean;
  active_only?: boolean;
  type?: string;
}

export function isActive(k: StoredApiKey, now = Date.now()): boolean {
  return !k.invalidated && (k.expiration === null || k.expiration > now);
}

export function findApiKeys(
  state: SecurityState,
  principal: Principal,
  f: ApiKeyFilter,
  now = Date.now(),
): StoredApiKey[] {
  return state.apiKeys.filter(
    (k) =>
      (f.id === undefined || k.id === f.id) &&
      (f.name === undefined || patternMatches(f.name, k.name)) &&
      (f.username === undefined || patternMatches(f.username, k.username)) &&
      (f.realm_name === undefined || k.realm === f.realm_name) &&
      (!f.owner || (k.username === principal.username && k.realm === principal.realm)) &&
      (!f.active_only || isActive(k, now)) &&
      (f.type === undefined || k.type === f.type),
  );
}

/** Descriptors as GET shows them: DLS queries as strings, no empty remote_indices (RoleDescriptor.toXContent). */
function descriptorsView(rds: Record<string, RoleDescriptor>): Record<string, RoleDescriptor> {
  const out: Record<string, RoleDescriptor> = {};
  for (const [n, d] of Object.entries(rds)) {
    const { remote_indices, ...rest } = normalizeDescriptor(n, d);
    out[n] = remote_indices?.length ? { ...rest, remote_indices } : rest;
  }
  return out;
}

/** `access` as GET shows it (keys stored by older labs may hold object queries). */
function accessView(a: CrossClusterAccess): CrossClusterAccess {
  const q = (e: { query?: unknown }) => {
    const query = normalizeQuery('cross_cluster', e.query);
    return query === undefined ? {} : { query };
  };
  return {
    ...(a.search
      ? {
          search: a.search.map((e) => ({
            names: e.names,
            ...(e.field_security ? { field_security: e.field_security } : {}),
            ...q(e),
            allow_restricted_indices: e.allow_restricted_indices ?? false,
          })),
        }
      : {}),
    ...(a.replication
      ? {
          replication: a.replication.map((e) => ({
            names: e.names,
            allow_restricted_indices: e.allow_restricted_indices ?? false,
          })),
        }
      : {}),
  };
}

/** The GET /_security/api_key view of a key (never the hash). */
export function apiKeyView(k: StoredApiKey, withLimitedBy = false): Record<string, unknown> {
  const v: Record<string, unknown> = {
    id: k.id,
    name: k.name,
    type: k.type,
    creation: k.creation,
    expiration: k.expiration,
    invalidated: k.invalidated,
    ...(k.invalidation !== undefined ? { invalidation: k.invalidation } : {}),
    username: k.username,
    realm: k.realm,
    realm_type: k.realm_type,
    metadata: k.metadata,
    role_descriptors: descriptorsView(k.role_descriptors),
  };
  if (k.type === 'cross_cluster') v.access = accessView(k.access ?? {});
  if (k.certificate_identity !== undefined) v.certificate_identity = k.certificate_identity;
  if (k.type === 'rest' && withLimitedBy) v.limited_by = (k.limited_by ?? []).map(descriptorsView);
  return v;
}

export interface InvalidateResult {
  invalidated_api_keys: string[];
  previously_invalidated_api_keys: string[];
  error_count: number;
  error_details?: unknown[];
}

/** DELETE /_security/api_key */
export function invalidateApiKeys(
  state: SecurityState,
  principal: Principal,
  body: unknown,
  canManageAll: boolean,
  now = Date.now(),
): InvalidateResult {
  const b = (body ?? {}) as Record<string, unknown>;
  const ids = Array.isArray(b.ids) ? (b.ids as string[]) : typeof b.id === 'string' ? [b.id] : undefined;
  const name = typeof b.name === 'string' ? b.name : undefined;
  if (!ids && !name && b.username === undefined && b.realm_name === undefined && !b.owner)
    throw new EsHttpError(
      400,
      'action_request_validation_exception',
      'Validation Failed: 1: One of [api key id(s), api key name, username, realm name] must be specified if [owner] flag is false;',
    );
  const owner = Boolean(b.owner) || !canManageAll;
  const matches = state.apiKeys.filter(
    (k) =>
      (!ids || ids.includes(k.id)) &&
      (!name || patternMatches(name, k.name)) &&
      (b.username === undefined || k.username === b.username) &&
      (b.realm_name === undefined || k.realm === b.realm_name) &&
      (!owner || (k.username === principal.username && k.realm === principal.realm)),
  );
  const res: InvalidateResult = { invalidated_api_keys: [], previously_invalidated_api_keys: [], error_count: 0 };
  for (const k of matches) {
    if (k.invalidated) {
      res.previously_invalidated_api_keys.push(k.id);
      continue;
    }
    k.invalidated = true;
    k.invalidation = now;
    res.invalidated_api_keys.push(k.id);
  }
  return res;
}

export type KeyVerification =
  | { ok: true; key: StoredApiKey }
  | { ok: false; reason: 'malformed' | 'unknown' | 'bad_secret' | 'invalidated' | 'expired'; id?: string };

/** Decodes `base64(id:secret)` and checks it against the stored keys. */
export function verifyEncodedKey(state: SecurityState, encoded: string, now = Date.now()): KeyVerification {
  let decoded: string;
  try {
    decoded = Buffer.from(encoded.trim(), 'base64').toString('utf8');
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const i = decoded.indexOf(':');
  if (i <= 0) return { ok: false, reason: 'malformed' };
  const id = decoded.slice(0, i);
  const secret = decoded.slice(i + 1);
  const k = state.apiKeys.find((x) => x.id === id);
  if (!k) return { ok: false, reason: 'unknown', id };
  if (!secretMatches(k.hash, secret)) return { ok: false, reason: 'bad_secret', id };
  if (k.invalidated) return { ok: false, reason: 'invalidated', id };
  if (k.expiration !== null && k.expiration <= now) return { ok: false, reason: 'expired', id };
  return { ok: true, key: k };
}
