// Persistent tasks that read through a remote alias (docs/procedure.md §2.5–§2.7): transforms, anomaly detection jobs
// and
// their datafeeds, CCR auto-follow patterns and follower indices. List, state, stop/start with the parameters
// needed to put them back exactly as they were.
import type { EsApi } from '../types.js';
import { shape, isObj, type Obj } from './shape.js';

export type TaskAuthorization =
  | { roles: string[] }
  | { api_key: { id: string; name?: string } }
  | { service_account: string };

function parseAuthorization(api: string, v: unknown, field: string): TaskAuthorization | undefined {
  if (v === undefined || v === null) return undefined;
  const s = shape(api);
  const o = s.obj(v, field);
  if (o.roles !== undefined) return { roles: s.strs(o.roles, `${field}.roles`) };
  if (o.api_key !== undefined) {
    const k = s.obj(o.api_key, `${field}.api_key`);
    const out: { id: string; name?: string } = { id: s.str(k.id, `${field}.api_key.id`) };
    const name = s.optStr(k.name, `${field}.api_key.name`);
    if (name !== undefined) out.name = name;
    return { api_key: out };
  }
  if (o.service_account !== undefined) return { service_account: s.str(o.service_account, `${field}.service_account`) };
  return undefined;
}

/** Role names a task runs with (empty for API keys and service accounts). */
export function rolesOf(auth: TaskAuthorization | undefined): string[] {
  return auth && 'roles' in auth ? auth.roles : [];
}

// ---- transforms ----

export interface TransformConfig {
  id: string;
  source: { index: string[] };
  dest?: { index: string };
  authorization?: TaskAuthorization;
}
export type TransformState = 'started' | 'indexing' | 'stopping' | 'stopped' | 'aborting' | 'failed';
export interface TransformStats {
  id: string;
  state: TransformState;
  reason?: string;
}

export function parseTransforms(body: unknown): TransformConfig[] {
  const api = 'GET /_transform';
  const s = shape(api);
  const o = s.obj(body, 'body');
  return s.arr(o.transforms, 'transforms').map((t, i) => {
    const to = s.obj(t, `transforms[${i}]`);
    const src = s.obj(to.source, `transforms[${i}].source`);
    const cfg: TransformConfig = {
      id: s.str(to.id, `transforms[${i}].id`),
      source: { index: s.strOrStrs(src.index, `transforms[${i}].source.index`) },
    };
    if (isObj(to.dest)) cfg.dest = { index: s.str(to.dest.index, `transforms[${i}].dest.index`) };
    const auth = parseAuthorization(api, to.authorization, `transforms[${i}].authorization`);
    if (auth) cfg.authorization = auth;
    return cfg;
  });
}

export function parseTransformStats(body: unknown): TransformStats[] {
  const s = shape('GET /_transform/_stats');
  const o = s.obj(body, 'body');
  return s.arr(o.transforms, 'transforms').map((t, i) => {
    const to = s.obj(t, `transforms[${i}]`);
    const st: TransformStats = {
      id: s.str(to.id, `transforms[${i}].id`),
      state: s.oneOf(to.state, `transforms[${i}].state`, [
        'started',
        'indexing',
        'stopping',
        'stopped',
        'aborting',
        'failed',
      ] as const),
    };
    const reason = s.optStr(to.reason, `transforms[${i}].reason`);
    if (reason !== undefined) st.reason = reason;
    return st;
  });
}

/** `{"acknowledged": true}` answers (stop/start transform, CCR pause/resume). */
export function parseAcknowledged(api: string, body: unknown): boolean {
  const s = shape(api);
  return s.bool(s.obj(body, 'body').acknowledged, 'acknowledged');
}

/** ML answers carrying one flag: `{"closed": true}`, `{"opened": true, "node": …}`, `{"started": true}`, `{"stopped": true}`. */
export function parseMlFlag(api: string, body: unknown, flag: 'closed' | 'opened' | 'started' | 'stopped'): boolean {
  const s = shape(api);
  return s.bool(s.obj(body, 'body')[flag], flag);
}

