// es_tasks: the persistent tasks that read through an alias (docs/procedure.md §2.5–§2.7, §1.2 #2/#3).
//   state: paused   capture state + parameters into saved state, then pause: auto-follow patterns first (no new
//                   followers meanwhile), followers (parameters captured BEFORE pausing: _ccr/info omits them
//                   once paused), transforms (_stop?wait_for_completion=true), datafeeds stop + jobs close.
//   state: resumed  resume exactly what was running, with its parameters: jobs open + datafeeds start,
//                   transforms start, followers resume_follow with the captured parameters (an empty body would
//                   reset them), auto-follow patterns resume; each entry is marked resumed in saved state as it
//                   goes, so a re-run or a resumed run never resumes twice.
//   state: listed   discovery only (never changes anything).
import type { Change, Resource } from '../contract.js';
import type { EsApi } from '../../elastic/types.js';
import { aliasTasks } from '../../elastic/alias-tasks.js';
import {
  stopTransform,
  startTransform,
  stopDatafeed,
  startDatafeed,
  closeJob,
  openJob,
  pauseAutoFollowPattern,
  resumeAutoFollowPattern,
  pauseFollow,
  resumeFollow,
  rolesOf,
  getCcrStats,
  type TaskAuthorization,
  type FollowerParameters,
  type TransformState,
  type DatafeedState,
  type JobState,
} from '../../elastic/api/tasks.js';
import { getInfo } from '../../elastic/api/cluster.js';
import { esFor, stateKey } from './common.js';
import { performInOrder } from './apply-plan.js';

export interface TasksArgs {
  alias: string;
  state: 'paused' | 'resumed' | 'listed';
  cluster_group?: string;
}

export interface DiscoveredTasks {
  transforms: Array<{ id: string; state: TransformState; indices: string[]; authorization?: TaskAuthorization }>;
  datafeeds: Array<{
    datafeed_id: string;
    job_id: string;
    state: DatafeedState;
    job_state: JobState | 'missing';
    indices: string[];
    authorization?: TaskAuthorization;
  }>;
  auto_follow_patterns: Array<{ name: string; active: boolean }>;
  followers: Array<{
    index: string;
    status: 'active' | 'paused';
    leader_index: string;
    parameters?: FollowerParameters;
  }>;
}

/** What `paused` captured; `resumed` flips per entry once that task is running again. */
export interface SavedTasks {
  cluster_uuid: string;
  alias: string;
  transforms: Array<{ id: string; was: TransformState; resumed: boolean }>;
  datafeeds: Array<{
    datafeed_id: string;
    job_id: string;
    was: DatafeedState;
    job_was: JobState | 'missing';
    resumed: boolean;
  }>;
  auto_follow_patterns: Array<{ name: string; was_active: boolean; resumed: boolean }>;
  followers: Array<{ index: string; was: 'active' | 'paused'; parameters?: FollowerParameters; resumed: boolean }>;
}

export interface TasksCurrent {
  clusterUuid: string;
  savedKey: string;
  tasks: DiscoveredTasks;
  saved?: SavedTasks;
}

const RUNNING_TRANSFORM: TransformState[] = ['started', 'indexing'];
const RUNNING_DATAFEED: DatafeedState[] = ['started', 'starting'];
const OPEN_JOB: JobState[] = ['opened', 'opening'];

/** Every task on the local cluster that reads through `alias` (also through wildcards like `*:idx`). */
export async function discoverTasks(es: EsApi, alias: string): Promise<DiscoveredTasks> {
  const t = await aliasTasks(es, alias);
  return {
    transforms: t.transforms.map((x) => ({
      id: x.id,
      state: x.state,
      indices: x.source.index,
      ...(x.authorization ? { authorization: x.authorization } : {}),
    })),
    datafeeds: t.datafeeds.map((d) => ({
      datafeed_id: d.datafeed_id,
      job_id: d.job_id,
      state: d.state,
      job_state: d.job_state,
      indices: d.indices,
      ...(d.authorization ? { authorization: d.authorization } : {}),
    })),
    auto_follow_patterns: t.autoFollowPatterns.map((p) => ({ name: p.name, active: p.active })),
    followers: t.followers.map((f) => ({
      index: f.follower_index,
      status: f.status,
      leader_index: f.leader_index,
      ...(f.parameters ? { parameters: f.parameters } : {}),
    })),
  };
}

