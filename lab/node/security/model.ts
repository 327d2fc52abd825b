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

/** Built-in roles ES ships (metadata._reserved). Only the ones the lab's scenarios need. */
export const RESERVED_ROLES: Record<string, RoleDescriptor> = {
  superuser: {
    cluster: ['all'],
    indices: [{ names: ['*'], privileges: ['all'], allow_restricted_indices: true }],
    applications: [{ application: '*', privileges: ['*'], resources: ['*'] }],
    run_as: ['*'],
    metadata: { _reserved: true },
    transient_metadata: { enabled: true },
    remote_indices: [{ clusters: ['*'], names: ['*'], privileges: ['all'], allow_restricted_indices: true }],
    remote_cluster: [{ clusters: ['*'], privileges: ['monitor_enrich', 'monitor_stats'] }],
  },
  monitoring_user: {
    cluster: ['cluster:monitor/main', 'cluster:monitor/xpack/info'],
    indices: [
      {
        names: ['.monitoring-*', 'metrics-*'],
        privileges: ['read', 'read_cross_cluster'],
        allow_restricted_indices: false,
      },
    ],
    applications: [],
    run_as: [],
    metadata: { _reserved: true },
    transient_metadata: { enabled: true },
  },
};

export function resolveRole(state: SecurityState, name: string): RoleDescriptor | undefined {
  return RESERVED_ROLES[name] ?? state.roles[name];
}
