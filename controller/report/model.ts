// The run report's model, built from one run journal (controller/state/journal.ts) and nothing else, so a report
// can be made long after the run, on another machine, from the .jsonl file alone.
// Sources: the executor's events (run/play/task/host_result/recap/run_end), events modules write through
// ctx.journal.event (rolling-restart gates, api_key.created, remote_cluster.saved, tasks.captured …), and the
// registered result of es_remote_verify tasks. Values are shown as the journal holds them (already redacted);
// the renderers redact once more.
import type { HealthSeen } from '../elastic/rolling-restart.js';
import type { JournalEvent, RunRecord } from '../state/journal.js';
import { stringOnly } from '../values.js';

/** Event kinds the executor writes; every other kind was written by a module. */
export const EXECUTOR_KINDS = new Set([
  'run_start',
  'play_start',
  'play_skipped',
  'batch_start',
  'task_start',
  'host_result',
  'task_end',
  'progress',
  'warning',
  'batch_end',
  'play_end',
  'recap',
  'run_end',
]);

export interface HostStep {
  host: string;
  status: string; // ok | changed | failed | skipped | unreachable
  durationMs?: number;
  msg?: string;
  ignored?: boolean;
  attempts?: number;
  delegatedTo?: string;
  /** A failed run_once task named the host that failed (the recap counts the failure there). */
  failedHost?: string;
  item?: unknown;
  /** What changed (target + action only; values never). */
  changes: Array<{ action: string; target: string }>;
}

export interface TaskStep {
  name: string;
  module: string;
  handler: boolean;
  source?: string;
  startedAt?: string;
  durationMs?: number;
  hosts: HostStep[];
}

export interface PlayStep {
  index: number;
  name: string;
  hosts: string[];
  startedAt?: string;
  durationMs?: number;
  aborted?: string;
  skipped?: string;
  tasks: TaskStep[];
}

export interface TimelineEntry {
  ts: string;
  kind: string;
  gate?: string;
  task?: string;
  /** Short text: gate, status, health, message — whatever the event carries. */
  detail: string;
  health?: string;
  /** The health the engine sampled during the node's restart (G7, node_failed). */
  healthSeen?: HealthSeen;
}

/** One node's restart, summarised from its rolling_restart.gate events (G0…G7, see elastic/rolling-restart.ts). */
export interface NodeRestart {
  host: string;
  node?: string;
  healthBefore?: string; // G0 status
  stopAt?: string; // G1: allocation primaries, the node is about to stop
  goneAt?: string; // G2: the node left the cluster
  startAt?: string; // G3: start issued
  backAt?: string; // G4: the same node id is back
  greenAt?: string; // G7: cluster green again
  healthAfter?: string; // G7 status
  /** The worst cluster health seen while the node restarted (sampled by the engine; else from the gates' health). */
  worstHealth?: string;
  /** How long the samples say the cluster was yellow / red during this restart. */
  yellowMs?: number;
  redMs?: number;
  /** The most shards unassigned / initializing / relocating seen during this restart. */
  maxShards?: { unassigned: number; initializing: number; relocating: number };
  /** G2 → G4: how long the node was out of the cluster. */
  awayMs?: number;
  /** G1 → G7: the whole restart of this node, gates included. */
  totalMs?: number;
  outcome: 'done' | 'failed' | 'incomplete';
  note?: string;
}

export const GATE_LABELS: Record<string, string> = {
  G0: 'green before restart',
  G1: 'allocation primaries + flush',
  G2: 'node stopped (left the cluster)',
  G3: 'start issued',
  G4: 'node rejoined',
  G5: 'node verified',
  G6: 'allocation restored',
  G7: 'green again',
};

export interface ChangeEntry {
  host: string;
  play: number;
  task: string;
  module: string;
  action: string;
  target: string;
}

export interface VerificationEntry {
  task: string;
  host: string;
  status: string;
  alias?: string;
  verified?: boolean;
  msg?: string;
  nodes: Array<{
    host: string;
    ok: boolean;
    problems: string[];
    connected?: boolean;
    model?: string;
    addresses?: string[];
  }>;
}