/**
 * A 409 answer counts as done only when ES says the task is already in the wanted state ("already started",
 * "already opened"); any other conflict (e.g. "job is closed") is an error naming the API and ES's reason.
 */
export function acceptAlreadyDone(api: string, res: { status: number; body: unknown }, already: RegExp): void {
  if (res.status !== 409) return;
  const err = isObj(res.body) && isObj(res.body.error) ? res.body.error : undefined;
  const reason = err ? String(err.reason ?? err.type ?? '') : JSON.stringify(res.body);
  if (!already.test(reason)) throw new Error(`${api}: conflict (409): ${reason}`);
}

const PAGE = 1000;

export async function getTransforms(es: EsApi): Promise<TransformConfig[]> {
  const out: TransformConfig[] = [];
  for (let from = 0; ; from += PAGE) {
    const res = await es.request({
      method: 'GET',
      path: '/_transform/_all',
      query: { from, size: PAGE },
      okStatuses: [404],
    });
    if (res.status === 404) return out;
    const page = parseTransforms(res.body);
    out.push(...page);
    const count = (res.body as Obj).count;
    if (page.length < PAGE || (typeof count === 'number' && out.length >= count)) return out;
  }
}

export async function getTransformStats(es: EsApi): Promise<TransformStats[]> {
  const out: TransformStats[] = [];
  for (let from = 0; ; from += PAGE) {
    const res = await es.request({
      method: 'GET',
      path: '/_transform/_all/_stats',
      query: { from, size: PAGE },
      okStatuses: [404],
    });
    if (res.status === 404) return out;
    const page = parseTransformStats(res.body);
    out.push(...page);
    const count = (res.body as Obj).count;
    if (page.length < PAGE || (typeof count === 'number' && out.length >= count)) return out;
  }
}

/** Stops and waits until STOPPED (docs/procedure.md §1.4: wait_for_completion=true). `force` for failed transforms. */
export async function stopTransform(
  es: EsApi,
  id: string,
  opts: { force?: boolean; timeout?: string } = {},
): Promise<void> {
  const res = await es.request({
    method: 'POST',
    path: `/_transform/${encodeURIComponent(id)}/_stop`,
    query: { wait_for_completion: true, timeout: opts.timeout ?? '5m', force: opts.force || undefined },
    timeoutMs: 6 * 60_000,
  });
  parseAcknowledged('POST /_transform/{id}/_stop', res.body);
}

/** Starts a transform; "already started" (409) counts as done. */
export async function startTransform(es: EsApi, id: string): Promise<void> {
  const res = await es.request({
    method: 'POST',
    path: `/_transform/${encodeURIComponent(id)}/_start`,
    okStatuses: [409],
  });
  acceptAlreadyDone(`POST /_transform/${id}/_start`, res, /already (been )?started|already running/i);
  if (res.status !== 409) parseAcknowledged('POST /_transform/{id}/_start', res.body);
}

// ---- anomaly detection: datafeeds and jobs ----

export interface DatafeedConfig {
  datafeed_id: string;
  job_id: string;
  indices: string[];
  authorization?: TaskAuthorization;
}
export type DatafeedState = 'started' | 'stopped' | 'starting' | 'stopping';
export interface DatafeedStats {
  datafeed_id: string;
  state: DatafeedState;
  real_time_configured?: boolean;
}
export type JobState = 'closing' | 'closed' | 'opened' | 'failed' | 'opening';
export interface JobStats {
  job_id: string;
  state: JobState;
}

export function parseDatafeeds(body: unknown): DatafeedConfig[] {
  const api = 'GET /_ml/datafeeds';
  const s = shape(api);
  const o = s.obj(body, 'body');
  return s.arr(o.datafeeds, 'datafeeds').map((d, i) => {
    const dobj = s.obj(d, `datafeeds[${i}]`);
    const cfg: DatafeedConfig = {
      datafeed_id: s.str(dobj.datafeed_id, `datafeeds[${i}].datafeed_id`),
      job_id: s.str(dobj.job_id, `datafeeds[${i}].job_id`),
      indices: s.strOrStrs(dobj.indices ?? dobj.indexes, `datafeeds[${i}].indices`),
    };
    const auth = parseAuthorization(api, dobj.authorization, `datafeeds[${i}].authorization`);
    if (auth) cfg.authorization = auth;
    return cfg;
  });
}

