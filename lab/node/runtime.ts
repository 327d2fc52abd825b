// The per-node runtime of a simulated Elasticsearch node: what one `dist/lab-node.mjs --home ES_HOME` process knows
// and offers to the code that simulates behaviour.
//
// EXTENSION POINTS (for the remote connections, security APIs and tasks):
//
// * Cluster state — lab/node/cluster/state.ts: `ClusterState` with sections `security` (users, roles, apiKeys; type from
//   lab/node/security/model.ts), `tasks`, `counters` (e.g. `disruptions`), `events`. Read with `rt.state()`,
//   change with `await rt.updateState(s => { … })` (lock + atomic rename; the file is rewritten only if changed).
//   The tool superuser is in `security.users` from `lab up` on (password_hash format: lab/node/security/passwords.ts).
// * Authentication — lab/node/security/authenticate.ts: `authenticate(state, authorizationHeader, uri)`.
//   Basic auth against `security.users`, extended with `ApiKey` (keep the signature).
//   Authorization of a route: `Route.privilege` (a cluster privilege) is checked with
//   `authorizeCluster(state, principal, privilege)` from the same file.
// * REST — lab/node/router.ts: `Route {method, path: '/_security/role/{name}', handler(req, ctx), params?,
//   privilege?}`; throw `esError(status, type, reason)` (lab/node/http-error.ts) for ES's envelope. Add a file
//   lab/node/<feature>/routes.ts exporting `routes: Route[]` and add it to the list in lab/node/process/routes.ts
//   (one line). `ctx.rt` is this runtime.
// * Transport (9300, mutual TLS per xpack.security.transport.ssl.*) — `rt.onTransportMessage(type, handler)`;
//   clients use `transportRequest()` from lab/node/transport.ts (newline-delimited JSON frames over TLS).
//   Built in: `internal:transport/handshake` → {node_id, node_name, cluster_name, cluster_uuid, version}.
// * Remote cluster server (9443, when `remote_cluster_server.enabled: true`) — bound with the TLS config
//   of xpack.security.remote_cluster_server.ssl.*; `rt.onRemoteClusterConnection(socket => …)` receives every
//   accepted TLS socket (destroyed when nobody registered).
// * Plugins — lab/node/process/plugins.ts: a list of `NodePlugin` factories; each gets `start(rt)` once the node's
//   servers are bound and it has joined, `stop()` at shutdown, `onSettingsChanged()` after a cluster settings
//   update handled by this node (other nodes: poll `rt.state().version`), `onSecureSettingsReloaded()` after
//   `reloadSecureSettings()` swapped `rt.secure`.
// * Logging — `rt.log('WARN', 'o.e.t.ProxyConnectionStrategy', message)` writes ES-style lines to logs/<cluster>.log.
// * Lab set-up — `lab up` (lab/up.ts) calls `applyInitialState(lab: LabFile)` from lab/setup/initial-state.ts once
//   both clusters are green; LabFile (lab/layout.ts) has every node's home, address and the clusters' credentials;
//   lab/http-client.ts `labHttp()` talks to a cluster with CA-verified TLS; lab/node/process/service.ts `restart()`
//   restarts a node through its service command; lab/node/cluster/coordination.ts `createIndex()` adds indices to a state.
import type { TLSSocket, SecureContextOptions } from 'node:tls';
import type { ClusterState, FlatSettings, SettingValue } from './cluster/state.js';
import type { MemberInfo } from './cluster/coordination.js';

export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';

/** Peer of a transport or remote-cluster connection, for handlers. */
export interface PeerInfo {
  remoteAddress: string;
  remotePort: number;
  /** Subject/issuer of the client certificate (transport: always present, mutual TLS). */
  peerCertificate?: { subject?: Record<string, unknown>; issuer?: Record<string, unknown>; fingerprint256?: string };
}

export type TransportHandler = (body: unknown, peer: PeerInfo) => unknown | Promise<unknown>;

export interface NodePlugin {
  name: string;
  start(rt: NodeRuntime): void | Promise<void>;
  stop(): void | Promise<void>;
  onSettingsChanged?(): void | Promise<void>;
  onSecureSettingsReloaded?(): void | Promise<void>;
}

/** TLS material as loaded from the node's config (Node's tls option shapes). */
export interface NodeTls {
  http: SecureContextOptions | null;
  transport: SecureContextOptions | null;
  /** Server side of 9443 (null when remote_cluster_server is disabled). */
  remoteClusterServer: SecureContextOptions | null;
  /** Client side for RCS2 connections: `ca` from …remote_cluster_client.ssl.certificate_authorities (undefined = system trust). */
  remoteClusterClient: SecureContextOptions & { verificationMode: 'full' | 'certificate' | 'none' };
}

export interface ReloadOutcome {
  /** null when the reload worked; else ES's per-node failure reason. */
  error: null | { type: string; reason: string };
}

export interface NodeRuntime {
  readonly home: string;
  readonly configDir: string;
  /** DIR/clusters/<cluster> (state.json, members/). */
  readonly clusterDir: string;
  /** elasticsearch.yml as a flat map (nested keys flattened), values as strings or string arrays. */
  readonly config: FlatSettings;
  /** Keystore entries as loaded at start, swapped by reloadSecureSettings(). */
  secure: Map<string, Buffer>;
  readonly nodeId: string;
  readonly nodeName: string;
  readonly clusterName: string;
  /** The node's own loopback address (network.host). */
  readonly address: string;
  readonly esVersion: string;
  readonly roles: string[];
  readonly httpPort: number;
  readonly transportPort: number;
  /** Bound port of the remote cluster server, null when disabled. */
  readonly remoteClusterPort: number | null;
  readonly tls: NodeTls;
  readonly startedAt: number;

  log(level: LogLevel, logger: string, message: string): void;
  state(): ClusterState;
  updateState<T>(fn: (s: ClusterState) => T | Promise<T>): Promise<T>;
  /** Live members of this cluster (fresh heartbeats), sorted by name. */
  members(): MemberInfo[];
  /** transient > persistent > elasticsearch.yml, as ES resolves a dynamic setting. */
  effectiveSetting(key: string, state?: ClusterState): SettingValue | undefined;
  onTransportMessage(type: string, handler: TransportHandler): void;
  onRemoteClusterConnection(handler: (socket: TLSSocket) => void): void;
  /** Re-reads the keystore (with its password) and swaps `secure`; notifies plugins. */
  reloadSecureSettings(password?: string): Promise<ReloadOutcome>;
  /** Called by the cluster-settings API after an update handled by this node: runs plugins' onSettingsChanged. */
  settingsChanged(): Promise<void>;
}