/** Role names the alias's tasks run with (for es_roles), and the tasks that run as API keys (need a key update). */
export function taskIdentities(tasks: DiscoveredTasks): { roles: string[]; api_key_tasks: string[] } {
  const roles = new Set<string>();
  const apiKeyTasks: string[] = [];
  for (const t of tasks.transforms) {
    rolesOf(t.authorization).forEach((r) => roles.add(r));
    if (t.authorization && 'api_key' in t.authorization) apiKeyTasks.push(`transform ${t.id}`);
  }
  for (const d of tasks.datafeeds) {
    rolesOf(d.authorization).forEach((r) => roles.add(r));
    if (d.authorization && 'api_key' in d.authorization) apiKeyTasks.push(`datafeed ${d.datafeed_id}`);
  }
  return { roles: [...roles].sort(), api_key_tasks: apiKeyTasks };
}

function emptySaved(uuid: string, alias: string): SavedTasks {
  return { cluster_uuid: uuid, alias, transforms: [], datafeeds: [], auto_follow_patterns: [], followers: [] };
}

/**
 * Merges what is running now into the saved record. An entry not yet resumed keeps what was captured first (a
 * task already paused by an interrupted run must not be recorded as "was paused"); a resumed entry starts a new cycle.
 */
export function captureRunning(saved: SavedTasks, t: DiscoveredTasks): SavedTasks {
  const out: SavedTasks = structuredClone(saved);
  const upsert = <E extends { resumed: boolean }>(list: E[], match: (e: E) => boolean, fresh: E) => {
    const i = list.findIndex(match);
    if (i < 0) list.push(fresh);
    else if (list[i]!.resumed) list[i] = fresh;
  };
  for (const p of t.auto_follow_patterns)
    if (p.active)
      upsert(out.auto_follow_patterns, (e) => e.name === p.name, { name: p.name, was_active: true, resumed: false });
  for (const f of t.followers)
    if (f.status === 'active')
      upsert(out.followers, (e) => e.index === f.index, {
        index: f.index,
        was: 'active',
        ...(f.parameters ? { parameters: f.parameters } : {}),
        resumed: false,
      });
  for (const x of t.transforms)
    if (RUNNING_TRANSFORM.includes(x.state))
      upsert(out.transforms, (e) => e.id === x.id, { id: x.id, was: x.state, resumed: false });
  for (const d of t.datafeeds) {
    if (RUNNING_DATAFEED.includes(d.state) || OPEN_JOB.includes(d.job_state as JobState)) {
      upsert(out.datafeeds, (e) => e.datafeed_id === d.datafeed_id, {
        datafeed_id: d.datafeed_id,
        job_id: d.job_id,
        was: d.state,
        job_was: d.job_state,
        resumed: false,
      });
    }
  }
  return out;
}

/** One step on one task (docs/procedure.md §2.5–§2.7); `mark_resumed` only records entries already running again. */
export type TaskStep =
  | { kind: 'pause_auto_follow_pattern'; name: string }
  | { kind: 'pause_follow'; index: string }
  | { kind: 'stop_transform'; id: string }
  | { kind: 'stop_datafeed'; datafeed_id: string }
  | { kind: 'close_job'; job_id: string }
  | { kind: 'open_job'; job_id: string }
  | { kind: 'start_datafeed'; datafeed_id: string }
  | { kind: 'start_transform'; id: string }
  | { kind: 'resume_follow'; index: string; parameters: FollowerParameters }
  | { kind: 'resume_auto_follow_pattern'; name: string }
  | { kind: 'mark_resumed' };

/**
 * A step and the saved record written around it: `saveBefore` (pause: the capture, on the first step, so nothing is
 * paused before it is recorded) or `saveAfter` (resume: the entries resumed so far, so none is resumed twice).
 */
export type TaskOp = TaskStep & { saveBefore?: SavedTasks; saveAfter?: SavedTasks };

function pauseChanges(t: DiscoveredTasks, capture: SavedTasks): Change<TaskOp>[] {
  const c: Change<TaskOp>[] = [];
  for (const p of t.auto_follow_patterns)
    if (p.active)
      c.push({
        target: `auto_follow_pattern ${p.name}`,
        action: 'update',
        before: 'active',
        after: 'paused',
        op: { kind: 'pause_auto_follow_pattern', name: p.name },
      });
  for (const f of t.followers)
    if (f.status === 'active')
      c.push({
        target: `follower ${f.index}`,
        action: 'update',
        before: 'active',
        after: 'paused',
        op: { kind: 'pause_follow', index: f.index },
      });
  for (const x of t.transforms)
    if (RUNNING_TRANSFORM.includes(x.state))
      c.push({
        target: `transform ${x.id}`,
        action: 'update',
        before: x.state,
        after: 'stopped',
        op: { kind: 'stop_transform', id: x.id },
      });
  for (const d of t.datafeeds) {
    if (RUNNING_DATAFEED.includes(d.state))
      c.push({
        target: `datafeed ${d.datafeed_id}`,
        action: 'update',
        before: d.state,
        after: 'stopped',
        op: { kind: 'stop_datafeed', datafeed_id: d.datafeed_id },
      });
    if (OPEN_JOB.includes(d.job_state as JobState))
      c.push({
        target: `job ${d.job_id}`,
        action: 'update',
        before: d.job_state,
        after: 'closed',
        op: { kind: 'close_job', job_id: d.job_id },
      });
  }
  // Capture first (parameters of active followers included), then act.
  if (c.length) c[0]!.op = { ...c[0]!.op!, saveBefore: capture };
  return c;
}

