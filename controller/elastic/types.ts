// The contract between the Elasticsearch client layer (client.ts) and the typed API wrappers (api/*.ts).
// Wrappers call `request`; the client adds auth, verified TLS, retries with backoff (429, 503, connection errors)
// and maps errors to EsError with a message naming cause and fix.

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';

export interface EsRequest {
  method: HttpMethod;
  path: string; // e.g. "/_cluster/settings"
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Body holds a secret (e.g. secure_settings_password): never logged, never journaled. */
  secretBody?: boolean;
  /** Answer contains a secret (e.g. cross-cluster key creation): registered in the secrets registry. */
  secretResponseFields?: string[];
  timeoutMs?: number;
  /** Statuses that are answers, not errors (e.g. 404 for "not found", 408 for health wait timeouts). */
  okStatuses?: number[];
  /** Retries on 429/503/connection errors; default true. Set false for non-idempotent calls. */
  retry?: boolean;
}

export interface EsResponse<T> {
  status: number;
  body: T;
}

export interface EsApi {
  /** Cluster label for messages ("local", "remote" or the URL). */
  readonly label: string;
  /** The URL this client talks to. */
  readonly url: string;
  request<T = unknown>(req: EsRequest): Promise<EsResponse<T>>;
}

/** Error body shape of Elasticsearch (see test/fixtures/es-examples/errors). */
export interface EsErrorBody {
  type: string;
  reason: string;
  caused_by?: EsErrorBody;
  root_cause?: EsErrorBody[];
  [k: string]: unknown;
}
