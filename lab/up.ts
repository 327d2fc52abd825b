// `lab up`: simulated clusters (by default `local` and `remote`, `--cluster NAME[:NODES]` for others) of N nodes,
// each node a host with its own loopback address 127.L.<cluster>.N and standard ports, reachable over SSH, with an
// ES-like install tree, TLS from a lab CA, a tool superuser, a license, a few indices; then the initial state of the connections
// (RCS1 aliases of `--connect`, tasks).
import { writeMigrationVars } from './setup/migration-vars.js';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync, openSync, closeSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dump } from 'js-yaml';
import { writeKeystoreAsync, keystoreVersionFor } from '../agent/keystore/format.js';
import { ensureKeyPair } from './hosts/keys.js';
import { startOpenSshHost, SSHD_PATH } from './hosts/openssh.js';
import { stopPid, waitFor, isAlive } from './hosts/process.js';
import { createLabCa, issueNodeCert, pkcs12, type LabCa } from './certs.js';
import { ensureLabNodeBundle } from './bundle.js';
import { applyInitialState } from './setup/initial-state.js';
import { createState, esUuid, type ClusterState, type LicenseState } from './node/cluster/state.js';
import { createIndex } from './node/cluster/coordination.js';
import { emptyTasks } from './node/tasks/model.js';
import { hashPassword } from './node/security/passwords.js';
import { start as serviceStart, stop as serviceStop } from './node/process/service.js';
import {
  writeLabFile,
  labFilePath,
  readLabFile,
  allNodes,
  type LabConnection,
  type LabFile,
  type LabNodeEntry,
  type LabClusterEntry,
} from './layout.js';
import {
  checkEsVersion,
  resolveLayout,
  startDependencies,
  type ClusterSpec,
  type Layout,
  type LayoutCluster,
  type YmlSpec,
} from './layout-spec.js';
import { staticAliasLines } from './setup/initial-state.js';
import { inventoryYaml, knownHosts, sshConfig } from './inventory.js';
import { labHttp } from './http-client.js';
import type { SshDaemonConfig } from './ssh-daemon.js';

export interface LabUpOptions {
  dir: string;
  /** Nodes of every cluster given without a count (default 3). */
  nodes?: number;
  /** `--cluster NAME[:NODES]`; default `local` and `remote`. */
  clusters?: ClusterSpec[];
  /** `--connect LOCAL:REMOTE:ALIAS`; default `local:remote:my_remote`. The first one carries the tasks. */
  connections?: LabConnection[];
  /** `--yml CLUSTER:KEY=VALUE`: added to every node of the cluster before its first start. */
  yml?: YmlSpec[];
  esVersion?: string;
  ssh?: 'openssh' | 'embedded';
  license?: 'trial' | 'basic';
  staticRemote?: boolean;
  /** Second octet L of 127.L.x.y; chosen free when absent. */
  net?: number;
  /** Simulated node start time (ms, default 1000). */
  startDelayMs?: number;
  /** Shard recovery duration (ms, default 1000). */
  recoveryMs?: number;
  log?: (line: string) => void;
}

export const TOOL_USER = 'crosskey';
const NET_LOCKS = join(tmpdir(), 'crosskey-lab-nets');

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, host, () => s.close(() => res(true)));
  });
}

/** Reserves a free L (lock file naming the lab dir; a lock whose lab has no lab.json any more is stale). */
async function chooseNet(dir: string, clusters: LayoutCluster[], requested?: number): Promise<number> {
  mkdirSync(NET_LOCKS, { recursive: true });
  const candidates =
    requested !== undefined ? [requested] : Array.from({ length: 230 }, (_, i) => 20 + ((process.pid + i * 7) % 230));
  for (const L of candidates) {
    if (L < 1 || L > 254) throw new Error(`--net ${L}: must be 1..254`);
    const lock = join(NET_LOCKS, String(L));
    if (existsSync(lock)) {
      // "<lab dir>\n<pid of its lab up>": taken while that `lab up` runs or its lab exists
      const [owner = '', pid = '0'] = readFileSync(lock, 'utf8').split('\n');
      if (owner !== dir && (existsSync(labFilePath(owner)) || isAlive(Number(pid)))) {
        if (requested !== undefined) throw new Error(`--net ${L} is used by the lab in ${owner}`);
        continue;
      }
      rmSync(lock, { force: true });
    }
    let free = true;
    outer: for (const c of clusters) {
      for (let n = 1; n <= c.nodes; n++) {
        for (const port of [22, 9200, 9300, 9443]) {
          if (!(await portFree(`127.${L}.${c.octet}.${n}`, port))) {
            free = false;
            break outer;
          }
        }
      }
    }
    if (!free) {
      if (requested !== undefined)
        throw new Error(`--net ${L}: some address 127.${L}.x.y already has a port 22/9200/9300/9443 in use`);
      continue;
    }
    try {
      const fd = openSync(lock, 'wx');
      writeFileSync(fd, `${dir}\n${process.pid}`);
      closeSync(fd);
      return L;
    } catch {}
  }
  throw new Error('no free 127.L.0.0/16 network for the lab');
}

