// Cross-cluster task REST APIs of the lab (local cluster): transforms, anomaly detection jobs and datafeeds,
// CCR follower indices and auto-follow patterns. Shapes: es-api/examples transform.*, ml.*, ccr.*.
// Every task remembers who created/updated it (roles, or a REST API key snapshot) and runs with that.
import type { LabRequest, Route, RouteContext } from '../router.js';
import { esError } from '../http-error.js';
import { boolParam } from '../rest-helpers.js';
import { totalmem } from 'node:os';
import type { ClusterState } from '../cluster/state.js';
import { patternMatches } from '../security/privileges.js';
import {
  addFollower,
  authorizationView,
  closeJob,
  datafeedOfJob,
  followInfoView,
  followParameters,
  followStatsView,
  givenFollowParameters,
  getDatafeed,
  getFollower,
  getJob,
  getPattern,
  getTransform,
  openJob,
  pauseFollow,
  resumeFollow,
  startDatafeed,
  startTransform,
  stopDatafeed,
  stopTransform,
  tasksOf,
} from './model.js';
import type { Datafeed, Follower, MlJob, TaskOwner, Transform, TasksState } from './types.js';
import { requireCluster } from '../security/routes.js';
import { remoteConnections } from '../remote/manager.js';
import { SEARCH, SHARD_CHANGES } from '../remote/fulfil.js';
import { splitIndexExpression } from '../remote/index-expr.js';
import { readThrough } from './ticker.js';
import { authenticate } from '../security/authenticate.js';

function ownerOf(ctx: RouteContext, req?: LabRequest): TaskOwner {
  // ES: `es-secondary-authorization` on create/update stores that identity instead of the caller's.
  const secondary = req?.headers['es-secondary-authorization'];
  let p = ctx.principal;
  if (typeof secondary === 'string' && secondary) {
    const out = authenticate(ctx.state, secondary, req!.path);
    if (!out.ok) throw esError(401, 'security_exception', out.reason);
    p = out.principal;
  }
  if (!p) throw esError(401, 'security_exception', 'missing authentication credentials');
  if (p.kind === 'user') return { kind: 'roles', username: p.username, roles: [...p.roles] };
  return {
    kind: 'api_key',
    username: p.username,
    id: p.key.id,
    name: p.key.name,
    role_descriptors: structuredClone(p.key.role_descriptors),
    limited_by: structuredClone(p.key.limited_by ?? []),
  };
}

function body(req: LabRequest): Record<string, unknown> {
  const b = req.body;
  if (b === undefined) return {};
  if (b === null || typeof b !== 'object' || Array.isArray(b))
    throw esError(400, 'parse_exception', 'request body must be a JSON object');
  return b as Record<string, unknown>;
}

/** `_all`, `*`, comma lists and wildcards, as ES's id expressions. */
function selectIds<T>(all: Record<string, T>, expr: string | undefined, kind: string, allowNoMatch = true): T[] {
  const ids = Object.keys(all).sort();
  if (!expr || expr === '_all' || expr === '*') return ids.map((i) => all[i]!);
  const parts = expr.split(',').map((s) => s.trim());
  const out = ids.filter((i) => parts.some((p) => patternMatches(p, i)));
  const missing = parts.filter((p) => !p.includes('*') && !ids.includes(p));
  if (missing.length || (!allowNoMatch && out.length === 0))
    throw esError(
      404,
      'resource_not_found_exception',
      kind === 'transform'
        ? `Transform with id [${missing[0] ?? expr}] could not be found`
        : kind === 'job'
          ? `No known job with id '${missing[0] ?? expr}'`
          : `No datafeed with id [${missing[0] ?? expr}] exists`,
    );
  return out.map((i) => all[i]!);
}

/**
 * ES checks a task's remote source with the identity the task will run as when it is started or resumed (stored
 * headers): an alias that is not configured or not reachable, or missing privileges, fail the request itself.
 */
async function checkRemoteSource(ctx: RouteContext, owner: TaskOwner, exprs: string[], action: string): Promise<void> {
  const mgr = remoteConnections();
  if (!mgr || !exprs.some((e) => splitIndexExpression(e).cluster !== null)) return;
  const o = await readThrough(mgr, ctx.state, owner, exprs, action, false);
  if (!o.ok) throw esError(o.status, o.type, o.reason);
}

async function mutate<T>(ctx: RouteContext, fn: (t: TasksState, s: ClusterState) => T): Promise<T> {
  return ctx.rt.updateState((s) => fn(tasksOf(s), s));
}

