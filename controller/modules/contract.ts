// The contract every task module implements (see docs/ARCHITECTURE.md).
// Life of a task on one host: validate args (before any host is contacted) → read → diff → apply.
// `changed` is derived from the diff: an empty diff is "ok"; check mode stops after the diff.
import type { AgentClient } from '../../agent/protocol.js';
import type { SecretRegistry } from '../secrets.js';
import type { EsClients } from '../elastic/client.js';
import type { WaitProgress } from '../elastic/gates.js';
import type { RunScratch } from './es/run-secrets.js';
import { UnreachableError } from '../transport/errors.js';

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

/** Rules between arguments, AnsibleModule's names (checked by modules/args.ts with the schema). */
export interface ArgRules {
  /** At most one argument of each group. */
  mutuallyExclusive?: string[][];
  /** At least one argument of each group. */
  requiredOneOf?: string[][];
  /** [arg, value, required]: when `arg` equals `value`, every argument of `required` must be given. */
  requiredIf?: Array<[string, unknown, string[]]>;
}

/**
 * One planned change: what the operator is shown (target, action, before/after or a unified diff) and what apply
 * performs (`op`, the module's typed operation: what to do, to what, with which values — secrets as Secrets).
 * The plan is the list of changes diff() returns; apply receives exactly that list and performs it in order.
 */
export interface Change<Op = unknown> {
  /** What changes, e.g. "/etc/elasticsearch/elasticsearch.yml", "cluster.remote.my_remote.seeds", "api_key rcs-main". */
  target: string;
  action: 'create' | 'update' | 'delete' | 'run' | 'restart';
  before?: unknown;
  after?: unknown;
  /** Pre-rendered unified diff for text targets (secrets already redacted). */
  unified?: string;
  secret?: boolean; // before/after are never shown
  /** The operation apply performs for this change (module-specific). */
  op?: Op;
}

export type TaskStatus = 'ok' | 'changed' | 'failed' | 'skipped';

/** What a task did on one host, as the executor reports it. */
export interface ModuleResult {
  status: TaskStatus;
  changes: Change[];
  msg?: string;
  /** What `register` stores (merged with status/changed/failed/msg by the executor). */
  data?: Record<string, unknown>;
  /** Files this task changed on the host (with backups): used by rolling restart to restore. */
  changedFiles?: Array<{ path: string; backupPath?: string }>;
}

/** What apply returns: the planned changes it performed, in plan order; `changed` is derived from them. */
export interface ApplyResult<Op = unknown> {
  applied: Change<Op>[];
  msg?: string;
  data?: Record<string, unknown>;
  changedFiles?: Array<{ path: string; backupPath?: string }>;
}

