// REST routing for the simulated node: routes `{method, path: '/_security/role/{name}', handler}` registered from
// each feature's lab/node/<feature>/*routes.ts (list in process/routes.ts), matched most specific first. ES's error envelope is in http-error.ts, the
// response options every ES endpoint shares (`filter_path`, `pretty`, `flat_settings`) in rest-helpers.ts. Unknown
// paths and unknown query parameters are refused with a 400 that says so: the lab never answers a request it does
// not simulate with a silent success.
import type { IncomingHttpHeaders } from 'node:http';
import type { NodeRuntime } from './runtime.js';
import type { ClusterState } from './cluster/state.js';
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
