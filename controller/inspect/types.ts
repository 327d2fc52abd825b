// What `crosskey inspect` reports: one JSON document (`--json`) that the human renderer turns into tables.
// Everything here is read-only observation; no field ever holds a secret value (keystore entries are names only,
// p12 passwords are used in memory and never copied into the report).

export type Model = 'RCS1' | 'RCS2';

export interface CertSummary {
  subject: string;
  issuer: string;
  sans: { dns: string[]; ip: string[] };
  notAfter: string; // ISO time
  daysLeft: number; // negative when expired
  isCa: boolean;
  sha256: string;
}

/** A certificate file named by an SSL setting of elasticsearch.yml. */
export interface CertFileReport {
  setting: string; // e.g. xpack.security.remote_cluster_server.ssl.keystore.path
  path: string; // absolute path on the host (relative yml paths resolve against es_config, as ES does)
  format: 'pem' | 'pkcs12' | 'jks' | 'unknown';
  /** ok: read and parsed; protected: PKCS#12 whose password is not known from vars; missing: no such file. */
  status: 'ok' | 'protected' | 'missing' | 'error';
  error?: string;
  /** Leaf first for keystores; every certificate for trust stores and CA bundles. */
  certificates: CertSummary[];
}

export interface KeystoreReport {
  path: string;
  exists: boolean;
  version?: number;
  passwordProtected?: boolean;
  /** Entry names only (never values); undefined when the keystore is password-protected and no password is known. */
  entries?: string[];
  /** SHA-256 of the file's bytes: what a 9.3+ node reports as keystore_digest once it has loaded this file. */
  sha256?: string;
  error?: string;
}

/** 9.x: certificate-based remote connections this node logged (its deprecation log, docs/es-9x.md §2). */
export interface CertConnectionsReport {
  logFile: string;
  exists: boolean;
  /** Per alias: lines seen, the first and the last one's time. */
  aliases: Record<string, { count: number; first?: string; last?: string }>;
  error?: string;
}

export interface PortReport {
  address: string;
  port: number;
  role: string;
}

/** What SSH + the agent tell about one host. */
export interface HostSshReport {
  reachable: boolean;
  error?: string;
  hostname?: string;
  ymlPath?: string;
  ymlError?: string;
  /** RCS-related settings of elasticsearch.yml (flat keys). */
  rcsSettings?: Record<string, unknown>;
  /** node.name / node.roles as written in elasticsearch.yml. */
  ymlNodeName?: string;
  ymlRoles?: string[];
  keystore?: KeystoreReport;
  certFiles?: CertFileReport[];
  service?: { name: string; active: boolean; error?: string };
  /** Listening sockets on the ES ports (HTTP, transport, remote cluster server) and SSH. */
  ports?: PortReport[];
  /** 9.x nodes only. */
  certificateConnections?: CertConnectionsReport;
}

/** What the node's own HTTP endpoint (es_node_url) tells. */
export interface HostNodeReport {
  url?: string;
  error?: string;
  name?: string;
  version?: string;
  roles?: string[];
}

export interface HostReport {
  host: string;
  groups: string[];
  /** The cluster group this host belongs to (a group with es_url), if any. */
  cluster?: string;
  node: HostNodeReport;
  ssh: HostSshReport;
}

export interface AliasReport {
  alias: string;
  /** Where the alias is defined: cluster settings (persistent/transient) and/or elasticsearch.yml. */
  configuredAs: Array<'persistent' | 'transient' | 'yml'>;
  mode: 'sniff' | 'proxy';
  /** seeds (sniff) or proxy_address (proxy) of the effective definition. */
  addresses: string[];
  skipUnavailable?: string;
  /** Nodes whose elasticsearch.yml defines the alias. */
  ymlNodes: string[];
  /** Hosts whose keystore holds cluster.remote.<alias>.credentials (needs SSH). */
  credentialsOn?: string[];
  /** No definition anywhere (known only from keystores or tasks): `mode` is a placeholder. */
  undefinedMode?: boolean;
}

export interface NodeAliasState {
  connected: boolean;
  mode: 'sniff' | 'proxy';
  model: Model;
  /** `::es_redacted::` as ES shows it: the node holds credentials for this alias. */
  credentials: boolean;
  addresses: string[];
  connections?: number;
}

export interface NodeRemoteInfo {
  host: string;
  url?: string;
  nodeName?: string;
  error?: string;
  aliases: Record<string, NodeAliasState>;
}

export interface AliasTasks {
  transforms: Array<{ id: string; state: string; indices: string[] }>;
  datafeeds: Array<{ id: string; job: string; state: string; jobState: string; indices: string[] }>;
  autoFollowPatterns: Array<{ name: string; active: boolean; leaderPatterns: string[] }>;
  followers: Array<{ index: string; leader: string; status: string }>;
}

export interface ClusterReport {
  group: string;
  url: string;
  error?: string;
  /** The cluster answered that the credentials are wrong (401) or lack a privilege (403): not unreachable. */
  authError?: boolean;
  name?: string;
  uuid?: string;
  version?: string;
  health?: {
    status: string;
    nodes: number;
    dataNodes?: number;
    activeShards?: number;
    relocating?: number;
    initializing?: number;
    unassigned?: number;
  };
  license?: { type: string; status: string; expiry?: string };
  nodes?: Array<{ name: string; version: string; roles: string[]; http?: string }>;
  aliases?: AliasReport[];
  remoteInfo: NodeRemoteInfo[];
  tasks?: Record<string, AliasTasks>;
  tasksError?: string;
  /** Do the nodes' keystores hold the same setting names (Elastic requires it, does not enforce it)? */
  keystores?: { consistent: boolean; problems: string[] };
  /** Per alias: which model each node uses (node name or host → model); 'mixed' when nodes differ. */
  models?: Record<string, { model: Model | 'mixed' | 'unknown'; perNode: Record<string, Model> }>;
}

export interface InspectReport {
  inventory: string;
  generatedAt: string;
  hosts: HostReport[];
  clusters: ClusterReport[];
  warnings: string[];
}