export function releaseNet(lab: Pick<LabFile, 'net' | 'dir'>): void {
  const lock = join(NET_LOCKS, String(lab.net));
  try {
    if (readFileSync(lock, 'utf8').split('\n')[0] === lab.dir) rmSync(lock, { force: true });
  } catch {
    /* not ours or gone */
  }
}

function license(type: 'trial' | 'basic', clusterName: string, now: number): LicenseState {
  return {
    uid: randomUUID(),
    type,
    status: 'active',
    issueDateMillis: now,
    expiryDateMillis: type === 'trial' ? now + 30 * 86_400_000 : 253_402_214_400_000,
    startDateMillis: -1,
    maxNodes: 1000,
    maxResourceUnits: null,
    issuedTo: clusterName,
    issuer: 'elasticsearch',
  };
}

function initialState(
  clusterName: string,
  esVersion: string,
  lic: 'trial' | 'basic',
  password: string,
  recoveryMs: number,
  nodes: number,
): ClusterState {
  const now = Date.now();
  const state: ClusterState = {
    clusterName,
    clusterUuid: esUuid(),
    esVersion,
    version: 1,
    masterNodeId: null,
    persistent: {},
    transient: {},
    license: license(lic, clusterName, now),
    indices: {},
    lab: { recoveryMs, nodeLeftDelayedTimeoutMs: 60_000 },
    security: {
      users: {
        [TOOL_USER]: {
          username: TOOL_USER,
          roles: ['superuser'],
          full_name: 'crosskey tool (lab)',
          email: null,
          metadata: {},
          enabled: true,
          password_hash: hashPassword(password),
        },
      },
      roles: {},
      apiKeys: [],
    },
    tasks: emptyTasks(),
    counters: { disruptions: 0, disruption_log: [] },
    events: [],
  };
  // One replica where there is a second node to hold it (a single-node cluster with replicas stays yellow).
  const replicas = nodes > 1 ? 1 : 0;
  createIndex(state, `${clusterName}-logs`, 2, replicas, now);
  createIndex(state, `${clusterName}-metrics`, 1, replicas, now);
  return state;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function writeScripts(home: string, nodeScript: string): void {
  const bin = join(home, 'bin');
  mkdirSync(bin, { recursive: true });
  const node = shellQuote(process.execPath);
  const script = shellQuote(nodeScript);
  const head =
    '#!/bin/sh\n# crosskey lab: simulated Elasticsearch node (not a real Elasticsearch)\nES_HOME="$(cd "$(dirname "$0")/.." && pwd)"\nexport ES_HOME\n';
  writeFileSync(
    join(bin, 'elasticsearch-service'),
    `${head}exec ${node} ${script} --service "$1" --home "$ES_HOME"\n`,
    { mode: 0o755 },
  );
  writeFileSync(
    join(bin, 'elasticsearch-keystore'),
    `${head}: "\${ES_PATH_CONF:=$ES_HOME/config}"\nexport ES_PATH_CONF\nexec ${node} ${script} --keystore-cli "$@"\n`,
    { mode: 0o755 },
  );
}

export interface LabUpResult {
  lab: LabFile;
  seconds: number;
}

/** The checked flags and the resources one `lab up` works with; every step below takes it. */
interface LabUpRun {
  opts: LabUpOptions;
  dir: string;
  esVersion: string;
  layout: Layout;
  /** Clusters a cluster's nodes wait for before they start (--static-remote: the clusters its aliases point to). */
  dependsOn: Map<string, string[]>;
  ssh: 'openssh' | 'embedded';
  license: 'trial' | 'basic';
  net: number;
  nodeScript: string;
  log: (line: string) => void;
  /** Seconds since `lab up` began, for the progress lines. */
  secs: () => string;
  /** What has been started so far: stopped again when `lab up` fails. */
  started: { nodes: string[]; sshPids: number[]; daemonPid?: number };
}

/** Node starts: each node starts as soon as its files exist, once the clusters it depends on have started. */
interface NodeStarts {
  start(n: LabNodeEntry): Promise<void>;
  /** Every node start begun so far. */
  all: Array<Promise<void>>;
  /** Settles when every node of the cluster has started (or one failed to). */
  cluster: Map<string, { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void }>;
}

export async function labUp(opts: LabUpOptions): Promise<LabUpResult> {
  const t0 = Date.now();
  const checked = checkOptions(opts);
  clearStoppedLab(checked.dir);
  mkdirSync(checked.dir, { recursive: true, mode: 0o700 });
  const nodeScript = await ensureLabNodeBundle();
  const net = await chooseNet(checked.dir, checked.layout.clusters, opts.net);
  const run: LabUpRun = {
    ...checked,
    opts,
    net,
    nodeScript,
    log: opts.log ?? (() => {}),
    secs: () => ((Date.now() - t0) / 1000).toFixed(1),
    started: { nodes: [], sshPids: [] },
  };
  logPlan(run);
  try {
    const { client, ca, caCert } = await writeCaAndClientKey(run);
    const starts = nodeStarts(run);
    const clusters = await writeClustersAndStartNodes(run, ca, starts);
    run.log(`lab: certificates, keystores and configuration written (${run.secs()} s)`);
    const lab = labFileOf(run, clusters, caCert, client.privateKeyFile);
    starts.all.forEach((p) => p.catch(() => undefined)); // awaited below; no unhandled rejection meanwhile
    await startSshHosts(run, lab, client.publicKey); // while the nodes boot
    writeLabFiles(lab);
    await waitForNodeStarts(run, lab, starts);
    await waitForGreenClusters(run, lab);
    await applyConnectionsInitialState(lab, (l) => run.log(`${l} (${run.secs()} s)`));
    await waitForRecoveredShards(lab);
    writeMigrationVariables(run, lab);
    return { lab, seconds: (Date.now() - t0) / 1000 };
  } catch (e) {
    await stopStarted(run);
    throw e;
  }
}

/** Every flag is checked before anything is written or started. */
function checkOptions(opts: LabUpOptions) {
  const dir = resolve(opts.dir);
  const esVersion = opts.esVersion ?? '8.15.0';
  // The CLI refuses versions below 8.10 (lab/cli.ts); programmatic callers may still simulate 8.0–8.9.
  checkEsVersion(esVersion, { olderEight: true });
  const layout = resolveLayout({
    nodes: opts.nodes,
    clusters: opts.clusters,
    connections: opts.connections,
    yml: opts.yml,
    esVersion,
    staticRemote: opts.staticRemote,
  });
  const dependsOn = startDependencies(layout, !!opts.staticRemote);
  const ssh = opts.ssh ?? (existsSync(SSHD_PATH) ? 'openssh' : 'embedded');
  if (ssh === 'openssh' && !existsSync(SSHD_PATH))
    throw new Error(`--ssh openssh: ${SSHD_PATH} not found (install openssh-server or use --ssh embedded)`);
  const license = opts.license ?? 'trial';
  return { dir, esVersion, layout, dependsOn, ssh, license };
}

/** Refuses a directory that holds a running lab; a stopped lab of ours is removed to start afresh. */
function clearStoppedLab(dir: string): void {
  if (!existsSync(labFilePath(dir))) return;
  const old = readLabFile(dir);
  const running = allNodes(old).filter((n) => existsSync(join(n.home, 'elasticsearch.pid')));
  if (running.length)
    throw new Error(
      `${dir} holds a running lab (${running.map((n) => n.name).join(', ')}): run \`crosskey lab down --dir ${dir}\` first`,
    );
  rmSync(dir, { recursive: true, force: true });
}

function logPlan(run: LabUpRun): void {
  const { layout } = run;
  run.log(
    `lab: network 127.${run.net}.0.0/16, clusters ${layout.clusters.map((c) => `${c.name} (${c.nodes} nodes)`).join(', ')}, aliases ${layout.connections.map((c) => `${c.local} → ${c.remote} as ${c.alias}`).join(', ')}, Elasticsearch ${run.esVersion} (simulated), ssh ${run.ssh} (${run.secs()} s)`,
  );
}

function addressesOf(run: LabUpRun, c: LayoutCluster): string[] {
  return Array.from({ length: c.nodes }, (_, i) => `127.${run.net}.${c.octet}.${i + 1}`);
}

/** Stops what this `lab up` started and releases its network. */
async function stopStarted(run: LabUpRun): Promise<void> {
  const { started } = run;
  await Promise.all(started.nodes.map((h) => serviceStop(h).catch(() => 1)));
  await Promise.all(started.sshPids.map((p) => stopPid(p)));
  if (started.daemonPid) await stopPid(started.daemonPid);
  releaseNet({ net: run.net, dir: run.dir });
}

/** The SSH client key, the lab CA (DIR/ca/) and the credentials folder. */
async function writeCaAndClientKey(run: LabUpRun) {
  const { dir } = run;
  const client = ensureKeyPair(join(dir, 'client_key'), 'ed25519', 'crosskey-lab-client');
  mkdirSync(join(dir, 'ca'), { recursive: true });
  const ca = await createLabCa();
  run.log(`lab: CA created (${run.secs()} s)`);
  const caCert = join(dir, 'ca', 'ca.crt');
  writeFileSync(caCert, ca.certPem);
  writeFileSync(join(dir, 'ca', 'ca.key'), ca.keyPem, { mode: 0o600 });
  mkdirSync(join(dir, 'credentials'), { recursive: true, mode: 0o700 });
  return { client, ca, caCert };
}

function nodeStarts(run: LabUpRun): NodeStarts {
  // With --static-remote a node connects its aliases at start-up: the clusters they point to start first.
  const cluster = new Map(
    run.layout.clusters.map((c) => {
      let resolveFn!: () => void;
      let rejectFn!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolveFn = res;
        rejectFn = rej;
      });
      promise.catch(() => undefined); // awaited by dependants, if any; a failure is reported by its own node
      return [c.name, { promise, resolve: resolveFn, reject: rejectFn }] as const;
    }),
  );
  const all: Array<Promise<void>> = [];
  const startNode = async (n: LabNodeEntry) => {
    await Promise.all((run.dependsOn.get(n.cluster) ?? []).map((d) => cluster.get(d)!.promise));
    run.started.nodes.push(n.home);
    const outLines: string[] = [];
    const rc = await serviceStart(n.home, run.nodeScript, (s) => outLines.push(s));
    if (rc !== 0) throw new Error(`node ${n.name} failed to start: ${outLines.join('').trim()}`);
  };
  return {
    all,
    cluster,
    start(n) {
      const starting = startNode(n);
      all.push(starting);
      return starting;
    },
  };
}

