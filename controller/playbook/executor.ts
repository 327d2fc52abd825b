// The executor: runs a validated Playbook against an inventory, Ansible's linear strategy.
// Plays in order; each play's hosts in `serial` batches; within a batch every host finishes task N before
// any host starts task N+1, hosts in parallel through one p-queue of `forks` workers. Handlers run at the
// end of each batch for hosts where a notifying task changed. Each task on a host follows the module life:
// render args → check args → read → diff → (diff non-empty and not check) apply.
// Output is only emitted as RunEvents; renderers and the journal are sinks (all of them redact).
import PQueue from 'p-queue';
import type { AgentClient } from '../../agent/protocol.js';
import type { AnyModule } from '../modules/registry.js';
import { type Change, FAILED_HOST, type Journal, type StateStore, type TaskContext } from '../modules/contract.js';
import { secrets as defaultSecrets, secretsByName, type SecretRegistry } from '../secrets.js';
import type { BlockTask, Handler, ModuleTask, Play, Playbook, Task } from './types.js';
import type {
  AgentProvider,
  HostStats,
  InventoryView,
  Lang,
  RunEvent,
  RunResult,
  StepAnswer,
  Where,
} from './exec-types.js';
import { batches } from './exec-batches.js';
import { taskSelected } from './exec-tags.js';
import { mergeVars } from './var-precedence.js';
import { newRunScratch } from '../modules/es/run-secrets.js';
import { type ChangedFile, maintenanceWindow, restartBookkeeping, type RunHook } from './run-hooks.js';
import { globToRegExp } from '../glob.js';
import type { EsClients } from '../elastic/client.js';
import { runWithLoop } from './exec-loop.js';
import { type HostOutcome, isUnreachable, runModuleOnce, TaskFailure } from './exec-module.js';
import { errorText } from '../values.js';

export type { RunEvent, RunResult, HostStats, InventoryView, AgentProvider, Lang } from './exec-types.js';

export interface ExecutorOptions {
  inventory: InventoryView;
  agents: AgentProvider;
  lang: Lang;
  modules: ReadonlyMap<string, AnyModule>;
  check?: boolean;
  diff?: boolean;
  forks?: number;
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  extraVars?: Record<string, unknown>;
  startAtTask?: string;
  /** --step: asked before each task; 'c' stops asking. */
  confirmTask?: (name: string) => Promise<StepAnswer>;
  /** First play to run (resume). */
  startPlay?: number;
  state: StateStore;
  journal: Journal;
  emit: (ev: RunEvent) => void;
  signal?: AbortSignal;
  /** The run's Elasticsearch clients, handed to modules on their context. */
  es?: EsClients;
  secrets?: SecretRegistry;
  /** Maintenance window end (ms since epoch): a play is not started when the durations measured for it in earlier
   *  runs (playDurations, by play name) say it cannot finish in time. Rolling restarts check it per node too. */
  windowEnd?: number;
  playDurations?: Record<string, number>;
  /** More run hooks (run-hooks.ts); the maintenance window and restart bookkeeping are always there. */
  hooks?: RunHook[];
}

interface Scope {
  vars: Record<string, unknown>; // block vars (inherited)
  when: string[]; // block conditions (inherited, AND)
  tags: string[]; // inherited tags
  rescuable: boolean; // inside the `block:` part of a block that has a rescue
  handler: boolean;
}

const NO_LOG_MSG = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

function emptyStats(): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}

