// REST routing for the simulated node: routes `{method, path: '/_security/role/{name}', handler}` registered from
// lab/node/api/*.ts (list in api/index.ts), ES's error envelope, and the response options every ES endpoint shares
// (`filter_path`, `pretty`, `flat_settings` helpers, `format=json` for _cat). Unknown paths and unknown query
// parameters are refused with a 400 that says so: the lab never answers a request it does not simulate with a
// silent success.
import type { IncomingHttpHeaders } from 'node:http';
import type { NodeRuntime } from './runtime.js';
import type { ClusterState, FlatSettings, SettingValue } from './state.js';
import type { Principal } from './security/model.js';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';

export interface LabRequest {
  method: HttpMethod;
  /** Path without query string, e.g. `/_security/role/admin`. */
  path: string;
  /** Path parameters from `{name}` segments (URL-decoded). */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined when empty). */
  body: unknown;
  rawBody: Buffer;
}

export interface RouteContext {
  rt: NodeRuntime;
  /** The authenticated caller (routes with `auth: false` get undefined). */
  principal?: Principal;
  /** Cluster state as read when the request arrived (handlers that change it use rt.updateState). */
  state: ClusterState;
}

export interface LabResponse {
  status?: number;
  /** JSON value, or a string for text answers (_cat without format=json). */
  body?: unknown;
  headers?: Record<string, string | string[]>;
}

export interface Route {
  method: HttpMethod | HttpMethod[];
  /** Path pattern; `{name}` matches one segment. */
  path: string;
  handler(req: LabRequest, ctx: RouteContext): LabResponse | Promise<LabResponse>;
  /** Query parameters this endpoint accepts besides the common ones; others → ES's "unrecognized parameter" 400. */
  params?: string[];
  /** false = no authentication (none of the simulated endpoints; kept for health probes). */
  auth?: boolean;
  /** Cluster privilege the caller needs (checked with ctx.rt's authorizer); undefined = any authenticated user. */
  privilege?: string;
  /** The body is not JSON (NDJSON for _bulk): `body` stays undefined, the handler reads `rawBody`. */
  rawBody?: boolean;
}

/** Query parameters every endpoint accepts (ES's RestRequest common params). */
export const COMMON_PARAMS = [
  'pretty',
  'human',
  'error_trace',
  'filter_path',
  'format',
  'source',
  'source_content_type',
];

/** An error in ES's envelope; throw it from a handler. */
export class EsHttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly reason: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string | string[]> = {},
    readonly causedBy?: { type: string; reason: string },
  ) {
    super(reason);
  }
  toBody(): Record<string, unknown> {
    const cause = { type: this.type, reason: this.reason, ...this.extra };
    return {
      error: { root_cause: [cause], ...cause, ...(this.causedBy ? { caused_by: this.causedBy } : {}) },
      status: this.status,
    };
  }
}

export function esError(
  status: number,
  type: string,
  reason: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string | string[]> = {},
): EsHttpError {
  return new EsHttpError(status, type, reason, extra, headers);
}

export const illegalArgument = (reason: string) => esError(400, 'illegal_argument_exception', reason);

interface CompiledRoute {
  route: Route;
  methods: HttpMethod[];
  segments: string[];
}

export class Router {
  private routes: CompiledRoute[] = [];

  add(...routes: Route[]): void {
    for (const route of routes) {
      this.routes.push({
        route,
        methods: Array.isArray(route.method) ? route.method : [route.method],
        segments: route.path.split('/').filter(Boolean),
      });
    }
  }

