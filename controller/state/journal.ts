// The run journal: one append-only JSON-lines file per run, `<state-dir>/runs/<run-id>.jsonl`.
// Each event is redacted (secrets.redactValue) and fsync'd before event() returns, so the file
// survives a crash or kill at any point and `crosskey resume` can tell where a run stopped.
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Journal } from '../modules/contract.js';
import { secrets as defaultSecrets, type SecretRegistry } from '../secrets.js';

/** What a run records first: enough to run the same thing again on `crosskey resume`. */
export interface RunHeader {
  argv: string[]; // CLI arguments (redacted)
  playbook: string; // absolute path
  inventory: string; // absolute path
  check: boolean;
  options: Record<string, unknown>; // parsed flags needed to re-run (limit, tags, extra vars …)
  resumed_from?: string;
  resume_play?: number; // first play index this run executes
  /** Who ran it: user@host of the controller. */
  operator?: string;
  /** The playbook's git commit (with "+changes" when its folder differs from it), for the change record. */
  playbook_commit?: string;
}

export interface JournalEvent {
  seq: number;
  ts: string;
  kind: string;
  [k: string]: unknown;
}

export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export class RunJournal implements Journal {
  readonly id: string;
  readonly file: string;
  #fd: number | null;
  #seq = 0;
  #secrets: SecretRegistry;

  constructor(stateDir: string, id: string, registry: SecretRegistry = defaultSecrets) {
    this.id = id;
    this.file = join(stateDir, 'runs', `${id}.jsonl`);
    this.#secrets = registry;
    // 'wx': a run id is never reused; the journal is never rewritten.
    this.#fd = openSync(this.file, 'wx', 0o600);
  }

  static start(stateDir: string, header: RunHeader, registry?: SecretRegistry, id = newRunId()): RunJournal {
    const j = new RunJournal(stateDir, id, registry);
    j.event('run_start', { run: id, ...header });
    return j;
  }

  event(kind: string, data: Record<string, unknown>): void {
    if (this.#fd === null) return; // closed: late events from aborted work are dropped, not thrown
    const ev = this.#secrets.redactValue({ seq: ++this.#seq, ts: new Date().toISOString(), kind, ...data });
    writeSync(this.#fd, JSON.stringify(ev) + '\n');
    fsyncSync(this.#fd);
  }

  close(): void {
    if (this.#fd === null) return;
    closeSync(this.#fd);
    this.#fd = null;
  }
}

export interface RunRecord {
  id: string;
  file: string;
  header: (RunHeader & { run: string }) | undefined;
  events: JournalEvent[];
  /** Play indexes whose play_end was recorded. */
  completedPlays: number[];
  /** First play index that did not end (where a resume starts); undefined when every play ended. */
  resumePlay: number | undefined;
  finished: boolean;
  exitCode: number | undefined;
  startedAt: string | undefined;
}

export class RunNotFoundError extends Error {
  override name = 'RunNotFoundError';
}

export function readRun(stateDir: string, id: string): RunRecord {
  const file = join(stateDir, 'runs', `${id}.jsonl`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new RunNotFoundError(`no run ${id} in ${join(stateDir, 'runs')} (crosskey runs lists them)`);
    }
    throw e;
  }
  const events: JournalEvent[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      events.push(JSON.parse(line) as JournalEvent);
    } catch {
      // A torn last line (crash mid-write) is expected; anything earlier is corruption.
      if (i < lines.length - 2) throw new Error(`${file}:${i + 1}: corrupt journal line`);
    }
  });
  const start = events.find((e) => e.kind === 'run_start');
  const header = start as unknown as (RunHeader & { run: string }) | undefined;
  const playStarts = events.filter((e) => e.kind === 'play_start').map((e) => Number(e.play));
  // A play counts as completed only when it ended cleanly: no failed hosts, not aborted, not interrupted.
  const completedPlays = events
    .filter(
      (e) => e.kind === 'play_end' && !e.aborted && !e.interrupted && !(Array.isArray(e.failed) && e.failed.length),
    )
    .map((e) => Number(e.play));
  const end = events.find((e) => e.kind === 'run_end');
  const playCount = typeof start?.plays === 'number' ? start.plays : undefined;
  let resumePlay: number | undefined;
  const firstOpen = playStarts.find((p) => !completedPlays.includes(p));
  if (firstOpen !== undefined) resumePlay = firstOpen;
  else if (!end || end.interrupted || (typeof end.exitCode === 'number' && end.exitCode !== 0)) {
    const next = completedPlays.length ? Math.max(...completedPlays) + 1 : (header?.resume_play ?? 0);
    resumePlay = playCount === undefined || next < playCount ? next : undefined;
  }
  return {
    id,
    file,
    header,
    events,
    completedPlays,
    resumePlay,
    finished: !!end,
    exitCode: typeof end?.exitCode === 'number' ? end.exitCode : undefined,
    startedAt: start?.ts,
  };
}

export interface RunSummaryLine {
  id: string;
  startedAt: string | undefined;
  playbook: string | undefined;
  check: boolean;
  status: 'ok' | 'failed' | 'unreachable' | 'interrupted' | 'incomplete' | 'error';
  exitCode: number | undefined;
  resumedFrom: string | undefined;
  /** --tags of the run (empty: all). */
  tags: string[];
  /** From run_start to run_end; undefined while running or when the run never ended. */
  durationMs: number | undefined;
}

export function listRuns(stateDir: string): RunSummaryLine[] {
  let names: string[];
  try {
    names = readdirSync(join(stateDir, 'runs')).filter((n) => n.endsWith('.jsonl'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const runs = names.map((n) => {
    const id = n.slice(0, -'.jsonl'.length);
    const r = readRun(stateDir, id);
    const end = r.events.find((e) => e.kind === 'run_end');
    let status: RunSummaryLine['status'] = 'incomplete';
    if (end) {
      if (end.interrupted) status = 'interrupted';
      else if (r.exitCode === 0) status = 'ok';
      else if (r.exitCode === 2) status = 'failed';
      else if (r.exitCode === 4) status = 'unreachable';
      else status = 'error';
    }
    return {
      id,
      startedAt: r.startedAt,
      playbook: r.header?.playbook,
      check: !!r.header?.check,
      status,
      exitCode: r.exitCode,
      resumedFrom: r.header?.resumed_from,
      tags: Array.isArray(r.header?.options?.tags) ? (r.header.options.tags as unknown[]).map(String) : [],
      durationMs: end && r.startedAt ? Date.parse(end.ts) - Date.parse(r.startedAt) : undefined,
    };
  });
  // Oldest first by the run_start time (milliseconds); run ids alone only order to the second.
  return runs.sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || a.id.localeCompare(b.id));
}

/**
 * The id of a recorded run: `run` as given (a full id or a unique prefix), or, when undefined or 'latest', the
 * latest run — the latest applying (non --check) run when `realOnly` (a dry run is not what a change record or a
 * resume is about). Throws RunNotFoundError naming the folder it looked in.
 */
export function resolveRunId(stateDir: string, run?: string, opts: { realOnly?: boolean } = {}): string {
  const all = listRuns(stateDir);
  if (!all.length) {
    throw new RunNotFoundError(
      `no runs recorded in ${join(stateDir, 'runs')} (give -i INVENTORY or --state-dir where the runs are)`,
    );
  }
  if (run === undefined || run === 'latest') {
    const pick = (opts.realOnly ? all.filter((r) => !r.check) : all).at(-1);
    if (!pick)
      throw new RunNotFoundError(
        `only dry runs (--check) are recorded in ${join(stateDir, 'runs')}; name one to use it`,
      );
    return pick.id;
  }
  const exact = all.find((r) => r.id === run);
  if (exact) return exact.id;
  const prefixed = all.filter((r) => r.id.startsWith(run));
  if (prefixed.length === 1) return prefixed[0]!.id;
  if (prefixed.length > 1)
    throw new RunNotFoundError(`run '${run}' is ambiguous: ${prefixed.map((r) => r.id).join(', ')}`);
  throw new RunNotFoundError(`no run ${run} in ${join(stateDir, 'runs')} (crosskey runs lists them)`);
}
