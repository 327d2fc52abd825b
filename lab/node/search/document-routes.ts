// Indices and documents, kept in the cluster state (few and small): PUT /<index> (number_of_shards/replicas),
// PUT|POST /<index>/_doc[/<id>], PUT /<index>/_create/<id>, GET /<index>/_doc/<id>, _bulk (NDJSON index, create
// and delete actions), GET|POST [/<index>]/_count. Writes wait for the primary shard like ES's
// wait_for_active_shards=1 default; the caller needs the index privileges ES's actions need.
import type { LabRequest, LabResponse, Route, RouteContext } from '../router.js';
import { esError } from '../http-error.js';
import { boolParam, wildcardRegExp } from '../rest-helpers.js';
import { createIndex } from '../cluster/coordination.js';
import type { ClusterState, IndexState, StoredDoc } from '../cluster/state.js';
import type { NodeRuntime } from '../runtime.js';
import { currentCluster } from '../cluster/routes.js';
import { describeRoles, grantsIndex, indexGrantedBy, permissionOf, type Permission } from '../security/privileges.js';
import { applyAccess, indexAccess, restrictionsOf } from '../security/access-control.js';
import { generateId, searchIndices, shardOf } from './search.js';
import type { Principal } from '../security/model.js';

// Lab limits, so that documents do not bloat the cluster state file every node rewrites.
const MAX_DOCS_PER_INDEX = 10_000;
const MAX_SOURCE_BYTES = 64 * 1024;
const WAIT_MS = 30_000;

export const SEARCH_ACTION = 'indices:data/read/search';
const INDEX_ACTION = 'indices:data/write/index';
const BULK_ITEM_ACTION = 'indices:data/write/bulk[s]';

/** The answer a node gives for an endpoint the lab does not simulate (as lab/node/process/http-server.ts words it). */
export function notSimulatedEndpoint(req: LabRequest): never {
  throw esError(
    400,
    'illegal_argument_exception',
    `no handler found for uri [${req.path}] and method [${req.method}] (the crosskey lab does not simulate this endpoint)`,
  );
}

function principalOf(ctx: RouteContext): Principal {
  if (!ctx.principal) throw esError(401, 'security_exception', 'missing authentication credentials');
  return ctx.principal;
}

export function whoText(p: Principal, perm: Permission): string {
  return p.kind === 'api_key'
    ? `API key id [${p.key.id}] of user [${p.username}]`
    : `user [${p.username}] with effective roles ${describeRoles(perm)}`;
}

/** ES's 403 for an index action. */
export function indexUnauthorized(p: Principal, perm: Permission, action: string, indices: string[]) {
  return esError(
    403,
    'security_exception',
    `action [${action}] is unauthorized for ${whoText(p, perm)} on indices [${indices.join(',')}], this action is granted by the index privileges [${indexGrantedBy(action)}]`,
  );
}

export function indexNotFound(name: string) {
  return esError(404, 'index_not_found_exception', `no such index [${name}]`, {
    'resource.type': 'index_or_alias',
    'resource.id': name,
    index_uuid: '_na_',
    index: name,
  });
}

