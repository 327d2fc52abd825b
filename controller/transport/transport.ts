// SSH transport: one ssh2 connection per host per run, reused by every task; host keys verified against
// known_hosts before authentication; keys from ssh-agent and key files; ~/.ssh/config honoured (incl. ProxyJump);
// become through `sudo -n`; at most 10 channels per connection (OpenSSH's MaxSessions default).
import ssh2 from 'ssh2'; // CommonJS: no named ESM exports
import type { Client as SshClient, ClientChannel, ConnectConfig, AuthHandlerMiddleware } from 'ssh2';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { AgentClient } from '../../agent/protocol.js';
import { UnreachableError } from './errors.js';
import { AgentRpcClient, AgentGone } from './rpc.js';
import { Semaphore } from './semaphore.js';
import { SshConfig, expandHome, parseJump, type SshConfigEntry } from './ssh-config.js';
import { addKnownHost, fingerprint, hostField, keyTypeOf, knownKeyTypes, verifyHostKey } from './known-hosts.js';
import { shJoin, shQuote, wrapCommand } from './shell.js';
import {
  EXIT_NEED_RUNTIME,
  EXIT_NEED_UPLOAD,
  EXIT_NO_CACHE,
  EXIT_NO_NODE,
  findAgentBundle,
  runtimeUploadScript,
  startScript,
  unameArch,
  uploadScript,
  type AgentBundle,
  type RuntimeMode,
} from './bootstrap.js';
import { defaultRuntimeCacheDir, forgetRuntimeArchive, knownRuntimeId, runtimeArchive, runtimeId } from './runtime.js';
import type { HostSpec } from './host-spec.js';

/** The start script's status lines and the exit codes they come with (bootstrap.ts). */
const STATUS_EXIT: Record<string, number> = {
  CROSSKEY_UPLOAD: EXIT_NEED_UPLOAD,
  CROSSKEY_RUNTIME: EXIT_NEED_RUNTIME,
  CROSSKEY_NONODE: EXIT_NO_NODE,
  CROSSKEY_NOCACHE: EXIT_NO_CACHE,
};
export const MAX_CHANNELS_PER_CONNECTION = 10;

export interface TransportOptions {
  /** known_hosts files to check (default: UserKnownHostsFile from ssh config, else ~/.ssh/known_hosts); a host's own file is added. */
  knownHostsFiles?: string[];
  /** OpenSSH accept-new: unknown host keys are added (with a warning), changed keys are still refused. */
  acceptNewHostKeys?: boolean;
  /** ssh client config (default ~/.ssh/config; missing file = no config). */
  sshConfigFile?: string;
  connectTimeoutMs?: number; // 10 000
  keepaliveIntervalMs?: number; // 15 000
  /** Channels per connection, capped at 10. */
  maxChannels?: number;
  /** Agent bundle (default dist/agent.mjs). */
  agentBundle?: string;
  /** Use ssh-agent when SSH_AUTH_SOCK is set (default true). */
  useSshAgent?: boolean;
  /** Where the gzip of the controller's node runtime is cached (default: a private folder under os.tmpdir()). */
  runtimeCacheDir?: string;
  log?: (msg: string) => void;
}

/** Where one host's agent start went (ms, from the transport's own timestamps) and what it sent (bytes). */
export interface HostTiming {
  /** SSH connection up (TCP, handshake, host key, auth); 0 when it was already open. */
  connectMs: number;
  /** Start-script round trips that ended in "upload needed" (the cache check). */
  cacheCheckMs: number;
  /** Agent and runtime uploads (including compressing the runtime the first time on this controller). */
  uploadMs: number;
  /** The start that worked: node start + agent module load, as the agent reports it (its uptime at hello). */
  nodeStartMs: number;
  /** The rest of that round trip: channel open, start script, hello request and answer on the wire. */
  firstRpcMs: number;
  /** agent() call → agent ready. */
  totalMs: number;
  agentBytes: number;
  runtimeBytes: number;
  /** Which node runs the agent: the host's own (PATH) or the shipped runtime. */
  runtime: 'path' | 'shipped';
}

export interface ExecOptions {
  stdin?: string | Buffer;
  env?: Record<string, string>;
  timeoutMs?: number;
  become?: boolean;
}
export interface ExecResult {
  rc: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}