/** Every cluster's files (credentials, cluster state, each node's install tree), each node started once written. */
function writeClustersAndStartNodes(run: LabUpRun, ca: LabCa, starts: NodeStarts): Promise<LabClusterEntry[]> {
  return Promise.all(run.layout.clusters.map((c) => writeClusterAndStartNodes(run, ca, starts, c)));
}

async function writeClusterAndStartNodes(
  run: LabUpRun,
  ca: LabCa,
  starts: NodeStarts,
  c: LayoutCluster,
): Promise<LabClusterEntry> {
  const { dir, opts } = run;
  const clusterDir = join(dir, 'clusters', c.name);
  const password = randomBytes(18).toString('base64url');
  const passwordFile = join(dir, 'credentials', `${c.name}-password`);
  writeFileSync(passwordFile, password + '\n', { mode: 0o600 });
  createState(clusterDir, initialState(c.name, run.esVersion, run.license, password, opts.recoveryMs ?? 1000, c.nodes));
  const names = Array.from({ length: c.nodes }, (_, i) => `${c.name}-${i + 1}`);
  const addresses = addressesOf(run, c);
  const myStarts: Array<Promise<void>> = [];
  // Nodes are prepared concurrently (key generation, PBKDF2 and OpenSSL run off the main thread) and each
  // starts as soon as its files exist: its simulated boot overlaps with the other nodes' preparation.
  const prepared = names.map(async (name, i): Promise<LabNodeEntry> => {
    const entry = await writeNode(run, ca, { cluster: c, clusterDir, name, names, addresses, address: addresses[i]! });
    myStarts.push(starts.start(entry));
    return entry;
  });
  const entries = await Promise.all(prepared).catch((e) => {
    starts.cluster.get(c.name)!.reject(e);
    throw e;
  });
  const gate = starts.cluster.get(c.name)!;
  Promise.all(myStarts).then(() => gate.resolve(), gate.reject);
  return {
    name: c.name,
    dir: clusterDir,
    user: TOOL_USER,
    passwordFile,
    url: `https://${addresses[0]}:9200`,
    nodes: entries,
  };
}

