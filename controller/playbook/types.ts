// The validated, typed form of a playbook (produced by load.ts, consumed by the executor).
// Every node keeps where it came from so errors can name file:line.

export interface SourceRef {
  file: string;
  line: number;
} // line is 1-based

export interface TaskCommon {
  name?: string;
  when?: string[]; // expressions, all must hold (Ansible: list = AND)
  tags: string[];
  loop?: unknown; // list, or a "{{ }}" string evaluated at run time
  loopVar: string; // loop_control.loop_var, default "item"
  register?: string;
  until?: string;
  retries?: number; // default 3 when until is set
  delay?: number; // seconds, default 5
  changedWhen?: string[];
  failedWhen?: string[];
  ignoreErrors: boolean;
  noLog: boolean;
  runOnce: boolean;
  delegateTo?: 'localhost';
  notify: string[];
  vars: Record<string, unknown>;
  checkMode?: boolean; // per-task override of --check
  source: SourceRef;
}

export interface ModuleTask extends TaskCommon {
  kind: 'task';
  module: string;
  args: Record<string, unknown>; // raw (may contain "{{ }}"); validated against the module schema at load time
}

export interface BlockTask extends TaskCommon {
  kind: 'block';
  block: Task[];
  rescue: Task[];
  always: Task[];
}

export type Task = ModuleTask | BlockTask;

export interface Handler extends ModuleTask {
  listen: string[]; // names it answers to (its name + listen)
}

export type Serial = Array<number | string>; // [2] or ["30%"] or [1, 5, "20%"]

export interface Play {
  name?: string;
  hosts: string; // pattern
  vars: Record<string, unknown>;
  varsFiles: string[]; // resolved absolute paths
  serial?: Serial;
  maxFailPercentage?: number;
  anyErrorsFatal: boolean;
  gatherFacts: boolean;
  tags: string[];
  tasks: Task[];
  handlers: Handler[];
  source: SourceRef;
}

export interface Playbook {
  file: string;
  dir: string;
  plays: Play[];
}
