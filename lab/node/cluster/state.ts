// The simulated cluster state, persisted in DIR/clusters/<cluster>/state.json. Every node process of the cluster
// reads it and changes it under a lock file (O_EXCL create; stale locks of dead processes are broken), and writes
// it with a temp file + atomic rename, so a reader never sees a half-written file and needs no lock.
// The core fields, then the `security`, `tasks`, `counters` and `events` sections (their types
// may be extended with small edits here).
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { SecurityState } from '../security/model.js';
import { isAlive, sleep } from '../../hosts/process.js';

export type { SecurityState };

/** Cluster settings are stored flat, values as ES returns them: strings, or string arrays for lists. */
export type SettingValue = string | string[];
export type FlatSettings = Record<string, SettingValue>;

export type ShardState = 'UNASSIGNED' | 'INITIALIZING' | 'STARTED' | 'RELOCATING';

export interface ShardCopy {
  shard: number;
  primary: boolean;
  state: ShardState;
  /** Node the copy is allocated to (INITIALIZING/STARTED), null when unassigned. */
  node: string | null;
  /** Node whose data folder holds this copy's data: a returning node recovers it (ES: existing shard copy). */
  dataNode: string | null;
  /** RELOCATING: the node the copy moves to (the source stays active until the move completes). */
  relocatingTo?: string;
  /** INITIALIZING → STARTED (or RELOCATING → moved) at this time (ms); absent while recovery is stalled by a fault. */
  readyAt?: number;
  unassignedAt?: number;
  /** ES's UnassignedInfo.Reason: INDEX_CREATED, NODE_LEFT, … */
  unassignedReason?: string;
}

export interface IndexState {
  uuid: string;
  numberOfShards: number;
  numberOfReplicas: number;
  creationDate: number;
  shards: ShardCopy[];
  /** `mappings` as given at index creation (kept and shown, not applied). */
  mappings?: Record<string, unknown>;
  /** Documents (lab/node/search/document-routes.ts), in indexing order; the lab keeps them few and small. */
  docs?: StoredDoc[];
  /** Last sequence number used in this index. */
  seqNo?: number;
}

export interface StoredDoc {
  _id: string;
  _source: unknown;
  _version: number;
  _seq_no: number;
  /** Shard the document is routed to. */
  shard: number;
}

export interface LicenseState {
  uid: string;
  type: 'trial' | 'basic' | 'gold' | 'platinum' | 'enterprise';
  status: 'active' | 'expired';
  issueDateMillis: number;
  expiryDateMillis: number | null;
  startDateMillis: number;
  maxNodes: number | null;
  maxResourceUnits: number | null;
  issuedTo: string;
  issuer: string;
}

/** Simulation knobs that apply to the whole cluster (set by `lab up`). */
export interface LabClusterConfig {
  /** How long a shard copy stays INITIALIZING before it is STARTED. */
  recoveryMs: number;
  /** index.unassigned.node_left.delayed_timeout: replicas of a departed node wait this long for it to return. */
  nodeLeftDelayedTimeoutMs: number;
}

/** Tasks (transforms, ML jobs/datafeeds, CCR) and counters shown by `lab status --json` (disruptions). */
export type { TasksState, CountersState } from '../tasks/types.js';
import type { TasksState, CountersState } from '../tasks/types.js';

/** Connection events (per node, per alias), newest last; trimmed by the writer. */
export interface ConnectionEvent {
  at: number;
  node: string;
  [k: string]: unknown;
}

export interface ClusterState {
  clusterName: string;
  clusterUuid: string;
  esVersion: string;
  /** Incremented on every change (ES's cluster state version). */
  version: number;
  masterNodeId: string | null;
  persistent: FlatSettings;
  transient: FlatSettings;
  license: LicenseState;
  indices: Record<string, IndexState>;
  lab: LabClusterConfig;
  security: SecurityState;
  tasks: TasksState;
  counters: CountersState;
  events: ConnectionEvent[];
}

export const STATE_FILE = 'state.json';
const LOCK_FILE = 'state.json.lock';
const LOCK_TIMEOUT_MS = 10_000;
const STALE_LOCK_MS = 5_000;

export function statePath(clusterDir: string): string {
  return join(clusterDir, STATE_FILE);
}

/** Reads the state without a lock (writers rename atomically). */
export function readState(clusterDir: string): ClusterState {
  const file = statePath(clusterDir);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
  } catch (e) {
    throw new Error(`cannot read cluster state ${file}: ${(e as Error).message}`);
  }
}

function writeAtomic(file: string, data: string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Creates the state file (lab up). Refuses to overwrite an existing cluster. */
export function createState(clusterDir: string, state: ClusterState): void {
  mkdirSync(clusterDir, { recursive: true });
  const file = statePath(clusterDir);
  if (existsSync(file)) throw new Error(`cluster state ${file} already exists`);
  writeAtomic(file, JSON.stringify(state, null, 1));
}

async function acquireLock(clusterDir: string): Promise<() => void> {
  const lock = join(clusterDir, LOCK_FILE);
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  let wait = 2;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    // Break a lock left by a dead process, or one held far longer than any update takes.
    try {
      const holder = Number(readFileSync(lock, 'utf8'));
      const age = Date.now() - statSync(lock).mtimeMs;
      if ((holder > 0 && !isAlive(holder)) || age > STALE_LOCK_MS) rmSync(lock, { force: true });
    } catch {
      /* lock vanished meanwhile */
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for cluster state lock ${lock}`);
    await sleep(wait);
    wait = Math.min(wait * 2, 25);
  }
}

/**
 * Read-modify-write under the lock. `fn` mutates the state in place (or returns nothing); the file is rewritten
 * only when something changed, with `version` incremented. Returns fn's result.
 */
export async function updateState<T>(clusterDir: string, fn: (state: ClusterState) => T | Promise<T>): Promise<T> {
  const release = await acquireLock(clusterDir);
  try {
    const file = statePath(clusterDir);
    const before = readFileSync(file, 'utf8');
    const state = JSON.parse(before) as ClusterState;
    const result = await fn(state);
    const { version: _v, ...rest } = state;
    const { version: _w, ...was } = JSON.parse(before) as ClusterState;
    if (JSON.stringify(rest) !== JSON.stringify(was)) {
      state.version = (state.version ?? 0) + 1;
      writeAtomic(file, JSON.stringify(state, null, 1));
    }
    return result;
  } finally {
    release();
  }
}

/** A random id in ES's style (20 random bytes → 22 url-safe base64 chars, like node ids and cluster uuids). */
export function esUuid(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}