export function parseDatafeedStats(body: unknown): DatafeedStats[] {
  const s = shape('GET /_ml/datafeeds/_stats');
  const o = s.obj(body, 'body');
  return s.arr(o.datafeeds, 'datafeeds').map((d, i) => {
    const dobj = s.obj(d, `datafeeds[${i}]`);
    const st: DatafeedStats = {
      datafeed_id: s.str(dobj.datafeed_id, `datafeeds[${i}].datafeed_id`),
      state: s.oneOf(dobj.state, `datafeeds[${i}].state`, ['started', 'stopped', 'starting', 'stopping'] as const),
    };
    if (isObj(dobj.running_state)) {
      const rt = s.optBool(
        dobj.running_state.real_time_configured,
        `datafeeds[${i}].running_state.real_time_configured`,
      );
      if (rt !== undefined) st.real_time_configured = rt;
    }
    return st;
  });
}

export function parseJobStats(body: unknown): JobStats[] {
  const s = shape('GET /_ml/anomaly_detectors/_stats');
  const o = s.obj(body, 'body');
  return s.arr(o.jobs, 'jobs').map((j, i) => {
    const jo = s.obj(j, `jobs[${i}]`);
    return {
      job_id: s.str(jo.job_id, `jobs[${i}].job_id`),
      state: s.oneOf(jo.state, `jobs[${i}].state`, ['closing', 'closed', 'opened', 'failed', 'opening'] as const),
    };
  });
}

export async function getDatafeeds(es: EsApi): Promise<DatafeedConfig[]> {
  const res = await es.request({ method: 'GET', path: '/_ml/datafeeds/_all', okStatuses: [404] });
  return res.status === 404 ? [] : parseDatafeeds(res.body);
}

export async function getDatafeedStats(es: EsApi): Promise<DatafeedStats[]> {
  const res = await es.request({ method: 'GET', path: '/_ml/datafeeds/_all/_stats', okStatuses: [404] });
  return res.status === 404 ? [] : parseDatafeedStats(res.body);
}

export async function getJobStats(es: EsApi): Promise<JobStats[]> {
  const res = await es.request({ method: 'GET', path: '/_ml/anomaly_detectors/_all/_stats', okStatuses: [404] });
  return res.status === 404 ? [] : parseJobStats(res.body);
}

export async function stopDatafeed(es: EsApi, id: string): Promise<void> {
  const res = await es.request({
    method: 'POST',
    path: `/_ml/datafeeds/${encodeURIComponent(id)}/_stop`,
    body: { timeout: '5m' },
    timeoutMs: 6 * 60_000,
  });
  parseMlFlag('POST /_ml/datafeeds/{id}/_stop', res.body, 'stopped');
}

export async function startDatafeed(es: EsApi, id: string): Promise<void> {
  // No `start`: a previously run datafeed continues from 1 ms after the last processed record.
  const res = await es.request({
    method: 'POST',
    path: `/_ml/datafeeds/${encodeURIComponent(id)}/_start`,
    body: {},
    okStatuses: [409],
  });
  acceptAlreadyDone(`POST /_ml/datafeeds/${id}/_start`, res, /already (been )?started/i);
  if (res.status !== 409) parseMlFlag('POST /_ml/datafeeds/{id}/_start', res.body, 'started');
}

export async function closeJob(es: EsApi, jobId: string): Promise<void> {
  const res = await es.request({
    method: 'POST',
    path: `/_ml/anomaly_detectors/${encodeURIComponent(jobId)}/_close`,
    query: { timeout: '30m' },
    timeoutMs: 31 * 60_000,
  });
  parseMlFlag('POST /_ml/anomaly_detectors/{id}/_close', res.body, 'closed');
}

