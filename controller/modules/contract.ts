// The contract every task module implements (see docs/ARCHITECTURE.md).
// Life of a task on one host: validate args (before any host is contacted) → read → diff → apply.
// `changed` is derived from the diff: an empty diff is "ok"; check mode stops after the diff.
import type { AgentClient } from '../../agent/protocol.js';
import type { SecretRegistry } from '../secrets.js';
import type { ArgRules } from './args.js';

export type ArgType = 'string' | 'number' | 'boolean' | 'list' | 'dict' | 'any';

export interface ArgSpec {
  type: ArgType;
  required?: boolean;
  choices?: readonly (string | number | boolean)[];
  default?: unknown;
  elements?: ArgType; // for lists
  secret?: boolean; // value is a secret: masked everywhere, becomes a Secret before read()
  /** The value ends up where every local user can read it (a process's argv): a Secret in it is refused. */
  noSecret?: boolean;
  description?: string;
}
export type ArgSchema = Record<string, ArgSpec>;

/** One difference between the current and the desired state. */
export interface Change {
  /** What changes, e.g. "/etc/elasticsearch/elasticsearch.yml", "cluster.remote.my_remote.seeds", "api_key rcs-main". */
  target: string;
  action: 'create' | 'update' | 'delete' | 'run' | 'restart';
  before?: unknown;
  after?: unknown;
  /** Pre-rendered unified diff for text targets (secrets already redacted). */
  unified?: string;
  secret?: boolean; // before/after are never shown
}

export type TaskStatus = 'ok' | 'changed' | 'failed' | 'skipped';

export interface ModuleResult {
  status: TaskStatus;
  changes: Change[];
  msg?: string;
  /** What `register` stores (merged with status/changed/failed/msg by the executor). */
  data?: Record<string, unknown>;
  /** Files this task changed on the host (with backups): used by rolling restart to restore. */
  changedFiles?: Array<{ path: string; backupPath?: string }>;
}

/** Saved state shared across runs (rollback, resume). Values are JSON; secrets are never stored. */
export interface StateStore {
  get<T = unknown>(key: string): T | undefined;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  keys(prefix?: string): string[];
}

export interface Journal {
  /** Append an event to the run journal (already redacted by the journal). */
  event(kind: string, data: Record<string, unknown>): void;
}

export interface TaskContext {
  /** inventory_hostname (for controller modules: the host the task is attributed to). */
  host: string;
  /** All variables visible to this host and task (already merged). */
  vars: Record<string, unknown>;
  check: boolean;
  diff: boolean;
  /** The agent on this host; connects lazily. Throws UnreachableError when the host cannot be reached. */
  agent(): Promise<AgentClient>;
  /** The agent on another inventory host (for modules that act on several hosts, e.g. rolling restart). */
  agentFor(host: string): Promise<AgentClient>;
  /** Vars of another inventory host (hostvars). */
  hostVars(host: string): Record<string, unknown>;
  /** Hosts of the current play batch. */
  playHosts: string[];
  secrets: SecretRegistry;
  state: StateStore;
  journal: Journal;
  /** Progress line for long waits (rendered as a progress bar in human output). */
  progress(message: string, fraction?: number): void;
  /** Files changed earlier in this play on each host (host → files), for es_rolling_restart. */
  changedFiles: Map<string, Array<{ path: string; backupPath?: string }>>;
  /** Aborted by Ctrl-C or window end: long waits should stop early and throw. */
  signal: AbortSignal;
}

export interface Module<Args = Record<string, unknown>, Current = unknown> {
  name: string;
  description: string;
  schema: ArgSchema;
  /** Rules between arguments (exclusive, one of, required if), checked with the schema (modules/args.ts). */
  rules?: ArgRules;
  /** host: needs the agent on the task's host; controller: runs on the controller (ES API calls). */
  runsOn: 'host' | 'controller';
  read(ctx: TaskContext, args: Args): Promise<Current>;
  diff(current: Current, args: Args, ctx: TaskContext): Change[] | Promise<Change[]>;
  /** Only called when the diff is non-empty and not in check mode. */
  apply(
    ctx: TaskContext,
    args: Args,
    changes: Change[],
    current: Current,
  ): Promise<Omit<ModuleResult, 'changes'> & { changes?: Change[] }>;
  /** Optional: data to register when nothing changed or in check mode (defaults to {}). */
  report?(current: Current, args: Args): Record<string, unknown>;
}

/** Saved-state key of the files changed on a host that no restart has picked up yet: the executor appends a
 *  host module's `changedFiles` (applied, not check mode); es_rolling_restart restarts the host and clears it. */
export function pendingRestartKey(host: string): string {
  return `restart_pending_files/${host}`;
}

export class UnreachableError extends Error {
  constructor(
    public host: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnreachableError';
  }
}

export class ModuleError extends Error {
  constructor(
    message: string,
    public data?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ModuleError';
  }
}
