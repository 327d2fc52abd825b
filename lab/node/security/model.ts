// Security section of the lab cluster state: roles, API keys (REST and cross-cluster), and the
// helpers that read them. Shapes follow ES's REST answers (test/fixtures/es-examples/security.*)
// so that GET handlers can return stored objects almost as they are.

export interface IndicesPrivileges {
  names: string[];
  privileges: string[];
  field_security?: { grant?: string[]; except?: string[] };
  query?: string | Record<string, unknown>;
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
  cluster: string[];
  indices: IndicesPrivileges[];
  applications: unknown[];
  run_as: string[];
  metadata: Record<string, unknown>;
  transient_metadata: { enabled: boolean };
  remote_indices?: RemoteIndicesPrivileges[];
  remote_cluster?: RemoteClusterPrivileges[];
  description?: string;
}

/** Cross-cluster key access, as sent by the user and shown by GET /_security/api_key. */
export interface CrossClusterAccess {
  search?: Array<{
    names: string[];
    field_security?: { grant?: string[]; except?: string[] };
    query?: unknown;
    allow_restricted_indices?: boolean;
  }>;
  replication?: Array<{ names: string[]; allow_restricted_indices?: boolean }>;
}

/** An API key as stored in the lab cluster state. The secret is never stored: only a salted hash. */
export interface StoredApiKey {
  id: string;
  name: string;
  type: 'rest' | 'cross_cluster';
  /** `<salt hex>:<sha256 hex of salt+secret>` */
  hash: string;
  creation: number;
  expiration: number | null;
  invalidated: boolean;
  invalidation?: number;
  username: string;
  realm: string;
  realm_type: string;
  metadata: Record<string, unknown>;
  /** REST keys: the request's role_descriptors ({} = the owner's privileges); cross-cluster keys: { cross_cluster: … } */
  role_descriptors: Record<string, RoleDescriptor>;
  /** REST keys only: snapshot of the owner's roles when the key was created or last updated. */
  limited_by?: Array<Record<string, RoleDescriptor>>;
  access?: CrossClusterAccess;
  /** 9.3+ cross-cluster keys: a regular expression the signing certificate's subject DN must match (docs/es-9x.md §4.1). */
  certificate_identity?: string;
}

/** The caller of a request, after authentication. */
export type Principal =
  | { kind: 'user'; username: string; roles: string[]; realm: string; realmType: string }
  | { kind: 'api_key'; username: string; realm: string; realmType: string; key: StoredApiKey };

export interface SecurityState {
  users: Record<string, LabUser>;
  roles: Record<string, RoleDescriptor>;
  apiKeys: StoredApiKey[];
}

export interface LabUser {
  username: string;
  roles: string[];
  full_name: string | null;
  email: string | null;
  metadata: Record<string, unknown>;
  enabled: boolean;
  /** Hash of the password; format owned by authenticate.ts. */
  password_hash?: string;
  [k: string]: unknown;
}

export function emptyRole(): RoleDescriptor {
  return {
    cluster: [],
    indices: [],
    applications: [],
    run_as: [],
    metadata: {},
    transient_metadata: { enabled: true },
  };
}

/** `metadata` of a reserved role or user (MetadataUtils: DEFAULT_RESERVED_METADATA, getDeprecatedReservedMetadata). */
function reservedMeta(deprecatedReason?: string): Record<string, unknown> {
  return deprecatedReason === undefined
    ? { _reserved: true }
    : { _reserved: true, _deprecated: true, _deprecated_reason: deprecatedReason };
}

function ip(names: string[], privileges: string[], allowRestricted = false): IndicesPrivileges {
  return { names, privileges, allow_restricted_indices: allowRestricted };
}

function reserved(
  cluster: string[],
  indices: IndicesPrivileges[],
  more: Partial<RoleDescriptor> & { deprecated?: string } = {},
): RoleDescriptor {
  const { deprecated, ...rest } = more;
  return {
    cluster,
    indices,
    applications: [],
    run_as: [],
    metadata: reservedMeta(deprecated),
    transient_metadata: { enabled: true },
    ...rest,
  };
}