export class Executor {
  readonly stats = new Map<string, HostStats>();
  readonly #o: ExecutorOptions;
  readonly #check: boolean;
  readonly #diff: boolean;
  readonly #queue: PQueue;
  readonly #secrets: SecretRegistry;
  readonly #signal: AbortSignal;
  readonly #registered = new Map<string, Record<string, unknown>>();
  readonly #facts = new Map<string, Record<string, unknown>>();
  readonly #unreachable = new Set<string>();
  readonly #failed = new Set<string>(); // failed (not rescued) in this run: excluded from later plays
  #aborted: string | undefined;
  #startAt: string | undefined;
  #stepping: boolean;
  #groups: Record<string, string[]> = {};
  // Per play:
  #play!: Play;
  #playIndex = 0;
  #playVars: Record<string, unknown> = {};
  #playHosts: string[] = [];
  #batchHosts: string[] = [];
  #notified = new Map<string, Set<string>>(); // handler listen name → hosts
  readonly #hooks: RunHook[];
  /** The run's in-memory scratch: a second run in the same process starts empty. */
  readonly #scratch = newRunScratch();
  readonly #changedFiles: Map<string, ChangedFile[]>;
  #batchFailed = new Set<string>();
  /** Hosts the last task's run_once controller module named as the ones that failed (for the any_errors_fatal line). */
  #reportedFailed: Array<{ host: string; by: string }> = [];
  /** One agent promise per host for the run, reused by every task (and by agentFor). */
  readonly #agents = new Map<string, Promise<AgentClient>>();

