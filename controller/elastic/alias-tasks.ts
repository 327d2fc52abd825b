// The tasks of the local cluster that read through a remote alias (docs/procedure.md §2.5–§2.7): transforms and
// datafeeds whose source indices read through it (wildcards such as `*:idx` count too), CCR auto-follow patterns
// and followers (they name the alias literally). One read of the task APIs, then filtered per alias: es_tasks
// pauses and resumes what it finds, `crosskey inspect` lists it.
import type { EsApi } from './types.js';
import { expressionsReadFromAlias, splitIndexExpression } from './index-expr.js';
import {
  getAutoFollowPatterns,
  getDatafeeds,
  getDatafeedStats,
  getFollowInfo,
  getJobStats,
  getTransforms,
  getTransformStats,
  type AutoFollowPattern,
  type DatafeedConfig,
  type DatafeedState,
  type FollowerInfo,
  type JobState,
  type TransformConfig,
  type TransformState,
} from './api/tasks.js';

/** The task configurations with their states (a task without stats is stopped, a datafeed's job may be missing). */
export interface LocalTasks {
  transforms: Array<TransformConfig & { state: TransformState }>;
  datafeeds: Array<DatafeedConfig & { state: DatafeedState; job_state: JobState | 'missing' }>;
  autoFollowPatterns: AutoFollowPattern[];
  followers: FollowerInfo[];
}

/** Every transform, datafeed (with its job's state), auto-follow pattern and follower of the local cluster. */
export async function readLocalTasks(es: EsApi): Promise<LocalTasks> {
  const [transforms, tStats, datafeeds, dStats, jStats, autoFollowPatterns, followers] = await Promise.all([
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
    transforms: transforms.map((t) => ({ ...t, state: tState.get(t.id) ?? 'stopped' })),
    datafeeds: datafeeds.map((d) => ({
      ...d,
      state: dState.get(d.datafeed_id) ?? 'stopped',
      job_state: jState.get(d.job_id) ?? 'missing',
    })),
    autoFollowPatterns,
    followers,
  };
}

/** The tasks that read through `alias`, in the order the cluster lists them. */
export function tasksOfAlias(tasks: LocalTasks, alias: string): LocalTasks {
  return {
    transforms: tasks.transforms.filter((t) => expressionsReadFromAlias(t.source.index, alias)),
    datafeeds: tasks.datafeeds.filter((d) => expressionsReadFromAlias(d.indices, alias)),
    // Auto-follow patterns and followers name the alias literally (they cannot use wildcards).
    autoFollowPatterns: tasks.autoFollowPatterns.filter((p) => p.remote_cluster === alias),
    followers: tasks.followers.filter((f) => f.remote_cluster === alias),
  };
}

/** Every task on the local cluster that reads through `alias`. */
export async function aliasTasks(es: EsApi, alias: string): Promise<LocalTasks> {
  return tasksOfAlias(await readLocalTasks(es), alias);
}

/** The aliases the tasks name literally (wildcard cluster parts and exclusions name none), unsorted. */
export function aliasesNamedBy(tasks: LocalTasks): Set<string> {
  const aliases = new Set<string>();
  const literal = (exprs: readonly string[]) => {
    for (const raw of exprs.flatMap((x) => x.split(','))) {
      const e = splitIndexExpression(raw.trim());
      if (!e.exclusion && e.cluster && !e.cluster.includes('*')) aliases.add(e.cluster);
    }
  };
  tasks.transforms.forEach((x) => literal(x.source.index));
  tasks.datafeeds.forEach((x) => literal(x.indices));
  tasks.autoFollowPatterns.forEach((x) => aliases.add(x.remote_cluster));
  tasks.followers.forEach((x) => aliases.add(x.remote_cluster));
  return aliases;
}