const kibanaApp = (privileges: string[]) => [{ application: 'kibana-.kibana', privileges, resources: ['*'] }];
const NOT_DOT = '/~(([.]|ilm-history-).*)/';
const MONITORING_BULK = 'cluster:admin/xpack/monitoring/bulk';
const TRANSFORM_AUDIT = ['.transform-notifications-*', '.data-frame-notifications-*', '.transform-notifications-read'];

/**
 * Reserved roles (ES: x-pack/plugin/core/src/main/java/org/elasticsearch/xpack/core/security/authz/store/
 * ReservedRolesStore.java, docs/es-behaviour.md §3), with what each grants on indices and the cluster. The large
 * kibana_system role is reduced to its cluster privileges and the index groups the lab's scenarios can touch.
 * Index privileges on patterns the lab never creates are kept so that GET shows them as ES does.
 */
export const RESERVED_ROLES: Record<string, RoleDescriptor> = {
  superuser: reserved(
    ['all'],
    [ip(['*'], ['all']), ip(['*'], ['monitor', 'read', 'view_index_metadata', 'read_cross_cluster'], true)],
    {
      applications: [{ application: '*', privileges: ['*'], resources: ['*'] }],
      run_as: ['*'],
      remote_indices: [
        { ...ip(['*'], ['all']), clusters: ['*'] },
        { ...ip(['*'], ['monitor', 'read', 'view_index_metadata', 'read_cross_cluster'], true), clusters: ['*'] },
      ],
      remote_cluster: [{ privileges: ['monitor_enrich', 'monitor_stats'], clusters: ['*'] }],
    },
  ),
  transport_client: reserved(['transport_client'], []),
  kibana_admin: reserved([], [], { applications: kibanaApp(['all']) }),
  kibana_user: reserved([], [], {
    applications: kibanaApp(['all']),
    deprecated: 'Please use the [kibana_admin] role instead',
  }),
  monitoring_user: reserved(
    ['cluster:monitor/main', 'cluster:monitor/xpack/info', 'cluster:monitor/remote/info'],
    [
      ip(['.monitoring-*'], ['read', 'read_cross_cluster']),
      ip(['/metrics-(beats|elasticsearch|enterprisesearch|kibana|logstash).*/'], ['read', 'read_cross_cluster']),
      ip(['metricbeat-*'], ['read', 'read_cross_cluster']),
    ],
    {
      applications: [{ application: 'kibana-*', privileges: ['reserved_monitoring'], resources: ['*'] }],
      remote_indices: [
        { ...ip(['.monitoring-*'], ['read', 'read_cross_cluster']), clusters: ['*'] },
        {
          ...ip(['/metrics-(beats|elasticsearch|enterprisesearch|kibana|logstash).*/'], ['read', 'read_cross_cluster']),
          clusters: ['*'],
        },
        { ...ip(['metricbeat-*'], ['read', 'read_cross_cluster']), clusters: ['*'] },
      ],
    },
  ),
  remote_monitoring_agent: reserved(
    [
      'manage_index_templates',
      'manage_ingest_pipelines',
      'monitor',
      'cluster:admin/ilm/get',
      'cluster:admin/ilm/put',
      'cluster:monitor/xpack/watcher/watch/get',
      'cluster:admin/xpack/watcher/watch/put',
      'cluster:admin/xpack/watcher/watch/delete',
    ],
    [
      ip(['.monitoring-*'], ['all']),
      ip(
        ['metricbeat-*'],
        ['index', 'create_index', 'view_index_metadata', 'indices:admin/aliases', 'indices:admin/rollover'],
      ),
    ],
  ),
  remote_monitoring_collector: reserved(['monitor'], [ip(['*'], ['monitor'], true), ip(['.kibana*'], ['read'], true)]),
  ingest_admin: reserved(['manage_index_templates', 'manage_pipeline'], []),
  reporting_user: reserved([], [], { deprecated: 'Please use Kibana feature privileges instead' }),
  kibana_system: reserved(
    [
      'monitor',
      'manage_index_templates',
      MONITORING_BULK,
      'manage_saml',
      'manage_token',
      'manage_oidc',
      'manage_pipeline',
      'manage_ilm',
      'manage_transform',
      'cluster:admin/xpack/security/api_key/invalidate',
      'grant_api_key',
      'manage_own_api_key',
      'cluster:admin/xpack/security/privilege/builtin/get',
      'delegate_pki',
      'manage_ml',
      'cluster:admin/analyze',
      'monitor_text_structure',
      'cancel_task',
    ],
    [
      ip(['.kibana*', '.reporting-*'], ['all'], true),
      ip(['.monitoring-*'], ['read', 'read_cross_cluster']),
      ip(['.management-beats'], ['create_index', 'read', 'write']),
      ip(['.ml-anomalies*', '.ml-stats-*'], ['read']),
      ip(['.ml-annotations*', '.ml-notifications*'], ['read', 'write']),
      ip(['.apm-agent-configuration', '.apm-custom-link', '.apm-source-map'], ['all'], true),
      ip(['apm-*', 'logs-apm.*', 'metrics-apm.*', 'traces-apm.*', 'traces-apm-*'], ['read', 'read_cross_cluster']),
      ip(['*'], ['view_index_metadata', 'monitor']),
      ip(['.fleet*'], ['all'], true),
      ip(['logs-elastic_agent*'], ['read']),
    ],
    { applications: [] },
  ),
  logstash_system: reserved(['monitor', MONITORING_BULK], []),
  beats_admin: reserved([], [ip(['.management-beats'], ['all'])]),
  beats_system: reserved(['monitor', MONITORING_BULK], [ip(['.monitoring-beats-*'], ['create_index', 'create'])]),
  apm_system: reserved(['monitor', MONITORING_BULK], [ip(['.monitoring-beats-*'], ['create_index', 'create_doc'])]),
  apm_user: reserved(
    [],
    [
      ip(
        ['apm-*', 'logs-apm.*', 'logs-apm-*', 'metrics-apm.*', 'metrics-apm-*', 'traces-apm.*', 'traces-apm-*'],
        ['read', 'view_index_metadata'],
      ),
      ip(['.ml-anomalies*', 'observability-annotations'], ['read', 'view_index_metadata']),
    ],
    {
      applications: [{ application: 'kibana-*', privileges: ['reserved_ml_apm_user'], resources: ['*'] }],
      deprecated: 'This role will be removed in a future major release. Please use editor and viewer roles instead',
    },
  ),
  machine_learning_user: reserved(
    ['monitor_ml'],
    [
      ip(['.ml-anomalies*', '.ml-notifications*'], ['view_index_metadata', 'read']),
      ip(['.ml-annotations*'], ['view_index_metadata', 'read', 'write']),
    ],
    { applications: [{ application: 'kibana-*', privileges: ['reserved_ml_user'], resources: ['*'] }] },
  ),
  machine_learning_admin: reserved(
    ['manage_ml'],
    [
      ip(
        ['.ml-anomalies*', '.ml-notifications*', '.ml-state*', '.ml-meta*', '.ml-stats-*'],
        ['view_index_metadata', 'read'],
        true,
      ),
      ip(['.ml-annotations*'], ['view_index_metadata', 'read', 'write']),
    ],
    { applications: [{ application: 'kibana-*', privileges: ['reserved_ml_admin'], resources: ['*'] }] },
  ),
  data_frame_transforms_admin: reserved(
    ['manage_data_frame_transforms'],
    [ip(TRANSFORM_AUDIT, ['view_index_metadata', 'read'])],
    {
      applications: [{ application: 'kibana-*', privileges: ['reserved_ml_user'], resources: ['*'] }],
      deprecated: 'Please use the [transform_admin] role instead',
    },
  ),
  data_frame_transforms_user: reserved(
    ['monitor_data_frame_transforms'],
    [ip(TRANSFORM_AUDIT, ['view_index_metadata', 'read'])],
    {
      applications: [{ application: 'kibana-*', privileges: ['reserved_ml_user'], resources: ['*'] }],
      deprecated: 'Please use the [transform_user] role instead',
    },
  ),
  transform_admin: reserved(['manage_transform'], [ip(TRANSFORM_AUDIT, ['view_index_metadata', 'read'])]),
  transform_user: reserved(['monitor_transform'], [ip(TRANSFORM_AUDIT, ['view_index_metadata', 'read'])]),
  watcher_admin: reserved(
    ['manage_watcher'],
    [ip(['.watches', '.triggered_watches', '.watcher-history-*'], ['read'], true)],
  ),
  watcher_user: reserved(['monitor_watcher'], [ip(['.watches'], ['read'], true), ip(['.watcher-history-*'], ['read'])]),
  logstash_admin: reserved(
    ['manage_logstash_pipelines'],
    [ip(['.logstash*'], ['create', 'delete', 'index', 'manage', 'read'], true)],
  ),
  rollup_user: reserved(['monitor_rollup'], []),
  rollup_admin: reserved(['manage_rollup'], []),
  snapshot_user: reserved(
    ['create_snapshot', 'cluster:admin/repository/get'],
    [ip(['*'], ['view_index_metadata'], true)],
  ),
  enrich_user: reserved(
    ['manage_enrich', 'manage_ingest_pipelines', 'monitor'],
    [ip(['.enrich-*'], ['manage', 'read', 'write'])],
  ),
  // viewer/editor: read on every index whose name does not start with `.` or `ilm-history-` (a Lucene regex).
  viewer: reserved(
    [],
    [
      ip([NOT_DOT], ['read', 'view_index_metadata']),
      ip(['.siem-signals*', '.lists-*', '.items-*'], ['read', 'view_index_metadata']),
      ip(['.alerts*', '.preview.alerts*'], ['read', 'view_index_metadata']),
    ],
    { applications: kibanaApp(['read']) },
  ),
  editor: reserved(
    [],
    [
      ip([NOT_DOT], ['read', 'view_index_metadata']),
      ip(['observability-annotations'], ['read', 'view_index_metadata', 'write']),
      ip(['.siem-signals*', '.lists-*', '.items-*'], ['read', 'view_index_metadata', 'write', 'maintenance']),
      ip(
        ['.internal.alerts*', '.alerts*', '.internal.preview.alerts*', '.preview.alerts*'],
        ['read', 'view_index_metadata', 'write', 'maintenance'],
      ),
    ],
    { applications: kibanaApp(['all']) },
  ),
  // 9.x only (docs/es-behaviour.md §3, from the 9.x roles page; the exact version is not established).
  inference_admin: reserved(['manage_inference'], []),
  inference_user: reserved(['monitor_inference'], []),
};