export interface RunReport {
  id: string;
  file: string;
  playbook?: string;
  inventory?: string;
  argv?: string[];
  check: boolean;
  resumedFrom?: string;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  exitCode?: number;
  status: 'ok' | 'failed' | 'unreachable' | 'interrupted' | 'incomplete' | 'error';
  aborted?: string;
  plays: PlayStep[];
  recap: Record<string, Record<string, number>>;
  hosts: string[];
  /** Per host (the event's `host`, else its `node`): restart / gate events in time order. */
  timeline: Record<string, TimelineEntry[]>;
  restarts: NodeRestart[];
  changes: ChangeEntry[];
  /** Module events that are not part of a restart timeline (api keys created, saved settings, captured tasks). */
  moduleEvents: Array<{ ts: string; kind: string; host?: string; task?: string; detail: string }>;
  verifications: VerificationEntry[];
  warnings: string[];
  /** Who ran it and from which playbook commit (when recorded). */
  operator?: string;
  playbookCommit?: string;
  /** Cross-cluster API keys created in this run (ids only). */
  apiKeys: Array<{ name?: string; id: string; alias?: string }>;
  /**
   * The key the run ended with: the last es_cross_cluster_api_key result's id (created, rotated or kept as it was).
   */
  apiKeyInUse?: { id: string; name?: string; host: string };
  /**
   * The connection model per local node, before (the first es_preflight's `alias_model_per_node`; without one, the
   * first of several es_remote_verify results) and after (the last es_remote_verify's nodes; else the last
   * es_preflight, when it ran after the first). RCS1 | RCS2 | none.
   */
  nodeModels?: { alias?: string; nodes: Array<{ host: string; before?: string; after?: string }> };
  /**
   * How long the alias could not be used on each local node during the switch: from the end of the task that removed
   * its definition (es_remote_cluster state absent, changed) to the moment that node first passed the next
   * es_remote_verify (its `ok_at`). Absent when the run removed no alias or never verified after.
   */
  aliasOutage?: { alias?: string; nodes: Array<{ host: string; seconds: number }> };
  /**
   * es_tasks in this run: the task changes made by pauses (each recorded with a tasks.captured event, whose counts
   * say what was captured) and by resumes (tasks.resumed).
   */
  tasks?: {
    paused: number;
    resumed: number;
    captured?: { transforms: number; datafeeds: number; followers: number; auto_follow_patterns: number };
  };
}

/** rcs1 → RCS1, rcs2 → RCS2, anything else as it is (none, mixed). */
const modelName = (m: string) => (/^rcs[12]$/i.test(m) ? m.toUpperCase() : m);

const resultOf = (ev: JournalEvent): Record<string, unknown> =>
  ev.result && typeof ev.result === 'object' && !Array.isArray(ev.result) ? (ev.result as Record<string, unknown>) : {};

/** Per-node models before → after, from es_preflight and es_remote_verify results (undefined when neither ran). */
export function nodeModelsFrom(evs: JournalEvent[], verifications: VerificationEntry[]): RunReport['nodeModels'] {
  const preflights = evs.filter(
    (e) =>
      e.kind === 'host_result' &&
      e.module === 'es_preflight' &&
      resultOf(e).alias_model_per_node &&
      typeof resultOf(e).alias_model_per_node === 'object',
  );
  const perNode = (e: JournalEvent | undefined) => {
    const m = (e ? resultOf(e).alias_model_per_node : undefined) as Record<string, unknown> | undefined;
    const out = new Map<string, string>();
    for (const [h, v] of Object.entries(m ?? {})) if (typeof v === 'string') out.set(h, modelName(v));
    return out;
  };
  const withModels = verifications.filter((v) => v.nodes.some((n) => n.model));
  const lastVerify = withModels.at(-1);
  const fromVerify = (v: VerificationEntry) => new Map(v.nodes.filter((n) => n.model).map((n) => [n.host, n.model!]));
  // Without a preflight, a verification run before the last one says what the nodes used at the start.
  const before = preflights.length
    ? perNode(preflights[0])
    : withModels.length > 1
      ? fromVerify(withModels[0]!)
      : new Map<string, string>();
  const after = lastVerify
    ? fromVerify(lastVerify)
    : preflights.length > 1
      ? perNode(preflights.at(-1))
      : new Map<string, string>();
  if (!before.size && !after.size) return undefined;
  const hosts = [...new Set([...before.keys(), ...after.keys()])].sort();
  const alias =
    lastVerify?.alias ?? (preflights[0] ? stringOnly(resultOf(preflights[0]).alias) : undefined) ?? undefined;
  return {
    ...(alias ? { alias } : {}),
    nodes: hosts.map((host) => ({
      host,
      ...(before.has(host) ? { before: before.get(host) } : {}),
      ...(after.has(host) ? { after: after.get(host) } : {}),
    })),
  };
}

