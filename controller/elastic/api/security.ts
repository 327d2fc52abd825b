// Typed wrappers of the cross-cluster API key calls (docs/procedure.md §2.2), run on the remote (fulfilling) cluster.
// The `encoded` key becomes a Secret the moment the answer is parsed; it is never logged or persisted in clear.
import { createHash } from 'node:crypto';
import { Secret } from '../../secrets.js';
import type { EsApi } from '../types.js';
import { shape, sortDeep, type Obj } from './shape.js';

export interface FieldSecurity {
  grant?: string[];
  except?: string[];
}
export interface SearchAccess {
  names: string[];
  field_security?: FieldSecurity;
  query?: unknown;
  allow_restricted_indices?: boolean;
}
export interface ReplicationAccess {
  names: string[];
  allow_restricted_indices?: boolean;
}
export interface CrossClusterAccess {
  search?: SearchAccess[];
  replication?: ReplicationAccess[];
}

export interface CreateCrossClusterApiKeyRequest {
  name: string;
  access: CrossClusterAccess;
  expiration?: string;
  metadata?: Record<string, unknown>;
  /** 9.3+: Java regex the signing certificate's subject DN must match (docs/es-9x.md §4.1). */
  certificate_identity?: string;
}

export interface CreatedCrossClusterApiKey {
  id: string;
  name: string;
  expiration?: number;
  /** base64(id:api_key): the value for `cluster.remote.<alias>.credentials`. */
  encoded: Secret;
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  type?: 'rest' | 'cross_cluster' | string;
  creation?: number;
  expiration?: number | null;
  invalidated: boolean;
  username?: string;
  realm?: string;
  metadata: Record<string, unknown>;
  role_descriptors?: Record<string, unknown>;
  access?: CrossClusterAccess;
  limited_by?: unknown[];
  /** 9.3+ cross-cluster keys with strong identity. */
  certificate_identity?: string;
}

export interface InvalidateApiKeysResponse {
  invalidated_api_keys: string[];
  previously_invalidated_api_keys: string[];
  error_count: number;
  error_details?: Array<{ type: string; reason: string }>;
}

function parseAccess(api: string, v: unknown, field: string): CrossClusterAccess {
  const s = shape(api);
  const o = s.obj(v, field);
  const out: CrossClusterAccess = {};
  if (o.search !== undefined) {
    out.search = s.arr(o.search, `${field}.search`).map((e, i) => {
      const eo = s.obj(e, `${field}.search[${i}]`);
      const entry: SearchAccess = { names: s.strs(eo.names, `${field}.search[${i}].names`) };
      if (eo.field_security !== undefined)
        entry.field_security = s.obj(eo.field_security, `${field}.search[${i}].field_security`) as FieldSecurity;
      if (eo.query !== undefined) entry.query = eo.query;
      const ari = s.optBool(eo.allow_restricted_indices, `${field}.search[${i}].allow_restricted_indices`);
      if (ari !== undefined) entry.allow_restricted_indices = ari;
      return entry;
    });
  }
  if (o.replication !== undefined) {
    out.replication = s.arr(o.replication, `${field}.replication`).map((e, i) => {
      const eo = s.obj(e, `${field}.replication[${i}]`);
      const entry: ReplicationAccess = { names: s.strs(eo.names, `${field}.replication[${i}].names`) };
      const ari = s.optBool(eo.allow_restricted_indices, `${field}.replication[${i}].allow_restricted_indices`);
      if (ari !== undefined) entry.allow_restricted_indices = ari;
      return entry;
    });
  }
  return out;
}

/** Validates an access spec given by a user (playbook args): same rules as ES's strict parser. */
export function validateAccess(v: unknown): CrossClusterAccess {
  const access = parseAccess('access argument', v, 'access');
  const o = v as Obj;
  const unknown = Object.keys(o).filter((k) => k !== 'search' && k !== 'replication');
  if (unknown.length) throw new Error(`access: unknown field(s) ${unknown.join(', ')} (allowed: search, replication)`);
  if (!access.search?.length && !access.replication?.length) {
    throw new Error('access: at least one of search or replication must be given');
  }
  return access;
}