interface NodeSite {
  cluster: LayoutCluster;
  clusterDir: string;
  name: string;
  /** Every node name and address of the cluster. */
  names: string[];
  addresses: string[];
  address: string;
}

/** One node's install tree: scripts, certificates, elasticsearch.yml and keystore. */
async function writeNode(run: LabUpRun, ca: LabCa, site: NodeSite): Promise<LabNodeEntry> {
  const { name, address } = site;
  const home = join(site.clusterDir, name);
  const configDir = join(home, 'config');
  writeInstallTree(run, home, site.clusterDir);
  const passwords = await writeNodeCertificates(ca, site, configDir);
  writeElasticsearchYml(run, site, home, configDir);
  await writeNodeKeystore(run, configDir, passwords);
  const certPasswordFiles = writeCertPasswordFiles(run.dir, name, passwords);
  return {
    name,
    cluster: site.cluster.name,
    address,
    home,
    configDir,
    httpPort: 9200,
    transportPort: 9300,
    ssh: { port: 22, dir: join(run.dir, 'hosts', name), knownHostsLine: '' },
    certPasswordFiles,
  };
}

/**
 * The PKCS#12 passwords as an operator keeps them: one 0600 file each in DIR/credentials/ (NODE-http.p12-password,
 * NODE-transport.p12-password), named in the inventory through `secret_file`, never in clear.
 */