/** Alias outage per node: the last alias removal, then the first verification after it with per-node ok_at. */
export function aliasOutageFrom(evs: JournalEvent[]): RunReport['aliasOutage'] {
  const removals = evs.filter(
    (e) =>
      e.kind === 'host_result' &&
      e.module === 'es_remote_cluster' &&
      e.status === 'changed' &&
      resultOf(e).state === 'absent',
  );
  const removal = removals.at(-1);
  if (!removal?.ts) return undefined;
  const start = Date.parse(String(removal.ts));
  const verify = evs.find(
    (e) =>
      e.kind === 'host_result' &&
      e.module === 'es_remote_verify' &&
      e.ts !== undefined &&
      Date.parse(String(e.ts)) >= start &&
      Array.isArray(resultOf(e).nodes),
  );
  if (!verify) return undefined;
  const nodes = (resultOf(verify).nodes as Array<Record<string, unknown>>)
    .filter((n) => typeof n.host === 'string' && typeof n.ok_at === 'string')
    .map((n) => ({ host: String(n.host), seconds: Math.max(0, (Date.parse(String(n.ok_at)) - start) / 1000) }));
  if (!nodes.length) return undefined;
  const alias = stringOnly(resultOf(removal).alias);
  return { ...(alias ? { alias } : {}), nodes };
}

/** The last es_cross_cluster_api_key result that names a key id. */
function apiKeyInUseFrom(evs: JournalEvent[]): RunReport['apiKeyInUse'] {
  for (const e of [...evs].reverse()) {
    if (e.kind !== 'host_result' || e.module !== 'es_cross_cluster_api_key' || e.status === 'failed') continue;
    const r = resultOf(e);
    const id = stringOnly(r.id);
    if (id) return { id, host: String(e.host), ...(stringOnly(r.name) ? { name: stringOnly(r.name) } : {}) };
  }
  return undefined;
}

/** Task changes of es_tasks results, as pauses (tasks.captured) or resumes (tasks.resumed) of the same task/host. */
function tasksFrom(evs: JournalEvent[]): RunReport['tasks'] {
  const pending = new Map<string, 'paused' | 'resumed'>();
  const key = (e: JournalEvent) => `${String(e.host)}\u0000${String(e.task)}`;
  let seen = false;
  let paused = 0;
  let resumed = 0;
  let captured: NonNullable<RunReport['tasks']>['captured'];
  for (const e of evs) {
    if (e.kind === 'tasks.captured') {
      pending.set(key(e), 'paused');
      const c = (captured ??= { transforms: 0, datafeeds: 0, followers: 0, auto_follow_patterns: 0 });
      for (const k of Object.keys(c) as Array<keyof typeof c>) c[k] += num(e[k]) ?? 0;
    } else if (e.kind === 'tasks.resumed') pending.set(key(e), 'resumed');
    else if (e.kind === 'host_result' && e.module === 'es_tasks') {
      seen = true;
      const kind = pending.get(key(e));
      pending.delete(key(e));
      if (e.status !== 'changed' || !kind) continue;
      const n = num(e.changeCount) ?? 0;
      if (kind === 'paused') paused += n;
      else resumed += n;
    }
  }
  if (!seen && !captured) return undefined;
  return { paused, resumed, ...(captured ? { captured } : {}) };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Restart/gate events go to the per-node timeline. */
export function isTimelineEvent(ev: JournalEvent): boolean {
  return /restart|gate|rolling|node[._]/i.test(ev.kind);
}

const SKIP_DETAIL = new Set(['seq', 'ts', 'kind', 'host', 'task', 'at']);

const HEALTH = ['green', 'yellow', 'red'] as const;
const isHealth = (v: unknown): v is HealthSeen['worst'] => HEALTH.includes(v as HealthSeen['worst']);

/** An event's `healthSeen`, when it has that shape (journals are read as they are: checked, not trusted). */
export function healthSeenOf(v: unknown): HealthSeen | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (!isHealth(o.worst)) return undefined;
  const n = (k: string) => num(o[k]) ?? 0;
  return {
    worst: o.worst,
    samples: n('samples'),
    yellowMs: n('yellowMs'),
    redMs: n('redMs'),
    maxRelocating: n('maxRelocating'),
    maxInitializing: n('maxInitializing'),
    maxUnassigned: n('maxUnassigned'),
  };
}

