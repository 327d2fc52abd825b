// Elasticsearch failures as EsError: status, type and reason from the answer, plus the likely cause and the fix
// (troubleshooting catalogue, docs/procedure.md §5). Every message passes through the secrets registry.
import { secrets } from '../secrets.js';
import type { EsErrorBody } from './types.js';

export interface EsErrorInit {
  label: string;
  method: string;
  path: string;
  /** HTTP status; 0 when no answer arrived (connection, TLS, timeout). */
  status: number;
  type?: string;
  reason?: string;
  cause: string;
  fix: string;
  body?: unknown;
  /** Connection-level code, e.g. ECONNREFUSED, TLS_UNTRUSTED. */
  code?: string;
}

export class EsError extends Error {
  readonly label: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly type?: string;
  readonly reason?: string;
  /** The likely cause, in words (the troubleshooting catalogue). */
  readonly likelyCause: string;
  readonly fix: string;
  readonly body?: unknown;
  readonly code?: string;
  constructor(init: EsErrorInit) {
    const what = init.status
      ? `${init.status}${init.type ? ` ${init.type}` : ''}${init.reason ? `: ${init.reason}` : ''}`
      : (init.reason ?? 'no answer');
    super(secrets.redact(`[${init.label}] ${init.method} ${init.path}: ${what} — ${init.cause}; fix: ${init.fix}`));
    this.name = 'EsError';
    this.label = init.label;
    this.method = init.method;
    this.path = init.path;
    this.status = init.status;
    this.type = init.type;
    this.reason = init.reason === undefined ? undefined : secrets.redact(init.reason);
    this.likelyCause = init.cause;
    this.fix = init.fix;
    this.body = init.body === undefined ? undefined : secrets.redactValue(init.body);
    this.code = init.code;
  }
}

export interface RequestWhere {
  label: string;
  method: string;
  path: string;
  url: string;
}

function errorBody(body: unknown): EsErrorBody | undefined {
  if (body && typeof body === 'object' && 'error' in body) {
    const e = (body as { error: unknown }).error;
    if (e && typeof e === 'object') return e as EsErrorBody;
    if (typeof e === 'string') return { type: 'error', reason: e };
  }
  return undefined;
}

/** The deepest caused_by reason often names the real problem (e.g. a settings validation). */
function deepReason(e: EsErrorBody): string {
  let r = e.reason ?? '';
  let c = e.caused_by;
  for (let i = 0; c && i < 5; i++, c = c.caused_by)
    if (c.reason && !r.includes(c.reason)) r += ` (caused by ${c.type}: ${c.reason})`;
  return r;
}

/** Maps an HTTP error answer to cause + fix. */
export function esErrorFromResponse(where: RequestWhere, status: number, body: unknown): EsError {
  const e = errorBody(body);
  const type = e?.type;
  const reason = e ? deepReason(e) : typeof body === 'string' ? body.slice(0, 300) : undefined;
  const r = reason ?? '';
  let cause = `Elasticsearch refused the request`;
  let fix = 'read the reason above';
  if (status === 401) {
    cause = 'bad credentials';
    fix = 'check es_user and es_password / es_password_file (or es_api_key) for this cluster';
  } else if (status === 403 && /license is non-compliant|current license/.test(r)) {
    cause = `the license does not allow this feature${/\[([^\]]+)\]/.test(r) ? ` [${/\[([^\]]+)\]/.exec(r)![1]}]` : ''}`;
    fix =
      'API-key remote clusters need an Enterprise or trial license on both clusters (POST /_license/start_trial?acknowledge=true to test)';
  } else if (status === 403 && /towards remote cluster/.test(r)) {
    cause = 'the remote cluster privileges of the user and the cross-cluster API key do not cover this request';
    fix = 'add remote_indices to the local role or widen the API key access (es_roles / es_cross_cluster_api_key)';
  } else if (status === 403 && /authenticated by API key|API key/.test(r) && /cross.cluster/i.test(r)) {
    cause = 'cross-cluster API keys cannot be created or updated by a caller that authenticates with an API key';
    fix = 'use es_user/es_password (a user with manage_security) for this cluster instead of es_api_key';
  } else if (status === 403) {
    cause = 'the tool user lacks a privilege';
    fix =
      'give the user in es_user the privileges the reason names (manage, manage_security, manage_ccr, manage_ml, manage_transform; simplest: superuser)';
  } else if (status === 404) {
    cause = 'not found';
    fix = 'check the name or id; the resource may have been removed';
  } else if (status === 408 || /timeout/.test(type ?? '')) {
    cause = 'Elasticsearch timed out';
    fix = 'the cluster is busy or a node is missing: check GET /_cluster/health and retry';
  } else if (status === 409) {
    cause = 'conflict with the current state (e.g. a task already started or stopped)';
    fix = 'read the state of the resource and retry';
  } else if (status === 429) {
    cause = 'Elasticsearch is overloaded (rejected execution)';
    fix = 'retry later or reduce concurrent load';
  } else if (status === 503 && type === 'master_not_discovered_exception') {
    cause = 'no elected master: the cluster has lost quorum';
    fix = 'start the missing master-eligible nodes; check discovery.seed_hosts and the node logs';
  } else if (status === 503 && type === 'cluster_block_exception') {
    cause = 'a cluster block is active (e.g. during a restart or a read-only disk watermark)';
    fix = 'wait for the cluster to recover; check disk watermarks and GET /_cluster/health';
  } else if (status === 503) {
    cause = 'the cluster is unavailable';
    fix = 'check GET /_cluster/health and the node logs';
  } else if (status === 400 && /cannot be used with the configured/.test(r)) {
    cause = 'remote cluster mode and its settings disagree';
    fix = "send a complete, mode-consistent update (null the other mode's settings in the same request)";
  } else if (status === 400) {
    cause = 'Elasticsearch rejected the request as invalid';
    fix = 'this is a bug or an unsupported version: report the request and reason';
  } else if (status >= 500) {
    cause = 'Elasticsearch failed internally';
    fix = 'check the logs of the node behind es_url';
  }
  return new EsError({ ...where, status, type, reason, cause, fix, body, code: undefined });
}