export function parseCreateCrossClusterApiKeyResponse(body: unknown): CreatedCrossClusterApiKey {
  const api = 'POST /_security/cross_cluster/api_key';
  const s = shape(api);
  const o = s.obj(body, 'body');
  const encoded = new Secret(s.str(o.encoded, 'encoded'));
  if (typeof o.api_key === 'string') new Secret(o.api_key); // registered so it is redacted wherever it appears
  const out: CreatedCrossClusterApiKey = { id: s.str(o.id, 'id'), name: s.str(o.name, 'name'), encoded };
  const exp = s.optNum(o.expiration, 'expiration');
  if (exp !== undefined) out.expiration = exp;
  return out;
}

export function parseApiKeyInfo(api: string, v: unknown, field: string): ApiKeyInfo {
  const s = shape(api);
  const o = s.obj(v, field);
  const info: ApiKeyInfo = {
    id: s.str(o.id, `${field}.id`),
    name: typeof o.name === 'string' ? o.name : '',
    invalidated: s.optBool(o.invalidated, `${field}.invalidated`) ?? false,
    metadata: o.metadata === undefined || o.metadata === null ? {} : s.obj(o.metadata, `${field}.metadata`),
  };
  if (o.type !== undefined) info.type = s.str(o.type, `${field}.type`);
  if (o.creation !== undefined) info.creation = s.num(o.creation, `${field}.creation`);
  if (o.expiration !== undefined)
    info.expiration = o.expiration === null ? null : s.num(o.expiration, `${field}.expiration`);
  if (o.username !== undefined) info.username = s.str(o.username, `${field}.username`);
  if (o.realm !== undefined) info.realm = s.str(o.realm, `${field}.realm`);
  if (o.role_descriptors !== undefined) info.role_descriptors = s.obj(o.role_descriptors, `${field}.role_descriptors`);
  if (o.access !== undefined) info.access = parseAccess(api, o.access, `${field}.access`);
  if (o.limited_by !== undefined) info.limited_by = s.arr(o.limited_by, `${field}.limited_by`);
  if (o.certificate_identity !== undefined && o.certificate_identity !== null)
    info.certificate_identity = s.str(o.certificate_identity, `${field}.certificate_identity`);
  return info;
}

export function parseGetApiKeysResponse(body: unknown): ApiKeyInfo[] {
  const api = 'GET /_security/api_key';
  const s = shape(api);
  const o = s.obj(body, 'body');
  return s.arr(o.api_keys, 'api_keys').map((k, i) => parseApiKeyInfo(api, k, `api_keys[${i}]`));
}

export function parseInvalidateApiKeysResponse(body: unknown): InvalidateApiKeysResponse {
  const api = 'DELETE /_security/api_key';
  const s = shape(api);
  const o = s.obj(body, 'body');
  const out: InvalidateApiKeysResponse = {
    invalidated_api_keys: s.strs(o.invalidated_api_keys ?? [], 'invalidated_api_keys'),
    previously_invalidated_api_keys: s.strs(o.previously_invalidated_api_keys ?? [], 'previously_invalidated_api_keys'),
    error_count: s.optNum(o.error_count, 'error_count') ?? 0,
  };
  if (o.error_details !== undefined) {
    out.error_details = s.arr(o.error_details, 'error_details').map((e, i) => {
      const eo = s.obj(e, `error_details[${i}]`);
      return { type: String(eo.type ?? 'exception'), reason: String(eo.reason ?? '') };
    });
  }
  return out;
}

export async function createCrossClusterApiKey(
  es: EsApi,
  req: CreateCrossClusterApiKeyRequest,
): Promise<CreatedCrossClusterApiKey> {
  const res = await es.request({
    method: 'POST',
    path: '/_security/cross_cluster/api_key',
    body: req,
    secretResponseFields: ['encoded', 'api_key'],
    retry: false, // not idempotent: a retried create could leave a second key
  });
  return parseCreateCrossClusterApiKeyResponse(res.body);
}

/** Active (or all) keys of a name; an unknown name is an empty list, not an error. */
export async function getApiKeysByName(
  es: EsApi,
  name: string,
  opts: { activeOnly?: boolean } = {},
): Promise<ApiKeyInfo[]> {
  const res = await es.request({
    method: 'GET',
    path: '/_security/api_key',
    query: { name, active_only: opts.activeOnly ?? true },
    okStatuses: [404],
  });
  if (res.status === 404) return [];
  return parseGetApiKeysResponse(res.body);
}