/** Thrown by apply when it stops part-way: the failure, and the planned changes performed before it. */
export class PartialApplyError extends Error {
  override name = 'PartialApplyError';
  constructor(
    message: string,
    readonly applied: Change[],
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
  }
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

/** What a progress line is about, beyond its text (typed for the output sinks). */
export interface ProgressInfo {
  /** The inventory host the line is about when a controller task acts on another one (a node being restarted). */
  node?: string;
  /** A wait in progress: what for, elapsed, timeout, shard counts of the last health answer. */
  wait?: WaitProgress;
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
  /** Progress line for long waits (human output: `[host -> node] message (40%)` on stderr). */
  progress(message: string, fraction?: number, info?: ProgressInfo): void;
  /** Files changed earlier in this play on each host (host → files), for es_rolling_restart. */
  changedFiles: Map<string, Array<{ path: string; backupPath?: string }>>;
  /** Aborted by Ctrl-C or window end: long waits should stop early and throw. */
  signal: AbortSignal;
  /** The run's Elasticsearch clients (they carry the run's signal); modules reach them through es/common.ts. */
  es?: EsClients;
  /** What the run keeps in memory between tasks (secrets made by one task for a later one). */
  scratch?: RunScratch;
}

interface ModuleCommon {
  name: string;
  description: string;
  schema: ArgSchema;
  /** Rules between arguments (exclusive, one of, required if), checked with the schema (modules/args.ts). */
  rules?: ArgRules;
  /** host: needs the agent on the task's host; controller: runs on the controller (ES API calls). */
  runsOn: 'host' | 'controller';
  /** What one of its changes is called in the run's closing summary, [singular, plural] ("Changed: 3 files,
   *  6 restarts."); without it a change counts as an "other change". */
  changeNoun?: [string, string];
}

/**
 * A resource changes a host or a cluster: read the current state → diff (the plan: typed changes) → apply exactly
 * the plan, never in check mode. The executor derives `changed` from the changes apply reports as applied, and a
 * second run with nothing to do plans nothing. Models: pyinfra's operations, Terraform's plan handed to apply.
 */
export interface Resource<Args = Record<string, unknown>, Current = unknown, Op = unknown> extends ModuleCommon {
  kind?: 'resource';
  read(ctx: TaskContext, args: Args): Promise<Current>;
  /** The plan. Pure given `current`: unit-tested without hosts. */
  diff(current: Current, args: Args, ctx: TaskContext): Change<Op>[] | Promise<Change<Op>[]>;
  /** Only called with a non-empty plan and not in check mode; performs `plan` in order. Throw PartialApplyError
   *  when stopping part-way with changes already performed. */
  apply(ctx: TaskContext, args: Args, plan: Change<Op>[], current: Current): Promise<ApplyResult<Op>>;
  /** Optional: data to register when nothing changed or in check mode (defaults to {}). */
  report?(current: Current, args: Args): Record<string, unknown>;
}

/** What a check found: a message and data to register. A check that does not hold throws a ModuleError. */
export interface CheckResult {
  msg?: string;
  data?: Record<string, unknown>;
}

/**
 * A check reads and reports, never changes anything (assert, debug, wait_for, preflight, verification) — as
 * Terraform separates data sources from resources. It runs the same in check mode; its status is ok or failed.
 */
export interface Check<Args = Record<string, unknown>> extends ModuleCommon {
  kind: 'check';
  run(ctx: TaskContext, args: Args): Promise<CheckResult>;
}

export type Module<Args = Record<string, unknown>, Current = unknown, Op = unknown> =
  | Resource<Args, Current, Op>
  | Check<Args>;

export function isCheck(m: { kind?: string }): m is Check<never> {
  return m.kind === 'check';
}

/** Saved-state key of the files changed on a host that no restart has picked up yet: the executor appends a
 *  host module's `changedFiles` (applied, not check mode); es_rolling_restart restarts the host and clears it. */
export function pendingRestartKey(host: string): string {
  return `restart_pending_files/${host}`;
}

export { UnreachableError };

/**
 * Failure data key: a controller task that acts on other hosts (es_rolling_restart, run_once) names the inventory
 * host that failed. The executor counts the failure on that host in the recap and names it when any_errors_fatal
 * stops the play; the result line reads `failed: [task host -> that host]`.
 */
export const FAILED_HOST = 'failed_host';

export class ModuleError extends Error {
  constructor(
    message: string,
    public data?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ModuleError';
  }
}

/** A check written as read + report (what it found, registered): the shape of a read-only module. */
export function readOnly<Args, Current>(
  def: ModuleCommon & {
    read(ctx: TaskContext, args: Args): Promise<Current>;
    report?(current: Current, args: Args): Record<string, unknown>;
  },
): Check<Args> & { read(ctx: TaskContext, args: Args): Promise<Current> } {
  const { read, report, ...common } = def;
  return {
    ...common,
    kind: 'check',
    read,
    async run(ctx, args) {
      const current = await read(ctx, args);
      const data = report ? report(current, args) : {};
      return { data, ...(typeof data.msg === 'string' ? { msg: data.msg } : {}) };
    },
  };
}

/** Any module, whatever its argument, state and op types: what the registry and the executor hold. */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds modules of every argument and state type
export type AnyModule = Module<any, any, any>;