// ---------------------------------------------------------------- transforms
function transformView(t: Transform) {
  // ES fills defaults on read: a match_all source query and empty settings.
  return {
    id: t.id,
    authorization: authorizationView(t.owner),
    version: t.version,
    create_time: t.create_time,
    ...t.config,
    source: { query: { match_all: {} }, ...t.config.source },
    settings: (t.config.settings as object | undefined) ?? {},
  };
}

function transformStats(t: Transform, ctx: RouteContext) {
  const running = t.state !== 'stopped';
  const master = ctx.rt.members().find((m) => m.id === ctx.state.masterNodeId);
  return {
    id: t.id,
    state: t.state,
    ...(t.reason ? { reason: t.reason } : {}),
    ...(running && master
      ? {
          node: {
            id: master.id,
            name: master.name,
            ephemeral_id: master.id,
            transport_address: `${master.address}:${master.transportPort}`,
            attributes: {},
          },
        }
      : {}),
    stats: {
      pages_processed: t.checkpoint,
      documents_processed: t.checkpoint * 10,
      documents_indexed: t.checkpoint,
      documents_deleted: 0,
      trigger_count: t.checkpoint,
      index_time_in_ms: 0,
      index_total: t.checkpoint,
      index_failures: 0,
      search_time_in_ms: 0,
      search_total: t.checkpoint,
      search_failures: t.failureStreak,
      processing_time_in_ms: 0,
      processing_total: t.checkpoint,
      delete_time_in_ms: 0,
      exponential_avg_checkpoint_duration_ms: 0,
      exponential_avg_documents_indexed: 0,
      exponential_avg_documents_processed: 0,
    },
    checkpointing: {
      last: { checkpoint: t.checkpoint, ...(t.lastCheckpointMs ? { timestamp_millis: t.lastCheckpointMs } : {}) },
      operations_behind: 0,
      ...(t.lastCheckpointMs
        ? { changes_last_detected_at: t.lastCheckpointMs, last_search_time: t.lastCheckpointMs }
        : {}),
    },
    health:
      t.state === 'failed'
        ? {
            status: 'red',
            issues: [
              {
                type: 'transform_task_failed',
                issue: 'Transform task state is [failed]',
                details: t.reason ?? '',
                count: 1,
              },
            ],
          }
        : t.failureStreak > 0
          ? {
              status: 'yellow',
              issues: [{ type: 'transform_search_failed', issue: 'Transform search failures', count: t.failureStreak }],
            }
          : { status: 'green' },
  };
}

const TRANSFORM_FIELDS = [
  'source',
  'dest',
  'pivot',
  'latest',
  'frequency',
  'sync',
  'settings',
  'description',
  'retention_policy',
  '_meta',
];

async function putTransform(req: LabRequest, ctx: RouteContext) {
  requireCluster(ctx, 'manage_transform', 'cluster:admin/transform/put');
  const id = req.params.id!;
  const b = body(req);
  for (const k of Object.keys(b))
    if (!TRANSFORM_FIELDS.includes(k))
      throw esError(400, 'x_content_parse_exception', `[1:2] [data_frame_transform_config] unknown field [${k}]`);
  const src = b.source as { index?: unknown } | undefined;
  if (!src || src.index === undefined)
    throw esError(400, 'action_request_validation_exception', 'Validation Failed: 1: source.index must not be empty;');
  if (!b.dest || typeof (b.dest as { index?: unknown }).index !== 'string')
    throw esError(400, 'action_request_validation_exception', 'Validation Failed: 1: dest.index must not be empty;');
  const owner = ownerOf(ctx, req);
  await mutate(ctx, (t) => {
    if (t.transforms[id])
      throw esError(409, 'resource_already_exists_exception', `Transform with id [${id}] already exists`);
    const index = Array.isArray(src.index) ? (src.index as string[]) : [String(src.index)];
    t.transforms[id] = {
      id,
      config: { ...b, source: { ...src, index } } as Transform['config'],
      owner,
      create_time: Date.now(),
      version: ctx.rt.esVersion,
      state: 'stopped',
      checkpoint: 0,
      failureStreak: 0,
    };
  });
  return { body: { acknowledged: true } };
}

async function updateTransform(req: LabRequest, ctx: RouteContext) {
  requireCluster(ctx, 'manage_transform', 'cluster:admin/transform/update');
  const b = body(req);
  const owner = ownerOf(ctx, req);
  const t = await mutate(ctx, (ts) => {
    const t = getTransform(ts, req.params.id!);
    for (const k of Object.keys(b)) {
      if (!['source', 'dest', 'frequency', 'sync', 'settings', 'description', 'retention_policy', '_meta'].includes(k))
        throw esError(
          400,
          'x_content_parse_exception',
          `[1:2] [data_frame_transform_config_update] unknown field [${k}]`,
        );
      (t.config as Record<string, unknown>)[k] = b[k];
    }
    t.owner = owner; // ES: the update stores the caller's (or secondary) credentials
    return structuredClone(t);
  });
  return { body: transformView(t) };
}

