// Cross-cluster tasks of the local cluster (transforms, anomaly detection jobs + datafeeds, CCR
// auto-follow patterns and follower indices) with ES's state machines as pure functions over the
// `tasks` section of the cluster state. Errors carry ES's status codes (409 for state conflicts).

import { EsHttpError } from '../http-error.js';
import type { ClusterState } from '../cluster/state.js';
import { createIndex } from '../cluster/coordination.js';

import type {
  TaskOwner,
  Transform,
  MlJob,
  Datafeed,
  AutoFollowPattern,
  FollowParameters,
  Follower,
  Disruption,
  TasksState,
  CountersState,
} from './types.js';

export function authorizationView(o: TaskOwner): Record<string, unknown> {
  return o.kind === 'roles' ? { roles: o.roles } : { api_key: { id: o.id, name: o.name } };
}

export const DEFAULT_FOLLOW_PARAMETERS: FollowParameters = {
  max_read_request_operation_count: 5120,
  max_read_request_size: '32mb',
  max_outstanding_read_requests: 12,
  max_write_request_operation_count: 5120,
  max_write_request_size: '9223372036854775807b',
  max_outstanding_write_requests: 9,
  max_write_buffer_count: 2147483647,
  max_write_buffer_size: '512mb',
  max_retry_delay: '500ms',
  read_poll_timeout: '1m',
};

export function emptyTasks(): TasksState {
  return {
    transforms: {},
    jobs: {},
    datafeeds: {},
    autoFollowPatterns: {},
    followers: {},
    autoFollowStats: { failed: 0, successful: 0, failedRemoteClusterStateRequests: 0, recentErrors: [] },
  };
}

function conflict(reason: string): never {
  throw new EsHttpError(409, 'status_exception', reason);
}
function notFound(reason: string): never {
  throw new EsHttpError(404, 'resource_not_found_exception', reason);
}

// ---- transforms ----
export function getTransform(s: TasksState, id: string): Transform {
  return s.transforms[id] ?? notFound(`Transform with id [${id}] could not be found`);
}
export function startTransform(t: Transform): void {
  if (t.state === 'failed')
    conflict(
      `Unable to start transform [${t.id}] as it is in a failed state. Use force stop and then restart the transform once error is resolved. More details: [${t.reason ?? ''}]`,
    );
  if (t.state !== 'stopped') conflict(`Cannot start transform [${t.id}] as it is already started.`);
  t.state = 'started';
  t.failureStreak = 0;
  delete t.reason;
}
export function stopTransform(t: Transform, force: boolean): void {
  if (t.state === 'failed' && !force)
    conflict(
      `Unable to stop transform [${t.id}] as it is in a failed state with reason [${t.reason ?? ''}]. Use force stop to stop the transform. More details: [${t.reason ?? ''}]`,
    );
  t.state = 'stopped';
  t.failureStreak = 0;
  delete t.reason;
}

// ---- ML ----
export function getJob(s: TasksState, id: string): MlJob {
  return s.jobs[id] ?? notFound(`No known job with id '${id}'`);
}
export function getDatafeed(s: TasksState, id: string): Datafeed {
  return s.datafeeds[id] ?? notFound(`No datafeed with id [${id}] exists`);
}
export function datafeedOfJob(s: TasksState, jobId: string): Datafeed | undefined {
  return Object.values(s.datafeeds).find((d) => d.job_id === jobId);
}
export function openJob(j: MlJob, node: string): void {
  if (j.state === 'failed')
    conflict(`Cannot open job [${j.job_id}] because it has failed; close it with force=true first`);
  j.state = 'opened';
  j.node = node;
}
export function closeJob(s: TasksState, j: MlJob, force: boolean): void {
  if (j.state === 'failed' && !force) conflict(`cannot close job [${j.job_id}] because it failed, use force close`);
  const df = datafeedOfJob(s, j.job_id);
  if (df && df.state === 'started') {
    df.state = 'stopped';
    delete df.node;
  } // closing a job stops its datafeed first
  j.state = 'closed';
  delete j.node;
}
export function startDatafeed(s: TasksState, d: Datafeed, node: string, hasEnd: boolean): void {
  const j = getJob(s, d.job_id);
  if (j.state !== 'opened')
    conflict(`cannot start datafeed [${d.datafeed_id}] because job [${j.job_id}] is ${j.state}`);
  if (d.state === 'started') conflict(`cannot start datafeed [${d.datafeed_id}] because it has already been started`);
  d.state = 'started';
  d.realTimeConfigured = !hasEnd;
  d.node = node;
  delete d.lastError;
}
export function stopDatafeed(d: Datafeed): void {
  d.state = 'stopped';
  delete d.node;
}

// ---- CCR ----
export function getFollower(s: TasksState, index: string): Follower {
  return s.followers[index] ?? notFound(`no such index [${index}]`);
}
export function getPattern(s: TasksState, name: string): AutoFollowPattern {
  return s.autoFollowPatterns[name] ?? notFound(`auto-follow pattern [${name}] is missing`);
}
export function pauseFollow(f: Follower): void {
  if (f.status === 'paused')
    throw new EsHttpError(
      400,
      'illegal_argument_exception',
      `No shard follow tasks for follower index [${f.follower_index}]`,
    );
  f.status = 'paused';
}
const PARAM_KEYS = Object.keys(DEFAULT_FOLLOW_PARAMETERS) as Array<keyof FollowParameters>;

/** Parameters of a follow/resume body: missing ones take ES's defaults (why resume with `{}` resets them). */
export function followParameters(body: Record<string, unknown>): FollowParameters {
  return { ...DEFAULT_FOLLOW_PARAMETERS, ...givenFollowParameters(body) };
}