const secs = (ms: number) => `${Math.round(ms / 1000)} s`;

/** `worst yellow (yellow 12 s; at most 3 unassigned, 4 initializing, 2 relocating)` */
export function describeHealthSeen(h: HealthSeen): string {
  const times = [h.yellowMs ? `yellow ${secs(h.yellowMs)}` : '', h.redMs ? `red ${secs(h.redMs)}` : '']
    .filter(Boolean)
    .join(', ');
  return (
    `worst ${h.worst} (${times ? `${times}; ` : ''}at most ${h.maxUnassigned} unassigned, ` +
    `${h.maxInitializing} initializing, ${h.maxRelocating} relocating)`
  );
}

/** A one-line summary of an event's own fields (ids, gates, states; objects shortened). */
export function eventDetail(ev: JournalEvent): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(ev)) {
    if (SKIP_DETAIL.has(k) || v === undefined || v === null) continue;
    const seen = k === 'healthSeen' ? healthSeenOf(v) : undefined;
    if (seen) {
      parts.push(`health seen: ${describeHealthSeen(seen)}`);
      continue;
    }
    let text: string;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') text = String(v);
    else if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) text = v.join(',');
    else {
      text = JSON.stringify(v);
      if (text.length > 120) text = text.slice(0, 117) + '…';
    }
    parts.push(`${k}=${text}`);
  }
  return parts.join(' ');
}

/** Without --diff the journal has no Change list: name the target from what the module registered (ids only). */
export function targetFromResult(result: unknown): string | undefined {
  if (!result || typeof result !== 'object') return undefined;
  const r = result as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of ['dest', 'path', 'keystore', 'name', 'id', 'alias'])
    if (typeof r[k] === 'string') parts.push(`${k}=${r[k]}`);
  for (const k of ['restarted', 'invalidated', 'nodes', 'entries']) {
    if (Array.isArray(r[k]) && r[k].length && r[k].every((x: unknown) => typeof x === 'string'))
      parts.push(`${k}=${(r[k] as string[]).join(',')}`);
  }
  return parts.length ? parts.join(' ') : undefined;
}

function statusOf(exitCode: number | undefined, end: JournalEvent | undefined): RunReport['status'] {
  if (!end) return 'incomplete';
  if (end.interrupted) return 'interrupted';
  if (exitCode === 0) return 'ok';
  if (exitCode === 2) return 'failed';
  if (exitCode === 4) return 'unreachable';
  return 'error';
}

function verificationFrom(ev: JournalEvent): VerificationEntry {
  const result = (ev.result && typeof ev.result === 'object' ? ev.result : {}) as Record<string, unknown>;
  const rawNodes = Array.isArray(result.nodes) ? result.nodes : [];
  const nodes = rawNodes
    .filter((n): n is Record<string, unknown> => !!n && typeof n === 'object')
    .map((n) => {
      const info = (n.info && typeof n.info === 'object' ? n.info : {}) as Record<string, unknown>;
      const addresses = Array.isArray(info.seeds)
        ? info.seeds.map(String)
        : typeof info.proxy_address === 'string'
          ? [info.proxy_address]
          : undefined;
      return {
        host: String(n.host ?? '?'),
        ok: n.ok === true,
        problems: Array.isArray(n.problems) ? n.problems.map(String) : [],
        ...(typeof info.connected === 'boolean' ? { connected: info.connected } : {}),
        ...(n.info ? { model: info.cluster_credentials !== undefined ? 'RCS2' : 'RCS1' } : {}),
        ...(addresses ? { addresses } : {}),
      };
    });
  const alias = stringOnly((ev as Record<string, unknown>).alias) ?? stringOnly(result.alias);
  return {
    task: String(ev.task),
    host: String(ev.host),
    status: String(ev.status),
    ...(alias ? { alias } : {}),
    ...(typeof result.verified === 'boolean' ? { verified: result.verified } : {}),
    ...(stringOnly(ev.msg) ? { msg: stringOnly(ev.msg) } : {}),
    nodes,
  };
}