interface ExitStatus {
  code: number | null;
  signal?: string;
}
/** An exec channel with its exit status, listened for from the moment the channel exists. */
interface ExecChannel {
  stream: ClientChannel;
  exit: Promise<ExitStatus>;
  status: { value?: ExitStatus };
}

/** The agent could not be started on a reachable host (no node, wrong arch, sudo refused…). */
export class AgentStartError extends Error {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message);
    this.name = 'AgentStartError';
  }
}

interface Connection {
  spec: HostSpec;
  client: SshClient;
  jumps: SshClient[];
  channels: Semaphore;
  user: string;
  closed: boolean;
}

interface Endpoint {
  label: string;
  host: string;
  port: number;
  user: string;
  identities: string[];
  knownHosts: string[];
  writeKnownHosts: string;
}

export class Transport {
  readonly stats = {
    connections: 0,
    agentUploads: 0,
    runtimeUploads: 0,
    agentStarts: 0,
    agentBytes: 0,
    runtimeBytes: 0,
  };
  /** Per host: where the agent start's time went and the bytes uploaded (bench and --debug output). */
  readonly timings = new Map<string, HostTiming>();
  private connectMs = new Map<string, number>();
  private conns = new Map<string, Promise<Connection>>();
  private agents = new Map<string, Promise<AgentRpcClient>>();
  private liveConns = new Set<Connection>();
  private sshConfig: SshConfig;
  private bundle: AgentBundle | undefined;
  private log: (msg: string) => void;
  private maxChannels: number;

  constructor(private opts: TransportOptions = {}) {
    this.sshConfig = new SshConfig(opts.sshConfigFile ?? join(homedir(), '.ssh', 'config'));
    this.log = opts.log ?? ((m) => process.stderr.write(m + '\n'));
    this.maxChannels = Math.min(opts.maxChannels ?? MAX_CHANNELS_PER_CONNECTION, MAX_CHANNELS_PER_CONNECTION);
    if (opts.acceptNewHostKeys)
      this.log(
        '[WARNING]: --accept-new-hostkeys: unknown SSH host keys will be trusted and added to known_hosts on first use',
      );
  }

  /** The connection's channel semaphore (for tests and diagnostics). */
  async channelStats(host: HostSpec): Promise<{ inUse: number; peak: number; limit: number }> {
    const c = await this.connect(host);
    return { inUse: c.channels.inUse, peak: c.channels.peak, limit: c.channels.limit };
  }

  /** The agent on `host`, started once per run (uploaded first when the host does not have this version). */
  agent(host: HostSpec): Promise<AgentClient> {
    let p = this.agents.get(host.name);
    if (!p) {
      const started = this.startAgent(host);
      p = started;
      this.agents.set(host.name, started);
      const forget = () => {
        if (this.agents.get(host.name) === started) this.agents.delete(host.name);
      };
      // A failed start is retried, and a dead agent (killed, channel lost) replaced, on the next agent() call.
      started.then((rpc) => rpc.onClose(forget), forget);
    }
    return p;
  }