/**
 * Only the follow parameters present in a body, in FollowParameters.toXContentFragment's order (what an
 * auto-follow pattern keeps and shows, docs/es-behaviour.md §6); unknown fields are refused.
 */
export function givenFollowParameters(
  body: Record<string, unknown>,
  request = 'resume_follow_request',
): Partial<FollowParameters> {
  for (const k of Object.keys(body ?? {}))
    if (!PARAM_KEYS.includes(k as keyof FollowParameters))
      throw new EsHttpError(400, 'x_content_parse_exception', `[1:2] [${request}] unknown field [${k}]`);
  const out: Record<string, unknown> = {};
  for (const k of PARAMETER_ORDER) if (body?.[k] !== undefined && body[k] !== null) out[k] = body[k];
  return out as Partial<FollowParameters>;
}

/** FollowParameters.toXContentFragment field order. */
const PARAMETER_ORDER: Array<keyof FollowParameters> = [
  'max_read_request_operation_count',
  'max_write_request_operation_count',
  'max_outstanding_read_requests',
  'max_outstanding_write_requests',
  'max_read_request_size',
  'max_write_request_size',
  'max_write_buffer_count',
  'max_write_buffer_size',
  'max_retry_delay',
  'read_poll_timeout',
];
export function resumeFollow(f: Follower, body: Record<string, unknown>): void {
  if (f.status === 'active' && !f.fatal_exception)
    throw new EsHttpError(
      400,
      'illegal_argument_exception',
      `cannot resume following index [${f.follower_index}], index is already being followed`,
    );
  f.parameters = followParameters(body);
  f.status = 'active';
  delete f.fatal_exception;
  f.read_exceptions = [];
}

/** A new follower index (PUT /<index>/_ccr/follow or an auto-follow pattern), with its local index. */
export function addFollower(
  t: TasksState,
  s: ClusterState,
  f: Pick<Follower, 'follower_index' | 'remote_cluster' | 'leader_index' | 'parameters' | 'owner'> & {
    pattern?: string;
  },
): void {
  t.followers[f.follower_index] = {
    ...f,
    status: 'active',
    read_exceptions: [],
    operations_read: 0,
    successful_read_requests: 0,
    failed_read_requests: 0,
  };
  if (!s.indices[f.follower_index]) createIndex(s, f.follower_index, 1, 0);
}

/** GET /<index>/_ccr/info entry: `parameters` omitted while paused (ES behaviour). */
export function followInfoView(f: Follower): Record<string, unknown> {
  const v: Record<string, unknown> = {
    follower_index: f.follower_index,
    remote_cluster: f.remote_cluster,
    leader_index: f.leader_index,
    status: f.status,
  };
  if (f.status === 'active') v.parameters = f.parameters;
  return v;
}

export function followStatsView(f: Follower, now: number): Record<string, unknown> {
  const ops = f.operations_read;
  return {
    index: f.follower_index,
    total_global_checkpoint_lag: 0,
    shards: [
      {
        remote_cluster: f.remote_cluster,
        leader_index: f.leader_index,
        follower_index: f.follower_index,
        shard_id: 0,
        leader_global_checkpoint: ops - 1,
        leader_max_seq_no: ops - 1,
        follower_global_checkpoint: ops - 1,
        follower_max_seq_no: ops - 1,
        last_requested_seq_no: ops - 1,
        outstanding_read_requests: f.status === 'active' && !f.fatal_exception ? 1 : 0,
        outstanding_write_requests: 0,
        write_buffer_operation_count: 0,
        follower_mapping_version: 1,
        follower_settings_version: 1,
        follower_aliases_version: 1,
        total_read_time_millis: f.successful_read_requests * 2,
        total_read_remote_exec_time_millis: f.successful_read_requests,
        successful_read_requests: f.successful_read_requests,
        failed_read_requests: f.failed_read_requests,
        operations_read: ops,
        bytes_read: ops * 64,
        total_write_time_millis: ops,
        write_buffer_size_in_bytes: 0,
        successful_write_requests: f.successful_read_requests,
        failed_write_requests: 0,
        operations_written: ops,
        read_exceptions: f.read_exceptions,
        time_since_last_read_millis: f.lastReadMs !== undefined ? Math.max(0, now - f.lastReadMs) : -1,
        ...(f.fatal_exception ? { fatal_exception: f.fatal_exception } : {}),
      },
    ],
  };
}

/** Record a disruption (first failure of a running task) in the cluster's counters. */
export function recordDisruption(c: CountersState, d: Disruption): void {
  c.disruptions += 1;
  c.disruption_log.push(d);
  if (c.disruption_log.length > 200) c.disruption_log.splice(0, c.disruption_log.length - 200);
}

/** The tasks section with every collection present (a fresh lab state may hold `{}`). */
export function tasksOf(state: { tasks: TasksState }): TasksState {
  const t = state.tasks as Partial<TasksState>;
  const e = emptyTasks();
  t.transforms ??= e.transforms;
  t.jobs ??= e.jobs;
  t.datafeeds ??= e.datafeeds;
  t.autoFollowPatterns ??= e.autoFollowPatterns;
  t.followers ??= e.followers;
  t.autoFollowStats ??= e.autoFollowStats;
  return t as TasksState;
}

export function countersOf(state: { counters: CountersState }): CountersState {
  const c = state.counters as Partial<CountersState>;
  c.disruptions ??= 0;
  c.disruption_log ??= [];
  return c as CountersState;
}
