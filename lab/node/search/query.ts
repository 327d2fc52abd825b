// The subset of the query DSL the lab evaluates: for `_search`/`_count` bodies, for DLS queries of roles and
// cross-cluster API keys (stored as JSON strings, docs/es-behaviour.md §1) and for `_query/role`. A document is a
// JSON source plus its `_id`. Text analysis is reduced to lower-cased word tokens (ES's standard analyzer, roughly);
// scoring is not simulated (every hit scores 1.0). A query type outside the subset is refused with a 400 naming it.
import { esError } from '../http-error.js';
import { patternMatches } from '../security/privileges.js';

/** Values of a (dotted) field in a source: arrays are flattened, as ES indexes every element. */
export function fieldValues(source: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  const walk = (v: unknown, parts: string[]): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x, parts);
      return;
    }
    if (parts.length === 0) {
      if (v !== undefined && v !== null) out.push(v);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    // `a.b` may be a dotted key or a nested object (ES accepts both in a source).
    for (let i = parts.length; i >= 1; i--) {
      const key = parts.slice(0, i).join('.');
      if (key in o) walk(o[key], parts.slice(i));
    }
  };
  walk(source, path.split('.'));
  return out;
}

const tokens = (v: unknown): string[] =>
  String(v)
    .toLowerCase()
    .split(/[^\p{L}\p{N}_]+/u)
    .filter(Boolean);

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Number(a) === Number(b);
  if (typeof a === 'boolean' || typeof b === 'boolean') return String(a) === String(b);
  return String(a) === String(b);
}

function compare(a: unknown, b: unknown): number {
  const na = Number(a);
  const nb = Number(b);
  if (!Number.isNaN(na) && !Number.isNaN(nb) && typeof a !== 'boolean') return na - nb;
  return String(a).localeCompare(String(b));
}

function notSimulated(kind: string): never {
  throw esError(400, 'illegal_argument_exception', `query [${kind}] is not simulated by the crosskey lab`);
}

function parsingError(reason: string): never {
  throw esError(400, 'parsing_exception', reason, { line: 1, col: 1 });
}

/** `{field: value}` or `{field: {value|query: v, …}}` → [field, value]. */
function single(kind: string, arg: unknown, valueKey: string): [string, unknown] {
  if (arg === null || typeof arg !== 'object' || Array.isArray(arg))
    parsingError(`[${kind}] query malformed, no start_object after query name`);
  const entries = Object.entries(arg as Record<string, unknown>).filter(([k]) => k !== 'boost' && k !== '_name');
  if (entries.length !== 1) parsingError(`[${kind}] query doesn't support multiple fields, found [${entries.length}]`);
  const [field, v] = entries[0]!;
  if (v !== null && typeof v === 'object' && !Array.isArray(v))
    return [field, (v as Record<string, unknown>)[valueKey]];
  return [field, v];
}

export interface Doc {
  _id: string;
  _source: unknown;
}

