// GET|POST [/<index>]/_search, local and cross-cluster (docs/es-behaviour.md §12). Local indices are searched in
// this cluster's state with the caller's privileges (DLS/FLS included). `ALIAS:INDEX`, `*:INDEX` and comma lists
// mixing local and remote go through this node's remote connection (lab/node/remote/*) as the caller: under RCS1
// the remote evaluates its own roles of the same names, under RCS2 the caller's `remote_indices` for the alias
// intersected with the cross-cluster key's `access.search`. `_clusters` as SearchResponse.Clusters writes it
// (counters running/partial/failed from 8.11), remote hits' `_index` prefixed `ALIAS:`, and `skip_unavailable`:
// a remote that cannot be reached or refuses the request is `skipped` when true, fails the search when false.
import type { LabRequest, LabResponse, Route, RouteContext } from '../router.js';
import { esError } from '../http-error.js';
import { boolParam } from '../rest-helpers.js';
import { permissionOf } from '../security/privileges.js';
import { versionAtLeast } from '../../../controller/version.js';
import { remoteConnections } from '../remote/manager.js';
import { SEARCH, type RemoteRequestBody } from '../remote/fulfil.js';
import { splitIndexExpression } from '../remote/index-expr.js';
import { subjectFor } from '../remote/subject.js';
import { RemoteError } from '../remote/wire.js';
import { patternMatches } from '../security/privileges.js';
import { identityOf } from '../remote/routes.js';
import { accessFor, resolveLocal, SEARCH_ACTION } from './document-routes.js';
import { parseSearch, searchIndices, type ClusterSearchResult, type Hit, type SearchSpec } from './search.js';

const LOCAL = '(local)';

interface ClusterOutcome {
  alias: string;
  /** The expression for that cluster, as the request wrote it (comma-joined). */
  indices: string;
  took?: number;
  result?: ClusterSearchResult;
  error?: { type: string; reason: string; status: number };
  skipUnavailable: boolean;
}

/** Splits the path's expressions into local ones and, per configured alias, the remote ones. */
function split(
  exprs: string[],
  aliases: string[],
): { local: string[]; remote: Map<string, string[]>; hasLocal: boolean } {
  const local: string[] = [];
  const remote = new Map<string, string[]>();
  for (const e of exprs) {
    const s = splitIndexExpression(e);
    if (s.cluster === null) {
      local.push(e);
      continue;
    }
    if (s.exclusion) continue;
    const hits = aliases.filter((a) => patternMatches(s.cluster!, a));
    // RemoteClusterAware: a concrete alias that is not configured is an error; `*:x` with no alias is local.
    if (!hits.length && !s.cluster.includes('*'))
      throw esError(404, 'no_such_remote_cluster_exception', `no such remote cluster: [${s.cluster}]`);
    if (!hits.length) local.push(e);
    for (const a of hits) remote.set(a, [...(remote.get(a) ?? []), s.index]);
  }
  // `/_search` alone searches every local index; a list of only remote expressions none.
  return { local, remote, hasLocal: local.length > 0 || exprs.length === 0 };
}

async function searchRemote(
  ctx: RouteContext,
  alias: string,
  indices: string[],
  spec: SearchSpec,
  skipUnavailable: boolean,
): Promise<ClusterOutcome> {
  const t0 = Date.now();
  const base = { alias, indices: indices.join(','), skipUnavailable };
  const mgr = remoteConnections();
  if (!mgr)
    return {
      ...base,
      error: { type: 'illegal_state_exception', reason: 'remote cluster service is not started', status: 500 },
    };
  try {
    const subject = subjectFor(ctx.state.security, identityOf(ctx), alias, mgr.modelOf(alias), SEARCH);
    const body: RemoteRequestBody & { subject: NonNullable<RemoteRequestBody['subject']> } = {
      subject,
      indices,
      search: { query: spec.query, source: spec.source, size: spec.from + spec.size },
    };
    const ans = (await mgr.request(alias, SEARCH, body)) as { search?: ClusterSearchResult };
    if (!ans.search)
      throw new RemoteError('illegal_state_exception', `remote cluster [${alias}] answered no search result`, 500);
    return { ...base, took: Date.now() - t0, result: ans.search };
  } catch (e) {
    const err =
      e instanceof RemoteError
        ? { type: e.type, reason: e.reason, status: e.status }
        : { type: 'exception', reason: (e as Error).message, status: 500 };
    return { ...base, error: err };
  }
}

function totalHits(total: number, asInt: boolean): unknown {
  return asInt ? total : { value: total, relation: 'eq' };
}

/** SearchResponse.Clusters.toXContent for this version (docs/es-behaviour.md §12). */
function clustersSection(version: string, outcomes: ClusterOutcome[]): Record<string, unknown> {
  const count = (st: string) => outcomes.filter((o) => status(o) === st).length;
  const details: Record<string, unknown> = {};
  for (const o of outcomes) {
    const st = status(o);
    details[o.alias] = {
      status: st,
      indices: o.indices,
      ...(o.took !== undefined ? { took: o.took } : {}),
      timed_out: false,
      ...(o.result ? { _shards: o.result.shards } : {}),
      ...(o.error
        ? { failures: [{ shard: -1, index: null, reason: { type: o.error.type, reason: o.error.reason } }] }
        : o.result?.failures.length
          ? { failures: o.result.failures }
          : {}),
    };
  }
  const newCounters = versionAtLeast(version, '8.11.0');
  return {
    total: outcomes.length,
    // 8.10 counted partial results as successful and failed clusters as skipped (8.11 split them out).
    successful: newCounters ? count('successful') : count('successful') + count('partial'),
    skipped: newCounters ? count('skipped') : count('skipped') + count('failed'),
    ...(newCounters ? { running: 0, partial: count('partial'), failed: count('failed') } : {}),
    details,
  };
}