  constructor(opts: ExecutorOptions) {
    this.#o = opts;
    this.#check = !!opts.check;
    this.#diff = !!opts.diff;
    this.#queue = new PQueue({ concurrency: Math.max(1, opts.forks ?? 10) });
    this.#secrets = opts.secrets ?? defaultSecrets;
    this.#signal = opts.signal ?? new AbortController().signal;
    this.#startAt = opts.startAtTask;
    this.#stepping = !!opts.confirmTask;
    const bookkeeping = restartBookkeeping(opts.state);
    this.#changedFiles = bookkeeping.changedFiles;
    this.#hooks = [
      ...(opts.windowEnd !== undefined ? [maintenanceWindow(opts.windowEnd, opts.playDurations)] : []),
      bookkeeping,
      ...(opts.hooks ?? []),
    ];
  }

  get #stopped(): boolean {
    return this.#signal.aborted || this.#aborted !== undefined;
  }

  async run(pb: Playbook): Promise<RunResult> {
    const t0 = Date.now();
    const startPlay = this.#o.startPlay ?? 0;
    this.#groups = this.#o.inventory.groupMembers();
    this.#o.emit({ kind: 'run_start', plays: pb.plays.length, check: this.#check, diff: this.#diff, startPlay });
    try {
      for (let i = startPlay; i < pb.plays.length && !this.#stopped; i++) {
        if (this.#windowRefuses(pb.plays[i]!, i)) break;
        await this.#runPlay(pb, pb.plays[i]!, i);
      }
    } finally {
      await this.#queue.onIdle();
    }
    const stats = Object.fromEntries(this.stats);
    this.#o.emit({ kind: 'recap', stats });
    const anyUnreachable = [...this.stats.values()].some((s) => s.unreachable > 0);
    const anyFailed =
      [...this.stats.values()].some((s) => s.failed > 0) || (this.#aborted !== undefined && !this.#signal.aborted);
    const interrupted = this.#signal.aborted;
    // Ansible's order: unreachable hosts (4) before failed hosts (2); an interrupt with neither is 130.
    const exitCode = anyUnreachable ? 4 : anyFailed ? 2 : interrupted ? 130 : 0;
    this.#o.emit({
      kind: 'run_end',
      exitCode,
      interrupted,
      ...(this.#aborted ? { aborted: this.#aborted } : {}),
      durationMs: Date.now() - t0,
    });
    return { stats, exitCode, interrupted, ...(this.#aborted ? { aborted: this.#aborted } : {}) };
  }

  /** True (and the run stopped, resumable from this play) when a hook refuses the play (the maintenance window). */
  #windowRefuses(play: Play, index: number): boolean {
    for (const h of this.#hooks) {
      const stop = h.beforePlay?.({ play, index, check: this.#check });
      if (!stop) continue;
      this.#aborted = stop.reason;
      this.#o.emit({ kind: 'warning', message: stop.reason });
      const { kind, ...data } = stop.event;
      this.#o.journal.event(String(kind), data);
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- plays and batches

  async #runPlay(pb: Playbook, play: Play, index: number): Promise<void> {
    const t0 = Date.now();
    this.#play = play;
    this.#playIndex = index;
    const name = play.name ?? play.hosts;
    let hosts = this.#o.inventory.select(play.hosts);
    if (this.#o.limit) {
      const allowed = new Set(this.#o.inventory.select(this.#o.limit));
      hosts = hosts.filter((h) => allowed.has(h));
    }
    hosts = hosts.filter((h) => !this.#failed.has(h) && !this.#unreachable.has(h));
    this.#o.emit({ kind: 'play_start', play: index, name, hosts });
    if (hosts.length === 0) {
      this.#o.emit({ kind: 'warning', message: `play '${name}': no hosts matched` });
      this.#o.emit({ kind: 'play_end', play: index, durationMs: Date.now() - t0, failed: [] });
      return;
    }
    for (const h of hosts) if (!this.stats.has(h)) this.stats.set(h, emptyStats());
    this.#playHosts = hosts;
    for (const h of this.#hooks) h.playStart?.();
    this.#playVars = secretsByName({ ...play.vars });
    for (const f of play.varsFiles) Object.assign(this.#playVars, this.#o.lang.loadVarsFile(f));
    this.#playVars.playbook_dir = pb.dir;

    const list = batches(hosts, play.serial);
    for (let b = 0; b < list.length && !this.#stopped; b++) {
      const batch = list[b]!;
      this.#batchHosts = batch;
      this.#notified = new Map();
      this.#batchFailed = new Set();
      this.#o.emit({ kind: 'batch_start', play: index, batch: b, hosts: batch });
      if (play.gatherFacts) await this.#gatherFacts(batch);
      const scope: Scope = { vars: {}, when: [], tags: play.tags, rescuable: false, handler: false };
      const failed = await this.#runTasks(play.tasks, this.#live(batch), scope);
      for (const h of failed) this.#markFailed(h);
      if (!this.#signal.aborted) await this.#runHandlers(play.handlers, batch);
      this.#o.emit({
        kind: 'batch_end',
        play: index,
        batch: b,
        failed: batch.filter((h) => this.#batchFailed.has(h) || this.#unreachable.has(h)),
      });
      // A batch where every host failed ends the run ("NO MORE HOSTS LEFT"), as in Ansible.
      if (!this.#aborted && batch.every((h) => this.#batchFailed.has(h) || this.#unreachable.has(h))) {
        this.#aborted = `all hosts of batch ${b + 1} of play '${name}' failed`;
      }
    }
    // A play is complete (for resume) only if it ended without failed or unreachable hosts and was not stopped.
    const failed = hosts.filter((h) => this.#failed.has(h) || this.#unreachable.has(h));
    this.#o.emit({
      kind: 'play_end',
      play: index,
      durationMs: Date.now() - t0,
      failed,
      ...(this.#aborted ? { aborted: this.#aborted } : {}),
      ...(this.#signal.aborted ? { interrupted: true } : {}),
    });
  }

  /** The agent of an inventory host, connected once per run. */
  #agentOf(host: string): Promise<AgentClient> {
    let p = this.#agents.get(host);
    if (!p) {
      p = this.#o.agents.agent(host, this.#o.inventory.hostVars(host));
      p.catch(() => undefined); // consumed by the task that needs it; no unhandled rejection meanwhile
      this.#agents.set(host, p);
    }
    return p;
  }

  #markFailed(host: string): void {
    this.#failed.add(host);
    this.#batchFailed.add(host);
  }

  /** Hosts still able to run tasks. */
  #live(hosts: string[]): string[] {
    return hosts.filter((h) => !this.#unreachable.has(h) && !this.#failed.has(h));
  }

  /** After each task: any_errors_fatal and max_fail_percentage (which must be exceeded, not equalled). */
  #checkFailurePolicy(newFailures: string[]): void {
    if (this.#aborted) return;
    const play = this.#play;
    if (play.anyErrorsFatal && newFailures.length) {
      // A run_once task fails every host of the play; the module may say which one really failed.
      const named = this.#reportedFailed.filter((r) => newFailures.includes(r.host));
      this.#aborted = named.length
        ? `any_errors_fatal: ${named.map((r) => `${r.host} failed (reported by the run_once task on ${r.by})`).join(', ')}`
        : `any_errors_fatal: ${newFailures.join(', ')} failed`;
      return;
    }
    if (play.maxFailPercentage !== undefined) {
      const batch = this.#batchHosts;
      const failed = batch.filter(
        (h) => this.#batchFailed.has(h) || this.#failed.has(h) || this.#unreachable.has(h),
      ).length;
      if ((failed / batch.length) * 100 > play.maxFailPercentage) {
        this.#aborted = `max_fail_percentage ${play.maxFailPercentage}% exceeded (${failed} of ${batch.length} hosts failed)`;
      }
    }
  }

  async #gatherFacts(batch: string[]): Promise<void> {
    const hosts = this.#live(batch).filter((h) => !this.#facts.has(h));
    if (!hosts.length) return;
    const name = 'Gathering Facts';
    this.#o.emit({
      kind: 'task_start',
      play: this.#playIndex,
      task: name,
      module: 'facts',
      handler: false,
      source: `${this.#play.source.file}:${this.#play.source.line}`,
      hosts,
    });
    const t0 = Date.now();
    await Promise.all(
      hosts.map((host) =>
        this.#queue.add(async () => {
          if (this.#stopped) return;
          const h0 = Date.now();
          try {
            const vars = this.#o.inventory.hostVars(host);
            const paths: Record<string, string> = {};
            for (const k of ['es_home', 'es_config'])
              if (typeof vars[k] === 'string' && !String(vars[k]).includes('{{')) paths[k] = vars[k] as string;
            const agent = await this.#agentOf(host);
            const facts = await agent.call('facts', Object.keys(paths).length ? { paths } : {});
            this.#facts.set(host, facts as unknown as Record<string, unknown>);
            this.stats.get(host)!.ok++;
            this.#emitHost({ task: name, module: 'facts', host, status: 'ok', durationMs: Date.now() - h0 });
          } catch (e) {
            this.#hostError(host, name, 'facts', e, Date.now() - h0);
          }
        }),
      ),
    );
    this.#o.emit({ kind: 'task_end', play: this.#playIndex, task: name, durationMs: Date.now() - t0 });
  }

  #hostError(host: string, task: string, module: string, e: unknown, durationMs: number): void {
    if (isUnreachable(e)) {
      this.#unreachable.add(host);
      this.stats.get(host)!.unreachable++;
      this.#emitHost({ task, module, host, status: 'unreachable', msg: errorText(e), durationMs });
    } else {
      this.#markFailed(host);
      this.stats.get(host)!.failed++;
      this.#emitHost({ task, module, host, status: 'failed', msg: errorText(e), durationMs });
    }
  }

  #emitHost(ev: Omit<Extract<RunEvent, { kind: 'host_result' }>, 'kind' | 'play'>): void {
    this.#o.emit({ kind: 'host_result', play: this.#playIndex, ...ev });
  }

  // ---------------------------------------------------------------- task lists and blocks

  /** Runs a task list on hosts in lockstep. Returns the hosts that failed in it (and stopped there). */
  async #runTasks(tasks: Task[], hosts: string[], scope: Scope): Promise<Set<string>> {
    const failed = new Set<string>();
    for (const task of tasks) {
      if (this.#stopped) break;
      const active = hosts.filter((h) => !failed.has(h) && !this.#unreachable.has(h) && !this.#failed.has(h));
      if (!active.length) break;
      if (task.kind === 'block') {
        for (const h of await this.#runBlock(task, active, scope)) failed.add(h);
      } else {
        const f = await this.#runModuleTask(task, active, scope);
        for (const h of f) failed.add(h);
        // An unreachable host counts for any_errors_fatal too: a change that must reach every node of a cluster
        // (the migration's phases) must not go on with part of them.
        const lost = active.filter((h) => this.#unreachable.has(h) && !f.includes(h));
        if ((f.length || lost.length) && !scope.rescuable) this.#checkFailurePolicy([...f, ...lost]);
        else if (this.#play.maxFailPercentage !== undefined) this.#checkFailurePolicy([]);
      }
    }
    return failed;
  }

  async #runBlock(block: BlockTask, hosts: string[], outer: Scope): Promise<Set<string>> {
    const scope: Scope = {
      vars: { ...outer.vars, ...block.vars },
      when: [...outer.when, ...(block.when ?? [])],
      tags: [...outer.tags, ...block.tags],
      rescuable: outer.rescuable || block.rescue.length > 0,
      handler: outer.handler,
    };
    const inBlock = await this.#runTasks(block.block, hosts, scope);
    let stillFailed = inBlock;
    if (block.rescue.length && inBlock.size) {
      const rescueHosts = [...inBlock].filter((h) => !this.#unreachable.has(h));
      if (this.#signal.aborted) {
        // No rescue will run: the deferred failures count as failures after all.
        for (const h of rescueHosts) this.#settleDeferred(h, outer.rescuable);
      } else {
        // Entering rescue turns the block's failure into "rescued" (Ansible's recap does the same).
        for (const h of rescueHosts) {
          this.#deferred.delete(h);
          this.stats.get(h)!.rescued++;
        }
        stillFailed = await this.#runTasks(block.rescue, rescueHosts, { ...scope, rescuable: outer.rescuable });
      }
    }
    if (block.always.length && !this.#signal.aborted) {
      // always runs on every host that entered the block and is still reachable, failed or not.
      const alwaysHosts = hosts.filter((h) => !this.#unreachable.has(h));
      const failedAlways = await this.#runTasks(block.always, alwaysHosts, { ...scope, rescuable: outer.rescuable });
      for (const h of failedAlways) stillFailed.add(h);
    }
    return stillFailed;
  }

  /** Failures inside a block with a rescue are counted only if no rescue absorbs them. */
  #deferred = new Set<string>();
  #settleDeferred(host: string, stillRescuable: boolean): void {
    if (!this.#deferred.has(host) || stillRescuable) return;
    this.#deferred.delete(host);
    this.stats.get(host)!.failed++;
    this.#batchFailed.add(host);
  }

  // ---------------------------------------------------------------- one module task on a set of hosts

  #taskName(task: ModuleTask): string {
    return task.name ?? task.module;
  }

  /** Returns the hosts that failed (not ignored). */
  async #runModuleTask(task: ModuleTask, hosts: string[], scope: Scope): Promise<string[]> {
    const name = this.#taskName(task);
    if (!scope.handler) {
      if (!taskSelected([...scope.tags, ...task.tags], { tags: this.#o.tags, skipTags: this.#o.skipTags })) return [];
      if (this.#startAt !== undefined) {
        if (!matchName(this.#startAt, name)) return [];
        this.#startAt = undefined;
      }
      if (this.#stepping && this.#o.confirmTask) {
        const a = await this.#o.confirmTask(name);
        if (a === 'n') return [];
        if (a === 'c') this.#stepping = false;
      }
    }
    const mod = this.#o.modules.get(task.module);
    if (!mod) throw new Error(`${task.source.file}:${task.source.line}: unknown module '${task.module}'`); // the loader rejects this earlier
    const runHosts = task.runOnce ? hosts.slice(0, 1) : hosts;
    this.#o.emit({
      kind: 'task_start',
      play: this.#playIndex,
      task: name,
      module: task.module,
      handler: scope.handler,
      source: `${task.source.file}:${task.source.line}`,
      hosts: runHosts,
    });
    const t0 = Date.now();
    const failed: string[] = [];
    this.#reportedFailed = [];
    await Promise.all(
      runHosts.map((host) =>
        this.#queue.add(async () => {
          if (this.#stopped) return; // Ctrl-C / abort: launch nothing new; running hosts finish
          const h0 = Date.now();
          const out = await this.#runOnHost(task, mod, host, scope);
          const targets = task.runOnce ? hosts : [host];
          if (task.register) for (const h of targets) this.#register(h, task.register, out.registered);
          const failedHost = task.runOnce ? reportedFailedHost(out, host, hosts) : undefined;
          if (failedHost) this.#reportedFailed.push({ host: failedHost, by: host });
          this.#account(task, mod, host, out, Date.now() - h0, scope, failedHost);
          if (out.status === 'changed') {
            for (const h of targets) for (const n of task.notify) this.#notify(n, h);
            if (out.changedFiles?.length) {
              const check = task.checkMode ?? this.#check;
              for (const h of this.#hooks) await h.filesChanged?.({ host, files: out.changedFiles, check });
            }
          }
          if (out.status === 'failed' && !out.ignored) {
            if (task.runOnce) failed.push(...hosts);
            else failed.push(host);
          }
        }),
      ),
    );
    this.#o.emit({ kind: 'task_end', play: this.#playIndex, task: name, durationMs: Date.now() - t0 });
    return failed;
  }

  /** Counts a result in the recap; a failure a run_once task reported for another host (`failedHost`) is counted there. */
  #account(
    task: ModuleTask,
    mod: AnyModule,
    host: string,
    out: HostOutcome,
    durationMs: number,
    scope: Scope,
    failedHost?: string,
  ): void {
    const statsOf = (h: string) => {
      const s = this.stats.get(h) ?? emptyStats();
      this.stats.set(h, s);
      return s;
    };
    const s = statsOf(host);
    const failedOn = failedHost ?? host;
    switch (out.status) {
      case 'ok':
        s.ok++;
        break;
      case 'changed':
        s.ok++;
        s.changed++;
        break;
      case 'skipped':
        s.skipped++;
        break;
      case 'unreachable':
        s.unreachable++;
        this.#unreachable.add(host);
        break;
      case 'failed':
        if (out.ignored) {
          s.ok++;
          s.ignored++;
        } else if (scope.rescuable) this.#deferred.add(failedOn);
        else {
          statsOf(failedOn).failed++;
          this.#batchFailed.add(failedOn);
        }
        break;
    }
    const noLog = task.noLog;
    this.#emitHost({
      task: this.#taskName(task),
      module: task.module,
      host,
      status: out.status,
      durationMs,
      ...(out.changes.length ? { changeCount: out.changes.length } : {}),
      // The closing summary names changes by the module's noun ("3 files, 6 restarts").
      ...(out.status === 'changed' && mod.changeNoun ? { changeNoun: mod.changeNoun } : {}),
      // An unreachable host's reason comes from the connection, not from the task's data: shown even with no_log.
      ...(noLog
        ? {
            noLog: true,
            msg: out.status === 'skipped' ? undefined : out.status === 'unreachable' ? out.msg : NO_LOG_MSG,
          }
        : {
            ...(out.msg !== undefined ? { msg: out.msg } : {}),
            // Changes go to the sinks with --diff (crosskey report derives targets from registered data otherwise).
            ...(this.#diff && out.changes.length ? { changes: out.changes.map(maskSecretChange) } : {}),
            result: out.registered,
          }),
      ...(out.ignored ? { ignored: true } : {}),
      ...(out.attempts && out.attempts > 1 ? { attempts: out.attempts } : {}),
      ...(task.delegateTo ? { delegatedTo: task.delegateTo } : {}),
      ...(failedHost && out.status === 'failed' && !out.ignored ? { failedHost } : {}),
    });
  }

  #register(host: string, name: string, value: Record<string, unknown>): void {
    const r = this.#registered.get(host) ?? {};
    r[name] = value;
    this.#registered.set(host, r);
  }

  #notify(name: string, host: string): void {
    const set = this.#notified.get(name) ?? new Set<string>();
    set.add(host);
    this.#notified.set(name, set);
  }

  async #runHandlers(handlers: Handler[], batch: string[]): Promise<void> {
    const ran = new Map<Handler, Set<string>>();
    // Handlers may notify other handlers: loop until no handler has new hosts to run on.
    for (let round = 0; round < 10; round++) {
      let any = false;
      for (const h of handlers) {
        if (this.#stopped) return;
        const done = ran.get(h) ?? new Set<string>();
        const hosts = this.#live(batch).filter(
          (host) => !done.has(host) && h.listen.some((n) => this.#notified.get(n)?.has(host)),
        );
        if (!hosts.length) continue;
        any = true;
        for (const host of hosts) done.add(host);
        ran.set(h, done);
        const failed = await this.#runModuleTask(h, hosts, {
          vars: {},
          when: [],
          tags: [],
          rescuable: false,
          handler: true,
        });
        for (const f of failed) this.#markFailed(f);
        if (failed.length) this.#checkFailurePolicy(failed);
      }
      if (!any) return;
    }
  }

  // ---------------------------------------------------------------- one task on one host

  #varsFor(host: string, scope: Scope, task: ModuleTask): Record<string, unknown> {
    const playHosts = this.#live(this.#batchHosts).filter((h) => !this.#batchFailed.has(h));
    const hostvars: Record<string, unknown> = {};
    // hostvars is built lazily per host on first access: most tasks never read it.
    for (const h of this.#o.inventory.hosts()) {
      Object.defineProperty(hostvars, h, {
        enumerable: true,
        configurable: true,
        get: () => ({ ...this.#otherHostVars(h), inventory_hostname: h }),
      });
    }
    return {
      ...mergeVars({
        inventory: this.#o.inventory.hostVars(host),
        play: this.#playVars,
        facts: this.#factVars(host),
        block: scope.vars,
        task: task.vars,
        registered: this.#registered.get(host) ?? {},
        extra: this.#o.extraVars ?? {},
      }),
      inventory_hostname: host,
      inventory_hostname_short: host.split('.')[0],
      group_names: this.#o.inventory.groupNames(host).filter((g) => g !== 'all' && g !== 'ungrouped'),
      groups: this.#groups,
      hostvars,
      ansible_check_mode: this.#check,
      ansible_play_hosts: playHosts,
      ansible_play_batch: playHosts,
      ansible_play_hosts_all: this.#playHosts,
      play_hosts: playHosts,
    };
  }

  /** Another host's variables as a task sees them through hostvars (no block, task or extra vars). */
  #otherHostVars(h: string): Record<string, unknown> {
    return mergeVars({
      inventory: this.#o.inventory.hostVars(h),
      play: this.#playVars,
      facts: this.#factVars(h),
      registered: this.#registered.get(h) ?? {},
    });
  }

  #factVars(host: string): Record<string, unknown> {
    const f = this.#facts.get(host);
    return f ? { ansible_facts: f } : {};
  }

  #where(task: ModuleTask): Where {
    return { file: task.source.file, line: task.source.line, task: this.#taskName(task) };
  }

  async #runOnHost(task: ModuleTask, mod: AnyModule, host: string, scope: Scope): Promise<HostOutcome> {
    const where = this.#where(task);
    try {
      const vars = this.#varsFor(host, scope, task);
      return await runWithLoop({
        task,
        vars,
        where,
        lang: this.#o.lang,
        signal: this.#signal,
        when: [...scope.when, ...(task.when ?? [])],
        once: (v) => this.#runOnce(task, mod, host, v),
      });
    } catch (e) {
      if (isUnreachable(e))
        return {
          status: 'unreachable',
          msg: errorText(e),
          changes: [],
          registered: { unreachable: true, msg: errorText(e) },
        };
      const data = e instanceof TaskFailure ? e.data : {};
      return {
        status: 'failed',
        msg: errorText(e),
        changes: [],
        registered: { failed: true, changed: false, msg: errorText(e), ...data },
        ...(task.ignoreErrors ? { ignored: true } : {}),
      };
    }
  }

  #ctx(task: ModuleTask, host: string, vars: Record<string, unknown>, check: boolean): TaskContext {
    const o = this.#o;
    const name = this.#taskName(task);
    let agent: Promise<AgentClient> | undefined;
    return {
      host,
      vars,
      check,
      diff: this.#diff,
      agent: () => (agent ??= task.delegateTo === 'localhost' ? o.agents.local() : this.#agentOf(host)),
      agentFor: (other: string) => this.#agentOf(other),
      hostVars: (other: string) => this.#otherHostVars(other),
      playHosts: this.#live(this.#batchHosts),
      secrets: this.#secrets,
      state: o.state,
      journal: { event: (kind, data) => o.journal.event(kind, { host, task: name, ...data }) },
      progress: (message, fraction, info) =>
        o.emit({
          kind: 'progress',
          host,
          task: name,
          message,
          ...(fraction !== undefined ? { fraction } : {}),
          ...(info?.node !== undefined && info.node !== host ? { node: info.node } : {}),
          ...(info?.wait ? { wait: info.wait } : {}),
        }),
      changedFiles: this.#changedFiles,
      signal: this.#signal,
      ...(o.es ? { es: o.es } : {}),
      scratch: this.#scratch,
    };
  }

  /** The module life on one host (exec-module.ts). */
  #runOnce(task: ModuleTask, mod: AnyModule, host: string, vars: Record<string, unknown>): Promise<HostOutcome> {
    const check = task.checkMode ?? this.#check;
    return runModuleOnce({
      task,
      mod,
      host,
      vars,
      check,
      where: this.#where(task),
      lang: this.#o.lang,
      ctx: () => this.#ctx(task, host, vars, check),
      warn: (message) => this.#o.emit({ kind: 'warning', message }),
    });
  }
}