  /** Most specific match first: literal segments beat `{param}` segments at the same position. */
  match(
    method: HttpMethod,
    path: string,
  ): { route: Route; params: Record<string, string> } | { methodNotAllowed: HttpMethod[] } | undefined {
    const parts = path.split('/').filter(Boolean);
    let best: { c: CompiledRoute; params: Record<string, string>; score: number } | undefined;
    const allowed = new Set<HttpMethod>();
    for (const c of this.routes) {
      if (c.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let score = 0;
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = c.segments[i]!;
        if (seg.startsWith('{') && seg.endsWith('}')) {
          let v: string;
          try {
            v = decodeURIComponent(parts[i]!);
          } catch {
            ok = false;
            break;
          }
          params[seg.slice(1, -1)] = v;
        } else if (seg === parts[i]) score += 1 << (parts.length - i);
        else {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      const methodOk = c.methods.includes(method) || (method === 'HEAD' && c.methods.includes('GET'));
      if (!methodOk) {
        c.methods.forEach((m) => allowed.add(m));
        continue;
      }
      if (!best || score > best.score) best = { c, params, score };
    }
    if (best) return { route: best.c.route, params: best.params };
    if (allowed.size) return { methodNotAllowed: [...allowed] };
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Response helpers shared by the APIs

export function boolParam(q: URLSearchParams, name: string, dflt = false): boolean {
  if (!q.has(name)) return dflt;
  const v = q.get(name)!;
  if (v === '' || v === 'true') return true;
  if (v === 'false') return false;
  throw illegalArgument(`Failed to parse value [${v}] as only [true] or [false] are allowed.`);
}

/** Flat `a.b.c` keys → nested objects (ES's default settings rendering). */
export function nestSettings(flat: FlatSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(flat).sort()) {
    const parts = key.split('.');
    let cur = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const p = parts[i]!;
      if (typeof cur[p] !== 'object' || cur[p] === null || Array.isArray(cur[p])) cur[p] = {};
      cur = cur[p] as Record<string, unknown>;
    }
    cur[parts[parts.length - 1]!] = flat[key];
  }
  return out;
}

export function sortedFlat(flat: FlatSettings): FlatSettings {
  const out: FlatSettings = {};
  for (const k of Object.keys(flat).sort()) out[k] = flat[k]!;
  return out;
}

export function renderSettings(flat: FlatSettings, flatSettings: boolean): Record<string, unknown> {
  return flatSettings ? sortedFlat(flat) : nestSettings(flat);
}

/** JSON input (nested or dotted keys, any scalar) → flat map; null values kept as null (= remove). */
export function flattenInput(
  value: unknown,
  prefix = '',
  out: Record<string, SettingValue | null> = {},
): Record<string, SettingValue | null> {
  if (value === null) {
    if (prefix) out[prefix] = null;
    return out;
  }
  if (Array.isArray(value)) {
    out[prefix] = value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
    return out;
  }
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      flattenInput(v, prefix ? `${prefix}.${k}` : k, out);
    return out;
  }
  out[prefix] = String(value);
  return out;
}

/**
 * ES's `filter_path`: comma-separated paths, `*` matches one field name, `**` any depth, a leading `-` excludes.
 * Dotted field names (flat settings) are matched part by part, as ES 8 does.
 */
export function applyFilterPath(value: unknown, filterPath: string | null): unknown {
  if (!filterPath) return value;
  const all = filterPath
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const includes = all.filter((p) => !p.startsWith('-')).map((p) => p.split('.'));
  const excludes = all.filter((p) => p.startsWith('-')).map((p) => p.slice(1).split('.'));
  let out = includes.length ? include(value, includes) : value;
  if (out === undefined) out = {};
  for (const ex of excludes) out = exclude(out, ex);
  return out;
}

/** ES's simple wildcard match (`*` = any characters), used for index, node, setting and column patterns. */
export function wildcardRegExp(pattern: string): RegExp {
  return new RegExp(
    '^' +
      pattern
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
}

function segMatches(pattern: string, name: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return pattern === name;
  return wildcardRegExp(pattern).test(name);
}

/** Remaining filters after consuming a (possibly dotted) field name; [] = fully matched (keep everything below). */
function advance(filters: string[][], key: string): string[][] {
  const keyParts = key.split('.');
  const next: string[][] = [];
  for (const f of filters) {
    const walk = (fi: number, ki: number): void => {
      if (ki === keyParts.length) {
        next.push(f.slice(fi));
        return;
      }
      if (fi === f.length) {
        next.push([]); // the filter ends inside a dotted name: everything below matches
        return;
      }
      const seg = f[fi]!;
      if (seg === '**') {
        walk(fi + 1, ki); // ** matches zero names
        walk(fi, ki + 1); // or one more name
        return;
      }
      if (segMatches(seg, keyParts[ki]!)) walk(fi + 1, ki + 1);
    };
    walk(0, 0);
  }
  return next;
}

function include(value: unknown, filters: string[][]): unknown {
  if (filters.some((f) => f.length === 0 || (f.length === 1 && f[0] === '**'))) return value;
  if (Array.isArray(value)) {
    const items = value.map((v) => include(v, filters)).filter((v) => v !== undefined);
    return items.length ? items : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const rest = advance(filters, k);
    if (!rest.length) continue;
    const sub = include(v, rest);
    if (sub !== undefined) out[k] = sub;
  }
  return Object.keys(out).length ? out : undefined;
}

function exclude(value: unknown, filter: string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => exclude(v, filter));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const rest = advance([filter], k);
    if (rest.some((r) => r.length === 0)) continue;
    out[k] = rest.length ? exclude(v, rest[0]!) : v;
  }
  return out;
}

/** Serialises a JSON answer as ES does (`pretty` → 2-space indent and trailing newline). */
export function serializeJson(value: unknown, pretty: boolean): string {
  return pretty ? JSON.stringify(value, null, 2) + '\n' : JSON.stringify(value);
}
