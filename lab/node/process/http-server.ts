// The REST layer of a lab node: HTTPS server → router → handler, with ES's cross-cutting behaviour:
// authentication (401 + WWW-Authenticate), route privileges (403), unknown endpoints and parameters (400),
// filter_path, pretty, the X-Elastic-Product header the official client checks, and the http-429/503 faults.
import { checkCompatibleHeaders } from './rest-compat.js';
import https from 'node:https';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { Router, COMMON_PARAMS, type HttpMethod, type LabRequest, type LabResponse } from '../router.js';
import { EsHttpError, esError } from '../http-error.js';
import { applyFilterPath, serializeJson } from '../rest-helpers.js';
import { authenticate, authorizeCluster, WWW_AUTHENTICATE } from '../security/authenticate.js';
import { routeGroups } from './routes.js';
import { consumeFault } from './faults.js';
import type { NodeRuntime } from '../runtime.js';
import type { SecureContextOptions } from 'node:tls';

const METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'HEAD']);
const MAX_BODY = 100 * 1024 * 1024;

export function buildRouter(): Router {
  const router = new Router();
  for (const group of routeGroups) router.add(...group);
  return router;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(esError(413, 'content_too_long_exception', 'request body is too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new EsHttpError(
      400,
      'x_content_parse_exception',
      `[1:1] Unexpected character: ${(e as Error).message}`,
      {},
      {},
      { type: 'json_parse_exception', reason: (e as Error).message },
    );
  }
}

export async function handle(
  rt: NodeRuntime,
  router: Router,
  req: IncomingMessage,
): Promise<{ status: number; headers: Record<string, string | string[]>; body: string }> {
  const url = new URL(req.url ?? '/', 'https://lab');
  const method = (req.method ?? 'GET').toUpperCase();
  const pretty = url.searchParams.has('pretty') && url.searchParams.get('pretty') !== 'false';
  const headers: Record<string, string | string[]> = { 'X-elastic-product': 'Elasticsearch' };
  const send = (status: number, value: unknown, extra: Record<string, string | string[]> = {}) => {
    if (typeof value === 'string')
      return { status, headers: { 'content-type': 'text/plain; charset=UTF-8', ...headers, ...extra }, body: value };
    const filtered = applyFilterPath(value, url.searchParams.get('filter_path'));
    return {
      status,
      headers: { 'content-type': 'application/json', ...headers, ...extra },
      body: serializeJson(filtered, pretty),
    };
  };
  try {
    const raw = await readBody(req);
    // Faults first: a node under pressure rejects before doing any work, like ES's thread pools.
    if (consumeFault(rt.home, 'http-429')) {
      throw esError(
        429,
        'es_rejected_execution_exception',
        `rejected execution of coordinating operation [lab fault http-429] on node [${rt.nodeName}]`,
      );
    }
    if (consumeFault(rt.home, 'http-503')) {
      throw esError(
        503,
        'master_not_discovered_exception',
        `master not discovered yet [lab fault http-503] on node [${rt.nodeName}]`,
      );
    }
    checkCompatibleHeaders(rt.esVersion, req.headers, raw.length > 0);
    if (!METHODS.has(method))
      throw esError(
        405,
        'illegal_argument_exception',
        `Incorrect HTTP method for uri [${url.pathname}] and method [${method}]`,
      );
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const m = router.match(method as HttpMethod, path);
    if (!m) {
      throw esError(
        400,
        'illegal_argument_exception',
        `no handler found for uri [${url.pathname}] and method [${method}] (the crosskey lab does not simulate this endpoint)`,
      );
    }
    if ('methodNotAllowed' in m) {
      return send(
        405,
        {
          error: `Incorrect HTTP method for uri [${url.pathname}] and method [${method}], allowed: [${m.methodNotAllowed.join(', ')}]`,
          status: 405,
        },
        { Allow: m.methodNotAllowed.join(',') },
      );
    }
    const { route, params } = m;
    if (route.params) {
      const allowed = new Set([...COMMON_PARAMS, ...route.params]);
      const unknown = [...new Set(url.searchParams.keys())].filter((k) => !allowed.has(k));
      if (unknown.length) {
        throw esError(
          400,
          'illegal_argument_exception',
          `request [${url.pathname}] contains unrecognized parameter${unknown.length > 1 ? 's' : ''}: [${unknown.join('], [')}]`,
        );
      }
    }
    const state = rt.state();
    let principal;
    if (route.auth !== false) {
      const outcome = authenticate(state, req.headers.authorization, url.pathname);
      if (!outcome.ok)
        throw esError(
          401,
          'security_exception',
          outcome.reason,
          { header: { 'WWW-Authenticate': WWW_AUTHENTICATE } },
          { 'WWW-Authenticate': WWW_AUTHENTICATE },
        );
      principal = outcome.principal;
      if (route.privilege && !authorizeCluster(state, principal, route.privilege)) {
        const who =
          principal.kind === 'api_key'
            ? `API key id [${principal.key.id}] of user [${principal.username}]`
            : `user [${principal.username}] with roles [${principal.roles.join(',')}]`;
        throw esError(
          403,
          'security_exception',
          `action [${method} ${url.pathname}] is unauthorized for ${who}, this action is granted by the cluster privileges [${route.privilege},all]`,
        );
      }
    }
    const labReq: LabRequest = {
      method: method as HttpMethod,
      path,
      params,
      query: url.searchParams,
      headers: req.headers,
      body: route.rawBody ? undefined : parseJsonBody(raw),
      rawBody: raw,
    };
    const res: LabResponse = await route.handler(labReq, { rt, principal, state });
    return send(res.status ?? 200, res.body ?? {}, res.headers);
  } catch (e) {
    if (e instanceof EsHttpError) return send(e.status, e.toBody(), e.headers);
    rt.log('WARN', 'r.suppressed', `path: ${url.pathname}, params: {}, status: 500 ${(e as Error).stack ?? e}`);
    return send(500, new EsHttpError(500, 'exception', (e as Error).message).toBody());
  }
}

/** HTTPS with the node's HTTP TLS context; plain HTTP when xpack.security.http.ssl (or security) is disabled, as ES. */
export function startHttpServer(
  rt: NodeRuntime,
  tlsOptions: SecureContextOptions | null,
  host: string,
  port: number,
): Promise<https.Server | http.Server> {
  const router = buildRouter();
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(rt, router, req).then(
      (out) => {
        res.writeHead(out.status, out.headers);
        res.end(req.method === 'HEAD' ? undefined : out.body);
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  };
  const server = tlsOptions
    ? https.createServer({ ...tlsOptions, requestCert: false }, onRequest)
    : http.createServer(onRequest);
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