// ---------------------------------------------------------------- ML
const JOB_DEFAULTS = {
  job_type: 'anomaly_detector',
  model_snapshot_retention_days: 10,
  daily_model_snapshot_retention_after_days: 1,
  results_index_name: 'shared',
  allow_lazy_open: false,
};

function jobView(j: MlJob) {
  // ES fills defaults on read (analysis limits, the epoch_ms time format).
  const dd = (j.config.data_description ?? {}) as Record<string, unknown>;
  const ac = (j.config.analysis_config ?? {}) as Record<string, unknown>;
  return {
    job_id: j.job_id,
    ...JOB_DEFAULTS,
    job_version: '8.0.0',
    create_time: j.create_time,
    analysis_limits: { model_memory_limit: '1024mb', categorization_examples_limit: 4 },
    ...j.config,
    // AnalysisConfig.toXContent writes `influencers` always, [] when none were given (docs/es-behaviour.md §9).
    analysis_config: { ...ac, influencers: (ac.influencers as unknown[] | undefined) ?? [] },
    data_description: { time_format: 'epoch_ms', ...dd },
  };
}

function datafeedView(d: Datafeed) {
  return {
    datafeed_id: d.datafeed_id,
    job_id: d.job_id,
    authorization: authorizationView(d.owner),
    query_delay: '60000ms',
    chunking_config: { mode: 'auto' },
    indices_options: {
      expand_wildcards: ['open'],
      ignore_unavailable: false,
      allow_no_indices: true,
      ignore_throttled: true,
    },
    query: { match_all: {} },
    scroll_size: 1000,
    delayed_data_check_config: { enabled: true },
    ...d.config,
  };
}

function jobStats(j: MlJob, ctx: RouteContext) {
  const node = j.node ? ctx.rt.members().find((m) => m.id === j.node) : undefined;
  return {
    job_id: j.job_id,
    state: j.state,
    data_counts: {
      job_id: j.job_id,
      processed_record_count: 0,
      processed_field_count: 0,
      input_bytes: 0,
      input_field_count: 0,
      invalid_date_count: 0,
      missing_field_count: 0,
      out_of_order_timestamp_count: 0,
      empty_bucket_count: 0,
      sparse_bucket_count: 0,
      bucket_count: 0,
      input_record_count: 0,
    },
    model_size_stats: {
      job_id: j.job_id,
      result_type: 'model_size_stats',
      model_bytes: 0,
      total_by_field_count: 0,
      total_over_field_count: 0,
      total_partition_field_count: 0,
      bucket_allocation_failures_count: 0,
      memory_status: 'ok',
      log_time: Date.now(),
      timestamp: Date.now(),
    },
    forecasts_stats: { total: 0, forecasted_jobs: 0 },
    // TimingStats.toXContent: the lab's jobs process no buckets, so only the always-present fields
    // (min/max/avg/exponential averages are absent until a bucket is processed; docs/es-behaviour.md §9).
    timing_stats: { job_id: j.job_id, bucket_count: 0, total_bucket_processing_time_ms: 0.0 },
    ...(node
      ? {
          node: {
            id: node.id,
            name: node.name,
            ephemeral_id: node.id,
            transport_address: `${node.address}:${node.transportPort}`,
            attributes: ML_NODE_ATTRIBUTES,
          },
          assignment_explanation: '',
          open_time: '1s',
        }
      : {}),
  };
}

function datafeedStats(d: Datafeed, ctx: RouteContext) {
  const node = d.node ? ctx.rt.members().find((m) => m.id === d.node) : undefined;
  return {
    datafeed_id: d.datafeed_id,
    state: d.state,
    ...(node
      ? {
          node: {
            id: node.id,
            name: node.name,
            ephemeral_id: node.id,
            transport_address: `${node.address}:${node.transportPort}`,
            attributes: ML_NODE_ATTRIBUTES,
          },
        }
      : {}),
    assignment_explanation: d.lastError ? `datafeed stopped: ${d.lastError}` : '',
    timing_stats: {
      job_id: d.job_id,
      search_count: d.searchCount,
      bucket_count: d.searchCount,
      total_search_time_ms: d.searchCount * 2.0,
      average_search_time_per_bucket_ms: 2.0,
      exponential_average_search_time_per_hour_ms: 2.0,
    },
    ...(d.state === 'started'
      ? { running_state: { real_time_configured: d.realTimeConfigured, real_time_running: d.realTimeConfigured } }
      : {}),
  };
}