export function buildRunReport(run: RunRecord): RunReport {
  const evs = run.events;
  const start = evs.find((e) => e.kind === 'run_start');
  const end = [...evs].reverse().find((e) => e.kind === 'run_end');
  const header = run.header;
  const plays: PlayStep[] = [];
  const playByIndex = new Map<number, PlayStep>();
  const openTask = new Map<number, TaskStep>(); // play → task being run (tasks of a play run one at a time)
  const recap: RunReport['recap'] = {};
  const hosts = new Set<string>();
  const timeline: RunReport['timeline'] = {};
  const changes: ChangeEntry[] = [];
  const moduleEvents: RunReport['moduleEvents'] = [];
  const verifications: VerificationEntry[] = [];
  const warnings: string[] = [];

  const playFor = (index: number): PlayStep => {
    let p = playByIndex.get(index);
    if (!p) {
      p = { index, name: `play ${index + 1}`, hosts: [], tasks: [] };
      playByIndex.set(index, p);
      plays.push(p);
    }
    return p;
  };

  for (const ev of evs) {
    const play = num(ev.play);
    switch (ev.kind) {
      case 'play_start': {
        const p = playFor(play ?? 0);
        p.name = stringOnly(ev.name) ?? p.name;
        p.hosts = Array.isArray(ev.hosts) ? ev.hosts.map(String) : [];
        p.startedAt = ev.ts;
        p.hosts.forEach((h) => hosts.add(h));
        break;
      }
      case 'play_skipped': {
        const p = playFor(play ?? 0);
        p.name = stringOnly(ev.name) ?? p.name;
        p.skipped = stringOnly(ev.reason) ?? 'skipped';
        break;
      }
      case 'play_end': {
        const p = playFor(play ?? 0);
        p.durationMs = num(ev.durationMs);
        if (stringOnly(ev.aborted)) p.aborted = stringOnly(ev.aborted);
        break;
      }
      case 'task_start': {
        const p = playFor(play ?? 0);
        const t: TaskStep = {
          name: String(ev.task),
          module: String(ev.module),
          handler: ev.handler === true,
          ...(stringOnly(ev.source) ? { source: stringOnly(ev.source) } : {}),
          startedAt: ev.ts,
          hosts: [],
        };
        p.tasks.push(t);
        openTask.set(p.index, t);
        break;
      }
      case 'host_result': {
        const p = playFor(play ?? 0);
        let t = openTask.get(p.index);
        if (!t || t.name !== ev.task) {
          // A result without its task_start (torn journal): keep it under a task of its own.
          t = { name: String(ev.task), module: String(ev.module), handler: false, hosts: [] };
          p.tasks.push(t);
          openTask.set(p.index, t);
        }
        const host = String(ev.host);
        hosts.add(host);
        const rawChanges = Array.isArray(ev.changes) ? ev.changes : [];
        const stepChanges = rawChanges
          .filter((c): c is Record<string, unknown> => !!c && typeof c === 'object')
          .map((c) => ({ action: String(c.action ?? 'update'), target: String(c.target ?? '?') }));
        t.hosts.push({
          host,
          status: String(ev.status),
          changes: stepChanges,
          ...(num(ev.durationMs) !== undefined ? { durationMs: num(ev.durationMs) } : {}),
          // no_log: the executor's long notice becomes a short one; nothing of the result is kept.
          ...(ev.noLog ? { msg: 'hidden (no_log)' } : stringOnly(ev.msg) ? { msg: stringOnly(ev.msg) } : {}),
          ...(ev.ignored ? { ignored: true } : {}),
          ...(num(ev.attempts) ? { attempts: num(ev.attempts) } : {}),
          ...(stringOnly(ev.delegatedTo) ? { delegatedTo: stringOnly(ev.delegatedTo) } : {}),
          ...(stringOnly(ev.failedHost) ? { failedHost: stringOnly(ev.failedHost) } : {}),
          ...(ev.item !== undefined ? { item: ev.item } : {}),
        });
        if (ev.status === 'changed') {
          const fallback = ev.noLog
            ? '(details hidden: no_log)'
            : (targetFromResult(ev.result) ?? stringOnly(ev.msg) ?? '(run with --diff to record each change)');
          const list = stepChanges.length ? stepChanges : [{ action: 'changed', target: fallback }];
          for (const c of list) changes.push({ host, play: p.index, task: t.name, module: t.module, ...c });
        }
        if (ev.module === 'es_remote_verify') verifications.push(verificationFrom(ev));
        break;
      }
      case 'task_end': {
        const t = openTask.get(play ?? 0);
        if (t && t.name === ev.task) t.durationMs = num(ev.durationMs);
        break;
      }
      case 'recap': {
        const stats = (ev.stats && typeof ev.stats === 'object' ? ev.stats : {}) as Record<
          string,
          Record<string, number>
        >;
        for (const [h, s] of Object.entries(stats)) {
          recap[h] = { ...s };
          hosts.add(h);
        }
        break;
      }
      case 'warning':
        if (stringOnly(ev.message)) warnings.push(stringOnly(ev.message)!);
        break;
      default:
        if (EXECUTOR_KINDS.has(ev.kind)) break;
        if (isTimelineEvent(ev)) {
          const node = stringOnly(ev.host) ?? stringOnly(ev.node) ?? '(cluster)';
          const health =
            stringOnly(ev.health) ??
            (typeof ev.status === 'string' && /^(green|yellow|red)$/.test(ev.status) ? ev.status : undefined);
          const gate = stringOnly(ev.gate);
          const label = gate && GATE_LABELS[gate] ? `${GATE_LABELS[gate]}; ` : '';
          const healthSeen = healthSeenOf(ev.healthSeen);
          (timeline[node] ??= []).push({
            ts: stringOnly(ev.at) ?? ev.ts,
            kind: ev.kind,
            ...(gate ? { gate } : {}),
            ...(stringOnly(ev.task) ? { task: stringOnly(ev.task) } : {}),
            detail: label + eventDetail(ev),
            ...(health ? { health } : {}),
            ...(healthSeen ? { healthSeen } : {}),
          });
        } else {
          moduleEvents.push({
            ts: ev.ts,
            kind: ev.kind,
            ...(stringOnly(ev.host) ? { host: stringOnly(ev.host) } : {}),
            ...(stringOnly(ev.task) ? { task: stringOnly(ev.task) } : {}),
            detail: eventDetail(ev),
          });
        }
    }
  }
  plays.sort((a, b) => a.index - b.index);
  // A controller task (run_once) may change other hosts: a target named "<host> (…)" or "<host>:…" is that host's
  // change.
  for (const c of changes) {
    const m = /^([^\s:(]+)(?: \(|:)/.exec(c.target);
    if (m && m[1] !== c.host && hosts.has(m[1]!)) c.host = m[1]!;
  }
  for (const list of Object.values(timeline)) list.sort((a, b) => a.ts.localeCompare(b.ts));
  const startedAt = start?.ts ?? run.startedAt;
  const endedAt = end?.ts ?? evs[evs.length - 1]?.ts;
  const durationMs =
    num(end?.durationMs) ?? (startedAt && endedAt ? Date.parse(endedAt) - Date.parse(startedAt) : undefined);
  const nodeModels = nodeModelsFrom(evs, verifications);
  const aliasOutage = aliasOutageFrom(evs);
  const apiKeyInUse = apiKeyInUseFrom(evs);
  const tasks = tasksFrom(evs);
  return {
    id: run.id,
    file: run.file,
    ...(header?.playbook ? { playbook: header.playbook } : {}),
    ...(header?.inventory ? { inventory: header.inventory } : {}),
    ...(header?.argv ? { argv: header.argv } : {}),
    check: !!header?.check,
    ...(header?.resumed_from ? { resumedFrom: header.resumed_from } : {}),
    ...(startedAt ? { startedAt } : {}),
    ...(end && endedAt ? { endedAt } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(run.exitCode !== undefined ? { exitCode: run.exitCode } : {}),
    status: statusOf(run.exitCode, end),
    ...(stringOnly(end?.aborted) ? { aborted: stringOnly(end?.aborted) } : {}),
    plays,
    recap,
    hosts: [...hosts],
    timeline,
    restarts: restartsFrom(timeline),
    changes,
    moduleEvents,
    verifications,
    warnings,
    ...(stringOnly(header?.operator) ? { operator: stringOnly(header?.operator) } : {}),
    ...(stringOnly(header?.playbook_commit) ? { playbookCommit: stringOnly(header?.playbook_commit) } : {}),
    apiKeys: evs
      .filter((e) => e.kind === 'api_key.created' && typeof e.id === 'string')
      .map((e) => ({
        id: String(e.id),
        ...(stringOnly(e.name) ? { name: stringOnly(e.name) } : {}),
        ...(stringOnly(e.alias) ? { alias: stringOnly(e.alias) } : {}),
      })),
    ...(apiKeyInUse ? { apiKeyInUse } : {}),
    ...(nodeModels ? { nodeModels } : {}),
    ...(aliasOutage ? { aliasOutage } : {}),
    ...(tasks ? { tasks } : {}),
  };
}

/**
 * Restarts per host from the gate events: a G1 opens a restart, G7 closes it as done; a node_failed event (or a run
 * that ended between the two) marks it failed / incomplete. A host restarted twice (re-run, resume) gets two rows.
 */
export function restartsFrom(timeline: Record<string, TimelineEntry[]>): NodeRestart[] {
  const out: NodeRestart[] = [];
  const span = (a?: string, b?: string) => (a && b ? Date.parse(b) - Date.parse(a) : undefined);
  const rank = (h: string | undefined) => (h === 'red' ? 0 : h === 'yellow' ? 1 : h === 'green' ? 2 : 3);
  for (const [host, entries] of Object.entries(timeline)) {
    let cur: NodeRestart | undefined;
    let lastHealth: string | undefined;
    const close = () => {
      if (!cur) return;
      const awayMs = span(cur.goneAt, cur.backAt);
      const totalMs = span(cur.stopAt, cur.greenAt);
      if (awayMs !== undefined) cur.awayMs = awayMs;
      if (totalMs !== undefined) cur.totalMs = totalMs;
      out.push(cur);
      cur = undefined;
    };
    for (const e of entries) {
      if (cur && e.health && e.gate !== 'G0' && rank(e.health) < rank(cur.worstHealth)) cur.worstHealth = e.health;
      if (cur && e.healthSeen) {
        // The engine's samples: the worst status, and how long the cluster was yellow / red.
        const s = e.healthSeen;
        if (rank(s.worst) < rank(cur.worstHealth)) cur.worstHealth = s.worst;
        cur.yellowMs = s.yellowMs;
        cur.redMs = s.redMs;
        cur.maxShards = { unassigned: s.maxUnassigned, initializing: s.maxInitializing, relocating: s.maxRelocating };
      }
      const nodeName = /(?:^| )node=(\S+)/.exec(e.detail)?.[1];
      if (e.gate === 'G0') lastHealth = e.health;
      if (e.gate === 'G1') {
        close();
        cur = {
          host,
          ...(nodeName ? { node: nodeName } : {}),
          ...(lastHealth ? { healthBefore: lastHealth } : {}),
          stopAt: e.ts,
          outcome: 'incomplete',
        };
        continue;
      }
      if (!cur) continue;
      if (e.gate === 'G2') cur.goneAt = e.ts;
      else if (e.gate === 'G3') cur.startAt = e.ts;
      else if (e.gate === 'G4' || e.gate === 'G5') cur.backAt = e.ts;
      else if (e.gate === 'G7') {
        cur.greenAt = e.ts;
        if (e.health) cur.healthAfter = e.health;
        cur.outcome = 'done';
        close();
      } else if (/node_failed|error/.test(e.kind)) {
        cur.outcome = 'failed';
        cur.note = e.detail;
      }
    }
    close();
  }
  return out.sort((a, b) => (a.stopAt ?? '').localeCompare(b.stopAt ?? ''));
}
