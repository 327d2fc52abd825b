// Role write/read rules of ES's role APIs: strict parsing, version-gated fields, reserved roles, and the DLS
// `query` kept as a compact JSON string (docs/es-behaviour.md §1, RoleDescriptor.java).
import {
  emptyRole,
  isReservedRole,
  RESERVED_ROLES,
  type IndicesPrivileges,
  type RemoteIndicesPrivileges,
  type RoleDescriptor,
} from './model.js';
import { EsHttpError } from '../http-error.js';
import { versionAtLeast } from '../../../controller/version.js';

const BASE_FIELDS = [
  'cluster',
  'indices',
  'applications',
  'run_as',
  'metadata',
  'transient_metadata',
  'description',
  'global',
];

/** Parses a PUT/POST /_security/role/{name} body into a full descriptor (full replace, as ES does). */
export function parseRoleBody(name: string, body: unknown, version: string): RoleDescriptor {
  // PutRoleRequest.validate → NativeRealmValidationUtil.validateRoleName (docs/es-behaviour.md §3).
  if (isReservedRole(name, version))
    throw new EsHttpError(
      400,
      'action_request_validation_exception',
      `Validation Failed: 1: Role [${name}] is reserved and may not be used.;`,
    );
  if (!/^[\x21-\x7e][\x20-\x7e]{0,506}$/.test(name))
    throw new EsHttpError(
      400,
      'action_request_validation_exception',
      `Validation Failed: 1: Role names must be at least 1 and no more than 507 characters. They can contain alphanumeric characters (a-z, A-Z, 0-9), spaces, punctuation, and printable symbols in the Basic Latin (ASCII) block. Leading or trailing whitespace is not allowed.;`,
    );
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new EsHttpError(400, 'parse_exception', 'request body is required');
  const b = body as Record<string, unknown>;
  const allowed = [...BASE_FIELDS];
  if (versionAtLeast(version, '8.8.0')) allowed.push('remote_indices');
  if (versionAtLeast(version, '8.15.0')) allowed.push('remote_cluster');
  for (const k of Object.keys(b)) {
    if (!allowed.includes(k))
      throw new EsHttpError(400, 'parse_exception', `failed to parse role [${name}]. unexpected field [${k}]`);
  }
  const strings = (k: string): string[] => {
    const v = b[k];
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
      throw new EsHttpError(
        400,
        'parse_exception',
        `failed to parse role [${name}]. [${k}] must be an array of strings`,
      );
    return v as string[];
  };
  const entries = (k: string, needClusters: boolean) => {
    const v = b[k];
    if (v === undefined) return undefined;
    if (!Array.isArray(v))
      throw new EsHttpError(400, 'parse_exception', `failed to parse role [${name}]. [${k}] must be an array`);
    return v.map((e: Record<string, unknown>) => {
      if (!Array.isArray(e?.names) || !Array.isArray(e?.privileges))
        throw new EsHttpError(
          400,
          'parse_exception',
          `failed to parse indices privileges for role [${name}]. missing required [${!Array.isArray(e?.names) ? 'names' : 'privileges'}] field`,
        );
      if (needClusters && (!Array.isArray(e.clusters) || e.clusters.length === 0))
        throw new EsHttpError(
          400,
          'parse_exception',
          `failed to parse remote indices privileges for role [${name}]. missing required [clusters] field`,
        );
      return normalizeIndicesEntry(name, e, needClusters);
    });
  };
  const role: RoleDescriptor = {
    ...emptyRole(),
    cluster: strings('cluster'),
    indices: (entries('indices', false) ?? []) as RoleDescriptor['indices'],
    applications: (b.applications as unknown[] | undefined) ?? [],
    run_as: strings('run_as'),
    metadata: checkRoleMetadata((b.metadata as Record<string, unknown> | undefined) ?? {}),
  };
  if (typeof b.description === 'string') role.description = b.description;
  const ri = entries('remote_indices', true);
  if (ri) role.remote_indices = ri as RoleDescriptor['remote_indices'];
  if (b.remote_cluster !== undefined) {
    const allowedRc = ['monitor_enrich', ...(versionAtLeast(version, '8.17.0') ? ['monitor_stats'] : [])];
    const rc = b.remote_cluster as Array<{ clusters?: string[]; privileges?: string[] }>;
    if (!Array.isArray(rc))
      throw new EsHttpError(
        400,
        'parse_exception',
        `failed to parse role [${name}]. [remote_cluster] must be an array`,
      );
    for (const e of rc) {
      const bad = (e.privileges ?? []).filter((p) => !allowedRc.includes(p));
      if (bad.length)
        throw new EsHttpError(
          400,
          'illegal_argument_exception',
          `Invalid remote_cluster permissions found. Please remove the following: [${bad.join(', ')}] Only [${allowedRc.join(', ')}] are allowed`,
        );
      if (!Array.isArray(e.clusters) || e.clusters.length === 0)
        throw new EsHttpError(
          400,
          'parse_exception',
          `failed to parse remote_cluster for role [${name}]. missing required [clusters] field`,
        );
    }
    role.remote_cluster = rc as RoleDescriptor['remote_cluster'];
  }
  return role;
}