function resumeChanges(saved: SavedTasks | undefined, t: DiscoveredTasks): Change<TaskOp>[] {
  if (!saved) return [];
  const c: Change<TaskOp>[] = [];
  const tState = new Map(t.transforms.map((x) => [x.id, x.state]));
  const dState = new Map(t.datafeeds.map((x) => [x.datafeed_id, x]));
  const fState = new Map(t.followers.map((x) => [x.index, x.status]));
  const pState = new Map(t.auto_follow_patterns.map((x) => [x.name, x.active]));
  // Each entry is marked resumed once its steps are done: its last step saves the record as it is then (an entry
  // already running again is marked with the next save).
  const record = structuredClone(saved);
  const done = (entry: { resumed: boolean }, steps: Change<TaskOp>[]) => {
    entry.resumed = true;
    const last = steps.at(-1);
    if (last) last.op = { ...last.op!, saveAfter: structuredClone(record) };
    c.push(...steps);
  };
  for (const d of record.datafeeds.filter((e) => !e.resumed)) {
    const now = dState.get(d.datafeed_id);
    const steps: Change<TaskOp>[] = [];
    if (OPEN_JOB.includes(d.job_was as JobState) && !OPEN_JOB.includes(now?.job_state as JobState))
      steps.push({
        target: `job ${d.job_id}`,
        action: 'update',
        before: now?.job_state ?? 'missing',
        after: 'opened',
        op: { kind: 'open_job', job_id: d.job_id },
      });
    if (RUNNING_DATAFEED.includes(d.was) && !RUNNING_DATAFEED.includes(now?.state as DatafeedState))
      steps.push({
        target: `datafeed ${d.datafeed_id}`,
        action: 'update',
        before: now?.state ?? 'missing',
        after: 'started',
        op: { kind: 'start_datafeed', datafeed_id: d.datafeed_id },
      });
    done(d, steps);
  }
  for (const x of record.transforms.filter((e) => !e.resumed)) {
    const now = tState.get(x.id);
    const steps: Change<TaskOp>[] = [];
    if (!now || !RUNNING_TRANSFORM.includes(now))
      steps.push({
        target: `transform ${x.id}`,
        action: 'update',
        before: now ?? 'missing',
        after: 'started',
        op: { kind: 'start_transform', id: x.id },
      });
    done(x, steps);
  }
  for (const f of record.followers.filter((e) => !e.resumed)) {
    const steps: Change<TaskOp>[] = [];
    if (fState.get(f.index) !== 'active')
      steps.push({
        target: `follower ${f.index}`,
        action: 'update',
        before: fState.get(f.index) ?? 'missing',
        after: { status: 'active', parameters: f.parameters },
        // The captured parameters: an empty body would reset them (docs/procedure.md §1.2 #3).
        op: { kind: 'resume_follow', index: f.index, parameters: f.parameters ?? {} },
      });
    done(f, steps);
  }
  for (const p of record.auto_follow_patterns.filter((e) => !e.resumed)) {
    const steps: Change<TaskOp>[] = [];
    if (pState.get(p.name) !== true)
      steps.push({
        target: `auto_follow_pattern ${p.name}`,
        action: 'update',
        before: 'paused',
        after: 'active',
        op: { kind: 'resume_auto_follow_pattern', name: p.name },
      });
    done(p, steps);
  }
  const last = c.at(-1);
  if (last) {
    // Entries after the last step that were already running are marked with it.
    last.op = { ...last.op!, saveAfter: record };
  } else if (
    [...saved.transforms, ...saved.datafeeds, ...saved.followers, ...saved.auto_follow_patterns].some((e) => !e.resumed)
  ) {
    // Entries whose tasks are already running again (resumed by hand): only the saved state changes.
    c.push({
      target: 'saved state (tasks already running: mark resumed)',
      action: 'update',
      op: { kind: 'mark_resumed', saveAfter: record },
    });
  }
  return c;
}

