// One Elasticsearch client per cluster (cached per URL + user), built from inventory vars:
//   es_url; es_user + es_password (Secret) | es_password_file | env CROSSKEY_ES_PASSWORD_<GROUP> |
// CROSSKEY_ES_PASSWORD;
//   or es_api_key; es_ca_cert (PEM file) | es_ca_fingerprint (SHA-256 of the CA); es_tls_verify: false (warned).
// Uses the 8.x @elastic/elasticsearch client (it sends compatible-with=8 headers) with its own retries off:
// retries here cover 429, 503 and connection errors with bounded exponential backoff + jitter.
import { sleep } from '../sleep.js';
// The client library is loaded on first use: commands that never talk to a cluster start without evaluating it.
import type { Client } from '@elastic/elasticsearch';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import tls from 'node:tls';
import { Secret, isSecret, secrets } from '../secrets.js';
import { allowLooseSecretFiles, checkSecretFileMode } from '../secret-files.js';
import {
  EsError,
  esErrorFromConnection,
  esErrorFromResponse,
  isRetryableConnection,
  type RequestWhere,
} from './errors.js';
import { backoffMs, DEFAULT_RETRY, type RetryPolicy } from './retry.js';

import type { EsApi, EsRequest, EsResponse } from './types.js';
import { nonBlank } from '../values.js';

/** Invalid or missing client configuration (names the variable). */
export class EsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EsConfigError';
  }
}

export interface EsClientOptions {
  /** Cluster label for messages, e.g. the inventory group ("local", "remote"). Default: the URL's host. */
  label?: string;
  /** Warnings (TLS verification off, plain http). Default: stderr. */
  warn?: (message: string) => void;
  retry?: Partial<RetryPolicy>;
  /** Stops retries and waits early (Ctrl-C, window end). */
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Base for relative es_ca_cert / es_password_file paths (the inventory dir). Default: cwd. */
  baseDir?: string;
  /** Default per-request timeout (ms). */
  requestTimeoutMs?: number;
}

export type EsAuth = { kind: 'basic'; username: string; password: Secret } | { kind: 'apiKey'; apiKey: Secret };
export type EsTrust =
  | { kind: 'ca'; caPem: string; source: string }
  | { kind: 'fingerprint'; sha256: string }
  | { kind: 'system' }
  | { kind: 'insecure' };

export interface EsConnection {
  url: string;
  auth: EsAuth;
  trust: EsTrust;
  label: string;
  /** The cluster's es_url, also for a client of one of its nodes: warnings are given once per cluster. */
  cluster: string;
}

function readFirstLine(path: string, varName: string): string {
  try {
    const line = readFileSync(path, 'utf8').split(/\r?\n/)[0];
    if (!line) throw new EsConfigError(`${varName}: ${path} is empty`);
    return line;
  } catch (e) {
    if (e instanceof EsConfigError) throw e;
    throw new EsConfigError(`${varName}: cannot read ${path}: ${(e as Error).message}`);
  }
}

export function normalizeFingerprint(fp: string): string {
  const hex = fp.replace(/[:\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex))
    throw new EsConfigError(`es_ca_fingerprint must be a SHA-256 fingerprint (64 hex digits), got "${fp}"`);
  return hex;
}