/** RoleDescriptorRequestValidator: metadata keys starting with `_` are ES's own (e.g. `_reserved`). */
function checkRoleMetadata(md: Record<string, unknown>): Record<string, unknown> {
  if (Object.keys(md).some((k) => k.startsWith('_')))
    throw new EsHttpError(
      400,
      'action_request_validation_exception',
      'Validation Failed: 1: role descriptor metadata keys may not start with [_];',
    );
  return md;
}

/** The JSON parser's token name for a value, as ES prints it in parse errors. */
function tokenOf(v: unknown): string {
  if (Array.isArray(v)) return 'START_ARRAY';
  if (typeof v === 'number') return 'VALUE_NUMBER';
  if (typeof v === 'boolean') return 'VALUE_BOOLEAN';
  return 'VALUE_STRING';
}

/**
 * A DLS `query` as ES keeps it (RoleDescriptor.java, the QUERY branch): an object is re-serialised to compact JSON
 * in the order it was sent, a string is kept verbatim, `""` and null mean no query. undefined = no query.
 */
export function normalizeQuery(roleName: string, q: unknown): string | undefined {
  if (q === undefined || q === null || q === '') return undefined;
  if (typeof q === 'string') return q;
  if (typeof q === 'object' && !Array.isArray(q)) return JSON.stringify(q);
  throw new EsHttpError(
    400,
    'parse_exception',
    `failed to parse indices privileges for role [${roleName}]. expected field [query] value to be null, a string, an array, or an object, but found [${tokenOf(q)}] instead`,
  );
}

/**
 * One `indices` (or `remote_indices`) entry in ES's output order (IndicesPrivileges.innerToXContent): names,
 * privileges, field_security, query, allow_restricted_indices (always), then clusters for remote entries.
 */
export function normalizeIndicesEntry(
  roleName: string,
  e: Record<string, unknown>,
  remote: true,
): RemoteIndicesPrivileges;
export function normalizeIndicesEntry(
  roleName: string,
  e: Record<string, unknown>,
  remote?: boolean,
): IndicesPrivileges;
export function normalizeIndicesEntry(
  roleName: string,
  e: Record<string, unknown>,
  remote = false,
): IndicesPrivileges | RemoteIndicesPrivileges {
  const known = [
    'names',
    'privileges',
    'field_security',
    'query',
    'allow_restricted_indices',
    ...(remote ? ['clusters'] : []),
  ];
  const out: Record<string, unknown> = {};
  for (const k of known) {
    if (k === 'query') {
      const q = normalizeQuery(roleName, e.query);
      if (q !== undefined) out.query = q;
    } else if (k === 'allow_restricted_indices') out[k] = (e[k] as boolean | undefined) ?? false;
    else if (e[k] !== undefined) out[k] = e[k];
  }
  for (const [k, v] of Object.entries(e)) if (!known.includes(k)) out[k] = v;
  return out as unknown as IndicesPrivileges;
}

/** A stored descriptor with every DLS query in string form (older lab states may hold objects). */
export function normalizeDescriptor(name: string, r: RoleDescriptor): RoleDescriptor {
  const out: RoleDescriptor = {
    ...r,
    indices: r.indices.map((e) => normalizeIndicesEntry(name, e as unknown as Record<string, unknown>)),
  };
  if (r.remote_indices)
    out.remote_indices = r.remote_indices.map((e) =>
      normalizeIndicesEntry(name, e as unknown as Record<string, unknown>, true),
    );
  return out;
}

/**
 * GET view (RoleDescriptor.toXContent): remote_indices only when non-empty (8.8+), remote_cluster only when
 * non-empty (8.15+; the reserved superuser's monitor_stats from 8.17), DLS queries as strings.
 */
export function roleView(r: RoleDescriptor, version: string, name = ''): RoleDescriptor {
  const { remote_indices, remote_cluster, ...base } = normalizeDescriptor(name, r);
  const rc = (remote_cluster ?? [])
    .map((e) => ({
      ...e,
      privileges: e.privileges.filter((p) => p !== 'monitor_stats' || versionAtLeast(version, '8.17.0')),
    }))
    .filter((e) => e.privileges.length > 0);
  return {
    ...base,
    ...(remote_indices?.length && versionAtLeast(version, '8.8.0') ? { remote_indices } : {}),
    ...(rc.length && versionAtLeast(version, '8.15.0') ? { remote_cluster: rc } : {}),
  };
}

/** A reserved role's descriptor (undefined when this version does not have it). */
export function reservedRole(name: string, version: string): RoleDescriptor | undefined {
  return isReservedRole(name, version) ? RESERVED_ROLES[name] : undefined;
}
