// What the executor needs from its collaborators (so it can be driven by the real inventory, transport
// and template/expression library, and by a test) and the events it emits for output sinks.
import type { AgentClient } from '../../agent/protocol.js';
import type { Change, ProgressInfo, TaskStatus } from '../modules/contract.js';

/** The inventory as the executor sees it (controller/inventory implements it). */
export interface InventoryView {
  hosts(): string[];
  groupNames(host: string): string[];
  /** Group name → all hosts in it (children included), for the `groups` magic variable. */
  groupMembers(): Record<string, string[]>;
  /** Fully merged inventory vars of a host. */
  hostVars(host: string): Record<string, unknown>;
  /** Hosts matching a pattern (`a:b`, `a:&b`, `a:!b`, globs, `~regex`, `all`), inventory order. */
  select(pattern: string): string[];
}

/** Where the agents come from (controller/transport implements `agent`; `local` runs the agent on the controller). */
export interface AgentProvider {
  agent(host: string, vars: Record<string, unknown>): Promise<AgentClient>;
  /** For `delegate_to: localhost`. */
  local(): Promise<AgentClient>;
  closeAll(): Promise<void>;
}

export interface Where {
  file: string;
  line: number;
  task?: string;
}

/** The playbook language: `{{ }}` rendering and the expression language (controller/lang/{template,expr}.ts). */
export interface Lang {
  render(value: unknown, vars: Record<string, unknown>, where: Where): unknown;
  test(expr: string, vars: Record<string, unknown>, where: Where): boolean;
  loadVarsFile(path: string): Record<string, unknown>;
}

export interface HostStats {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export type HostResultStatus = TaskStatus | 'unreachable';

export type RunEvent =
  | { kind: 'run_start'; plays: number; check: boolean; diff: boolean; startPlay: number }
  | { kind: 'play_start'; play: number; name: string; hosts: string[] }
  | { kind: 'play_skipped'; play: number; name: string; reason: string }
  | { kind: 'batch_start'; play: number; batch: number; hosts: string[] }
  | {
      kind: 'task_start';
      play: number;
      task: string;
      module: string;
      handler: boolean;
      source: string;
      hosts: string[];
    }
  | {
      kind: 'host_result';
      play: number;
      task: string;
      module: string;
      host: string;
      status: HostResultStatus;
      msg?: string;
      changes?: Change[];
      item?: unknown;
      ignored?: boolean;
      delegatedTo?: string;
      /** A failed run_once controller task named the host that failed (FAILED_HOST): counted there in the recap. */
      failedHost?: string;
      noLog?: boolean;
      durationMs: number;
      result?: Record<string, unknown>;
      attempts?: number;
      /** How many changes the task made (or would make, in check mode) on this host. */
      changeCount?: number;
      /** What one of those changes is called, [singular, plural] (the module's `changeNoun`). */
      changeNoun?: [string, string];
    }
  | { kind: 'task_end'; play: number; task: string; durationMs: number }
  | ({ kind: 'progress'; host: string; task: string; message: string; fraction?: number } & ProgressInfo)
  | { kind: 'warning'; message: string }
  | { kind: 'batch_end'; play: number; batch: number; failed: string[] }
  | { kind: 'play_end'; play: number; durationMs: number; aborted?: string; interrupted?: boolean; failed: string[] }
  | { kind: 'recap'; stats: Record<string, HostStats> }
  | { kind: 'run_end'; exitCode: number; interrupted: boolean; aborted?: string; durationMs: number };

export type StepAnswer = 'y' | 'n' | 'c';

export interface RunResult {
  stats: Record<string, HostStats>;
  exitCode: number;
  interrupted: boolean;
  aborted?: string;
}