/** Maps a failure without an HTTP answer (connection refused, TLS, DNS, timeout). */
export function esErrorFromConnection(where: RequestWhere, err: unknown): EsError {
  const e = err as { name?: string; message?: string; code?: string };
  const msg = e?.message ?? String(err);
  let code = 'CONNECTION';
  let cause = `cannot reach ${where.url}`;
  let fix = 'is the node up? check es_url';
  if (/ECONNREFUSED/.test(msg)) {
    code = 'ECONNREFUSED';
    cause = `connection refused by ${where.url}`;
  } else if (/ENOTFOUND|EAI_AGAIN/.test(msg)) {
    code = 'ENOTFOUND';
    cause = `the host name in ${where.url} does not resolve`;
    fix = 'check es_url (DNS name or IP)';
  } else if (
    /self[- ]signed certificate|unable to verify the first certificate|unable to get (local )?issuer certificate|UNABLE_TO_VERIFY/i.test(
      msg,
    )
  ) {
    code = 'TLS_UNTRUSTED';
    cause = `the TLS certificate of ${where.url} is not trusted (${msg})`;
    fix = 'set es_ca_cert to the CA file of the HTTP layer (or es_ca_fingerprint to its SHA-256 fingerprint)';
  } else if (/altnames|Hostname\/IP does not match|ERR_TLS_CERT_ALTNAME_INVALID/i.test(msg)) {
    code = 'TLS_HOSTNAME';
    cause = `the host in es_url is not among the certificate's names (${msg})`;
    fix = 'use a host name or IP from the certificate SANs in es_url, or reissue the HTTP certificate with that name';
  } else if (/certificate has expired|CERT_HAS_EXPIRED|not yet valid/i.test(msg)) {
    code = 'TLS_EXPIRED';
    cause = `the TLS certificate of ${where.url} is expired or not yet valid`;
    fix = 'renew the HTTP certificate of the cluster (or fix the clock)';
  } else if (/fingerprint/i.test(msg)) {
    code = 'TLS_FINGERPRINT';
    cause = `no certificate of ${where.url} matches es_ca_fingerprint`;
    fix = 'check es_ca_fingerprint (SHA-256 of the HTTP CA certificate)';
  } else if (/wrong version number|EPROTO|packet length too long/i.test(msg)) {
    code = 'TLS_PROTOCOL';
    cause = `TLS handshake with ${where.url} failed (${msg})`;
    fix = 'es_url scheme and port must match the node (https:// on the HTTP port 9200)';
  } else if (/ECONNRESET|socket hang up|other side closed/i.test(msg)) {
    code = 'ECONNRESET';
    cause = `the connection to ${where.url} was reset (${msg})`;
    fix = 'is the node restarting? if es_url is http://, use https://';
  } else if (e?.name === 'TimeoutError' || /timeout|timed out/i.test(msg)) {
    code = 'TIMEOUT';
    cause = `no answer from ${where.url} in time`;
    fix = 'is the node overloaded or the network blocking port 9200? check es_url';
  } else if (e?.name === 'ProductNotSupportedError' || /not Elasticsearch|unknown product/i.test(msg)) {
    code = 'NOT_ELASTICSEARCH';
    cause = `${where.url} does not answer as Elasticsearch (no X-Elastic-Product header)`;
    fix = 'check es_url: it must point to an Elasticsearch HTTP port, not a proxy page';
  }
  return new EsError({ ...where, status: 0, reason: msg, cause, fix, code });
}

/** Connection-level failures worth retrying (a node restarting); TLS trust problems are not. */
export function isRetryableConnection(e: EsError): boolean {
  return e.status === 0 && ['ECONNREFUSED', 'ECONNRESET', 'TIMEOUT', 'CONNECTION'].includes(e.code ?? '');
}