  /** A raw command: argv (quoted for the remote shell) or {shell}. Secrets go in stdin, never in argv or env. */
  async exec(host: HostSpec, cmd: string[] | { shell: string }, o: ExecOptions = {}): Promise<ExecResult> {
    const conn = await this.connect(host);
    let script = Array.isArray(cmd) ? shJoin(cmd) : cmd.shell;
    if (o.env && Object.keys(o.env).length) {
      const exports = Object.entries(o.env).map(([k, v]) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
          throw new Error(`${host.name}: invalid environment variable name ${JSON.stringify(k)}`);
        return `${k}=${shQuote(v)}`;
      });
      script = `export ${exports.join(' ')}; ${script}`;
    }
    const become = (o.become ?? host.become) ? this.becomeOf(host, conn) : undefined;
    return collect(await this.openExec(conn, wrapCommand(script, become)), o.stdin, o.timeoutMs);
  }

  async closeAll(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(
      agents.map(async (p) => {
        try {
          (await p).close();
        } catch {
          /* failed start */
        }
      }),
    );
    // Connections still being opened are closed too, once they are up (else they would keep the process alive).
    await Promise.allSettled([...this.conns.values()]);
    for (const c of this.liveConns) {
      c.closed = true;
      c.client.end();
      for (const j of c.jumps.reverse()) j.end();
    }
    this.liveConns.clear();
    this.conns.clear();
  }

  // ---- connections -------------------------------------------------------------------------------------------

  private connect(host: HostSpec): Promise<Connection> {
    let p = this.conns.get(host.name);
    if (!p) {
      const t0 = performance.now();
      p = this.openConnection(host);
      p.then(
        () => this.connectMs.set(host.name, performance.now() - t0),
        () => {},
      );
      this.conns.set(host.name, p);
      p.catch(() => this.conns.delete(host.name));
    }
    return p;
  }

  private endpoint(
    label: string,
    address: string,
    over: { port?: number; user?: string; identity?: string; knownHostsFile?: string },
  ): Endpoint & { cfg: SshConfigEntry } {
    const cfg = this.sshConfig.lookup(address);
    const host = cfg.hostName ?? address;
    const port = over.port ?? cfg.port ?? 22;
    const user = over.user ?? cfg.user ?? userInfo().username;
    const defaults = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(homedir(), '.ssh', f));
    const identities = [
      ...new Set([
        ...(over.identity ? [expandHome(over.identity)] : []),
        ...cfg.identityFiles,
        ...(over.identity || cfg.identityFiles.length ? [] : defaults),
      ]),
    ];
    const userFiles = this.opts.knownHostsFiles ?? cfg.userKnownHostsFiles ?? [join(homedir(), '.ssh', 'known_hosts')];
    const knownHosts = [
      ...new Set([...(over.knownHostsFile ? [over.knownHostsFile] : []), ...userFiles, '/etc/ssh/ssh_known_hosts']),
    ];
    const writeKnownHosts = over.knownHostsFile ?? userFiles[0];
    return { label, host, port, user, identities, knownHosts, writeKnownHosts, cfg };
  }

  private async openConnection(spec: HostSpec): Promise<Connection> {
    const target = this.endpoint(spec.name, spec.address, {
      port: spec.port,
      user: spec.user,
      identity: spec.privateKeyFile,
      knownHostsFile: spec.knownHostsFile,
    });
    const jumps: SshClient[] = [];
    try {
      let sock: Duplex | undefined;
      if (target.cfg.proxyJump) {
        // Each hop is reached through the previous one; the last hop forwards to the target.
        const hops = target.cfg.proxyJump.split(',').map((hop) => {
          const j = parseJump(hop.trim());
          return this.endpoint(`${spec.name} (jump host ${j.host})`, j.host, {
            port: j.port,
            user: j.user,
            knownHostsFile: spec.knownHostsFile,
          });
        });
        for (const [i, hop] of hops.entries()) {
          const jc = await this.connectEndpoint(spec.name, hop, sock);
          jumps.push(jc);
          const next = hops[i + 1] ?? target;
          sock = await this.forward(spec.name, jc, next.host, next.port, hop.label);
        }
      }
      const client = await this.connectEndpoint(spec.name, target, sock);
      const conn: Connection = {
        spec,
        client,
        jumps,
        channels: new Semaphore(this.maxChannels),
        user: target.user,
        closed: false,
      };
      this.liveConns.add(conn);
      client.on('close', () => {
        this.liveConns.delete(conn);
        if (!conn.closed) {
          // Dropped mid-run (reboot, network): the next call reconnects and restarts the agent.
          this.conns.delete(spec.name);
          this.agents.delete(spec.name);
        }
      });
      return conn;
    } catch (err) {
      for (const j of jumps) j.end();
      throw err;
    }
  }

  private forward(name: string, via: SshClient, host: string, port: number, label: string): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      via.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
        if (err)
          reject(new UnreachableError(name, `${name}: cannot reach ${host}:${port} through ${label}: ${err.message}`));
        else resolve(stream);
      });
    });
  }

  private connectEndpoint(name: string, ep: Endpoint, sock?: Duplex): Promise<SshClient> {
    const where = `${ep.label} (${ep.user}@${hostField(ep.host, ep.port)})`;
    let hostKeyProblem: string | undefined;
    const hostVerifier = (key: Buffer, verify: (ok: boolean) => void) => {
      const fp = fingerprint(key);
      const type = keyTypeOf(key);
      const v = verifyHostKey(ep.knownHosts, ep.host, ep.port, key);
      if (v.status === 'match') return verify(true);
      if (v.status === 'revoked') {
        hostKeyProblem = `host key ${type} ${fp} is marked @revoked in ${v.entry.file}:${v.entry.line}`;
      } else if (v.status === 'mismatch') {
        const known = v.known.map((k) => `${k.keyType} ${fingerprint(k.blob)} (${k.file}:${k.line})`).join(', ');
        hostKeyProblem = `HOST KEY CHANGED: the server sent ${type} ${fp}, known_hosts has ${known}. Someone could be eavesdropping (man-in-the-middle), or the host key was replaced; refusing to connect`;
      } else if (this.opts.acceptNewHostKeys) {
        addKnownHost(ep.writeKnownHosts, ep.host, ep.port, key);
        this.log(`[WARNING]: ${where}: permanently added host key ${type} ${fp} to ${ep.writeKnownHosts} (accept-new)`);
        return verify(true);
      } else {
        hostKeyProblem = `unknown host key ${type} ${fp} (not in ${ep.knownHosts.filter(existsSync).join(', ') || 'any known_hosts file'}); verify the fingerprint and add it to known_hosts, or run with --accept-new-hostkeys`;
      }
      verify(false);
    };
    const known = knownKeyTypes(ep.knownHosts, ep.host, ep.port);
    const auth = this.authMethods(ep);
    if (!auth.methods.length) {
      return Promise.reject(
        new UnreachableError(
          name,
          `${where}: no usable private key (${auth.skipped.join('; ') || 'no key file, no ssh-agent'})`,
        ),
      );
    }
    const cfg: ConnectConfig = {
      host: ep.host,
      port: ep.port,
      username: ep.user,
      sock: sock as ConnectConfig['sock'],
      readyTimeout: this.opts.connectTimeoutMs ?? 10_000,
      keepaliveInterval: this.opts.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: 3,
      hostVerifier: hostVerifier as ConnectConfig['hostVerifier'],
      authHandler: auth.methods,
      algorithms: known.length
        ? ({ serverHostKey: preferKnownTypes(known) } as ConnectConfig['algorithms'])
        : undefined,
    };
    return new Promise((resolve, reject) => {
      const client = new ssh2.Client();
      let settled = false;
      client.once('ready', () => {
        settled = true;
        client.setNoDelay(true); // ssh2 leaves Nagle on: ~40 ms extra per round trip otherwise
        this.stats.connections++;
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        if (settled) return; // later errors surface as 'close' and failed channels
        settled = true;
        let why: string;
        if (hostKeyProblem) why = hostKeyProblem;
        else if (err.level === 'client-authentication')
          why = `authentication failed (tried ${auth.describe.join(', ')})`;
        else if (err.level === 'client-timeout') why = `no SSH handshake within ${cfg.readyTimeout} ms`;
        else why = err.code ? `${err.code} ${err.message.replace(new RegExp(`^${err.code}:?\\s*`), '')}` : err.message;
        client.end();
        reject(new UnreachableError(name, `${where}: ${why}`));
      });
      client.on('close', () => {
        if (!settled) {
          settled = true;
          reject(
            new UnreachableError(
              name,
              `${where}: connection closed during the SSH handshake${hostKeyProblem ? `: ${hostKeyProblem}` : ''}`,
            ),
          );
        }
      });
      client.connect(cfg);
    });
  }

  private authMethods(ep: Endpoint): { methods: AuthHandlerMiddleware; describe: string[]; skipped: string[] } {
    const methods: Array<Record<string, unknown>> = [];
    const describe: string[] = [];
    const skipped: string[] = [];
    for (const f of ep.identities) {
      if (!existsSync(f)) {
        if (!f.startsWith(join(homedir(), '.ssh', 'id_'))) skipped.push(`${f}: not found`);
        continue;
      }
      const key = readFileSync(f);
      const parsed = ssh2.utils.parseKey(key);
      if (parsed instanceof Error) {
        skipped.push(
          `${f}: ${/encrypted/i.test(parsed.message) ? 'encrypted (load it into ssh-agent)' : parsed.message}`,
        );
        continue;
      }
      methods.push({ type: 'publickey', username: ep.user, key });
      describe.push(`key ${f}`);
    }
    if ((this.opts.useSshAgent ?? true) && process.env.SSH_AUTH_SOCK) {
      methods.push({ type: 'agent', username: ep.user, agent: process.env.SSH_AUTH_SOCK });
      describe.push('ssh-agent');
    }
    return { methods: methods as unknown as AuthHandlerMiddleware, describe, skipped };
  }

  private async openExec(conn: Connection, command: string): Promise<ExecChannel> {
    const release = await conn.channels.acquire();
    // sshd frees a closed session slot a moment after the CLOSE it answers; a channel opened right then is refused
    // ("open failed") although we never exceed 10. Retry briefly in that case only.
    for (let attempt = 0; ; attempt++) {
      try {
        const channel = await new Promise<ExecChannel>((resolve, reject) => {
          conn.client.exec(command, (err, ch) => {
            if (err) return reject(err);
            // Listen for the exit status now: a fast command's SUCCESS, DATA, exit-status and CLOSE can arrive in one
            // read (often through a jump host), and ssh2 emits 'exit' while parsing it, before an awaiting caller
            // could attach a listener. Data and 'close' are not lost that way (streams buffer them).
            const status: { value?: ExitStatus } = {};
            const exit = new Promise<ExitStatus>((r) =>
              ch.once('exit', (code: number | null, signal?: string) => {
                status.value = { code: code ?? null, ...(signal ? { signal } : {}) };
                r(status.value);
              }),
            );
            resolve({ stream: ch, exit, status });
          });
        });
        channel.stream.once('close', release);
        return channel;
      } catch (err) {
        const msg = (err as Error).message;
        if (/open failed/i.test(msg) && attempt < 5 && !conn.closed) {
          await new Promise((r) => setTimeout(r, 10 * 2 ** attempt));
          continue;
        }
        release();
        throw new UnreachableError(conn.spec.name, `${conn.spec.name}: cannot open an SSH channel: ${msg}`);
      }
    }
  }

  private becomeOf(host: HostSpec, conn: Connection): { user: string } | undefined {
    const user = host.becomeUser ?? 'root';
    return user === conn.user ? undefined : { user };
  }

  // ---- agent bootstrap ---------------------------------------------------------------------------------------

  private async startAgent(host: HostSpec): Promise<AgentRpcClient> {
    const t0 = performance.now();
    this.bundle ??= findAgentBundle(this.opts.agentBundle);
    const bundle = this.bundle;
    const conn = await this.connect(host);
    const become = host.become ? this.becomeOf(host, conn) : undefined;
    const cacheDir = this.opts.runtimeCacheDir ?? defaultRuntimeCacheDir();
    let runtime = knownRuntimeId(cacheDir);
    let mode: RuntimeMode = host.agentRuntime === 'push' ? 'push' : 'auto';
    const timing: HostTiming = {
      connectMs: this.connectMs.get(host.name) ?? 0,
      cacheCheckMs: 0,
      uploadMs: 0,
      nodeStartMs: 0,
      firstRpcMs: 0,
      totalMs: 0,
      agentBytes: 0,
      runtimeBytes: 0,
      runtime: 'path',
    };
    this.connectMs.delete(host.name); // a reconnect later measures its own
    this.timings.set(host.name, timing);
    const fallback = (why: string) =>
      `[WARNING]: ${host.name}: ${why} (agent_runtime auto): shipping the controller's Node runtime ${process.version} ${unameArch()} to the host (gzip, once; set agent_runtime: push to silence this)`;
    let warned = false;
    // At most: agent upload, the runtime's hash computed, runtime upload, a node on PATH found too old, the start.
    for (let attempt = 0; attempt < 5; attempt++) {
      const ts = performance.now();
      const { stream, exit } = await this.openExec(
        conn,
        wrapCommand(startScript(bundle.hash, mode, runtime?.sha256), become),
      );
      const rpc = new AgentRpcClient(host.name, stream, stream, stream.stderr);
      let firstOut = '';
      const onData = (d: Buffer) => {
        if (firstOut.length < 4096) firstOut += d.toString('utf8');
      };
      stream.on('data', onData);
      const exited = exit.then((x) => x.code);
      try {
        const hello = await rpc.call('hello', {});
        stream.off('data', onData);
        this.stats.agentStarts++;
        const roundTrip = performance.now() - ts;
        timing.nodeStartMs = Math.min(hello.uptimeMs ?? 0, roundTrip);
        timing.firstRpcMs = roundTrip - timing.nodeStartMs;
        timing.runtime =
          runtime && hello.execPath?.includes(`/node-${runtime.sha256.slice(0, 16)}-`) ? 'shipped' : 'path';
        const major = Number(/^v(\d+)/.exec(hello.node)?.[1] ?? 0);
        if (major < 18) {
          rpc.close();
          if (mode === 'auto') {
            this.log(fallback(`node ${hello.node} on PATH is too old for the agent (need >= 18)`));
            warned = true;
            mode = 'push';
            continue;
          }
          throw new AgentStartError(
            host.name,
            `${host.name}: node ${hello.node} on the host is too old for the agent (need >= 18); set agent_runtime: push to ship the controller's Node runtime`,
          );
        }
        if (hello.agentHash !== bundle.hash) {
          rpc.close();
          throw new AgentStartError(
            host.name,
            `${host.name}: the cached agent's hash is ${hello.agentHash}, expected ${bundle.hash} (cache damaged?)`,
          );
        }
        timing.totalMs = performance.now() - t0;
        this.log(`${host.name}: ${formatTiming(timing)}`);
        return rpc;
      } catch (err) {
        if (!(err instanceof AgentGone)) throw err;
        // (the timer is cleared: a pending 2 s timer kept the CLI alive that long after a run that uploaded the agent)
        let timer: NodeJS.Timeout | undefined;
        const exitCode = await Promise.race([
          exited,
          new Promise<null>((r) => {
            timer = setTimeout(() => r(null), 2000);
          }),
        ]);
        clearTimeout(timer);
        timing.cacheCheckMs += performance.now() - ts;
        const status = firstOut.split('\n').find((l) => l.startsWith('CROSSKEY_')) ?? '';
        const [word, path, arch] = status.split(' ');
        // The exit status can still come after our 2 s wait on a very busy host: the status line says the same
        // thing, so it decides when the exit code is not there yet.
        const code = exitCode ?? STATUS_EXIT[word ?? ''] ?? null;
        if (code === EXIT_NEED_UPLOAD) {
          const tu = performance.now();
          await this.upload(conn, host, become, path, 'agent.mjs', bundle.content, false);
          timing.uploadMs += performance.now() - tu;
          timing.agentBytes += bundle.content.length;
          this.stats.agentBytes += bundle.content.length;
          this.stats.agentUploads++;
          continue;
        }
        if (code === EXIT_NEED_RUNTIME) {
          if (arch !== unameArch())
            throw new AgentStartError(
              host.name,
              mode === 'auto'
                ? `${host.name}: no usable node (>= 18) found on the host (PATH of ${become?.user ?? conn.user}), and the controller's Node runtime is ${unameArch()} while the host is ${arch}; install node (>= 18) on the host`
                : `${host.name}: agent_runtime push: the host is ${arch}, the controller's Node runtime is ${unameArch()}; install node (>= 18) on the host`,
            );
          if (!runtime) {
            runtime = await runtimeId(cacheDir);
            continue;
          }
          if (mode === 'auto' && !warned) {
            this.log(fallback(`no node (>= 18) on PATH of ${become?.user ?? conn.user}`));
            warned = true;
          }
          const tu = performance.now();
          const sent = await this.uploadRuntime(conn, host, become, path, cacheDir);
          timing.uploadMs += performance.now() - tu;
          timing.runtimeBytes += sent;
          this.stats.runtimeBytes += sent;
          this.stats.runtimeUploads++;
          timing.runtime = 'shipped';
          continue;
        }
        if (code === EXIT_NO_NODE) {
          throw new AgentStartError(
            host.name,
            `${host.name}: no usable node (>= 18) found on the host (PATH of ${become?.user ?? conn.user}); install Node.js there, or set agent_runtime: push to ship the controller's own Node runtime (${process.version}, ${unameArch()})`,
          );
        }
        if (code === EXIT_NO_CACHE)
          throw new AgentStartError(host.name, `${host.name}: no writable cache folder for the agent (${path})`);
        const stderr = rpc.stderrText.trim();
        if (become && /sudo/.test(stderr))
          throw new AgentStartError(host.name, `${host.name}: become (sudo -n -u ${become.user}) failed: ${stderr}`);
        throw new AgentStartError(
          host.name,
          `${host.name}: the agent did not start (exit ${code}): ${stderr || firstOut.trim() || 'no output'}`,
        );
      }
    }
    throw new AgentStartError(host.name, `${host.name}: the agent did not start after uploading it`);
  }

  /** Streams the cached gzip of our node to the host, which unpacks and verifies it; returns the bytes sent. */
  private async uploadRuntime(
    conn: Connection,
    host: HostSpec,
    become: { user: string } | undefined,
    dir: string,
    cacheDir: string,
  ): Promise<number> {
    if (!dir?.startsWith('/'))
      throw new AgentStartError(host.name, `${host.name}: unexpected cache path from the host: ${JSON.stringify(dir)}`);
    const archive = await runtimeArchive(cacheDir);
    const { stream, status } = await this.openExec(conn, wrapCommand(runtimeUploadScript(dir, archive.sha256), become));
    const err: Buffer[] = [];
    stream.stderr.on('data', (d: Buffer) => err.push(d));
    stream.on('data', () => {});
    const closed = new Promise<void>((r) => stream.once('close', () => r()));
    await pipeline(createReadStream(archive.gzFile), stream).catch(() => {
      /* the exit status and stderr below say why */
    });
    await closed;
    const rc = status.value?.code ?? null;
    if (rc !== 0) {
      // A damaged archive on the controller is made again next time.
      if (/gzip -d failed|unpacked runtime has sha256/.test(Buffer.concat(err).toString('utf8')))
        forgetRuntimeArchive(archive);
      throw new AgentStartError(
        host.name,
        `${host.name}: upload of the Node runtime to ${dir} failed (exit ${rc}): ${Buffer.concat(err).toString('utf8').trim()}`,
      );
    }
    this.log(
      `${host.name}: uploaded the Node runtime ${process.version} (${archive.gzBytes} bytes gzip, ${archive.size} unpacked, sha256 verified) to ${dir}`,
    );
    return archive.gzBytes;
  }

  private async upload(
    conn: Connection,
    host: HostSpec,
    become: { user: string } | undefined,
    dir: string,
    name: string,
    content: Buffer,
    executable: boolean,
  ): Promise<void> {
    if (!dir?.startsWith('/'))
      throw new AgentStartError(host.name, `${host.name}: unexpected cache path from the host: ${JSON.stringify(dir)}`);
    const r = await collect(
      await this.openExec(conn, wrapCommand(uploadScript(dir, name, executable), become)),
      content,
    );
    if (r.rc !== 0)
      throw new AgentStartError(
        host.name,
        `${host.name}: upload of ${name} to ${dir} failed (exit ${r.rc}): ${r.stderr.trim()}`,
      );
    this.log(`${host.name}: uploaded ${name} (${content.length} bytes) to ${dir}`);
  }
}