function writeCertPasswordFiles(
  dir: string,
  name: string,
  { httpPass, transportPass }: { httpPass: string; transportPass: string },
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, password] of [
    ['http.p12', httpPass],
    ['transport.p12', transportPass],
  ] as const) {
    const f = join(dir, 'credentials', `${name}-${file}-password`);
    writeFileSync(f, password + '\n', { mode: 0o600 });
    out[file] = f;
  }
  return out;
}

/** ES_HOME's folders, bin/ scripts and the node's lab settings (lab-node.json). */
function writeInstallTree(run: LabUpRun, home: string, clusterDir: string): void {
  mkdirSync(join(home, 'config', 'certs'), { recursive: true });
  mkdirSync(join(home, 'logs'), { recursive: true });
  mkdirSync(join(home, 'data'), { recursive: true });
  writeScripts(home, run.nodeScript);
  writeFileSync(
    join(home, 'lab-node.json'),
    JSON.stringify({ clusterDir, esVersion: run.esVersion, startDelayMs: run.opts.startDelayMs ?? 1000 }, null, 1),
  );
}

/** config/certs: http.p12 and transport.p12 (one node certificate, fresh passwords) and http_ca.crt. */
async function writeNodeCertificates(
  ca: LabCa,
  site: NodeSite,
  configDir: string,
): Promise<{ httpPass: string; transportPass: string }> {
  const { name, address } = site;
  const cert = await issueNodeCert({ ca, name, ips: [address], dns: ['localhost', name] });
  const httpPass = randomBytes(12).toString('base64url');
  const transportPass = randomBytes(12).toString('base64url');
  const [httpP12, transportP12] = await Promise.all([
    pkcs12(cert, ca.certPem, httpPass, 'http', join(configDir, 'certs')),
    pkcs12(cert, ca.certPem, transportPass, 'transport', join(configDir, 'certs')),
  ]);
  writeFileSync(join(configDir, 'certs', 'http.p12'), httpP12, { mode: 0o660 });
  writeFileSync(join(configDir, 'certs', 'transport.p12'), transportP12, { mode: 0o660 });
  writeFileSync(join(configDir, 'certs', 'http_ca.crt'), ca.certPem);
  return { httpPass, transportPass };
}