export async function openJob(es: EsApi, jobId: string): Promise<void> {
  const res = await es.request({
    method: 'POST',
    path: `/_ml/anomaly_detectors/${encodeURIComponent(jobId)}/_open`,
    body: { timeout: '35m' },
    timeoutMs: 36 * 60_000,
    okStatuses: [409],
  });
  acceptAlreadyDone(`POST /_ml/anomaly_detectors/${jobId}/_open`, res, /already (been )?opened|already open/i);
  if (res.status !== 409) parseMlFlag('POST /_ml/anomaly_detectors/{id}/_open', res.body, 'opened');
}

// ---- cross-cluster replication ----

export interface AutoFollowPattern {
  name: string;
  active: boolean;
  remote_cluster: string;
  leader_index_patterns: string[];
  follow_index_pattern?: string;
}
export type FollowerParameters = Record<string, string | number>;
export interface FollowerInfo {
  follower_index: string;
  remote_cluster: string;
  leader_index: string;
  status: 'active' | 'paused';
  parameters?: FollowerParameters;
}

export function parseAutoFollowPatterns(body: unknown): AutoFollowPattern[] {
  const s = shape('GET /_ccr/auto_follow');
  const o = s.obj(body, 'body');
  return s.arr(o.patterns ?? [], 'patterns').map((p, i) => {
    const po = s.obj(p, `patterns[${i}]`);
    const pat = s.obj(po.pattern, `patterns[${i}].pattern`);
    const out: AutoFollowPattern = {
      name: s.str(po.name, `patterns[${i}].name`),
      active: s.optBool(pat.active, `patterns[${i}].pattern.active`) ?? true,
      remote_cluster: s.str(pat.remote_cluster, `patterns[${i}].pattern.remote_cluster`),
      leader_index_patterns: s.strs(pat.leader_index_patterns ?? [], `patterns[${i}].pattern.leader_index_patterns`),
    };
    const fip = s.optStr(pat.follow_index_pattern, `patterns[${i}].pattern.follow_index_pattern`);
    if (fip !== undefined) out.follow_index_pattern = fip;
    return out;
  });
}

export function parseFollowInfo(body: unknown): FollowerInfo[] {
  const s = shape('GET /_ccr/info');
  const o = s.obj(body, 'body');
  return s.arr(o.follower_indices ?? [], 'follower_indices').map((f, i) => {
    const fo = s.obj(f, `follower_indices[${i}]`);
    const out: FollowerInfo = {
      follower_index: s.str(fo.follower_index, `follower_indices[${i}].follower_index`),
      remote_cluster: s.str(fo.remote_cluster, `follower_indices[${i}].remote_cluster`),
      leader_index: s.str(fo.leader_index, `follower_indices[${i}].leader_index`),
      status: s.oneOf(fo.status, `follower_indices[${i}].status`, ['active', 'paused'] as const),
    };
    if (fo.parameters !== undefined) {
      const po = s.obj(fo.parameters, `follower_indices[${i}].parameters`);
      const params: FollowerParameters = {};
      for (const [k, v] of Object.entries(po)) {
        if (typeof v !== 'string' && typeof v !== 'number')
          throw new Error(`GET /_ccr/info: parameters.${k} is not a string or number`);
        params[k] = v;
      }
      out.parameters = params;
    }
    return out;
  });
}

export async function getAutoFollowPatterns(es: EsApi): Promise<AutoFollowPattern[]> {
  const res = await es.request({ method: 'GET', path: '/_ccr/auto_follow', okStatuses: [404] });
  return res.status === 404 ? [] : parseAutoFollowPatterns(res.body);
}

export async function getFollowInfo(es: EsApi): Promise<FollowerInfo[]> {
  const res = await es.request({ method: 'GET', path: '/_all/_ccr/info', okStatuses: [404] });
  return res.status === 404 ? [] : parseFollowInfo(res.body);
}

export async function pauseAutoFollowPattern(es: EsApi, name: string): Promise<void> {
  const res = await es.request({ method: 'POST', path: `/_ccr/auto_follow/${encodeURIComponent(name)}/pause` });
  parseAcknowledged('POST /_ccr/auto_follow/{name}/pause', res.body);
}

