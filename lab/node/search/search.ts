// Searching the documents of one cluster's state (the lab keeps them in the cluster state, lab/node/cluster/state.ts):
// the body subset the lab simulates, shard availability (a shard whose copies are all down fails, its documents
// are missing from the hits), DLS/FLS per index (lab/node/security/access-control.ts) and `_source` filtering.
// Used by the local part of `_search`/`_count` and by the fulfilling cluster for cross-cluster searches.
import { createHash } from 'node:crypto';
import { esError } from '../http-error.js';
import type { ClusterState, StoredDoc } from '../cluster/state.js';
import { applyAccess, type LayerAccess } from '../security/access-control.js';
import { filterSource, matchesQuery, type FieldGroup } from './query.js';

/** The parts of a search request the lab evaluates. */
export interface SearchSpec {
  query?: unknown;
  from: number;
  size: number;
  /** false = no `_source`; else FLS-like include/exclude groups (undefined = all). */
  source?: false | FieldGroup;
  trackTotalHits: boolean;
}

const BODY_KEYS = ['query', 'from', 'size', '_source', 'track_total_hits', 'timeout'];

function notSimulated(what: string): never {
  throw esError(400, 'illegal_argument_exception', `${what} is not simulated by the crosskey lab`);
}

function sourceSpec(v: unknown): false | FieldGroup | undefined {
  if (v === undefined || v === true || v === 'true') return undefined;
  if (v === false || v === 'false') return false;
  if (typeof v === 'string') return { grant: v.split(',') };
  if (Array.isArray(v)) return { grant: v.map(String) };
  if (v && typeof v === 'object') {
    const o = v as { includes?: unknown; excludes?: unknown };
    const list = (x: unknown) => (x === undefined ? undefined : Array.isArray(x) ? x.map(String) : [String(x)]);
    return { grant: list(o.includes) ?? ['*'], except: list(o.excludes) ?? [] };
  }
  return notSimulated('this [_source] value');
}

function nonNegative(name: string, v: unknown): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw esError(400, 'illegal_argument_exception', `[${name}] parameter cannot be negative, found [${String(v)}]`);
  return n;
}

/** A `_search` body and query string → what to evaluate; parts the lab does not simulate are refused (400). */
export function parseSearch(body: unknown, q: URLSearchParams, defaultSize = 10): SearchSpec {
  if (q.has('q')) notSimulated('a query string search ([q] parameter)');
  if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body)))
    throw esError(400, 'parse_exception', 'request body must be a JSON object');
  const b = (body ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!BODY_KEYS.includes(k)) notSimulated(`[${k}] in a search request`);
  const size = nonNegative('size', q.get('size') ?? b.size ?? defaultSize);
  const from = nonNegative('from', q.get('from') ?? b.from ?? 0);
  const tth = q.get('track_total_hits') ?? b.track_total_hits;
  return {
    query: b.query,
    from,
    size,
    source: sourceSpec(q.has('_source') ? q.get('_source') : b._source),
    trackTotalHits: tth === undefined || !(tth === false || tth === 'false'),
  };
}

export interface ShardStats {
  total: number;
  successful: number;
  skipped: number;
  failed: number;
}

export interface ShardFailure {
  shard: number;
  index: string;
  node: string | null;
  reason: { type: string; reason: string };
}

export interface Hit {
  _index: string;
  _id: string;
  _score: number;
  _source?: unknown;
}

export interface ClusterSearchResult {
  hits: Hit[];
  total: number;
  shards: ShardStats;
  failures: ShardFailure[];
}

/** A stable shard for a document id (ES routes with murmur3 of `_id`; the lab with a hash of its own). */
export function shardOf(id: string, shards: number): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0) % Math.max(1, shards);
}

/** An id as ES generates them (20 url-safe base64 characters). */
export function generateId(): string {
  return createHash('sha256').update(`${Date.now()}:${Math.random()}:${process.pid}`).digest('base64url').slice(0, 20);
}

export function shardAvailable(state: ClusterState, index: string, shard: number): boolean {
  return (state.indices[index]?.shards ?? []).some(
    (c) => c.shard === shard && (c.state === 'STARTED' || c.state === 'RELOCATING'),
  );
}

/**
 * Searches concrete indices of this cluster. `accessOf(index)` gives the caller's DLS/FLS restrictions (null = none).
 * Returns every matching hit (the coordinator pages), in index then indexing order.
 */
export function searchIndices(
  state: ClusterState,
  indices: string[],
  spec: Pick<SearchSpec, 'query' | 'source'>,
  accessOf: (index: string) => LayerAccess[] | null,
): ClusterSearchResult {
  const out: ClusterSearchResult = {
    hits: [],
    total: 0,
    shards: { total: 0, successful: 0, skipped: 0, failed: 0 },
    failures: [],
  };
  for (const index of indices) {
    const idx = state.indices[index];
    if (!idx) continue;
    const access = accessOf(index);
    for (let s = 0; s < idx.numberOfShards; s++) {
      out.shards.total++;
      if (!shardAvailable(state, index, s)) {
        out.shards.failed++;
        out.failures.push({
          shard: s,
          index,
          node: null,
          reason: {
            type: 'no_shard_available_action_exception',
            reason: `[${index}][${s}] no shard available`,
          },
        });
        continue;
      }
      out.shards.successful++;
      for (const d of (idx.docs ?? []).filter((x: StoredDoc) => x.shard === s)) {
        const visible = access ? applyAccess(access, { _id: d._id, _source: d._source }) : d;
        if (!visible || !matchesQuery(spec.query, visible)) continue;
        out.total++;
        const hit: Hit = { _index: index, _id: d._id, _score: 1.0 };
        if (spec.source !== false)
          hit._source = spec.source ? filterSource(visible._source, [spec.source]) : visible._source;
        out.hits.push(hit);
      }
    }
  }
  return out;
}
