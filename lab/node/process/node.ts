// One simulated Elasticsearch node: start-up (config, keystore, validation, start delay, servers, join), the
// NodeRuntime given to APIs and plugins, the heartbeat/master loop, and a clean shutdown on SIGTERM.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import tls, { type TLSSocket, type SecureContextOptions } from 'node:tls';
import type { LoadedSsl } from '../config/tls.js';
import { sleep } from '../../hosts/process.js';
import type http from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { readKeystore, writeKeystore, keystoreVersionFor, KeystoreError } from '../../../agent/keystore/format.js';
import { loadElasticsearchYml, type ConfigError } from '../config/elasticsearch-yml.js';
import { NodeLogger } from '../logs/log.js';
import { readFaults, consumeFault } from './faults.js';
import {
  StartupError,
  validateSettings,
  loadTls,
  remoteClusterServerEnabled,
  type ValidatedTls,
} from '../config/validate.js';
import {
  readState,
  updateState,
  esUuid,
  type ClusterState,
  type FlatSettings,
  type SettingValue,
} from '../cluster/state.js';
import {
  readMembers,
  writeHeartbeat,
  removeHeartbeat,
  reconcile,
  HEARTBEAT_MS,
  type MemberInfo,
} from '../cluster/coordination.js';
import { startHttpServer } from './http-server.js';
import { serveFrames } from '../transport.js';
import { plugins as pluginFactories } from './plugins.js';
import type { LogLevel, NodePlugin, NodeRuntime, NodeTls, ReloadOutcome, TransportHandler } from '../runtime.js';

/** ES_HOME/lab-node.json: what `lab up` tells a node beyond its elasticsearch.yml. */
export interface LabNodeFile {
  clusterDir: string;
  esVersion: string;
  /** Simulated start time before the node binds its ports (default 1000). */
  startDelayMs?: number;
}

export const DEFAULT_ROLES = [
  'data',
  'data_cold',
  'data_content',
  'data_frozen',
  'data_hot',
  'data_warm',
  'ingest',
  'master',
  'ml',
  'remote_cluster_client',
  'transform',
];

export function readyFile(home: string): string {
  return join(home, 'data', 'lab-node.ready');
}

function str(v: SettingValue | undefined): string | undefined {
  return v === undefined ? undefined : Array.isArray(v) ? v[0] : v;
}