export async function resumeAutoFollowPattern(es: EsApi, name: string): Promise<void> {
  const res = await es.request({ method: 'POST', path: `/_ccr/auto_follow/${encodeURIComponent(name)}/resume` });
  parseAcknowledged('POST /_ccr/auto_follow/{name}/resume', res.body);
}

export async function pauseFollow(es: EsApi, index: string): Promise<void> {
  const res = await es.request({ method: 'POST', path: `/${encodeURIComponent(index)}/_ccr/pause_follow` });
  parseAcknowledged('POST /{index}/_ccr/pause_follow', res.body);
}

/** Resumes with the captured parameters: an empty body would reset them to defaults (docs/procedure.md §1.2 #3). */
export async function resumeFollow(es: EsApi, index: string, parameters: FollowerParameters): Promise<void> {
  const res = await es.request({
    method: 'POST',
    path: `/${encodeURIComponent(index)}/_ccr/resume_follow`,
    body: parameters,
  });
  parseAcknowledged('POST /{index}/_ccr/resume_follow', res.body);
}

// ---- CCR health after resume ----

export interface FollowShardHealth {
  follower_index: string;
  shard_id: number;
  failed_read_requests: number;
  read_exceptions: number;
  fatal_exception?: string;
}

function parseFollowIndices(api: string, v: unknown, field: string): FollowShardHealth[] {
  const s = shape(api);
  const out: FollowShardHealth[] = [];
  s.arr(v, field).forEach((ix, i) => {
    const io = s.obj(ix, `${field}[${i}]`);
    s.arr(io.shards ?? [], `${field}[${i}].shards`).forEach((sh, j) => {
      const so = s.obj(sh, `${field}[${i}].shards[${j}]`);
      const h: FollowShardHealth = {
        follower_index: s.str(so.follower_index ?? io.index, `${field}[${i}].shards[${j}].follower_index`),
        shard_id: s.num(so.shard_id, `${field}[${i}].shards[${j}].shard_id`),
        failed_read_requests:
          s.optNum(so.failed_read_requests, `${field}[${i}].shards[${j}].failed_read_requests`) ?? 0,
        read_exceptions: s.arr(so.read_exceptions ?? [], `${field}[${i}].shards[${j}].read_exceptions`).length,
      };
      if (so.fatal_exception !== undefined && so.fatal_exception !== null) {
        const fe = so.fatal_exception;
        h.fatal_exception = isObj(fe) ? String(fe.reason ?? fe.type ?? JSON.stringify(fe)) : String(fe);
      }
      out.push(h);
    });
  });
  return out;
}

/** `GET /<index>/_ccr/stats`. */
export function parseFollowStats(body: unknown): FollowShardHealth[] {
  const api = 'GET /{index}/_ccr/stats';
  const s = shape(api);
  return parseFollowIndices(api, s.obj(body, 'body').indices ?? [], 'indices');
}

export interface CcrStats {
  failed_follow_indices: number;
  recent_auto_follow_errors: number;
  shards: FollowShardHealth[];
}

/** `GET /_ccr/stats`: auto-follow failures and every follower shard's read errors. */
export function parseCcrStats(body: unknown): CcrStats {
  const api = 'GET /_ccr/stats';
  const s = shape(api);
  const o = s.obj(body, 'body');
  const af = s.obj(o.auto_follow_stats ?? {}, 'auto_follow_stats');
  const fs = s.obj(o.follow_stats ?? {}, 'follow_stats');
  return {
    failed_follow_indices:
      s.optNum(af.number_of_failed_follow_indices, 'auto_follow_stats.number_of_failed_follow_indices') ?? 0,
    recent_auto_follow_errors: s.arr(af.recent_auto_follow_errors ?? [], 'auto_follow_stats.recent_auto_follow_errors')
      .length,
    shards: parseFollowIndices(api, fs.indices ?? [], 'follow_stats.indices'),
  };
}

export async function getCcrStats(es: EsApi): Promise<CcrStats> {
  const res = await es.request({ method: 'GET', path: '/_ccr/stats' });
  return parseCcrStats(res.body);
}