/** elasticsearch.yml: security and TLS on, the cluster's `--yml` settings, and with --static-remote its aliases. */
function writeElasticsearchYml(run: LabUpRun, site: NodeSite, home: string, configDir: string): void {
  const { layout } = run;
  const { cluster: c, name, names, addresses, address } = site;
  // --static-remote: the aliases of this cluster, in elasticsearch.yml before the first start.
  const staticLines = run.opts.staticRemote
    ? layout.connections
        .filter((k) => k.local === c.name)
        .map((k) =>
          staticAliasLines(
            k.alias,
            addressesOf(run, layout.clusters.find((r) => r.name === k.remote)!).map((a) => `${a}:9300`),
          ),
        )
        .join('')
    : '';
  const yml: Record<string, unknown> = {
    'cluster.name': c.name,
    'node.name': name,
    'network.host': address,
    'http.port': 9200,
    'transport.port': 9300,
    'path.data': join(home, 'data'),
    'path.logs': join(home, 'logs'),
    'discovery.seed_hosts': addresses.map((a) => `${a}:9300`),
    'cluster.initial_master_nodes': names,
    'xpack.security.enabled': true,
    'xpack.security.enrollment.enabled': false,
    'xpack.security.http.ssl.enabled': true,
    'xpack.security.http.ssl.keystore.path': 'certs/http.p12',
    'xpack.security.transport.ssl.enabled': true,
    'xpack.security.transport.ssl.verification_mode': 'certificate',
    'xpack.security.transport.ssl.client_authentication': 'required',
    'xpack.security.transport.ssl.keystore.path': 'certs/transport.p12',
    'xpack.security.transport.ssl.truststore.path': 'certs/transport.p12',
    ...layout.yml[c.name],
  };
  writeFileSync(
    join(configDir, 'elasticsearch.yml'),
    `# crosskey lab node ${name} (simulated Elasticsearch ${run.esVersion})\n` +
      dump(yml, { lineWidth: 200 }) +
      staticLines,
  );
}

/** config/elasticsearch.keystore (the version's format) with the PKCS#12 passwords. */
async function writeNodeKeystore(
  run: LabUpRun,
  configDir: string,
  { httpPass, transportPass }: { httpPass: string; transportPass: string },
): Promise<void> {
  const ks = await writeKeystoreAsync({
    version: keystoreVersionFor(run.esVersion),
    entries: new Map([
      ['xpack.security.http.ssl.keystore.secure_password', httpPass],
      ['xpack.security.transport.ssl.keystore.secure_password', transportPass],
      ['xpack.security.transport.ssl.truststore.secure_password', transportPass],
    ]),
  });
  writeFileSync(join(configDir, 'elasticsearch.keystore'), ks, { mode: 0o660 });
  chmodSync(join(configDir, 'elasticsearch.keystore'), 0o660);
}

function labFileOf(run: LabUpRun, clusters: LabClusterEntry[], caCert: string, clientKey: string): LabFile {
  const { dir, layout, opts } = run;
  return {
    format: 1,
    dir,
    net: run.net,
    esVersion: run.esVersion,
    license: run.license,
    ssh: run.ssh,
    staticRemote: !!opts.staticRemote,
    connections: layout.connections,
    ...(Object.keys(layout.yml).length ? { yml: layout.yml } : {}),
    createdAt: new Date().toISOString(),
    nodeScript: run.nodeScript,
    caCert,
    clientKey,
    knownHosts: join(dir, 'known_hosts'),
    inventory: join(dir, 'inventory.yml'),
    clusters,
  };
}

/** Every node's SSH host (OpenSSH sshd per node, or the embedded hosts in one process); fills in their host keys. */
async function startSshHosts(run: LabUpRun, lab: LabFile, authorizedKeys: string): Promise<void> {
  if (run.ssh === 'openssh') await startOpenSshHosts(run, lab, authorizedKeys);
  else await startEmbeddedSshHosts(run, lab, authorizedKeys);
}

function sshEnv(run: LabUpRun, n: LabNodeEntry) {
  return { ES_HOME: n.home, ES_PATH_CONF: n.configDir, LAB_NODE: n.name, LAB_DIR: run.dir };
}

async function startOpenSshHosts(run: LabUpRun, lab: LabFile, authorizedKeys: string): Promise<void> {
  await Promise.all(
    allNodes(lab).map(async (n) => {
      const host = await startOpenSshHost({
        dir: n.ssh.dir,
        address: n.address,
        port: 22,
        env: sshEnv(run, n),
        authorizedKeys,
        maxSessions: 20,
      });
      run.started.sshPids.push(host.pid);
      n.ssh.pid = host.pid;
      n.ssh.knownHostsLine = host.knownHostsLine;
    }),
  );
}