/** Attributes ES puts on ML nodes. */
const ML_NODE_ATTRIBUTES = { 'ml.machine_memory': String(totalmem()), 'ml.max_open_jobs': '512' };

function masterNode(ctx: RouteContext): string {
  return ctx.state.masterNodeId ?? ctx.rt.nodeId;
}

// ---------------------------------------------------------------- CCR
function requireLicenseForCcr(state: ClusterState) {
  const l = state.license;
  if (!(['platinum', 'enterprise', 'trial'].includes(l.type) && l.status === 'active'))
    throw esError(403, 'security_exception', 'current license is non-compliant for [ccr]', {
      'license.expired.feature': 'ccr',
    });
}

async function follow(req: LabRequest, ctx: RouteContext) {
  requireCluster(ctx, 'manage_ccr', 'cluster:admin/xpack/ccr/put_follow');
  requireLicenseForCcr(ctx.state);
  const index = req.params.index!;
  const {
    remote_cluster,
    leader_index,
    settings: _s,
    data_stream_name: _d,
    ...params
  } = body(req) as Record<string, unknown>;
  if (typeof remote_cluster !== 'string' || typeof leader_index !== 'string')
    throw esError(
      400,
      'action_request_validation_exception',
      'Validation Failed: 1: [remote_cluster] is missing;2: [leader_index] is missing;',
    );
  const parameters = followParameters(params);
  const owner = ownerOf(ctx, req);
  await checkRemoteSource(ctx, owner, [`${remote_cluster}:${leader_index}`], SHARD_CHANGES);
  await mutate(ctx, (t, s) => {
    if (t.followers[index] || s.indices[index])
      throw esError(
        400,
        'resource_already_exists_exception',
        `index [${index}/${s.indices[index]?.uuid ?? ''}] already exists`,
      );
    addFollower(t, s, { follower_index: index, remote_cluster, leader_index, parameters, owner });
  });
  return { body: { follow_index_created: true, follow_index_shards_acked: true, index_following_started: true } };
}

function ccrInfo(req: LabRequest, ctx: RouteContext) {
  requireCluster(ctx, 'monitor', 'cluster:monitor/ccr/follow_info');
  const t = tasksOf(structuredClone(ctx.state));
  const list = selectFollowers(t, req.params.index);
  return { body: { follower_indices: list.map(followInfoView) } };
}

function selectFollowers(t: TasksState, expr: string | undefined): Follower[] {
  const all = Object.keys(t.followers).sort();
  if (!expr || expr === '_all' || expr === '*') return all.map((i) => t.followers[i]!);
  const parts = expr.split(',');
  for (const p of parts)
    if (!p.includes('*') && !t.followers[p]) throw esError(404, 'index_not_found_exception', `no such index [${p}]`);
  return all.filter((i) => parts.some((p) => patternMatches(p, i))).map((i) => t.followers[i]!);
}

function ccrStats(ctx: RouteContext) {
  const t = tasksOf(structuredClone(ctx.state));
  const now = Date.now();
  return {
    auto_follow_stats: {
      number_of_failed_follow_indices: t.autoFollowStats.failed,
      number_of_failed_remote_cluster_state_requests: t.autoFollowStats.failedRemoteClusterStateRequests,
      number_of_successful_follow_indices: t.autoFollowStats.successful,
      recent_auto_follow_errors: t.autoFollowStats.recentErrors,
      auto_followed_clusters: Object.values(t.autoFollowPatterns)
        .filter((p) => p.active)
        .map((p) => ({
          cluster_name: p.remote_cluster,
          time_since_last_check_millis: 500,
          last_seen_metadata_version: 1,
        })),
    },
    follow_stats: {
      indices: Object.values(t.followers)
        .filter((f) => f.status === 'active')
        .map((f) => followStatsView(f, now)),
    },
  };
}

/** AutoFollowPattern.toXContent (docs/es-behaviour.md §6): optional fields only when set, the given parameters. */
function patternView(p: TasksState['autoFollowPatterns'][string]) {
  return {
    name: p.name,
    pattern: {
      active: p.active,
      remote_cluster: p.remote_cluster,
      leader_index_patterns: p.leader_index_patterns,
      leader_index_exclusion_patterns: p.leader_index_exclusion_patterns,
      ...(p.follow_index_pattern !== undefined ? { follow_index_pattern: p.follow_index_pattern } : {}),
      ...(p.settings && Object.keys(p.settings).length ? { settings: p.settings } : {}),
      ...(p.parameters ?? {}),
    },
  };
}