function status(o: ClusterOutcome): string {
  if (o.error) return o.skipUnavailable ? 'skipped' : 'failed';
  if (o.result && o.result.shards.failed > 0) return o.result.shards.successful > 0 ? 'partial' : 'failed';
  return 'successful';
}

async function search(req: LabRequest, ctx: RouteContext): Promise<LabResponse> {
  const t0 = Date.now();
  const spec = parseSearch(req.body, req.query);
  const asInt = boolParam(req.query, 'rest_total_hits_as_int');
  if (asInt && !spec.trackTotalHits)
    throw esError(
      400,
      'action_request_validation_exception',
      'Validation Failed: 1: [rest_total_hits_as_int] cannot be used if the tracking of total hits is not accurate, got false;',
    );
  const exprs = (req.params.index ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const mgr = remoteConnections();
  const configured = mgr ? mgr.configuredAliases(ctx.state) : [];
  const { local, remote, hasLocal } = split(
    exprs,
    configured.map((a) => a.alias),
  );
  const p = ctx.principal;
  if (!p) throw esError(401, 'security_exception', 'missing authentication credentials');
  const perm = permissionOf(ctx.state.security, p);

  const outcomes: ClusterOutcome[] = [];
  const remoteRuns = [...remote].map(([alias, idx]) =>
    searchRemote(ctx, alias, idx, spec, configured.find((a) => a.alias === alias)?.skipUnavailable ?? false),
  );
  if (hasLocal) {
    const tl = Date.now();
    // ES checks local authorization before any remote work; a 403/404 here fails the whole request.
    const indices = resolveLocal(ctx.state, p, perm, local, SEARCH_ACTION, boolParam(req.query, 'ignore_unavailable'));
    const result = searchIndices(ctx.state, indices, spec, (i) => accessFor(perm, i, SEARCH_ACTION));
    outcomes.push({ alias: LOCAL, indices: local.join(','), took: Date.now() - tl, result, skipUnavailable: false });
  }
  outcomes.push(...(await Promise.all(remoteRuns)));

  const failedHard = outcomes.find((o) => o.error && !o.skipUnavailable);
  if (failedHard) {
    const e = failedHard.error!;
    throw esError(e.status >= 400 ? e.status : 500, e.type, e.reason);
  }
  const hits: Hit[] = [];
  const shards = { total: 0, successful: 0, skipped: 0, failed: 0 };
  const failures: unknown[] = [];
  let total = 0;
  for (const o of outcomes) {
    if (!o.result) continue;
    total += o.result.total;
    for (const k of ['total', 'successful', 'skipped', 'failed'] as const) shards[k] += o.result.shards[k];
    const prefix = o.alias === LOCAL ? '' : `${o.alias}:`;
    failures.push(...o.result.failures.map((f) => ({ ...f, index: `${prefix}${f.index}` })));
    hits.push(...o.result.hits.map((h) => ({ ...h, _index: `${prefix}${h._index}` })));
  }
  const page = hits.slice(spec.from, spec.from + spec.size);
  const remoteUsed = remote.size > 0;
  const clusters = remoteUsed ? outcomes : [];
  return {
    body: {
      took: Date.now() - t0,
      timed_out: false,
      // Merging several clusters' results takes reduce phases (local + one remote: 3 in ES's YAML test).
      ...(clusters.length > 1 ? { num_reduce_phases: clusters.length + 1 } : {}),
      _shards: { ...shards, ...(failures.length ? { failures } : {}) },
      ...(clusters.length ? { _clusters: clustersSection(ctx.rt.esVersion, clusters) } : {}),
      hits: {
        ...(spec.trackTotalHits ? { total: totalHits(total, asInt) } : {}),
        max_score: page.length ? 1.0 : null,
        hits: page,
      },
    },
  };
}

const SEARCH_PARAMS = [
  'size',
  'from',
  'rest_total_hits_as_int',
  'track_total_hits',
  'ccs_minimize_roundtrips',
  'allow_no_indices',
  'ignore_unavailable',
  'expand_wildcards',
  'ignore_throttled',
  'typed_keys',
  'timeout',
  'preference',
  'request_cache',
  'allow_partial_search_results',
  'batched_reduce_size',
  'pre_filter_shard_size',
  'max_concurrent_shard_requests',
  'search_type',
  '_source',
  'q',
];

export const routes: Route[] = [
  { method: ['GET', 'POST'], path: '/_search', params: SEARCH_PARAMS, handler: search },
  { method: ['GET', 'POST'], path: '/{index}/_search', params: SEARCH_PARAMS, handler: search },
];