/** MetadataCreateIndexService.validateIndexName, the rules a lab scenario can hit. */
function validateIndexName(name: string): void {
  const bad = (why: string) =>
    esError(400, 'invalid_index_name_exception', `Invalid index name [${name}], ${why}`, {
      index_uuid: '_na_',
      index: name,
    });
  if (name !== name.toLowerCase()) throw bad('must be lowercase');
  if (/[\\/*?"<>| ,#:]/.test(name))
    throw bad(
      "must not contain the following characters ['\\\\', '/', '*', '?', '\"', '<', '>', '|', ' ', ',', '#', ':']",
    );
  if (/^[-_+]/.test(name)) throw bad("must not start with '_', '-', or '+'");
  if (name === '.' || name === '..') throw bad("must not be '.' or '..'");
  if (Buffer.byteLength(name) > 255) throw bad('index name is too long, (' + Buffer.byteLength(name) + ' > 255)');
}

/** Index settings a PUT /<index> may give: the lab applies shard counts and accepts a few harmless others. */
function indexSettings(raw: unknown): { shards: number; replicas: number } {
  const flat: Record<string, unknown> = {};
  const walk = (v: unknown, prefix: string) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, prefix ? `${prefix}.${k}` : k);
    else flat[prefix.startsWith('index.') ? prefix : `index.${prefix}`] = v;
  };
  walk(raw ?? {}, '');
  const known = [
    'index.number_of_shards',
    'index.number_of_replicas',
    'index.soft_deletes.enabled',
    'index.refresh_interval',
  ];
  for (const k of Object.keys(flat))
    if (!known.includes(k))
      throw esError(400, 'illegal_argument_exception', `index setting [${k}] is not simulated by the crosskey lab`);
  const int = (k: string, dflt: number, min: number) => {
    const v = flat[k];
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw esError(
        400,
        'illegal_argument_exception',
        `Failed to parse value [${String(v)}] for setting [${k}] must be >= ${min}`,
      );
    return n;
  };
  return { shards: int('index.number_of_shards', 1, 1), replicas: int('index.number_of_replicas', 1, 0) };
}

/** Active copies wanted per shard (wait_for_active_shards: a number, `all`, default 1 = the primary). */
function activeShardsWanted(q: URLSearchParams, idx: IndexState): number {
  const v = q.get('wait_for_active_shards') ?? '1';
  if (v === 'all') return idx.numberOfReplicas + 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw esError(400, 'illegal_argument_exception', `Invalid wait_for_active_shards value [${v}]`);
  return n;
}

/** Waits (reconciling as the master does) until every shard of `index` has `want` active copies. */
async function waitActive(rt: NodeRuntime, index: string, want: number, timeoutMs = WAIT_MS): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { state } = await currentCluster(rt);
    const idx = state.indices[index];
    if (!idx) return false;
    const ok = Array.from({ length: idx.numberOfShards }, (_, s) => s).every(
      (s) =>
        idx.shards.filter((c) => c.shard === s && (c.state === 'STARTED' || c.state === 'RELOCATING')).length >= want,
    );
    if (ok) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function putIndex(req: LabRequest, ctx: RouteContext): Promise<LabResponse> {
  const name = req.params.index!;
  // `_…` paths are ES's APIs (none of them simulated at this point), not index names.
  if (name.startsWith('_')) notSimulatedEndpoint(req);
  validateIndexName(name);
  const p = principalOf(ctx);
  const perm = permissionOf(ctx.state.security, p);
  if (!grantsIndex(perm, name, 'indices:admin/create'))
    throw indexUnauthorized(p, perm, 'indices:admin/create', [name]);
  const b = (req.body ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(b))
    if (k !== 'settings' && k !== 'mappings')
      throw esError(
        400,
        'illegal_argument_exception',
        `[${k}] in a create index request is not simulated by the crosskey lab`,
      );
  const { shards, replicas } = indexSettings(b.settings);
  const idx = await ctx.rt.updateState((s) => {
    const old = s.indices[name];
    if (old)
      throw esError(400, 'resource_already_exists_exception', `index [${name}/${old.uuid}] already exists`, {
        index_uuid: old.uuid,
        index: name,
      });
    const i = createIndex(s, name, shards, replicas);
    if (b.mappings && typeof b.mappings === 'object') i.mappings = b.mappings as Record<string, unknown>;
    return structuredClone(i);
  });
  const want = activeShardsWanted(req.query, idx);
  const acked = want === 0 || (await waitActive(ctx.rt, name, want));
  return { body: { acknowledged: true, shards_acknowledged: acked, index: name } };
}

interface WriteOp {
  action: 'index' | 'create' | 'delete';
  index: string;
  id?: string;
  source?: unknown;
}

interface WriteResult {
  status: number;
  body: Record<string, unknown>;
}

function shardsOf(state: ClusterState, index: string, shard: number) {
  const copies = state.indices[index]!.shards.filter((c) => c.shard === shard);
  return {
    total: copies.length,
    successful: copies.filter((c) => c.state === 'STARTED' || c.state === 'RELOCATING').length,
    failed: 0,
  };
}

function itemError(op: WriteOp, status: number, type: string, reason: string, extra: Record<string, unknown> = {}) {
  return { status, body: { _index: op.index, _id: op.id ?? null, status, error: { type, reason, ...extra } } };
}

/** Applies write operations to the state (under its lock); per-operation results, as _bulk items show them. */
function applyWrites(s: ClusterState, ops: WriteOp[], autoCreate: Set<string>): WriteResult[] {
  return ops.map((op) => {
    let idx = s.indices[op.index];
    if (!idx) {
      if (op.action === 'delete' || !autoCreate.has(op.index))
        return itemError(op, 404, 'index_not_found_exception', `no such index [${op.index}]`, {
          'resource.type': 'index_expression',
          'resource.id': op.index,
          index_uuid: '_na_',
          index: op.index,
        });
      // ES's auto-create: default settings (1 shard, 1 replica).
      idx = createIndex(s, op.index, 1, 1);
    }
    const id = op.id ?? generateId();
    const shard = shardOf(id, idx.numberOfShards);
    const docs = (idx.docs ??= []);
    const at = docs.findIndex((d) => d._id === id);
    const existing = at >= 0 ? docs[at] : undefined;
    const ok = (result: string, version: number, seqNo: number, status: number): WriteResult => ({
      status,
      body: {
        _index: op.index,
        _id: id,
        _version: version,
        result,
        _shards: shardsOf(s, op.index, shard),
        _seq_no: seqNo,
        _primary_term: 1,
        status,
      },
    });
    if (op.action === 'delete') {
      const seq = (idx.seqNo = (idx.seqNo ?? -1) + 1);
      if (!existing) return ok('not_found', 1, seq, 404);
      docs.splice(at, 1);
      return ok('deleted', existing._version + 1, seq, 200);
    }
    if (op.action === 'create' && existing)
      return itemError(
        { ...op, id },
        409,
        'version_conflict_engine_exception',
        `[${id}]: version conflict, document already exists (current version [${existing._version}])`,
        { index_uuid: idx.uuid, shard: String(shard), index: op.index },
      );
    const text = JSON.stringify(op.source);
    if (op.source === null || typeof op.source !== 'object' || Array.isArray(op.source))
      return itemError({ ...op, id }, 400, 'mapper_parsing_exception', 'failed to parse');
    if (Buffer.byteLength(text) > MAX_SOURCE_BYTES)
      return itemError(
        { ...op, id },
        400,
        'illegal_argument_exception',
        `the crosskey lab keeps documents under ${MAX_SOURCE_BYTES} bytes`,
      );
    if (!existing && docs.length >= MAX_DOCS_PER_INDEX)
      return itemError(
        { ...op, id },
        400,
        'illegal_argument_exception',
        `the crosskey lab keeps at most ${MAX_DOCS_PER_INDEX} documents per index`,
      );
    const seq = (idx.seqNo = (idx.seqNo ?? -1) + 1);
    const doc: StoredDoc = {
      _id: id,
      _source: op.source,
      _version: (existing?._version ?? 0) + 1,
      _seq_no: seq,
      shard,
    };
    if (existing) docs[at] = doc;
    else docs.push(doc);
    return ok(existing ? 'updated' : 'created', doc._version, seq, existing ? 200 : 201);
  });
}

/**
 * Runs write operations as the caller: privileges per index (auto-create needs its own), then waits for the
 * primaries of the touched indices (ES waits for an active primary before indexing).
 */
async function write(ctx: RouteContext, q: URLSearchParams, ops: WriteOp[], action: string): Promise<WriteResult[]> {
  const p = principalOf(ctx);
  const perm = permissionOf(ctx.state.security, p);
  const denied = new Map<number, WriteResult>();
  const autoCreate = new Set<string>();
  ops.forEach((op, i) => {
    try {
      validateIndexName(op.index);
    } catch (e) {
      const err = e as { type: string; reason: string };
      denied.set(i, itemError(op, 400, err.type, err.reason, { index_uuid: '_na_', index: op.index }));
      return;
    }
    const a = op.action === 'delete' ? BULK_ITEM_ACTION : action;
    if (!grantsIndex(perm, op.index, a)) {
      const e = indexUnauthorized(p, perm, a, [op.index]);
      denied.set(i, itemError(op, 403, e.type, e.reason));
      return;
    }
    if (!ctx.state.indices[op.index] && grantsIndex(perm, op.index, 'indices:admin/auto_create'))
      autoCreate.add(op.index);
  });
  const allowed = ops.filter((_, i) => !denied.has(i));
  // Indices created here (or just before by PUT /<index>) need an active primary first.
  const targets = [...new Set(allowed.map((o) => o.index))];
  if (autoCreate.size)
    await ctx.rt.updateState((s) => {
      for (const n of autoCreate) if (!s.indices[n]) createIndex(s, n, 1, 1);
    });
  const want = q.get('wait_for_active_shards');
  for (const t of targets) {
    const st = ctx.rt.state();
    if (!st.indices[t]) continue;
    const n = want === null ? 1 : activeShardsWanted(q, st.indices[t]!);
    if (n > 0 && !(await waitActive(ctx.rt, t, n)))
      throw esError(
        503,
        'unavailable_shards_exception',
        `[${t}][0] primary shard is not active Timeout: [1m], request: [BulkShardRequest [[${t}][0]] containing [${allowed.length}] requests]`,
      );
  }
  const results = await ctx.rt.updateState((s) => applyWrites(s, allowed, autoCreate));
  let k = 0;
  return ops.map((_, i) => denied.get(i) ?? results[k++]!);
}

function refreshFlag(q: URLSearchParams): Record<string, unknown> {
  const r = q.get('refresh');
  return r === '' || r === 'true' ? { forced_refresh: true } : {};
}

async function indexDoc(req: LabRequest, ctx: RouteContext, opType?: 'create'): Promise<LabResponse> {
  const index = req.params.index!;
  const id = req.params.id;
  const op = (opType ?? req.query.get('op_type') ?? 'index') as 'index' | 'create';
  if (op !== 'index' && op !== 'create')
    throw esError(400, 'illegal_argument_exception', `opType must be 'create' or 'index', found: [${op}]`);
  if (req.method === 'PUT' && id === undefined)
    throw esError(
      405,
      'illegal_argument_exception',
      `Incorrect HTTP method for uri [${req.path}] and method [PUT], allowed: [POST]`,
    );
  if (req.body === undefined)
    throw esError(
      400,
      'action_request_validation_exception',
      'Validation Failed: 1: source is missing;2: content type is missing;',
    );
  const [r] = await write(ctx, req.query, [{ action: op, index, id, source: req.body }], INDEX_ACTION);
  if (!r) throw esError(500, 'exception', 'no result');
  const err = r.body.error as { type: string; reason: string } | undefined;
  if (err) {
    const { type, reason, ...extra } = err as Record<string, unknown> & { type: string; reason: string };
    throw esError(r.status, type, reason, extra);
  }
  const { status: _s, ...body } = r.body;
  return { status: r.status, body: { ...body, ...refreshFlag(req.query) } };
}

/** NDJSON `_bulk` body → operations (index/create/delete), with ES's errors for a malformed body. */
function parseBulk(req: LabRequest): WriteOp[] {
  const text = req.rawBody.toString('utf8');
  if (text.trim() === '')
    throw esError(400, 'action_request_validation_exception', 'Validation Failed: 1: no requests added;');
  if (!text.endsWith('\n'))
    throw esError(400, 'illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]');
  const lines = text.split('\n');
  const ops: WriteOp[] = [];
  const parse = (line: string, n: number) => {
    try {
      return JSON.parse(line) as unknown;
    } catch (e) {
      throw esError(400, 'x_content_parse_exception', `[${n + 1}:1] ${(e as Error).message}`);
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const head = parse(line, i) as Record<string, Record<string, unknown>>;
    const keys = Object.keys(head ?? {});
    if (keys.length !== 1)
      throw esError(
        400,
        'illegal_argument_exception',
        `Malformed action/metadata line [${i + 1}], expected a simple value for field [${keys[0] ?? ''}] but found [START_OBJECT]`,
      );
    const action = keys[0]!;
    if (!['index', 'create', 'delete'].includes(action)) {
      if (action === 'update')
        throw esError(
          400,
          'illegal_argument_exception',
          'the bulk action [update] is not simulated by the crosskey lab',
        );
      throw esError(
        400,
        'illegal_argument_exception',
        `Malformed action/metadata line [${i + 1}], expected one of [create, delete, index, update] but found [${action}]`,
      );
    }
    const meta = head[action] ?? {};
    for (const k of Object.keys(meta))
      if (!['_index', '_id', 'routing', 'require_alias', 'pipeline', 'dynamic_templates'].includes(k))
        throw esError(
          400,
          'illegal_argument_exception',
          `Action/metadata line [${i + 1}] contains an unknown parameter [${k}]`,
        );
    const index = (meta._index as string | undefined) ?? req.params.index;
    if (!index) throw esError(400, 'action_request_validation_exception', `Validation Failed: 1: index is missing;`);
    const id = meta._id === undefined ? undefined : String(meta._id);
    if (action === 'delete') {
      if (id === undefined)
        throw esError(400, 'action_request_validation_exception', 'Validation Failed: 1: id is missing;');
      ops.push({ action, index, id });
      continue;
    }
    const srcLine = lines[++i];
    if (srcLine === undefined || srcLine.trim() === '')
      throw esError(400, 'illegal_argument_exception', `The bulk request must be terminated by a newline [\\n]`);
    ops.push({ action: action as 'index' | 'create', index, id, source: parse(srcLine, i) });
  }
  if (!ops.length)
    throw esError(400, 'action_request_validation_exception', 'Validation Failed: 1: no requests added;');
  return ops;
}

async function bulk(req: LabRequest, ctx: RouteContext): Promise<LabResponse> {
  const t0 = Date.now();
  const ops = parseBulk(req);
  const results = await write(ctx, req.query, ops, BULK_ITEM_ACTION);
  // BulkResponse.toXContent: errors, took, items ({<action>: {…, status}}).
  return {
    body: {
      errors: results.some((r) => 'error' in r.body),
      took: Date.now() - t0,
      items: results.map((r, i) => ({ [ops[i]!.action]: r.body })),
    },
  };
}

async function getDoc(req: LabRequest, ctx: RouteContext): Promise<LabResponse> {
  const index = req.params.index!;
  const id = req.params.id!;
  const p = principalOf(ctx);
  const perm = permissionOf(ctx.state.security, p);
  const idx = ctx.state.indices[index];
  if (!grantsIndex(perm, index, 'indices:data/read/get'))
    throw indexUnauthorized(p, perm, 'indices:data/read/get', [index]);
  if (!idx) throw indexNotFound(index);
  const d = (idx.docs ?? []).find((x) => x._id === id);
  const access = restrictionsOf(indexAccess(perm, index, 'indices:data/read/get'));
  const visible = d && access ? applyAccess(access, d) : d;
  if (!d || !visible) return { status: 404, body: { _index: index, _id: id, found: false } };
  return {
    body: {
      _index: index,
      _id: id,
      _version: d._version,
      _seq_no: d._seq_no,
      _primary_term: 1,
      found: true,
      _source: visible._source,
    },
  };
}

/**
 * Local index expressions → concrete indices the caller may search: wildcards expand to authorized existing
 * indices, a concrete name must be authorized (403) and exist (404, unless ignore_unavailable), `-x` excludes.
 */
export function resolveLocal(
  state: ClusterState,
  p: Principal,
  perm: Permission,
  exprs: string[],
  action: string,
  ignoreUnavailable: boolean,
): string[] {
  const names = Object.keys(state.indices).sort();
  const out = new Set<string>();
  for (const e of exprs.length ? exprs : ['*']) {
    if (e.startsWith('-')) {
      const re = wildcardRegExp(e.slice(1));
      for (const n of [...out]) if (re.test(n)) out.delete(n);
      continue;
    }
    if (e === '_all' || e.includes('*') || e.includes('?')) {
      const re = e === '_all' ? /^/ : wildcardRegExp(e);
      for (const n of names) if (re.test(n) && grantsIndex(perm, n, action)) out.add(n);
      continue;
    }
    if (!grantsIndex(perm, e, action)) throw indexUnauthorized(p, perm, action, [e]);
    if (!state.indices[e]) {
      if (ignoreUnavailable) continue;
      throw indexNotFound(e);
    }
    out.add(e);
  }
  return [...out];
}

/** The caller's DLS/FLS for an index, null when unrestricted. */
export function accessFor(perm: Permission, index: string, action: string) {
  return restrictionsOf(indexAccess(perm, index, action));
}

async function count(req: LabRequest, ctx: RouteContext): Promise<LabResponse> {
  const exprs = (req.params.index ?? '').split(',').filter(Boolean);
  if (exprs.some((e) => /^[^<]+:/.test(e) && !e.includes('::')))
    throw esError(
      400,
      'illegal_argument_exception',
      'a cross-cluster _count is not simulated by the crosskey lab (use _search)',
    );
  const b = (req.body ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(b))
    if (k !== 'query')
      throw esError(
        400,
        'illegal_argument_exception',
        `[${k}] in a count request is not simulated by the crosskey lab`,
      );
  const p = principalOf(ctx);
  const perm = permissionOf(ctx.state.security, p);
  const indices = resolveLocal(ctx.state, p, perm, exprs, SEARCH_ACTION, boolParam(req.query, 'ignore_unavailable'));
  const res = searchIndices(ctx.state, indices, { query: b.query, source: false }, (i) =>
    accessFor(perm, i, SEARCH_ACTION),
  );
  return {
    body: {
      count: res.total,
      _shards: { ...res.shards, ...(res.failures.length ? { failures: res.failures } : {}) },
    },
  };
}

const WRITE_PARAMS = [
  'refresh',
  'routing',
  'timeout',
  'wait_for_active_shards',
  'op_type',
  'pipeline',
  'require_alias',
  'if_seq_no',
  'if_primary_term',
  'version',
  'version_type',
];
const COUNT_PARAMS = [
  'allow_no_indices',
  'expand_wildcards',
  'ignore_unavailable',
  'ignore_throttled',
  'preference',
  'routing',
  'min_score',
  'terminate_after',
];

export const routes: Route[] = [
  {
    method: 'PUT',
    path: '/{index}',
    params: ['wait_for_active_shards', 'timeout', 'master_timeout', 'include_type_name'],
    handler: putIndex,
  },
  // Other methods on /<index> (get/delete index, …) are not simulated; answered before authentication, like a
  // path with no route.
  { method: ['GET', 'POST', 'DELETE'], path: '/{index}', auth: false, handler: notSimulatedEndpoint },
  { method: 'POST', path: '/{index}/_doc', params: WRITE_PARAMS, handler: (r, c) => indexDoc(r, c) },
  { method: ['PUT', 'POST'], path: '/{index}/_doc/{id}', params: WRITE_PARAMS, handler: (r, c) => indexDoc(r, c) },
  {
    method: 'GET',
    path: '/{index}/_doc/{id}',
    params: ['preference', 'realtime', 'refresh', 'routing', '_source'],
    handler: getDoc,
  },
  {
    method: ['PUT', 'POST'],
    path: '/{index}/_create/{id}',
    params: WRITE_PARAMS,
    handler: (r, c) => indexDoc(r, c, 'create'),
  },
  { method: ['POST', 'PUT'], path: '/_bulk', params: WRITE_PARAMS, handler: bulk, rawBody: true },
  { method: ['POST', 'PUT'], path: '/{index}/_bulk', params: WRITE_PARAMS, handler: bulk, rawBody: true },
  { method: ['GET', 'POST'], path: '/_count', params: COUNT_PARAMS, handler: count },
  { method: ['GET', 'POST'], path: '/{index}/_count', params: COUNT_PARAMS, handler: count },
];