export class LabNode implements NodeRuntime {
  readonly home: string;
  readonly configDir: string;
  readonly clusterDir: string;
  readonly esVersion: string;
  config: FlatSettings = {};
  secure = new Map<string, Buffer>();
  nodeId = '';
  nodeName: string;
  clusterName = 'elasticsearch';
  address = '127.0.0.1';
  roles: string[] = DEFAULT_ROLES;
  httpPort = 9200;
  transportPort = 9300;
  remoteClusterPort: number | null = null;
  tls!: NodeTls;
  startedAt = Date.now();
  private logger: NodeLogger;
  private keystorePassword = '';
  private transportHandlers = new Map<string, TransportHandler>();
  private rcsHandler: ((socket: TLSSocket) => void) | undefined;
  private servers: Array<HttpsServer | http.Server | tls.Server> = [];
  private started: NodePlugin[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private stallRecovery = false;
  private loadedTls!: ValidatedTls;

  constructor(
    home: string,
    private readonly keystorePasswordInput: string | undefined,
  ) {
    this.home = home;
    this.configDir = process.env.ES_PATH_CONF || join(home, 'config');
    const lab = JSON.parse(readFileSync(join(home, 'lab-node.json'), 'utf8')) as LabNodeFile;
    this.clusterDir = lab.clusterDir;
    this.esVersion = lab.esVersion;
    this.startDelay = lab.startDelayMs ?? 1000;
    this.nodeName = hostname();
    // Until the config names the cluster, log where ES would (logs/elasticsearch.log).
    this.logger = new NodeLogger(join(home, 'logs', 'elasticsearch.log'), this.nodeName);
  }
  private startDelay: number;

  log(level: LogLevel, logger: string, message: string): void {
    this.logger.log(level, logger, message);
  }
  state(): ClusterState {
    return readState(this.clusterDir);
  }
  updateState<T>(fn: (s: ClusterState) => T | Promise<T>): Promise<T> {
    return updateState(this.clusterDir, fn);
  }
  members(): MemberInfo[] {
    return readMembers(this.clusterDir);
  }
  effectiveSetting(key: string, state = this.state()): SettingValue | undefined {
    return state.transient[key] ?? state.persistent[key] ?? this.config[key];
  }
  onTransportMessage(type: string, handler: TransportHandler): void {
    this.transportHandlers.set(type, handler);
  }
  onRemoteClusterConnection(handler: (socket: TLSSocket) => void): void {
    this.rcsHandler = handler;
  }
  async settingsChanged(): Promise<void> {
    for (const p of this.started) await p.onSettingsChanged?.();
  }

  private loadKeystore(password: string, upgrade = false): Map<string, Buffer> {
    const file = join(this.configDir, 'elasticsearch.keystore');
    if (!existsSync(file)) return new Map();
    const current = keystoreVersionFor(this.esVersion);
    const ks = readKeystore(readFileSync(file), password, { path: file, maxVersion: current });
    if (upgrade && ks.version < current) {
      // ES upgrades an older keystore format at start-up when it can write the config dir (KeyStoreWrapper.upgrade)
      try {
        const tmp = `${file}.tmp`;
        writeFileSync(tmp, writeKeystore({ version: current, entries: ks.entries, password }), { mode: 0o660 });
        renameSync(tmp, file);
        this.log(
          'INFO',
          'o.e.c.s.KeyStoreWrapper',
          `upgraded elasticsearch keystore [${file}] from format version [${ks.version}] to [${current}]`,
        );
      } catch (e) {
        this.log(
          'WARN',
          'o.e.c.s.KeyStoreWrapper',
          `could not upgrade elasticsearch keystore [${file}]: ${(e as Error).message}`,
        );
      }
    }
    return ks.entries;
  }

  async reloadSecureSettings(password?: string): Promise<ReloadOutcome> {
    try {
      this.secure = this.loadKeystore(password ?? '');
      this.keystorePassword = password ?? '';
    } catch (e) {
      if (e instanceof KeystoreError && e.code === 'wrong-password')
        return { error: { type: 'security_exception', reason: 'Provided keystore password was incorrect' } };
      return { error: { type: 'illegal_state_exception', reason: (e as Error).message } };
    }
    this.log('INFO', 'o.e.n.NodeService', 'reloaded secure settings');
    for (const p of this.started) await p.onSecureSettingsReloaded?.();
    return { error: null };
  }

  private fatal(e: StartupError | Error): never {
    const exception = e instanceof StartupError ? e.exception : 'java.lang.IllegalStateException';
    this.log('ERROR', 'o.e.b.Elasticsearch', 'fatal exception while booting Elasticsearch');
    this.logger.log('ERROR', 'o.e.b.Elasticsearch', `${exception}: ${e.message}`);
    process.stderr.write(
      `ERROR: Elasticsearch did not exit normally - check the logs at ${this.logger.file}\n${e.message}\n`,
    );
    process.exit(1);
  }

  async start(): Promise<void> {
    // 1. configuration
    try {
      this.config = loadElasticsearchYml(join(this.configDir, 'elasticsearch.yml'));
    } catch (e) {
      this.fatal(new StartupError('org.elasticsearch.ElasticsearchParseException', (e as ConfigError).message));
    }
    this.clusterName = str(this.config['cluster.name']) ?? 'elasticsearch';
    this.nodeName = str(this.config['node.name']) ?? hostname();
    const logsDir = str(this.config['path.logs']) ?? join(this.home, 'logs');
    this.logger = new NodeLogger(join(logsDir, `${this.clusterName}.log`), this.nodeName);
    this.log(
      'INFO',
      'o.e.n.Node',
      `version[${this.esVersion}], pid[${process.pid}], build[tar/lab], OS[${process.platform}], JVM[simulated by crosskey lab, Node ${process.version}]`,
    );
    this.log('INFO', 'o.e.n.Node', 'this node is simulated by the crosskey lab (not a real Elasticsearch)');
    this.address = str(this.config['network.host']) ?? '127.0.0.1';
    if (this.config['node.roles'] !== undefined) this.roles = [this.config['node.roles']].flat().sort();
    this.httpPort = Number(str(this.config['http.port']) ?? 9200);
    this.transportPort = Number(str(this.config['transport.port']) ?? 9300);

    // 2. fault injection: a failed start looks like a configuration error
    if (consumeFault(this.home, 'fail-start')) {
      this.fatal(
        new StartupError(
          'java.lang.IllegalArgumentException',
          'unknown setting [lab.fault.fail_start] please check that any required plugins are installed, or check the breaking changes documentation for removed settings',
        ),
      );
    }

    // 3. keystore and validation
    try {
      this.keystorePassword = this.keystorePasswordInput ?? '';
      this.secure = this.loadKeystore(this.keystorePassword, true);
    } catch (e) {
      if (e instanceof KeystoreError)
        this.fatal(
          new StartupError(
            e.code === 'wrong-password' ? 'java.lang.SecurityException' : 'java.lang.IllegalStateException',
            e.message,
          ),
        );
      throw e;
    }
    let tlsLoaded: ValidatedTls;
    try {
      validateSettings(this.config, this.secure, this.esVersion);
      tlsLoaded = loadTls(this.config, this.secure, this.configDir);
    } catch (e) {
      if (e instanceof StartupError) this.fatal(e);
      throw e;
    }
    this.loadedTls = tlsLoaded;
    this.tls = {
      http: contextOptions(tlsLoaded.http),
      transport: contextOptions(tlsLoaded.transport),
      remoteClusterServer: contextOptions(tlsLoaded.remoteClusterServer),
      remoteClusterClient: {
        ...(contextOptions(tlsLoaded.remoteClusterClient) ?? {}),
        verificationMode: tlsLoaded.remoteClusterClient?.verificationMode ?? 'full',
      },
    };

    // 4. node id (persistent in the data folder, like ES's node metadata)
    const dataDir = str(this.config['path.data']) ?? join(this.home, 'data');
    mkdirSync(dataDir, { recursive: true });
    const idFile = join(dataDir, 'node_id');
    if (!existsSync(idFile)) writeFileSync(idFile, esUuid());
    this.nodeId = readFileSync(idFile, 'utf8').trim();
    this.log(
      'INFO',
      'o.e.e.NodeEnvironment',
      `node name [${this.nodeName}], node ID [${this.nodeId}], cluster name [${this.clusterName}], roles [${this.roles.join(', ')}]`,
    );

    // 5. simulated start time (JVM, plugins, gateway…)
    const slow = consumeFault(this.home, 'slow-start');
    await sleep(this.startDelay + (slow ? (slow.ms ?? 10_000) : 0));

    // 6. bind
    try {
      await this.bind();
    } catch (e) {
      this.fatal(new StartupError('org.elasticsearch.transport.BindTransportException', (e as Error).message));
    }

    // 7. join the cluster
    this.startedAt = Date.now();
    this.heartbeat();
    await this.masterWork();
    const state = this.state();
    const master = this.members().find((m) => m.id === state.masterNodeId);
    if (master?.id === this.nodeId)
      this.log(
        'INFO',
        'o.e.c.s.MasterService',
        `elected-as-master ([1] nodes joined)[${this.nodeName}], term: 1, version: ${state.version}`,
      );
    else if (master)
      this.log(
        'INFO',
        'o.e.c.s.ClusterApplierService',
        `master node changed {previous [], current [{${master.name}}{${master.id}}]}`,
      );
    this.timer = setInterval(() => this.tick(), HEARTBEAT_MS);
    this.timer.unref();

    for (const factory of pluginFactories) {
      const p = factory();
      await p.start(this);
      this.started.push(p);
    }
    this.log(
      'INFO',
      'o.e.h.AbstractHttpServerTransport',
      `publish_address {${this.address}:${this.httpPort}}, bound_addresses {${this.address}:${this.httpPort}}`,
    );
    this.log(
      'INFO',
      'o.e.n.Node',
      'started {' +
        this.nodeName +
        '}{' +
        this.nodeId +
        '}{' +
        this.address +
        '}{' +
        this.address +
        ':' +
        this.transportPort +
        '}',
    );
    writeFileSync(readyFile(this.home), String(process.pid));
    process.on('SIGTERM', () => void this.stop());
    process.on('SIGINT', () => void this.stop());
  }

  private async bind(): Promise<void> {
    try {
      this.servers.push(await startHttpServer(this, this.tls.http, this.address, this.httpPort));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(
        `Failed to bind to ${this.address}:${this.httpPort}: ${code === 'EADDRINUSE' ? 'Address already in use' : (e as Error).message}`,
      );
    }
    const tt = this.tls.transport;
    const transportAuth = this.loadedTls.transport?.clientAuthentication ?? 'required';
    const transport = tt
      ? tls.createServer({ ...tt, requestCert: true, rejectUnauthorized: transportAuth === 'required' }, (s) =>
          serveFrames(s, this.transportHandlers),
        )
      : tls.createServer({}, (s) => s.destroy());
    this.onTransportMessage('internal:transport/handshake', () => {
      const st = this.state();
      return {
        node_id: this.nodeId,
        node_name: this.nodeName,
        cluster_name: this.clusterName,
        cluster_uuid: st.clusterUuid,
        version: this.esVersion,
      };
    });
    transport.on('tlsClientError', (err, socket) => {
      this.log(
        'WARN',
        'o.e.x.c.s.t.n.SecurityNetty4Transport',
        `client did not trust this server's certificate, closing connection Netty4TcpChannel{localAddress=${this.address}:${this.transportPort}, remoteAddress=${socket.remoteAddress}:${socket.remotePort}, profile=default}: ${err.message}`,
      );
    });
    await listen(transport, str(this.config['transport.host']) ?? this.address, this.transportPort);
    this.servers.push(transport);
    const rcs = this.tls.remoteClusterServer;
    const rcsAuth = this.loadedTls.remoteClusterServer?.clientAuthentication ?? 'none';
    if (rcs && remoteClusterServerEnabled(this.config)) {
      const port = Number(str(this.config['remote_cluster.port']) ?? 9443);
      const host =
        str(this.config['remote_cluster.host']) ??
        str(this.config['remote_cluster.bind_host']) ??
        str(this.config['transport.bind_host']) ??
        str(this.config['transport.host']) ??
        this.address;
      const server = tls.createServer(
        { ...rcs, requestCert: rcsAuth !== 'none', rejectUnauthorized: rcsAuth === 'required' },
        (s) => {
          if (this.rcsHandler) this.rcsHandler(s);
          else s.destroy();
        },
      );
      server.on('tlsClientError', (err, socket) => {
        this.log(
          'WARN',
          'o.e.x.c.s.t.n.SecurityNetty4Transport',
          `client did not trust this server's certificate, closing connection Netty4TcpChannel{localAddress=${host}:${port}, remoteAddress=${socket.remoteAddress}:${socket.remotePort}, profile=_remote_cluster}: ${err.message}`,
        );
      });
      // The block-rcs fault: the node believes the port is bound, but nothing outside can reach it.
      if (!readFaults(this.home)['block-rcs']) {
        await listen(server, host, port);
        this.servers.push(server);
      }
      this.remoteClusterPort = port;
      this.log(
        'INFO',
        'o.e.t.TransportService',
        `publish_address {${host}:${port}}, bound_addresses {${host}:${port}} for profile [_remote_cluster]`,
      );
    }
  }

  private memberInfo(): MemberInfo {
    const settings: FlatSettings = {};
    for (const [k, v] of Object.entries(this.config)) settings[k] = v;
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.config))
      if (k.startsWith('node.attr.')) attributes[k.slice(10)] = String(v);
    return {
      id: this.nodeId,
      name: this.nodeName,
      pid: process.pid,
      address: this.address,
      version: this.esVersion,
      roles: this.roles,
      attributes,
      httpPort: this.httpPort,
      transportPort: this.transportPort,
      remoteClusterPort: this.remoteClusterPort,
      settings,
      startedAt: this.startedAt,
      heartbeatAt: Date.now(),
      stallRecovery: this.stallRecovery,
    };
  }

  private heartbeat(): void {
    this.stallRecovery = !!readFaults(this.home)['stall-recovery'];
    writeHeartbeat(this.clusterDir, this.memberInfo());
  }

  /** The elected master (or any node when the master is gone) advances the cluster state. */
  private async masterWork(): Promise<void> {
    const members = this.members();
    const st = this.state();
    const masterLive = members.some((m) => m.id === st.masterNodeId);
    if (st.masterNodeId === this.nodeId || !masterLive) {
      await this.updateState((s) => reconcile(s, members));
    }
  }

  private tick(): void {
    if (this.stopping) return;
    try {
      this.heartbeat();
    } catch (e) {
      this.log('WARN', 'o.e.c.c.Coordinator', `heartbeat failed: ${(e as Error).message}`);
    }
    this.masterWork().catch((e) =>
      this.log('WARN', 'o.e.c.s.MasterService', `failed to reconcile cluster state: ${(e as Error).message}`),
    );
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log('INFO', 'o.e.n.Node', 'stopping ...');
    if (this.timer) clearInterval(this.timer);
    for (const p of this.started.reverse()) {
      try {
        await p.stop();
      } catch (e) {
        this.log('WARN', 'o.e.n.Node', `plugin ${p.name} failed to stop: ${(e as Error).message}`);
      }
    }
    removeHeartbeat(this.clusterDir, this.nodeId);
    rmSync(readyFile(this.home), { force: true });
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((r) => {
            (s as http.Server).closeAllConnections?.();
            s.close(() => r());
            setTimeout(r, 2000).unref();
          }),
      ),
    );
    this.log('INFO', 'o.e.n.Node', 'stopped');
    this.log('INFO', 'o.e.n.Node', 'closing ...');
    this.log('INFO', 'o.e.n.Node', 'closed');
    process.exit(0);
  }
}

/** Node tls options from a loaded ES SSL context (without the ES-only fields). */
function contextOptions(l: LoadedSsl | null): SecureContextOptions | null {
  if (!l) return null;
  const o: SecureContextOptions = {};
  if (l.pfx) o.pfx = l.pfx;
  if (l.passphrase !== undefined) o.passphrase = l.passphrase;
  if (l.key) o.key = l.key;
  if (l.cert) o.cert = l.cert;
  if (l.ca) o.ca = l.ca;
  return o;
}

function listen(server: http.Server | tls.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `Failed to bind to ${host}:${port}: ${e.code === 'EADDRINUSE' ? 'Address already in use' : e.message}`,
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
}