export const esTasks: Resource<TasksArgs, TasksCurrent, TaskOp> = {
  name: 'es_tasks',
  description: 'Find, pause (capturing state and parameters) and resume the tasks that read through an alias',
  runsOn: 'controller',
  changeNoun: ['task pause/resume', 'task pauses/resumes'],
  schema: {
    alias: { type: 'string', required: true },
    state: { type: 'string', choices: ['paused', 'resumed', 'listed'], default: 'listed' },
    cluster_group: {
      type: 'string',
      description: "inventory group of the local cluster (default: the task host's cluster)",
    },
  },

  async read(ctx, args) {
    const es = esFor(ctx, args.cluster_group);
    const [info, tasks] = await Promise.all([getInfo(es), discoverTasks(es, args.alias)]);
    const savedKey = stateKey('tasks', info.cluster_uuid, args.alias);
    const saved = ctx.state.get<SavedTasks>(savedKey);
    return { clusterUuid: info.cluster_uuid, savedKey, tasks, ...(saved ? { saved } : {}) };
  },

  diff(current, args) {
    if (args.state === 'paused')
      return pauseChanges(
        current.tasks,
        captureRunning(current.saved ?? emptySaved(current.clusterUuid, args.alias), current.tasks),
      );
    if (args.state === 'resumed') return resumeChanges(current.saved, current.tasks);
    return [];
  },

  async apply(ctx, args, plan, current) {
    const es = esFor(ctx, args.cluster_group);
    const applied = await performInOrder(plan, async (op) => {
      if (op.saveBefore) {
        const saved = op.saveBefore;
        await ctx.state.set(current.savedKey, saved);
        ctx.journal.event('tasks.captured', {
          key: current.savedKey,
          transforms: saved.transforms.length,
          datafeeds: saved.datafeeds.length,
          followers: saved.followers.length,
          auto_follow_patterns: saved.auto_follow_patterns.length,
        });
      }
      await perform(es, op);
      if (op.saveAfter) await ctx.state.set(current.savedKey, op.saveAfter);
    });
    let ccrProblems: string[] = [];
    if (args.state === 'resumed') {
      ctx.journal.event('tasks.resumed', { key: current.savedKey });
      ccrProblems = await followerProblems(es, current);
    }
    const msg =
      `${plan.length} task change(s) on alias ${args.alias}` +
      (ccrProblems.length ? `; follower problems after resume: ${ccrProblems.join('; ')}` : '');
    return {
      applied,
      msg,
      data: { ...report(current), ...(ccrProblems.length ? { ccr_problems: ccrProblems } : {}) },
    };
  },

  report(current) {
    return report(current);
  },
};

function report(current: TasksCurrent): Record<string, unknown> {
  return { ...current.tasks, ...taskIdentities(current.tasks), saved_key: current.savedKey };
}

async function perform(es: EsApi, step: TaskStep): Promise<void> {
  switch (step.kind) {
    case 'pause_auto_follow_pattern':
      return pauseAutoFollowPattern(es, step.name);
    case 'pause_follow':
      return pauseFollow(es, step.index);
    case 'stop_transform':
      return stopTransform(es, step.id);
    case 'stop_datafeed':
      return stopDatafeed(es, step.datafeed_id);
    case 'close_job':
      return closeJob(es, step.job_id);
    case 'open_job':
      return openJob(es, step.job_id);
    case 'start_datafeed':
      return startDatafeed(es, step.datafeed_id);
    case 'start_transform':
      return startTransform(es, step.id);
    case 'resume_follow':
      return resumeFollow(es, step.index, step.parameters);
    case 'resume_auto_follow_pattern':
      return resumeAutoFollowPattern(es, step.name);
    case 'mark_resumed':
      return;
  }
}

/**
 * Followers of the alias whose shards report a fatal exception (e.g. a retention lease lost during a long pause,
 * docs/procedure.md §1.2 #4): reported, since the follower then has to be re-created by hand.
 */
async function followerProblems(es: EsApi, current: TasksCurrent): Promise<string[]> {
  if (!current.saved?.followers.length) return [];
  const mine = new Set(current.saved.followers.map((f) => f.index));
  try {
    const stats = await getCcrStats(es);
    return stats.shards
      .filter((s) => mine.has(s.follower_index) && s.fatal_exception)
      .map((s) => `${s.follower_index}[${s.shard_id}]: ${s.fatal_exception}`);
  } catch {
    return []; // health is advisory here; resume itself succeeded
  }
}