export async function getApiKeyById(es: EsApi, id: string): Promise<ApiKeyInfo | undefined> {
  const res = await es.request({ method: 'GET', path: '/_security/api_key', query: { id }, okStatuses: [404] });
  if (res.status === 404) return undefined;
  return parseGetApiKeysResponse(res.body)[0];
}

export async function updateCrossClusterApiKey(
  es: EsApi,
  id: string,
  update: {
    access?: CrossClusterAccess;
    metadata?: Record<string, unknown>;
    expiration?: string;
    /** null clears it (9.3+). */
    certificate_identity?: string | null;
  },
): Promise<{ updated: boolean }> {
  const res = await es.request({
    method: 'PUT',
    path: `/_security/cross_cluster/api_key/${encodeURIComponent(id)}`,
    body: update,
  });
  return parseUpdateCrossClusterApiKey(res.body);
}

export function parseUpdateCrossClusterApiKey(body: unknown): { updated: boolean } {
  const s = shape('PUT /_security/cross_cluster/api_key/{id}');
  return { updated: s.bool(s.obj(body, 'body').updated, 'updated') };
}

/** Invalidates keys by id; fails when ES reports per-key errors (HTTP 200 with error_count > 0). */
export async function invalidateApiKeys(es: EsApi, ids: string[]): Promise<InvalidateApiKeysResponse> {
  const res = await es.request({ method: 'DELETE', path: '/_security/api_key', body: { ids } });
  const out = parseInvalidateApiKeysResponse(res.body);
  if (out.error_count > 0) {
    const why = (out.error_details ?? []).map((e) => `${e.type}: ${e.reason}`).join('; ');
    throw new Error(
      `${es.label}: invalidating API key(s) ${ids.join(', ')} failed for ${out.error_count} key(s): ${why}` +
        ' (invalidating cross-cluster keys needs the manage_security privilege)',
    );
  }
  return out;
}

// ---- canonical access and its hash (ECK's config-hash approach, docs/procedure.md §4) ----

/**
 * A DLS `query` by its meaning: real Elasticsearch stores a query sent as an object as a compact JSON string and
 * returns the string (docs/es-behaviour.md §1), so an object and its string, with keys in any order, are the same
 * query. A string that is not JSON stays as it is.
 */
function canonicalQuery(q: unknown): unknown {
  let v = q;
  if (typeof q === 'string') {
    try {
      v = JSON.parse(q);
    } catch {
      return q;
    }
  }
  return v !== null && typeof v === 'object' ? JSON.stringify(sortDeep(v)) : q;
}

/**
 * Canonical form of an access spec: names sorted, `allow_restricted_indices: false` dropped (ES's default, which
 * ES adds in its answers), DLS queries compared by meaning, entries sorted, keys sorted. Two specs that grant the
 * same thing compare equal — whether the query was written as an object or read back as ES's string.
 */
export function canonicalAccess(access: CrossClusterAccess): CrossClusterAccess {
  const norm = <T extends { names: string[]; allow_restricted_indices?: boolean }>(
    entries: T[] | undefined,
  ): T[] | undefined => {
    if (!entries || entries.length === 0) return undefined;
    const out = entries.map((e) => {
      const c = { ...e, names: [...e.names].sort() } as T & { query?: unknown };
      if (c.allow_restricted_indices === false) delete c.allow_restricted_indices;
      if (c.query !== undefined) c.query = canonicalQuery(c.query);
      return sortDeep(c) as T;
    });
    return out.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  };
  const out: CrossClusterAccess = {};
  const search = norm(access.search);
  const replication = norm(access.replication);
  if (replication) out.replication = replication;
  if (search) out.search = search;
  return out;
}

/** sha256 (hex) of the canonical access: stored as `crosskey.access_hash` in the key's metadata. */
export function accessHash(access: CrossClusterAccess): string {
  return createHash('sha256')
    .update(JSON.stringify(canonicalAccess(access)))
    .digest('hex');
}

export function sameAccess(a: CrossClusterAccess | undefined, b: CrossClusterAccess): boolean {
  if (!a) return false;
  return JSON.stringify(canonicalAccess(a)) === JSON.stringify(canonicalAccess(b));
}