// ---------------------------------------------------------------- routes
const ack = { acknowledged: true };

export const routes: Route[] = [
  // transforms
  { method: 'PUT', path: '/_transform/{id}', handler: putTransform, params: ['defer_validation', 'timeout'] },
  {
    method: 'POST',
    path: '/_transform/{id}/_update',
    handler: updateTransform,
    params: ['defer_validation', 'timeout'],
  },
  {
    method: 'GET',
    path: '/_transform',
    params: ['from', 'size', 'allow_no_match', 'exclude_generated'],
    handler: (_r, ctx) => {
      requireCluster(ctx, 'monitor_transform', 'cluster:monitor/transform/get');
      const list = Object.values(tasksOf(structuredClone(ctx.state)).transforms).sort((a, b) =>
        a.id.localeCompare(b.id),
      );
      return { body: { count: list.length, transforms: list.map(transformView) } };
    },
  },
  {
    method: 'GET',
    path: '/_transform/{id}',
    params: ['from', 'size', 'allow_no_match', 'exclude_generated'],
    handler: (r, ctx) => {
      requireCluster(ctx, 'monitor_transform', 'cluster:monitor/transform/get');
      const list = selectIds(tasksOf(structuredClone(ctx.state)).transforms, r.params.id, 'transform');
      return { body: { count: list.length, transforms: list.map(transformView) } };
    },
  },
  {
    method: 'GET',
    path: '/_transform/{id}/_stats',
    params: ['from', 'size', 'allow_no_match', 'timeout'],
    handler: (r, ctx) => {
      requireCluster(ctx, 'monitor_transform', 'cluster:monitor/transform/stats/get');
      const list = selectIds(tasksOf(structuredClone(ctx.state)).transforms, r.params.id, 'transform');
      return { body: { count: list.length, transforms: list.map((t) => transformStats(t, ctx)) } };
    },
  },
  {
    method: 'POST',
    path: '/_transform/{id}/_start',
    params: ['timeout', 'from'],
    handler: async (r, ctx) => {
      requireCluster(ctx, 'manage_transform', 'cluster:admin/transform/start');
      const tr = getTransform(tasksOf(structuredClone(ctx.state)), r.params.id!);
      if (tr.state === 'stopped') await checkRemoteSource(ctx, tr.owner, tr.config.source.index as string[], SEARCH);
      await mutate(ctx, (t) => startTransform(getTransform(t, r.params.id!)));
      return { body: ack };
    },
  },
  {
    method: 'POST',
    path: '/_transform/{id}/_stop',
    params: ['force', 'wait_for_completion', 'timeout', 'wait_for_checkpoint', 'allow_no_match'],
    handler: async (r, ctx) => {
      requireCluster(ctx, 'manage_transform', 'cluster:admin/transform/stop');
      const force = boolParam(r.query, 'force');
      await mutate(ctx, (t) => {
        for (const x of selectIds(t.transforms, r.params.id, 'transform')) stopTransform(x, force);
      });
      return { body: ack };
    },
  },
  {
    method: 'DELETE',
    path: '/_transform/{id}',
    params: ['force', 'timeout', 'delete_dest_index'],
    handler: async (r, ctx) => {
      requireCluster(ctx, 'manage_transform', 'cluster:admin/transform/delete');
      const force = boolParam(r.query, 'force');
      await mutate(ctx, (t) => {
        const x = getTransform(t, r.params.id!);
        if (x.state !== 'stopped' && !force)
          throw esError(
            409,
            'status_exception',
            `Cannot delete transform [${x.id}] as the task is running. Stop the task first`,
          );
        delete t.transforms[x.id];
      });
      return { body: ack };
    },
  },
  // ML jobs
  {
    method: 'PUT',
    path: '/_ml/anomaly_detectors/{id}',
    handler: async (r, ctx) => {
      requireCluster(ctx, 'manage_ml', 'cluster:admin/xpack/ml/job/put');
      const id = r.params.id!;
      const b = body(r);
      if (!b.analysis_config || !b.data_description)
        throw esError(
          400,
          'action_request_validation_exception',
          `Validation Failed: 1: ${!b.analysis_config ? 'analysis_config' : 'data_description'} must be set;`,
        );
      const j = await mutate(ctx, (t) => {
        if (t.jobs[id])
          throw esError(
            400,
            'resource_already_exists_exception',
            `The job cannot be created with the Id '${id}'. The Id is already used.`,
          );
        t.jobs[id] = { job_id: id, config: b, create_time: Date.now(), state: 'closed' };
        return structuredClone(t.jobs[id]);
      });
      return { body: jobView(j) };
    },
  },
  {
    method: 'GET',
    path: '/_ml/anomaly_detectors',
    params: ['allow_no_match', 'exclude_generated'],
    handler: (_r, ctx) => {
      requireCluster(ctx, 'monitor_ml', 'cluster:monitor/xpack/ml/job/get');
      const list = selectIds(tasksOf(structuredClone(ctx.state)).jobs, undefined, 'job');
      return { body: { count: list.length, jobs: list.map(jobView) } };
    },
  },
  {
    method: 'GET',
    path: '/_ml/anomaly_detectors/{id}',
    params: ['allow_no_match', 'exclude_generated'],
    handler: (r, ctx) => {
      requireCluster(ctx, 'monitor_ml', 'cluster:monitor/xpack/ml/job/get');
      const list = selectIds(tasksOf(structuredClone(ctx.state)).jobs, r.params.id, 'job');
      return { body: { count: list.length, jobs: list.map(jobView) } };
    },
  },
  {
    method: 'GET',
    path: '/_ml/anomaly_detectors/{id}/_stats',
    params: ['allow_no_match'],
    handler: (r, ctx) => {
      requireCluster(ctx, 'monitor_ml', 'cluster:monitor/xpack/ml/job/stats/get');
      const list = selectIds(tasksOf(structuredClone(ctx.state)).jobs, r.params.id, 'job');
      return { body: { count: list.length, jobs: list.map((j) => jobStats(j, ctx)) } };
    },
  },
  {
    method: 'POST',
    path: '/_ml/anomaly_detectors/{id}/_open',
    params: ['timeout'],
    handler: async (r, ctx) => {
      requireCluster(ctx, 'manage_ml', 'cluster:admin/xpack/ml/job/open');
      const node = masterNode(ctx);
      await mutate(ctx, (t) => openJob(getJob(t, r.params.id!), node));
      return { body: { opened: true, node } };
    },
  },
  {
    method: 'POST',
    path: '/_ml/anomaly_detectors/{id}/_close',
    params: ['timeout', 'force', 'allow_no_match'],
    handler: async (r, ctx) => {
      requireCluster(ctx, 'manage_ml', 'cluster:admin/xpack/ml/job/close');
      const force = boolParam(r.query, 'force') || body(r).force === true;
      await mutate(ctx, (t) => {
        for (const j of selectIds(t.jobs, r.params.id, 'job')) closeJob(t, j, force);
      });
      return { body: { closed: true } };
    },
  },
  // datafeeds
  {
    method: 'PUT',
    path: '/_ml/datafeeds/{id}',
    params: ['allow_no_indices', 'expand_wildcards', 'ignore_throttled', 'ignore_unavailable'],
    handler: async (r, ctx) => {
      requireCluster(ctx, 'manage_ml', 'cluster:admin/xpack/ml/datafeeds/put');
      const id = r.params.id!;
      const b = body(r);
      if (typeof b.job_id !== 'string')
        throw esError(400, 'action_request_validation_exception', 'Validation Failed: 1: job_id must be set;');
      if (!Array.isArray(b.indices) || b.indices.length === 0)
        throw esError(400, 'action_request_validation_exception', 'Validation Failed: 1: indices must be set;');
      const owner = ownerOf(ctx, r);
      const d = await mutate(ctx, (t) => {
        getJob(t, b.job_id as string);
        if (t.datafeeds[id])
          throw esError(409, 'resource_already_exists_exception', `A datafeed with id [${id}] already exists`);
        if (datafeedOfJob(t, b.job_id as string))
          throw esError(
            409,
            'resource_already_exists_exception',
            `A datafeed [${datafeedOfJob(t, b.job_id as string)!.datafeed_id}] already exists for job [${b.job_id}]`,
          );
        t.datafeeds[id] = {
          datafeed_id: id,
          job_id: b.job_id as string,
          config: b as Datafeed['config'],
          owner,
          state: 'stopped',
          realTimeConfigured: false,
          searchCount: 0,
        };
        return structuredClone(t.datafeeds[id]);
      });
      return { body: datafeedView(d) };
    },
  },
  {
    method: 'POST',
    path: '/_ml/datafeeds/{id}/_update',
    handler: async (r, ctx) => {
      requireCluster(ctx, 'manage_ml', 'cluster:admin/xpack/ml/datafeeds/update');
      const b = body(r);
      const owner = ownerOf(ctx, r);
      const d = await mutate(ctx, (t) => {
        const d = getDatafeed(t, r.params.id!);
        if (d.state === 'started')
          throw esError(
            409,
            'status_exception',
            `Cannot update datafeed [${d.datafeed_id}] while its status is started`,
          );
        Object.assign(d.config, b);
        d.owner = owner;
        return structuredClone(d);
      });
      return { body: datafeedView(d) };
    },
  },
  {
    method: 'GET',
    path: '/_ml/datafeeds',
    params: ['allow_no_match', 'exclude_generated'],
    handler: (_r, ctx) => {
      requireCluster(ctx, 'monitor_ml', 'cluster:monitor/xpack/ml/datafeeds/get');
      const list = selectIds(tasksOf(structuredClone(ctx.state)).datafeeds, undefined, 'datafeed');
      return { body: { count: list.length, datafeeds: list.map(datafeedView) } };
    },
  },
  {
    method: 'GET',
    path: '/_ml/datafeeds/{id}',
    params: ['allow_no_match', 'exclude_generated'],
    handler: (r, ctx) => {
      requireCluster(ctx, 'monitor_ml', 'cluster:monitor/xpack/ml/datafeeds/get');
      const list = selectIds(tasksOf(structuredClone(ctx.state)).datafeeds, r.params.id, 'datafeed');
      return { body: { count: list.length, datafeeds: list.map(datafeedView) } };
    },
  },
  {
    method: 'GET',
    path: '/_ml/datafeeds/{id}/_stats',
    params: ['allow_no_match'],
    handler: (r, ctx) => {
      requireCluster(ctx, 'monitor_ml', 'cluster:monitor/xpack/ml/datafeeds/stats/get');
      const list = selectIds(tasksOf(structuredClone(ctx.state)).datafeeds, r.params.id, 'datafeed');
      return { body: { count: list.length, datafeeds: list.map((d) => datafeedStats(d, ctx)) } };
    },
  },
  {
    method: 'POST',
    path: '/_ml/datafeeds/{id}/_start',
    params: ['start', 'end', 'timeout'],
    handler: async (r, ctx) => {
      requireCluster(ctx, 'manage_ml', 'cluster:admin/xpack/ml/datafeed/start');
      const b = body(r);
      const hasEnd = r.query.has('end') || b.end !== undefined;
      const node = masterNode(ctx);
      const df = getDatafeed(tasksOf(structuredClone(ctx.state)), r.params.id!);
      if (df.state === 'stopped' && getJob(tasksOf(structuredClone(ctx.state)), df.job_id).state === 'opened')
        await checkRemoteSource(ctx, df.owner, df.config.indices, SEARCH);
      await mutate(ctx, (t) => startDatafeed(t, getDatafeed(t, r.params.id!), node, hasEnd));
      return { body: { started: true, node } };
    },
  },
  {
    method: 'POST',
    path: '/_ml/datafeeds/{id}/_stop',
    params: ['timeout', 'force', 'allow_no_match'],
    handler: async (r, ctx) => {
      requireCluster(ctx, 'manage_ml', 'cluster:admin/xpack/ml/datafeed/stop');
      await mutate(ctx, (t) => {
        for (const d of selectIds(t.datafeeds, r.params.id, 'datafeed')) stopDatafeed(d);
      });
      return { body: { stopped: true } };
    },
  },
  // CCR followers
  {
    method: 'PUT',
    path: '/{index}/_ccr/follow',
    handler: follow,
    params: ['wait_for_active_shards', 'master_timeout'],
  },
  {
    method: 'POST',
    path: '/{index}/_ccr/pause_follow',
    params: ['master_timeout'],
    handler: async (r, ctx) => {
      requireCluster(ctx, 'manage_ccr', 'cluster:admin/xpack/ccr/pause_follow');
      await mutate(ctx, (t) => pauseFollow(getFollower(t, r.params.index!)));
      return { body: ack };
    },
  },
  {
    method: 'POST',
    path: '/{index}/_ccr/resume_follow',
    params: ['master_timeout'],
    handler: async (r, ctx) => {
      requireCluster(ctx, 'manage_ccr', 'cluster:admin/xpack/ccr/resume_follow');
      requireLicenseForCcr(ctx.state);
      const b = body(r);
      const owner = ownerOf(ctx, r);
      const f0 = getFollower(tasksOf(structuredClone(ctx.state)), r.params.index!);
      if (f0.status === 'paused' || f0.fatal_exception)
        await checkRemoteSource(ctx, owner, [`${f0.remote_cluster}:${f0.leader_index}`], SHARD_CHANGES);
      await mutate(ctx, (t) => {
        const f = getFollower(t, r.params.index!);
        resumeFollow(f, b);
        f.owner = owner;
      });
      return { body: ack };
    },
  },
  { method: 'GET', path: '/{index}/_ccr/info', handler: ccrInfo, params: ['master_timeout'] },
  {
    method: 'GET',
    path: '/{index}/_ccr/stats',
    params: ['timeout'],
    handler: (r, ctx) => {
      requireCluster(ctx, 'monitor', 'cluster:monitor/ccr/follow_stats');
      const t = tasksOf(structuredClone(ctx.state));
      return {
        body: {
          indices: selectFollowers(t, r.params.index)
            .filter((f) => f.status === 'active')
            .map((f) => followStatsView(f, Date.now())),
        },
      };
    },
  },
  {
    method: 'GET',
    path: '/_ccr/stats',
    params: ['timeout', 'master_timeout'],
    handler: (_r, ctx) => {
      requireCluster(ctx, 'monitor', 'cluster:monitor/ccr/stats');
      return { body: ccrStats(ctx) };
    },
  },
  // auto-follow patterns
  {
    method: 'PUT',
    path: '/_ccr/auto_follow/{name}',
    params: ['master_timeout'],
    handler: async (r, ctx) => {
      requireCluster(ctx, 'manage_ccr', 'cluster:admin/xpack/ccr/auto_follow_pattern/put');
      requireLicenseForCcr(ctx.state);
      const b = body(r);
      const {
        remote_cluster,
        leader_index_patterns,
        leader_index_exclusion_patterns,
        follow_index_pattern,
        settings,
        ...params
      } = b;
      if (typeof remote_cluster !== 'string' || !Array.isArray(leader_index_patterns))
        throw esError(400, 'action_request_validation_exception', 'Validation Failed: 1: [remote_cluster] is missing;');
      const parameters = givenFollowParameters(params as Record<string, unknown>, 'auto_follow_pattern');
      const owner = ownerOf(ctx, r);
      await mutate(ctx, (t) => {
        t.autoFollowPatterns[r.params.name!] = {
          name: r.params.name!,
          remote_cluster,
          leader_index_patterns: leader_index_patterns as string[],
          leader_index_exclusion_patterns: (leader_index_exclusion_patterns as string[] | undefined) ?? [],
          ...(typeof follow_index_pattern === 'string' ? { follow_index_pattern } : {}),
          ...(settings && typeof settings === 'object' && Object.keys(settings).length
            ? { settings: settings as Record<string, unknown> }
            : {}),
          parameters,
          active: t.autoFollowPatterns[r.params.name!]?.active ?? true,
          owner,
        };
      });
      return { body: ack };
    },
  },
  {
    method: 'GET',
    path: '/_ccr/auto_follow',
    params: ['master_timeout'],
    handler: (_r, ctx) => {
      requireCluster(ctx, 'read_ccr', 'cluster:monitor/xpack/ccr/auto_follow_pattern/get');
      return {
        body: {
          patterns: Object.values(tasksOf(structuredClone(ctx.state)).autoFollowPatterns)
            .sort((a, b) => a.name.localeCompare(b.name))
            .map(patternView),
        },
      };
    },
  },
  {
    method: 'GET',
    path: '/_ccr/auto_follow/{name}',
    params: ['master_timeout'],
    handler: (r, ctx) => {
      requireCluster(ctx, 'read_ccr', 'cluster:monitor/xpack/ccr/auto_follow_pattern/get');
      return { body: { patterns: [patternView(getPattern(tasksOf(structuredClone(ctx.state)), r.params.name!))] } };
    },
  },
  {
    method: 'DELETE',
    path: '/_ccr/auto_follow/{name}',
    params: ['master_timeout'],
    handler: async (r, ctx) => {
      requireCluster(ctx, 'manage_ccr', 'cluster:admin/xpack/ccr/auto_follow_pattern/delete');
      await mutate(ctx, (t) => {
        getPattern(t, r.params.name!);
        delete t.autoFollowPatterns[r.params.name!];
      });
      return { body: ack };
    },
  },
  {
    method: 'POST',
    path: '/_ccr/auto_follow/{name}/pause',
    params: ['master_timeout'],
    handler: async (r, ctx) => {
      requireCluster(ctx, 'manage_ccr', 'cluster:admin/xpack/ccr/auto_follow_pattern/activate');
      await mutate(ctx, (t) => {
        getPattern(t, r.params.name!).active = false;
      });
      return { body: ack };
    },
  },
  {
    method: 'POST',
    path: '/_ccr/auto_follow/{name}/resume',
    params: ['master_timeout'],
    handler: async (r, ctx) => {
      requireCluster(ctx, 'manage_ccr', 'cluster:admin/xpack/ccr/auto_follow_pattern/activate');
      await mutate(ctx, (t) => {
        getPattern(t, r.params.name!).active = true;
      });
      return { body: ack };
    },
  },
];
