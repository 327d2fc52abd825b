// Per-node remote cluster connections, as ES's RemoteClusterService makes them (a node plugin).
// For every alias of the node's effective settings (transient > persistent > elasticsearch.yml) the model is
// RCS2 iff the node's loaded keystore has cluster.remote.<alias>.credentials (8.13+: as last reloaded; before:
// as loaded at start), else RCS1. Connections are rebuilt when an alias's settings or model change, re-opened
// when a connection drops, and opened on demand by requests (`_resolve/cluster`, task reads).
// It also serves the fulfilling side: handshakes and reads on 9300 (transport hook) and 9443 (RCS server).
import type { TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { loadSigningMaterial, loadSigningTrust, signRequest, type SigningMaterial } from './signing.js';
import { createHash } from 'node:crypto';
import type { NodePlugin, NodeRuntime } from '../runtime.js';
import type { ClusterState } from '../cluster/state.js';
import { versionAtLeast } from '../../../controller/version.js';
import {
  aliasFingerprint,
  credentialsSettingName,
  effectiveAliases,
  parseAddress,
  remoteInfoEntry,
  type AliasSettings,
} from './settings.js';
import { FrameChannel, RemoteError } from './wire.js';
import { logCertificateRemoteAccess } from '../logs/deprecation.js';
import { ipFilterAllows } from './ip-filter.js';
import { ConnectError, mapChannelError, openTlsChannel, type Model } from './tls-client.js';
import {
  HANDSHAKE,
  LICENSE_ERROR,
  RESOLVE_CLUSTER,
  SEARCH,
  SHARD_CHANGES,
  TLS_UNTRUSTED_NOTICE,
  fulfilLogFor,
  handleHandshake,
  handleRead,
  handleResolve,
  subjectInfoOf,
  type HandshakeAnswer,
  type Profile,
  type RemoteRequestBody,
  type Subject,
} from './fulfil.js';

interface AliasConnection {
  settings: AliasSettings;
  model: Model;
  fingerprint: string;
  /** Open, handshaken channels by remote address. */
  channels: Map<string, FrameChannel[]>;
  connected: boolean;
  lastError?: string;
  lastFailureAt?: number;
  remote?: HandshakeAnswer;
  connecting?: Promise<void>;
  closed: boolean;
  rr: number;
}

export interface ConnectionEvent {
  at: number;
  cluster: string;
  node: string;
  alias: string;
  model: Model;
  connected: boolean;
  reason?: string;
}

const MAX_EVENTS = 500;
let current: RemoteConnectionManager | undefined;
/** The manager of this node process (one node per process). */
export function remoteConnections(): RemoteConnectionManager | undefined {
  return current;
}

export class RemoteConnectionManager implements NodePlugin {
  readonly name = 'remote-connections';
  private rt!: NodeRuntime;
  private aliases = new Map<string, AliasConnection>();
  private startCredentials = new Map<string, string>();
  private lastStateVersion = -1;
  private poll?: NodeJS.Timeout;
  private stopped = false;

  async start(rt: NodeRuntime): Promise<void> {
    this.rt = rt;
    current = this;
    for (const [k, v] of rt.secure)
      if (/^cluster\.remote\.[^.]+\.credentials$/.test(k)) this.startCredentials.set(k, v.toString('utf8'));
    const serve =
      (profile: Profile) =>
      (type: string) =>
      (body: unknown, peer?: { remoteAddress: string; remotePort: number; peerCertificate?: unknown }) =>
        this.fulfil(profile, type, body as RemoteRequestBody, peer);
    for (const t of [HANDSHAKE, SEARCH, SHARD_CHANGES, RESOLVE_CLUSTER, TLS_UNTRUSTED_NOTICE])
      rt.onTransportMessage(t, serve('default')(t));
    rt.onRemoteClusterConnection((socket: TLSSocket) => {
      const ch = new FrameChannel(socket);
      const peer = { remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0 };
      ch.onRequest((type, body) =>
        this.fulfil('_remote_cluster', type, body as RemoteRequestBody, peer, () => setTimeout(() => ch.close(), 20)),
      );
    });
    this.lastStateVersion = rt.state().version;
    void this.sync();
    // Other nodes' settings updates reach this node through the shared cluster state.
    this.poll = setInterval(() => {
      let v: number;
      try {
        v = this.rt.state().version;
      } catch {
        return;
      }
      if (v !== this.lastStateVersion) {
        this.lastStateVersion = v;
        void this.sync();
      }
    }, 300);
    this.poll.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    for (const c of this.aliases.values()) this.closeConnection(c);
    this.aliases.clear();
    if (current === this) current = undefined;
  }

  onSettingsChanged(): void {
    void this.sync();
  }

  onSecureSettingsReloaded(): void {
    // Remote cluster credentials are reloadable from 8.13 on (ES PR #102798/#103460); before, start-time only.
    if (versionAtLeast(this.rt.esVersion, '8.13.0')) void this.sync();
  }

  // ---------------------------------------------------------------- client side

  /** The credentials this node uses for an alias (undefined → RCS1). */
  credentials(alias: string): string | undefined {
    const key = credentialsSettingName(alias);
    if (!versionAtLeast(this.rt.esVersion, '8.13.0')) return this.startCredentials.get(key);
    const v = this.rt.secure.get(key);
    return v === undefined ? undefined : v.toString('utf8');
  }

  configuredAliases(state: ClusterState = this.rt.state()): AliasSettings[] {
    return effectiveAliases(this.rt.config, state.persistent, state.transient, this.rt.esVersion);
  }

  async sync(): Promise<void> {
    if (this.stopped) return;
    let wanted: AliasSettings[];
    try {
      wanted = this.configuredAliases();
    } catch (e) {
      this.rt.log(
        'WARN',
        'o.e.t.RemoteClusterService',
        `failed to read remote cluster settings: ${(e as Error).message}`,
      );
      return;
    }
    const names = new Set(wanted.map((a) => a.alias));
    for (const [alias, c] of this.aliases) {
      if (!names.has(alias)) {
        this.closeConnection(c);
        this.aliases.delete(alias);
        this.rt.log('INFO', 'o.e.t.RemoteClusterService', `remote cluster connection [${alias}] removed`);
      }
    }
    const builds: Promise<void>[] = [];
    for (const a of wanted) {
      const cred = this.credentials(a.alias);
      const model: Model = cred !== undefined ? 'rcs2' : 'rcs1';
      // A changed (rotated) credential rebuilds the connection too; only a digest of it is kept.
      const fp = aliasFingerprint(a, cred === undefined ? '' : createHash('sha256').update(cred).digest('hex'));
      const old = this.aliases.get(a.alias);
      if (old && old.fingerprint === fp) {
        old.settings = a;
        continue;
      }
      if (old) this.closeConnection(old);
      const c: AliasConnection = {
        settings: a,
        model,
        fingerprint: fp,
        channels: new Map(),
        connected: false,
        closed: false,
        rr: 0,
      };
      this.aliases.set(a.alias, c);
      builds.push(this.connect(c).catch(() => undefined));
    }
    await Promise.all(builds);
  }

  private closeConnection(c: AliasConnection): void {
    c.closed = true;
    for (const list of c.channels.values()) for (const ch of list) ch.close();
    c.channels.clear();
    if (c.connected) this.setConnected(c, false, 'connection closed');
  }

  private setConnected(c: AliasConnection, connected: boolean, reason?: string): void {
    if (c.connected === connected) return;
    c.connected = connected;
    const ev: ConnectionEvent = {
      at: Date.now(),
      cluster: this.rt.clusterName,
      node: this.rt.nodeName,
      alias: c.settings.alias,
      model: c.model,
      connected,
      ...(reason ? { reason } : {}),
    };
    void this.rt
      .updateState((s) => {
        s.events.push(ev as unknown as ClusterState['events'][number]);
        if (s.events.length > MAX_EVENTS) s.events.splice(0, s.events.length - MAX_EVENTS);
      })
      .catch(() => undefined);
  }

  private connect(c: AliasConnection): Promise<void> {
    if (c.connecting) return c.connecting;
    c.connecting = this.doConnect(c).finally(() => {
      c.connecting = undefined;
    });
    return c.connecting;
  }

  private handshakeBody(c: AliasConnection): RemoteRequestBody {
    const cred = c.model === 'rcs2' ? this.credentials(c.settings.alias) : undefined;
    return this.signed(c.settings.alias, {
      ...(cred !== undefined ? { credentials: `ApiKey ${cred}` } : {}),
      from: { cluster: this.rt.clusterName, node: this.rt.nodeName, version: this.rt.esVersion },
    });
  }

  /** 9.3 strong identity: an RCS2 request of an alias with signing settings carries a signature (remote/signing.ts). */
  private signed(alias: string, body: RemoteRequestBody): RemoteRequestBody {
    if (!body.credentials || !versionAtLeast(this.rt.esVersion, '9.3.0')) return body;
    const setting = (k: string) => this.rt.effectiveSetting(`cluster.remote.${alias}.signing.${k}`);
    let material: SigningMaterial | undefined;
    try {
      material = loadSigningMaterial(this.rt.configDir, setting('certificate'), setting('key'));
    } catch (e) {
      this.rt.log(
        'WARN',
        'o.e.x.s.t.CrossClusterApiKeySignatureManager',
        `Failed to load signing config for cluster [${alias}]: ${(e as Error).message}`,
      );
      return body;
    }
    return material ? { ...body, signature: signRequest(material, subjectInfoOf(body), body.credentials) } : body;
  }

  /** One TLS connection + handshake; throws ConnectError or RemoteError. */
  private async openOne(c: AliasConnection, address: string): Promise<{ ch: FrameChannel; answer: HandshakeAnswer }> {
    const { host, port } = parseAddress(address);
    const ch = await openTlsChannel(this.rt, c.model, host, port, c.settings.serverName);
    try {
      const answer = (await ch.request(HANDSHAKE, this.handshakeBody(c))) as HandshakeAnswer;
      if (c.model === 'rcs1') logCertificateRemoteAccess(this.rt, c.settings.alias); // 9.x deprecation log
      return { ch, answer };
    } catch (e) {
      ch.close();
      throw mapChannelError(e);
    }
  }

  private addChannel(c: AliasConnection, address: string, ch: FrameChannel, remoteNode: string): void {
    const list = c.channels.get(address) ?? [];
    list.push(ch);
    c.channels.set(address, list);
    ch.onClose(() => {
      const l = c.channels.get(address);
      if (l) {
        const i = l.indexOf(ch);
        if (i >= 0) l.splice(i, 1);
        if (l.length === 0) c.channels.delete(address);
      }
      if (c.closed || this.stopped) return;
      this.rt.log(
        'INFO',
        'o.e.t.ClusterConnectionManager',
        `transport connection to [{${remoteNode}}{${address}}] closed by remote`,
      );
      if (c.channels.size === 0) {
        this.setConnected(c, false, 'closed by remote');
        // ES re-opens connections of a configured alias when one drops (RemoteConnectionStrategy.onNodeDisconnected).
        setTimeout(() => {
          if (!c.closed && !c.connected) void this.connect(c).catch(() => undefined);
        }, 200).unref();
      }
    });
  }

  private logFailure(c: AliasConnection, e: unknown): string {
    const a = c.settings;
    const logger = a.mode === 'proxy' ? 'o.e.t.ProxyConnectionStrategy' : 'o.e.t.SniffConnectionStrategy';
    const head =
      a.mode === 'proxy'
        ? `failed to open any proxy connections to cluster [${a.alias}]`
        : `fetching nodes from external cluster [${a.alias}] failed`;
    let reason: string;
    if (e instanceof ConnectError) {
      if (e.failure.diagnostic) this.rt.log('WARN', 'o.e.c.s.DiagnosticTrustManager', e.failure.diagnostic);
      reason =
        e.failure.diagnostic && e.failure.kind === 'trust'
          ? `${e.failure.diagnostic}; ${e.failure.reason}`
          : e.failure.reason;
      this.rt.log(
        'WARN',
        logger,
        `${head}\norg.elasticsearch.transport.ConnectTransportException: ${e.failure.reason}`,
      );
    } else if (e instanceof RemoteError) {
      reason = e.reason;
      this.rt.log(
        'WARN',
        logger,
        `${head}\norg.elasticsearch.transport.RemoteTransportException: [${HANDSHAKE}]\nCaused by: ElasticsearchSecurityException[${e.reason}]`,
      );
    } else {
      reason = (e as Error).message;
      this.rt.log('WARN', logger, `${head}\n${reason}`);
    }
    c.lastError = reason;
    c.lastFailureAt = Date.now();
    return reason;
  }

  private async doConnect(c: AliasConnection): Promise<void> {
    const a = c.settings;
    if (c.model === 'rcs2') {
      const l = this.rt.state().license;
      if (!((l.type === 'enterprise' || l.type === 'trial') && l.status === 'active')) {
        c.lastError = LICENSE_ERROR;
        c.lastFailureAt = Date.now();
        this.rt.log(
          'WARN',
          a.mode === 'proxy' ? 'o.e.t.ProxyConnectionStrategy' : 'o.e.t.SniffConnectionStrategy',
          `failed to connect to remote cluster [${a.alias}]: ${LICENSE_ERROR}`,
        );
        throw new RemoteError('security_exception', LICENSE_ERROR, 403);
      }
    }
    try {
      if (a.mode === 'proxy') {
        const first = await this.openOne(c, a.proxyAddress);
        if (c.closed) {
          first.ch.close();
          return;
        }
        c.remote = first.answer;
        this.addChannel(c, a.proxyAddress, first.ch, first.answer.cluster_name);
        const more = Array.from({ length: Math.max(0, a.proxySocketConnections - 1) }, () =>
          this.openOne(c, a.proxyAddress).then(
            (r) => {
              if (c.closed) r.ch.close();
              else this.addChannel(c, a.proxyAddress, r.ch, r.answer.cluster_name);
            },
            () => undefined,
          ),
        );
        await Promise.all(more);
      } else {
        let lastErr: unknown;
        let seedHit: { address: string; ch: FrameChannel; answer: HandshakeAnswer } | undefined;
        for (const seed of a.seeds) {
          try {
            const r = await this.openOne(c, seed);
            seedHit = { address: seed, ...r };
            break;
          } catch (e) {
            lastErr = e;
          }
        }
        if (!seedHit) throw lastErr ?? new Error('no seeds');
        if (c.closed) {
          seedHit.ch.close();
          return;
        }
        c.remote = seedHit.answer;
        const targets = seedHit.answer.nodes.slice(0, a.nodeConnections);
        const seedNode = targets.find((n) => n.address === seedHit!.address);
        if (seedNode || targets.length === 0)
          this.addChannel(c, seedHit.address, seedHit.ch, seedNode?.name ?? seedHit.answer.cluster_name);
        else seedHit.ch.close();
        await Promise.all(
          targets
            .filter((n) => n.address !== seedHit!.address)
            .map((n) =>
              this.openOne(c, n.address).then(
                (r) => {
                  if (c.closed) r.ch.close();
                  else this.addChannel(c, n.address, r.ch, n.name);
                },
                (e) => {
                  this.logFailure(c, e);
                },
              ),
            ),
        );
      }
      if (c.channels.size > 0 && !c.closed) {
        c.lastError = undefined;
        this.setConnected(c, true);
        this.rt.log(
          'INFO',
          'o.e.t.RemoteClusterService',
          `remote cluster [${a.alias}] connected (${c.model === 'rcs2' ? 'API key based security model, remote cluster server port' : 'certificate based security model, transport port'}), ${this.status(c).nodesConnected} node(s)`,
        );
      } else if (!c.closed) throw new Error(`no connections to cluster [${a.alias}]`);
    } catch (e) {
      const reason = this.logFailure(c, e);
      this.setConnected(c, false, reason);
      throw e;
    }
  }

  private status(c: AliasConnection) {
    let sockets = 0;
    for (const l of c.channels.values()) sockets += l.length;
    return {
      connected: c.connected && c.channels.size > 0,
      nodesConnected: c.channels.size,
      socketsConnected: sockets,
    };
  }

  /** GET /_remote/info for this node. */
  remoteInfo(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const a of this.configuredAliases()) {
      const c = this.aliases.get(a.alias);
      const st = c ? this.status(c) : { connected: false, nodesConnected: 0, socketsConnected: 0 };
      out[a.alias] = remoteInfoEntry(a, st, this.credentials(a.alias) !== undefined);
    }
    return out;
  }

  /** Connects if needed (ES: a request to a disconnected remote triggers a connection attempt). */
  async ensureConnected(alias: string, force = true): Promise<AliasConnection> {
    let c = this.aliases.get(alias);
    if (!c) {
      await this.sync();
      c = this.aliases.get(alias);
      if (!c) throw new RemoteError('no_such_remote_cluster_exception', `no such remote cluster: [${alias}]`, 404);
    }
    if (c.connected && c.channels.size > 0) return c;
    // Task reads do not hammer a failing remote: one attempt per second (explicit requests always try).
    if (!force && c.lastFailureAt !== undefined && Date.now() - c.lastFailureAt < 1000 && !c.connecting) {
      throw new RemoteError('connect_transport_exception', c.lastError ?? `Unable to connect to [${alias}]`, 500);
    }
    try {
      await this.connect(c);
    } catch (e) {
      if (e instanceof RemoteError) throw e;
      throw new RemoteError('connect_transport_exception', c.lastError ?? (e as Error).message, 500);
    }
    if (!c.connected)
      throw new RemoteError('connect_transport_exception', c.lastError ?? `Unable to connect to [${alias}]`, 500);
    return c;
  }

  modelOf(alias: string): Model {
    return this.credentials(alias) !== undefined ? 'rcs2' : 'rcs1';
  }

  /** Sends a request through the alias's connection; RCS2 adds the credentials header. */
  async request(
    alias: string,
    action: string,
    body: { subject: Subject; indices?: string[] },
    opts: { background?: boolean } = {},
  ): Promise<unknown> {
    // A request that meets a connection closing under it (a remote node restarting) is sent once more over
    // another open connection, as ES picks another connected node of the remote cluster.
    for (let attempt = 0; ; attempt++) {
      const c = await this.ensureConnected(alias, !opts.background);
      const all = [...c.channels.values()].flat().filter((ch) => !ch.closed);
      if (all.length === 0)
        throw new RemoteError('connect_transport_exception', c.lastError ?? `Unable to connect to [${alias}]`, 500);
      const ch = all[c.rr++ % all.length]!;
      const cred = c.model === 'rcs2' ? this.credentials(alias) : undefined;
      try {
        return await ch.request(
          action,
          this.signed(alias, {
            ...body,
            ...(cred !== undefined ? { credentials: `ApiKey ${cred}` } : {}),
            from: { cluster: this.rt.clusterName, node: this.rt.nodeName, version: this.rt.esVersion },
          }),
        );
      } catch (e) {
        if (attempt >= 1 || !(e instanceof RemoteError) || e.type !== 'node_disconnected_exception') throw e;
      }
    }
  }

  // ---------------------------------------------------------------- fulfilling side

  /** `cluster.remote.signing.certificate_authorities` read from the config dir (9.3+; unreadable → none, logged). */
  private signingTrust(state: ClusterState): X509Certificate[] | undefined {
    if (!versionAtLeast(this.rt.esVersion, '9.3.0')) return undefined;
    try {
      return loadSigningTrust(
        this.rt.configDir,
        this.rt.effectiveSetting('cluster.remote.signing.certificate_authorities', state),
      );
    } catch (e) {
      this.rt.log(
        'WARN',
        'o.e.x.s.t.CrossClusterApiKeySignatureManager',
        `failed to load signing trust: ${(e as Error).message}`,
      );
      return undefined;
    }
  }

  private async fulfil(
    profile: Profile,
    type: string,
    body: RemoteRequestBody,
    peer?: { remoteAddress: string; remotePort: number; peerCertificate?: unknown },
    onReject?: () => void,
  ): Promise<unknown> {
    const port = profile === 'default' ? this.rt.transportPort : this.rt.remoteClusterPort;
    if (type === TLS_UNTRUSTED_NOTICE) {
      this.rt.log(
        'WARN',
        'o.e.x.c.s.t.n.SecurityNetty4Transport',
        `client did not trust this server's certificate, closing connection Netty4TcpChannel{localAddress=/${this.rt.address}:${port}, remoteAddress=/${peer?.remoteAddress ?? '?'}:${peer?.remotePort ?? 0}, profile=${profile}}`,
      );
      return {};
    }
    const state = this.rt.state();
    const ctx = {
      state,
      members: this.rt.members(),
      profile,
      peerPresentedCertificate: peer?.peerCertificate !== undefined,
      signingTrust: this.signingTrust(state),
    };
    // A new connection from another cluster (it starts with the handshake) passes the profile's IP filter, as ES
    // filters at accept time: open connections are not cut by a filter change.
    const ip = peer?.remoteAddress ?? '';
    const decision =
      type === HANDSHAKE
        ? ipFilterAllows((k) => this.rt.effectiveSetting(k, ctx.state), profile, ip)
        : { allowed: true };
    if (!decision.allowed) {
      this.rt.log(
        'INFO',
        'o.e.x.s.t.f.IPFilter',
        `connection from [${ip}] on profile [${profile}] rejected by IP filter rule [${decision.rule}]`,
      );
      onReject?.();
      throw new RemoteError(
        'node_disconnected_exception',
        `[${this.rt.nodeName}][${this.rt.address}:${port}] disconnected: connection reset by peer`,
        500,
      );
    }
    try {
      switch (type) {
        case HANDSHAKE:
          return handleHandshake(ctx, body);
        case SEARCH:
        case SHARD_CHANGES:
          return handleRead(ctx, type, body);
        case RESOLVE_CLUSTER:
          return handleResolve(ctx, body);
        default:
          throw new RemoteError('action_not_found_transport_exception', `No handler for action [${type}]`, 400);
      }
    } catch (e) {
      if (e instanceof RemoteError) {
        const line = fulfilLogFor(e, type, profile);
        if (line) this.rt.log(line.level, line.logger, line.message);
      }
      throw e;
    }
  }
}