async function startEmbeddedSshHosts(run: LabUpRun, lab: LabFile, authorizedKeys: string): Promise<void> {
  const { dir } = run;
  const all = allNodes(lab);
  const cfgFile = join(dir, 'hosts', 'ssh-daemon.json');
  mkdirSync(join(dir, 'hosts'), { recursive: true });
  const cfg: SshDaemonConfig = {
    readyFile: join(dir, 'hosts', 'ssh-daemon.ready'),
    hosts: all.map((n) => ({
      dir: n.ssh.dir,
      address: n.address,
      port: 22,
      env: sshEnv(run, n),
      authorizedKeys,
      maxSessions: 20,
      esHome: n.home,
    })),
  };
  writeFileSync(cfgFile, JSON.stringify(cfg, null, 1));
  const out = openSync(join(dir, 'hosts', 'ssh-daemon.log'), 'a');
  const child = spawn(process.execPath, [run.nodeScript, '--ssh-hosts', cfgFile], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  child.unref();
  run.started.daemonPid = child.pid;
  lab.sshDaemonPid = child.pid;
  const ok = await waitFor(() => existsSync(cfg.readyFile), 20_000, 30);
  if (!ok) throw new Error(`embedded SSH hosts did not start; see ${join(dir, 'hosts', 'ssh-daemon.log')}`);
  const { knownHostsLine } = await import('./hosts/keys.js');
  for (const n of all) {
    const pub = readFileSync(join(n.ssh.dir, 'ssh_host_ed25519_key.pub'), 'utf8');
    n.ssh.knownHostsLine = knownHostsLine(n.address, 22, pub);
  }
}

/** lab.json, known_hosts, ssh_config and inventory.yml. */
function writeLabFiles(lab: LabFile): void {
  writeLabFile(lab);
  writeFileSync(lab.knownHosts, knownHosts(lab));
  writeFileSync(join(lab.dir, 'ssh_config'), sshConfig(lab));
  writeFileSync(lab.inventory, inventoryYaml(lab));
}

async function waitForNodeStarts(run: LabUpRun, lab: LabFile, starts: NodeStarts): Promise<void> {
  await Promise.all(starts.all);
  run.log(`lab: ${allNodes(lab).length} nodes started (${run.secs()} s)`);
}

function clusterHealth(lab: LabFile, c: LabClusterEntry, query: string) {
  return labHttp(
    { url: c.url, user: c.user, passwordFile: c.passwordFile, caCert: lab.caCert },
    'GET',
    `/_cluster/health?${query}`,
  );
}

/** Every cluster formed and green, checked over real HTTPS. */
async function waitForGreenClusters(run: LabUpRun, lab: LabFile): Promise<void> {
  for (const c of lab.clusters) {
    const r = await clusterHealth(lab, c, `wait_for_status=green&wait_for_nodes=${c.nodes.length}&timeout=60s`);
    const h = r.json as { status?: string } | undefined;
    if (r.status !== 200)
      throw new Error(`cluster ${c.name} did not turn green: HTTP ${r.status} ${r.text.slice(0, 300)}`);
    run.log(`lab: cluster ${c.name} is ${h?.status} (${run.secs()} s)`);
  }
}

/** The connections' initial state: the RCS1 aliases, roles, tasks (lab/setup/initial-state.ts). */
async function applyConnectionsInitialState(lab: LabFile, log: (s: string) => void): Promise<void> {
  await applyInitialState(lab);
  log('lab: initial state applied (remote connections and tasks)');
}

/** The initial state creates indices whose replicas recover for a moment: hand over a green lab. */
async function waitForRecoveredShards(lab: LabFile): Promise<void> {
  for (const c of lab.clusters) {
    const r = await clusterHealth(lab, c, 'wait_for_status=green&wait_for_no_initializing_shards=true&timeout=60s');
    if (r.status !== 200)
      throw new Error(
        `cluster ${c.name} did not turn green after the initial state: HTTP ${r.status} ${r.text.slice(0, 300)}`,
      );
  }
}

/** DIR/group_vars/all.yml, and lab.json once more (complete). */
function writeMigrationVariables(run: LabUpRun, lab: LabFile): void {
  writeMigrationVars(lab, lab.clusters);
  writeLabFile(lab);
  run.log(`lab: green, migration variables in ${join(run.dir, 'group_vars', 'all.yml')} (${run.secs()} s)`);
}