/** Reads and checks the connection variables; throws EsConfigError naming the variable. */
export function resolveConnection(
  vars: Record<string, unknown>,
  opts: EsClientOptions = {},
  urlOverride?: string,
): EsConnection {
  const env = opts.env ?? process.env;
  const base = opts.baseDir ?? process.cwd();
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const rawUrl = urlOverride ?? nonBlank(vars.es_url);
  if (!rawUrl)
    throw new EsConfigError('es_url is not set (the HTTPS URL of the cluster, e.g. https://es1.example.com:9200)');
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new EsConfigError(`es_url "${rawUrl}" is not a URL (expected https://host:9200)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new EsConfigError(`es_url "${rawUrl}": scheme must be https`);
  // Plain http would send the credentials in clear: refused before any request unless the operator opts in.
  const allowHttp = vars.es_allow_http === true || vars.es_allow_http === 'true' || vars.es_allow_http === 'yes';
  if (url.protocol === 'http:' && !allowHttp) {
    throw new EsConfigError(
      `es_url "${rawUrl}" is plain http: the credentials would travel unencrypted. Use https, or set es_allow_http: true for this cluster`,
    );
  }
  // A host in exactly one group (the lab's local/remote) names its cluster by that group.
  const groupNames = Array.isArray(vars.group_names) ? (vars.group_names as unknown[]).map(String) : [];
  const label = opts.label ?? (groupNames.length === 1 && !urlOverride ? groupNames[0]! : url.host);

  let auth: EsAuth;
  const apiKey = vars.es_api_key;
  if (apiKey !== undefined && apiKey !== null && apiKey !== '') {
    auth = { kind: 'apiKey', apiKey: isSecret(apiKey) ? apiKey : new Secret(String(apiKey)) };
  } else {
    const user = nonBlank(vars.es_user);
    if (!user) throw new EsConfigError(`[${label}] es_user is not set (or use es_api_key)`);
    let password: Secret | undefined;
    if (isSecret(vars.es_password)) password = vars.es_password;
    else if (typeof vars.es_password === 'string' && vars.es_password !== '') password = new Secret(vars.es_password);
    else if (nonBlank(vars.es_password_file)) {
      const file = abs(nonBlank(vars.es_password_file)!);
      try {
        checkSecretFileMode(
          file,
          'es_password_file',
          allowLooseSecretFiles(vars.crosskey_allow_loose_secret_files, env),
        );
      } catch (e) {
        throw new EsConfigError(`[${label}] ${(e as Error).message}`);
      }
      password = new Secret(readFirstLine(file, 'es_password_file'));
    } else {
      const names = [...(opts.label ? [opts.label] : []), ...groupNames].map(
        (g) => `CROSSKEY_ES_PASSWORD_${g.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`,
      );
      for (const n of [...names, 'CROSSKEY_ES_PASSWORD']) {
        if (env[n]) {
          password = new Secret(env[n]!);
          break;
        }
      }
    }
    if (!password) {
      throw new EsConfigError(
        `[${label}] no password for es_user "${user}": set es_password_file, es_password (vault) or env CROSSKEY_ES_PASSWORD`,
      );
    }
    auth = { kind: 'basic', username: user, password };
  }

  let trust: EsTrust = { kind: 'system' };
  const verify = vars.es_tls_verify;
  if (verify === false || verify === 'false' || verify === 'no') {
    trust = { kind: 'insecure' };
  } else if (nonBlank(vars.es_ca_cert)) {
    const path = abs(nonBlank(vars.es_ca_cert)!);
    let caPem: string;
    try {
      caPem = readFileSync(path, 'utf8');
      new X509Certificate(caPem);
    } catch (e) {
      throw new EsConfigError(`es_ca_cert: ${path} is not a readable PEM certificate: ${(e as Error).message}`);
    }
    trust = { kind: 'ca', caPem, source: path };
  } else if (nonBlank(vars.es_ca_fingerprint)) {
    trust = { kind: 'fingerprint', sha256: normalizeFingerprint(nonBlank(vars.es_ca_fingerprint)!) };
  }
  const cluster = nonBlank(vars.es_url) ?? rawUrl;
  return {
    url: url.origin + (url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '')),
    auth,
    trust,
    label,
    cluster,
  };
}

/**
 * es_ca_fingerprint: fetch the server's chain once without trusting it, pick the certificate with that SHA-256
 * fingerprint, and from then on verify normally (chain + host name) with that certificate as the only CA.
 */
export async function caFromFingerprint(url: string, sha256: string, timeoutMs = 10_000): Promise<string> {
  const u = new URL(url);
  const chain = await new Promise<tls.DetailedPeerCertificate[]>((res, rej) => {
    const sock = tls.connect(
      {
        host: u.hostname,
        port: Number(u.port || 443),
        rejectUnauthorized: false,
        servername: /^[\d.]+$|:/.test(u.hostname) ? undefined : u.hostname,
      },
      () => {
        const out: tls.DetailedPeerCertificate[] = [];
        let c: tls.DetailedPeerCertificate | undefined = sock.getPeerCertificate(true);
        while (c?.raw && !out.some((x) => x.fingerprint256 === c!.fingerprint256)) {
          out.push(c);
          c = c.issuerCertificate;
        }
        sock.destroy();
        res(out);
      },
    );
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`timeout reading the certificate chain of ${url}`)));
    sock.on('error', rej);
  });
  const hit = chain.find((c) => createHash('sha256').update(c.raw).digest('hex') === sha256);
  if (!hit) {
    throw new Error(
      `fingerprint: no certificate sent by ${url} has SHA-256 ${sha256} (the server sent ${chain.length}; ` +
        'if it sends only its own certificate, use es_ca_cert with the CA file)',
    );
  }
  return `-----BEGIN CERTIFICATE-----\n${hit.raw
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trim()}\n-----END CERTIFICATE-----\n`;
}

/** Clusters already warned about (insecure TLS, plain http): once per cluster and kind in a run. */
const warnedClusters = new Set<string>();

type TransportResult = { statusCode: number; body: unknown; headers?: Record<string, unknown> };

export class EsClient implements EsApi {
  readonly label: string;
  readonly url: string;
  readonly #conn: EsConnection;
  readonly #opts: EsClientOptions;
  readonly #retry: RetryPolicy;
  #client?: Promise<Client>;

  constructor(conn: EsConnection, opts: EsClientOptions = {}) {
    this.#conn = conn;
    this.#opts = opts;
    this.label = conn.label;
    this.url = conn.url;
    this.#retry = { ...DEFAULT_RETRY, ...opts.retry };
    const print = opts.warn ?? ((m: string) => process.stderr.write(`WARNING: ${m}\n`));
    const warn = (kind: string, m: string) => {
      if (warnedClusters.has(`${kind} ${conn.cluster}`)) return;
      warnedClusters.add(`${kind} ${conn.cluster}`);
      print(m);
    };
    if (conn.trust.kind === 'insecure') {
      warn(
        'insecure',
        `[${conn.label}] TLS verification is OFF for ${conn.url} (es_tls_verify: false): anyone on the path can read the credentials`,
      );
    }
    if (conn.url.startsWith('http:'))
      warn('http', `[${conn.label}] ${conn.url} is plain http (es_allow_http: true): credentials travel unencrypted`);
  }

  #build(): Promise<Client> {
    this.#client ??= (async () => {
      const { trust, auth } = this.#conn;
      let tlsOpts: tls.ConnectionOptions | undefined;
      if (trust.kind === 'ca') tlsOpts = { ca: trust.caPem, rejectUnauthorized: true };
      else if (trust.kind === 'insecure') tlsOpts = { rejectUnauthorized: false };
      else if (trust.kind === 'fingerprint') {
        try {
          tlsOpts = { ca: await caFromFingerprint(this.url, trust.sha256), rejectUnauthorized: true };
        } catch (e) {
          throw esErrorFromConnection(this.#where('GET', '/'), e);
        }
      }
      // A CommonJS package: as a split chunk of the bundle its exports arrive as `default`.
      const lib = (await import('@elastic/elasticsearch')) as typeof import('@elastic/elasticsearch') & {
        default?: typeof import('@elastic/elasticsearch');
      };
      const Client = lib.Client ?? lib.default!.Client;
      return new Client({
        node: this.url,
        auth:
          auth.kind === 'basic'
            ? { username: auth.username, password: auth.password.reveal() }
            : { apiKey: auth.apiKey.reveal() },
        tls: tlsOpts,
        maxRetries: 0, // our own retry loop (429 included, bounded, jittered)
        requestTimeout: this.#opts.requestTimeoutMs ?? 30_000,
        compression: false,
      });
    })();
    this.#client.catch(() => {
      this.#client = undefined;
    });
    return this.#client;
  }

  #where(method: string, path: string): RequestWhere {
    return { label: this.label, method, path, url: this.url };
  }

  async request<T = unknown>(req: EsRequest): Promise<EsResponse<T>> {
    const where = this.#where(req.method, req.path);
    const retryable = req.retry !== false;
    const ok = new Set(req.okStatuses ?? []);
    const querystring: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) querystring[k] = String(v);
    for (let attempt = 1; ; attempt++) {
      let err: EsError;
      let retryAfterMs = 0;
      try {
        const client = await this.#build();
        const res = (await client.transport.request(
          { method: req.method, path: req.path, querystring, body: req.body as never },
          { meta: true, requestTimeout: req.timeoutMs, ignore: [...ok], signal: this.#opts.signal } as never,
        )) as unknown as TransportResult;
        this.#registerSecrets(res.body, req.secretResponseFields);
        return { status: res.statusCode, body: res.body as T };
      } catch (e) {
        if (e instanceof EsError) err = e;
        else {
          const meta = (e as { meta?: TransportResult }).meta;
          if (e && (e as Error).name === 'ResponseError' && meta?.statusCode) {
            err = esErrorFromResponse(where, meta.statusCode, meta.body);
            const ra = Number((meta.headers as Record<string, string> | undefined)?.['retry-after']);
            if (Number.isFinite(ra) && ra > 0) retryAfterMs = Math.min(ra * 1000, 30_000);
          } else if (this.#opts.signal?.aborted || (e as Error).name === 'RequestAbortedError') {
            throw new EsError({
              ...where,
              status: 0,
              reason: 'aborted',
              cause: 'the run was interrupted',
              fix: 'resume the run',
              code: 'ABORTED',
            });
          } else {
            err = esErrorFromConnection(where, e);
          }
        }
      }
      const transient = err.status === 429 || err.status === 503 || isRetryableConnection(err);
      if (!retryable || !transient || attempt >= this.#retry.attempts) throw err;
      await sleep(Math.max(retryAfterMs, backoffMs(attempt, this.#retry)), this.#opts.signal);
    }
  }

  /** Values of secret response fields (e.g. "api_key", "encoded") are registered before anyone can print them. */
  #registerSecrets(body: unknown, fields?: string[]): void {
    if (!fields?.length || !body || typeof body !== 'object') return;
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) {
        v.forEach(walk);
        return;
      }
      if (!v || typeof v !== 'object') return;
      for (const [k, x] of Object.entries(v)) {
        if (fields.includes(k) && typeof x === 'string') secrets.register(x);
        walk(x);
      }
    };
    walk(body);
  }

  async close(): Promise<void> {
    const c = this.#client;
    this.#client = undefined;
    if (c) await (await c.catch(() => undefined))?.close();
  }
}

function cacheKey(conn: EsConnection): string {
  const who =
    conn.auth.kind === 'basic'
      ? `u:${conn.auth.username}`
      : `k:${createHash('sha256').update(conn.auth.apiKey.reveal()).digest('hex').slice(0, 16)}`;
  return `${conn.url}|${who}|${conn.trust.kind}`;
}

/**
 * The clients of one run: one per cluster or node URL and user, created on first use with the run's options (its
 * abort signal: Ctrl-C and the end of the maintenance window cut every wait and retry), closed when the run ends.
 */
export class EsClients {
  readonly #cache = new Map<string, EsClient>();
  constructor(readonly defaults: EsClientOptions = {}) {}
  forVars(vars: Record<string, unknown>, opts: EsClientOptions = {}): EsApi {
    const o = { ...this.defaults, ...opts };
    return this.#get(resolveConnection(vars, o), o);
  }
  /** Same credentials and trust, talking to one node's own URL (per-node _remote/info, rejoin checks). */
  forNode(vars: Record<string, unknown>, nodeUrl: string, opts: EsClientOptions = {}): EsApi {
    const o = { ...this.defaults, ...opts };
    return this.#get(resolveConnection(vars, { ...o, label: o.label ?? new URL(nodeUrl).host }, nodeUrl), o);
  }
  #get(conn: EsConnection, opts: EsClientOptions): EsClient {
    const key = cacheKey(conn);
    let c = this.#cache.get(key);
    if (!c) this.#cache.set(key, (c = new EsClient(conn, opts)));
    return c;
  }
  async close(): Promise<void> {
    const all = [...this.#cache.values()];
    this.#cache.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}

/** Clients of code that runs outside a playbook run (inspect, demo, tests). */
const processClients = new EsClients();

export function esForVars(vars: Record<string, unknown>, opts: EsClientOptions = {}): EsApi {
  return processClients.forVars(vars, opts);
}

/** Same credentials and trust, talking to one node's own URL (per-node _remote/info, rejoin checks). */
export function esForNode(vars: Record<string, unknown>, nodeUrl: string, opts: EsClientOptions = {}): EsApi {
  return processClients.forNode(vars, nodeUrl, opts);
}

/** Closes the clients made outside a run (end of inspect/demo; tests' teardown). */
export async function closeAllClients(): Promise<void> {
  await processClients.close();
}
