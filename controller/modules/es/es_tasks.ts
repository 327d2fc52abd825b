// es_tasks: the persistent tasks that read through an alias (docs/procedure.md §2.5–§2.7, §1.2 #2/#3).
//   state: paused   capture state + parameters into saved state, then pause: auto-follow patterns first (no new
//                   followers meanwhile), followers (parameters captured BEFORE pausing: _ccr/info omits them
//                   once paused), transforms (_stop?wait_for_completion=true), datafeeds stop + jobs close.
//   state: resumed  resume exactly what was running, with its parameters: jobs open + datafeeds start,
//                   transforms start, followers resume_follow with the captured parameters (an empty body would
//                   reset them), auto-follow patterns resume; each entry is marked resumed in saved state as it
//                   goes, so a re-run or a resumed run never resumes twice.
//   state: listed   discovery only (never changes anything).
import type { Change, Module, TaskContext } from '../contract.js';
import type { EsApi } from '../../elastic/types.js';
import { expressionsReadFromAlias } from '../../elastic/index-expr.js';
import {
  getTransforms,
  getTransformStats,
  getDatafeeds,
  getDatafeedStats,
  getJobStats,
  getAutoFollowPatterns,
  getFollowInfo,
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
  const [transforms, tStats, datafeeds, dStats, jStats, patterns, followers] = await Promise.all([
    getTransforms(es),
    getTransformStats(es),
    getDatafeeds(es),
    getDatafeedStats(es),
    getJobStats(es),
    getAutoFollowPatterns(es),
    getFollowInfo(es),
  ]);
  const tState = new Map(tStats.map((s) => [s.id, s.state]));
  const dState = new Map(dStats.map((s) => [s.datafeed_id, s.state]));
  const jState = new Map(jStats.map((s) => [s.job_id, s.state]));
  return {
    transforms: transforms
      .filter((t) => expressionsReadFromAlias(t.source.index, alias))
      .map((t) => ({
        id: t.id,
        state: tState.get(t.id) ?? 'stopped',
        indices: t.source.index,
        ...(t.authorization ? { authorization: t.authorization } : {}),
      })),
    datafeeds: datafeeds
      .filter((d) => expressionsReadFromAlias(d.indices, alias))
      .map((d) => ({
        datafeed_id: d.datafeed_id,
        job_id: d.job_id,
        state: dState.get(d.datafeed_id) ?? 'stopped',
        job_state: jState.get(d.job_id) ?? 'missing',
        indices: d.indices,
        ...(d.authorization ? { authorization: d.authorization } : {}),
      })),
    // Auto-follow patterns and followers name the alias literally (they cannot use wildcards).
    auto_follow_patterns: patterns
      .filter((p) => p.remote_cluster === alias)
      .map((p) => ({ name: p.name, active: p.active })),
    followers: followers
      .filter((f) => f.remote_cluster === alias)
      .map((f) => ({
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

function pauseChanges(t: DiscoveredTasks): Change[] {
  const c: Change[] = [];
  for (const p of t.auto_follow_patterns)
    if (p.active)
      c.push({ target: `auto_follow_pattern ${p.name}`, action: 'update', before: 'active', after: 'paused' });
  for (const f of t.followers)
    if (f.status === 'active')
      c.push({ target: `follower ${f.index}`, action: 'update', before: 'active', after: 'paused' });
  for (const x of t.transforms)
    if (RUNNING_TRANSFORM.includes(x.state))
      c.push({ target: `transform ${x.id}`, action: 'update', before: x.state, after: 'stopped' });
  for (const d of t.datafeeds) {
    if (RUNNING_DATAFEED.includes(d.state))
      c.push({ target: `datafeed ${d.datafeed_id}`, action: 'update', before: d.state, after: 'stopped' });
    if (OPEN_JOB.includes(d.job_state as JobState))
      c.push({ target: `job ${d.job_id}`, action: 'update', before: d.job_state, after: 'closed' });
  }
  return c;
}

function resumeChanges(saved: SavedTasks | undefined, t: DiscoveredTasks): Change[] {
  if (!saved) return [];
  const c: Change[] = [];
  const tState = new Map(t.transforms.map((x) => [x.id, x.state]));
  const dState = new Map(t.datafeeds.map((x) => [x.datafeed_id, x]));
  const fState = new Map(t.followers.map((x) => [x.index, x.status]));
  const pState = new Map(t.auto_follow_patterns.map((x) => [x.name, x.active]));
  for (const d of saved.datafeeds.filter((e) => !e.resumed)) {
    const now = dState.get(d.datafeed_id);
    if (OPEN_JOB.includes(d.job_was as JobState) && !OPEN_JOB.includes(now?.job_state as JobState))
      c.push({ target: `job ${d.job_id}`, action: 'update', before: now?.job_state ?? 'missing', after: 'opened' });
    if (RUNNING_DATAFEED.includes(d.was) && !RUNNING_DATAFEED.includes(now?.state as DatafeedState))
      c.push({
        target: `datafeed ${d.datafeed_id}`,
        action: 'update',
        before: now?.state ?? 'missing',
        after: 'started',
      });
  }
  for (const x of saved.transforms.filter((e) => !e.resumed)) {
    const now = tState.get(x.id);
    if (!now || !RUNNING_TRANSFORM.includes(now))
      c.push({ target: `transform ${x.id}`, action: 'update', before: now ?? 'missing', after: 'started' });
  }
  for (const f of saved.followers.filter((e) => !e.resumed)) {
    if (fState.get(f.index) !== 'active')
      c.push({
        target: `follower ${f.index}`,
        action: 'update',
        before: fState.get(f.index) ?? 'missing',
        after: { status: 'active', parameters: f.parameters },
      });
  }
  for (const p of saved.auto_follow_patterns.filter((e) => !e.resumed)) {
    if (pState.get(p.name) !== true)
      c.push({ target: `auto_follow_pattern ${p.name}`, action: 'update', before: 'paused', after: 'active' });
  }
  // Entries whose tasks are already running again (resumed by hand) produce no change; apply marks them.
  if (
    c.length === 0 &&
    [...saved.transforms, ...saved.datafeeds, ...saved.followers, ...saved.auto_follow_patterns].some((e) => !e.resumed)
  ) {
    c.push({ target: 'saved state (tasks already running: mark resumed)', action: 'update' });
  }
  return c;
}

export const esTasks: Module<TasksArgs, TasksCurrent> = {
  name: 'es_tasks',
  description: 'Find, pause (capturing state and parameters) and resume the tasks that read through an alias',
  runsOn: 'controller',
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
    if (args.state === 'paused') return pauseChanges(current.tasks);
    if (args.state === 'resumed') return resumeChanges(current.saved, current.tasks);
    return [];
  },

  async apply(ctx, args, changes, current) {
    const es = esFor(ctx, args.cluster_group);
    if (args.state === 'paused') await pause(ctx, es, current, args.alias);
    let ccrProblems: string[] = [];
    if (args.state === 'resumed') {
      await resume(ctx, es, current);
      ccrProblems = await followerProblems(es, current);
    }
    const msg =
      `${changes.length} task change(s) on alias ${args.alias}` +
      (ccrProblems.length ? `; follower problems after resume: ${ccrProblems.join('; ')}` : '');
    return {
      status: 'changed',
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

async function pause(ctx: TaskContext, es: EsApi, current: TasksCurrent, alias: string): Promise<void> {
  const t = current.tasks;
  // Capture first (parameters of active followers included), then act.
  const saved = captureRunning(current.saved ?? emptySaved(current.clusterUuid, alias), t);
  await ctx.state.set(current.savedKey, saved);
  ctx.journal.event('tasks.captured', {
    key: current.savedKey,
    transforms: saved.transforms.length,
    datafeeds: saved.datafeeds.length,
    followers: saved.followers.length,
    auto_follow_patterns: saved.auto_follow_patterns.length,
  });
  for (const p of t.auto_follow_patterns) if (p.active) await pauseAutoFollowPattern(es, p.name);
  for (const f of t.followers) if (f.status === 'active') await pauseFollow(es, f.index);
  for (const x of t.transforms) if (RUNNING_TRANSFORM.includes(x.state)) await stopTransform(es, x.id);
  for (const d of t.datafeeds) {
    if (RUNNING_DATAFEED.includes(d.state)) await stopDatafeed(es, d.datafeed_id);
    if (OPEN_JOB.includes(d.job_state as JobState)) await closeJob(es, d.job_id);
  }
}

async function resume(ctx: TaskContext, es: EsApi, current: TasksCurrent): Promise<void> {
  const saved = structuredClone(current.saved!);
  const now = current.tasks;
  const mark = async () => ctx.state.set(current.savedKey, saved);
  for (const d of saved.datafeeds.filter((e) => !e.resumed)) {
    const cur = now.datafeeds.find((x) => x.datafeed_id === d.datafeed_id);
    if (OPEN_JOB.includes(d.job_was as JobState) && !OPEN_JOB.includes(cur?.job_state as JobState))
      await openJob(es, d.job_id);
    if (RUNNING_DATAFEED.includes(d.was) && !RUNNING_DATAFEED.includes(cur?.state as DatafeedState))
      await startDatafeed(es, d.datafeed_id);
    d.resumed = true;
    await mark();
  }
  for (const x of saved.transforms.filter((e) => !e.resumed)) {
    const cur = now.transforms.find((y) => y.id === x.id);
    if (!cur || !RUNNING_TRANSFORM.includes(cur.state)) await startTransform(es, x.id);
    x.resumed = true;
    await mark();
  }
  for (const f of saved.followers.filter((e) => !e.resumed)) {
    const cur = now.followers.find((y) => y.index === f.index);
    if (cur?.status !== 'active') await resumeFollow(es, f.index, f.parameters ?? {});
    f.resumed = true;
    await mark();
  }
  for (const p of saved.auto_follow_patterns.filter((e) => !e.resumed)) {
    const cur = now.auto_follow_patterns.find((y) => y.name === p.name);
    if (cur?.active !== true) await resumeAutoFollowPattern(es, p.name);
    p.resumed = true;
    await mark();
  }
  ctx.journal.event('tasks.resumed', { key: current.savedKey });
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