/** Whether `doc` matches `query` (a parsed query object; undefined = match_all). */
export function matchesQuery(query: unknown, doc: Doc): boolean {
  if (query === undefined || query === null) return true;
  if (typeof query !== 'object' || Array.isArray(query)) parsingError('query malformed, must start with start_object');
  const entries = Object.entries(query as Record<string, unknown>);
  if (entries.length !== 1) parsingError(`[_na] query malformed, expected one query, found [${entries.length}]`);
  const [kind, arg] = entries[0]!;
  const list = (x: unknown): unknown[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
  switch (kind) {
    case 'match_all':
      return true;
    case 'match_none':
      return false;
    case 'ids':
      return list((arg as { values?: unknown }).values)
        .map(String)
        .includes(doc._id);
    case 'term': {
      const [f, v] = single(kind, arg, 'value');
      if (f === '_id') return String(v) === doc._id;
      return fieldValues(doc._source, f).some((x) => sameValue(x, v));
    }
    case 'terms': {
      const e = Object.entries(arg as Record<string, unknown>).filter(([k]) => k !== 'boost');
      if (e.length !== 1) parsingError('[terms] query does not support multiple fields');
      const [f, vs] = e[0]!;
      const wanted = list(vs);
      if (f === '_id') return wanted.map(String).includes(doc._id);
      return fieldValues(doc._source, f).some((x) => wanted.some((w) => sameValue(x, w)));
    }
    case 'match': {
      const [f, v] = single(kind, arg, 'query');
      const want = tokens(v);
      const have = new Set(
        fieldValues(doc._source, f).flatMap((x) => (typeof x === 'string' ? tokens(x) : [String(x)])),
      );
      return want.some((w) => have.has(w));
    }
    case 'match_phrase': {
      const [f, v] = single(kind, arg, 'query');
      const want = tokens(v).join(' ');
      return fieldValues(doc._source, f).some((x) => ` ${tokens(x).join(' ')} `.includes(` ${want} `));
    }
    case 'prefix': {
      const [f, v] = single(kind, arg, 'value');
      if (f === '_id') return doc._id.startsWith(String(v));
      return fieldValues(doc._source, f).some((x) => String(x).startsWith(String(v)));
    }
    case 'wildcard': {
      const [f, v] = single(kind, arg, 'value');
      if (f === '_id') return patternMatches(String(v), doc._id);
      return fieldValues(doc._source, f).some((x) => patternMatches(String(v), String(x)));
    }
    case 'exists': {
      const f = (arg as { field?: unknown }).field;
      if (typeof f !== 'string') parsingError('[exists] must be provided with a [field]');
      return fieldValues(doc._source, f).length > 0;
    }
    case 'range': {
      const e = Object.entries(arg as Record<string, unknown>);
      if (e.length !== 1) parsingError('[range] query does not support multiple fields');
      const [f, b] = e[0]! as [string, Record<string, unknown>];
      return fieldValues(doc._source, f).some(
        (x) =>
          (b.gt === undefined || compare(x, b.gt) > 0) &&
          (b.gte === undefined || compare(x, b.gte) >= 0) &&
          (b.lt === undefined || compare(x, b.lt) < 0) &&
          (b.lte === undefined || compare(x, b.lte) <= 0),
      );
    }
    case 'bool': {
      const b = arg as Record<string, unknown>;
      for (const k of Object.keys(b))
        if (!['must', 'filter', 'should', 'must_not', 'minimum_should_match', 'boost', '_name'].includes(k))
          parsingError(`[bool] query does not support [${k}]`);
      if (!list(b.filter).every((c) => matchesQuery(c, doc))) return false;
      if (!list(b.must).every((c) => matchesQuery(c, doc))) return false;
      if (list(b.must_not).some((c) => matchesQuery(c, doc))) return false;
      const should = list(b.should);
      // ES: with no must/filter, at least one should clause must match; otherwise should only scores.
      const min =
        b.minimum_should_match !== undefined
          ? Number(b.minimum_should_match)
          : list(b.must).length || list(b.filter).length
            ? 0
            : should.length
              ? 1
              : 0;
      return should.filter((c) => matchesQuery(c, doc)).length >= min;
    }
    case 'constant_score':
      return matchesQuery((arg as { filter?: unknown }).filter, doc);
    default:
      return notSimulated(kind);
  }
}

/** A DLS query as stored (a JSON string) or as an object (older lab states) → the query object. */
export function parseStoredQuery(q: unknown): unknown {
  if (typeof q !== 'string') return q;
  try {
    return JSON.parse(q);
  } catch {
    throw esError(400, 'parsing_exception', `failed to parse the document level security query [${q}]`);
  }
}

export interface FieldGroup {
  grant?: string[];
  except?: string[];
}

/**
 * FLS: keeps the fields of a source that some `field_security` group allows (grant minus except, `*` patterns,
 * dotted paths), as ES's FieldSubsetReader filters `_source`.
 */
export function filterSource(source: unknown, groups: FieldGroup[]): unknown {
  const allowed = (path: string) =>
    groups.some(
      (g) =>
        (g.grant ?? ['*']).some((p) => patternMatches(p, path)) &&
        !(g.except ?? []).some((p) => patternMatches(p, path)),
    );
  // A value is kept if its path is allowed; an object or array also when something below it is.
  const keep = (v: unknown, path: string): unknown => {
    if (Array.isArray(v)) {
      const items = v.map((x) => keep(x, path)).filter((x) => x !== undefined);
      return items.length || (v.length === 0 && allowed(path)) ? items : undefined;
    }
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const sub = keep(x, path ? `${path}.${k}` : k);
        if (sub !== undefined) out[k] = sub;
      }
      return Object.keys(out).length || (path !== '' && allowed(path)) ? out : undefined;
    }
    return allowed(path) ? v : undefined;
  };
  return keep(source, '') ?? {};
}