/** What a change shows (--diff, --json, the journal): its display fields, never a secret's values, never the op
 *  (the module's working data, which may hold whole file contents). */
function maskSecretChange(c: Change): Change {
  if (c.secret) return { target: c.target, action: c.action, secret: true };
  const { op: _op, ...shown } = c;
  return shown;
}

/** The host a failed run_once task's module named as the one that failed (FAILED_HOST), if it is another host of
 *  the play; an ignored failure stays on the task's host. */
function reportedFailedHost(out: HostOutcome, ran: string, hosts: string[]): string | undefined {
  if (out.status !== 'failed' || out.ignored) return undefined;
  const h = out.registered[FAILED_HOST];
  return typeof h === 'string' && h !== ran && hosts.includes(h) ? h : undefined;
}

/** Task name match for --start-at-task: exact, or a glob with `*`. */
function matchName(pattern: string, name: string): boolean {
  return pattern === name || (pattern.includes('*') && globToRegExp(pattern, { question: false }).test(name));
}

/** Checks that a --start-at-task name exists somewhere in the playbook (a usage error otherwise). */
export function playbookHasTask(pb: Playbook, pattern: string): boolean {
  const walk = (tasks: Task[]): boolean =>
    tasks.some((t) =>
      t.kind === 'block' ? walk(t.block) || walk(t.rescue) || walk(t.always) : matchName(pattern, t.name ?? t.module),
    );
  return pb.plays.some((p) => walk(p.tasks));
}

export async function runPlaybook(pb: Playbook, opts: ExecutorOptions): Promise<RunResult> {
  return new Executor(opts).run(pb);
}
