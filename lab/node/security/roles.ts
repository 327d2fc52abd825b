// Role write/read rules of ES's role APIs: strict parsing, version-gated fields, reserved roles.
import { emptyRole, RESERVED_ROLES, type RoleDescriptor } from './model.js';
import { LabEsError } from './errors.js';
import { versionAtLeast } from './version.js';

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
  if (RESERVED_ROLES[name])
    throw new LabEsError(400, 'illegal_argument_exception', `Role [${name}] is reserved and may not be used.`);
  if (!/^[\x21-\x7e][\x20-\x7e]{0,506}$/.test(name))
    throw new LabEsError(
      400,
      'action_request_validation_exception',
      `Validation Failed: 1: Role names must be at least 1 and no more than 507 characters. They can contain alphanumeric characters (a-z, A-Z, 0-9), spaces, punctuation, and printable symbols in the Basic Latin (ASCII) block. Leading or trailing whitespace is not allowed.;`,
    );
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new LabEsError(400, 'parse_exception', 'request body is required');
  const b = body as Record<string, unknown>;
  const allowed = [...BASE_FIELDS];
  if (versionAtLeast(version, '8.8.0')) allowed.push('remote_indices');
  if (versionAtLeast(version, '8.15.0')) allowed.push('remote_cluster');
  for (const k of Object.keys(b)) {
    if (!allowed.includes(k))
      throw new LabEsError(400, 'parse_exception', `failed to parse role [${name}]. unexpected field [${k}]`);
  }
  const strings = (k: string): string[] => {
    const v = b[k];
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
      throw new LabEsError(
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
      throw new LabEsError(400, 'parse_exception', `failed to parse role [${name}]. [${k}] must be an array`);
    return v.map((e: Record<string, unknown>) => {
      if (!Array.isArray(e?.names) || !Array.isArray(e?.privileges))
        throw new LabEsError(
          400,
          'parse_exception',
          `failed to parse indices privileges for role [${name}]. missing required [${!Array.isArray(e?.names) ? 'names' : 'privileges'}] field`,
        );
      if (needClusters && (!Array.isArray(e.clusters) || e.clusters.length === 0))
        throw new LabEsError(
          400,
          'parse_exception',
          `failed to parse remote indices privileges for role [${name}]. missing required [clusters] field`,
        );
      return { ...e, allow_restricted_indices: (e.allow_restricted_indices as boolean | undefined) ?? false };
    });
  };
  const role: RoleDescriptor = {
    ...emptyRole(),
    cluster: strings('cluster'),
    indices: (entries('indices', false) ?? []) as RoleDescriptor['indices'],
    applications: (b.applications as unknown[] | undefined) ?? [],
    run_as: strings('run_as'),
    metadata: (b.metadata as Record<string, unknown> | undefined) ?? {},
  };
  if (typeof b.description === 'string') role.description = b.description;
  const ri = entries('remote_indices', true);
  if (ri) role.remote_indices = ri as RoleDescriptor['remote_indices'];
  if (b.remote_cluster !== undefined) {
    const allowedRc = ['monitor_enrich', ...(versionAtLeast(version, '8.17.0') ? ['monitor_stats'] : [])];
    const rc = b.remote_cluster as Array<{ clusters?: string[]; privileges?: string[] }>;
    if (!Array.isArray(rc))
      throw new LabEsError(400, 'parse_exception', `failed to parse role [${name}]. [remote_cluster] must be an array`);
    for (const e of rc) {
      const bad = (e.privileges ?? []).filter((p) => !allowedRc.includes(p));
      if (bad.length)
        throw new LabEsError(
          400,
          'illegal_argument_exception',
          `Invalid remote_cluster permissions found. Please remove the following: [${bad.join(', ')}] Only [${allowedRc.join(', ')}] are allowed`,
        );
      if (!Array.isArray(e.clusters) || e.clusters.length === 0)
        throw new LabEsError(
          400,
          'parse_exception',
          `failed to parse remote_cluster for role [${name}]. missing required [clusters] field`,
        );
    }
    role.remote_cluster = rc as RoleDescriptor['remote_cluster'];
  }
  return role;
}

/** GET view: the fields this version prints (remote_indices from 8.8, remote_cluster from 8.15). */
export function roleView(r: RoleDescriptor, version: string): RoleDescriptor {
  const { remote_indices, remote_cluster, ...base } = r;
  return {
    ...base,
    ...(versionAtLeast(version, '8.8.0') ? { remote_indices: remote_indices ?? [] } : {}),
    ...(remote_cluster && versionAtLeast(version, '8.15.0') ? { remote_cluster } : {}),
  };
}