/** One parseable line (CROSSKEY_VERBOSE output, bench/): `agent ready: connect=12.3ms … runtime_bytes=0 runtime=path`. */
export function formatTiming(t: HostTiming): string {
  const ms = (x: number) => `${x.toFixed(1)}ms`;
  return `agent ready: connect=${ms(t.connectMs)} cache_check=${ms(t.cacheCheckMs)} upload=${ms(t.uploadMs)} node_start=${ms(t.nodeStartMs)} first_rpc=${ms(t.firstRpcMs)} total=${ms(t.totalMs)} agent_bytes=${t.agentBytes} runtime_bytes=${t.runtimeBytes} runtime=${t.runtime}`;
}

/** Host key algorithms with the types known_hosts has for this host first (as OpenSSH orders them). */
function preferKnownTypes(known: string[]): string[] {
  const all = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  const algosOf = (t: string) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]);
  const first = known.flatMap(algosOf).filter((a) => all.includes(a));
  return [...new Set([...first, ...all])];
}

function collect({ stream, status }: ExecChannel, stdin?: string | Buffer, timeoutMs?: number): Promise<ExecResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    stream.on('data', (d: Buffer) => out.push(d));
    stream.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          stream.close();
        }, timeoutMs)
      : undefined;
    stream.on('close', () => {
      if (timer) clearTimeout(timer);
      const signal = timedOut ? 'TIMEOUT' : status.value?.signal;
      resolve({
        rc: status.value?.code ?? null,
        ...(signal ? { signal } : {}),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    stream.end(stdin ?? '');
  });
}