/** Roles that 9.x no longer lists (removal announced in ReservedRolesStore's comments) and 9.x-only roles. */
const REMOVED_IN_9 = new Set(['apm_user', 'data_frame_transforms_admin', 'data_frame_transforms_user']);
const ONLY_IN_9 = new Set(['inference_admin', 'inference_user']);

/** The reserved role names a node of this version knows. */
export function reservedRoleNames(version: string): string[] {
  const nine = Number(version.split('.')[0]) >= 9;
  return Object.keys(RESERVED_ROLES).filter((n) => (nine ? !REMOVED_IN_9.has(n) : !ONLY_IN_9.has(n)));
}

export function isReservedRole(name: string, version?: string): boolean {
  return version === undefined ? name in RESERVED_ROLES : reservedRoleNames(version).includes(name);
}

/**
 * Reserved users (ES: ClientReservedRealm.isReserved, docs/es-behaviour.md §3): listed by GET /_security/user,
 * never writable through PUT. The lab authenticates nobody as them (their passwords are not simulated).
 */
export const RESERVED_USERS: Record<string, { roles: string[]; deprecated?: string }> = {
  elastic: { roles: ['superuser'] },
  kibana: { roles: ['kibana_system'], deprecated: 'Please use the [kibana_system] user instead.' },
  kibana_system: { roles: ['kibana_system'] },
  logstash_system: { roles: ['logstash_system'] },
  beats_system: { roles: ['beats_system'] },
  apm_system: { roles: ['apm_system'] },
  remote_monitoring_user: { roles: ['remote_monitoring_collector', 'remote_monitoring_agent'] },
};

export function reservedUserView(name: string): LabUser | undefined {
  const u = RESERVED_USERS[name];
  if (!u) return undefined;
  return {
    username: name,
    roles: [...u.roles],
    full_name: null,
    email: null,
    metadata: reservedMeta(u.deprecated),
    enabled: true,
  };
}

/** A native role first: PUT refuses this version's reserved names, so a native role can only carry a name that is
 *  reserved in another version (e.g. inference_admin on 8.x). */
export function resolveRole(state: SecurityState, name: string): RoleDescriptor | undefined {
  return state.roles[name] ?? RESERVED_ROLES[name];
}
