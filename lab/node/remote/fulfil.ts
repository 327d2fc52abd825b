// The fulfilling cluster's side of cross-cluster requests, as pure functions of its cluster state:
// the remote-cluster handshake and the reads (search, CCR shard changes, resolve cluster), on either the
// transport profile (`default`, port 9300, RCS1: the caller's role names are resolved with this cluster's roles)
// or the remote cluster server profile (`_remote_cluster`, port 9443, RCS2: a cross-cluster API key is required
// and the caller's remote_indices-derived descriptors are intersected with the key's access).
import type { ClusterState } from '../cluster/state.js';
import type { MemberInfo } from '../cluster/coordination.js';
import type { RoleDescriptor } from '../security/model.js';
import { verifyEncodedKey } from '../security/api-keys.js';
import {
  describeRoles,
  grantsIndex,
  indexGrantedBy,
  patternMatches,
  permissionOfRoles,
  type Permission,
} from '../security/privileges.js';
import { RemoteError } from './wire.js';
import type { X509Certificate } from 'node:crypto';
import { identityProblem, verifyRequestSignature, type RequestSignature } from './signing.js';
import { indexAccess, isFieldLevelSecurity, restrictionsOf } from '../security/access-control.js';
import { searchIndices, type ClusterSearchResult, type SearchSpec } from '../search/search.js';
import { versionAtLeast } from '../../../controller/version.js';
import { compatibilityVersions } from '../cluster/versions.js';

export type Profile = 'default' | '_remote_cluster';

export const HANDSHAKE = 'cluster:internal/remote_cluster/handshake';
export const SEARCH = 'indices:data/read/search';
export const SHARD_CHANGES = 'indices:data/read/xpack/ccr/shard_changes';
export const RESOLVE_CLUSTER = 'indices:admin/resolve/cluster';
/** Lab-only: the client tells the server it is closing because it does not trust the server certificate
 *  (stands in for the TLS alert a JSSE client sends; Node clients verify after the handshake). */
export const TLS_UNTRUSTED_NOTICE = 'internal:lab/tls_untrusted';

/** Who the querying cluster says is asking. */
export type Subject =
  | { model: 'rcs1'; username: string; roles: string[] }
  | { model: 'rcs1'; username: string; apiKeyId: string; layers: RoleDescriptor[][] }
  | { model: 'rcs2'; username: string; roles: string[]; layers: RoleDescriptor[][] };

export interface RemoteRequestBody {
  /** `ApiKey <encoded>` — RCS2 only (the _cross_cluster_access_credentials header). */
  credentials?: string;
  /** 9.3 strong identity: the querying node's signature over subject info and credentials (remote/signing.ts). */
  signature?: RequestSignature;
  from?: { cluster: string; node: string; version: string };
  subject?: Subject;
  indices?: string[];
  /** A cross-cluster `_search` (the lab's CCS): what to evaluate; the answer then carries `search`. Absent for
   *  task reads, which only count. */
  search?: Pick<SearchSpec, 'query' | 'source'> & { size: number };
}

export interface HandshakeAnswer {
  cluster_name: string;
  cluster_uuid: string;
  version: string;
  /** Nodes a sniff-mode client connects to: transport (default profile) or remote cluster server addresses. */
  nodes: Array<{ id: string; name: string; address: string }>;
}

export const LICENSE_ERROR = 'current license is non-compliant for [advanced-remote-cluster-security]';

function fail(type: string, reason: string, status: number): never {
  throw new RemoteError(type, reason, status);
}

function licenseOk(state: ClusterState): boolean {
  return (state.license.type === 'enterprise' || state.license.type === 'trial') && state.license.status === 'active';
}

/** RCS2: authenticate the cross-cluster key sent with every request on the _remote_cluster profile. */
/** The subject info header the signature covers: the lab sends the subject as JSON, so it signs its base64. */
export const subjectInfoOf = (body: Pick<RemoteRequestBody, 'subject'>): string =>
  body.subject ? Buffer.from(JSON.stringify(body.subject), 'utf8').toString('base64') : '';

function authenticateCrossCluster(
  state: ClusterState,
  body: RemoteRequestBody,
  action: string,
  now: number,
  signingTrust?: X509Certificate[],
) {
  if (!body.credentials) {
    fail(
      'security_exception',
      'Cross cluster requests through the dedicated remote cluster server port require transport header [_cross_cluster_access_credentials] but none found. Please ensure you have configured remote cluster credentials on the cluster originating the request.',
      401,
    );
  }
  if (!licenseOk(state)) fail('security_exception', LICENSE_ERROR, 403);
  // The signature is checked before the key (CrossClusterAccessAuthenticationService, docs/es-9x.md §4.4).
  let dn: string | undefined;
  if (body.signature) {
    const check = verifyRequestSignature(body.signature, signingTrust, subjectInfoOf(body), body.credentials, now);
    if (!check.ok) fail('security_exception', check.reason, 401);
    dn = check.dn;
  }
  const encoded = body.credentials.replace(/^ApiKey\s+/i, '');
  const v = verifyEncodedKey(state.security, encoded, now);
  if (!v.ok) {
    const id = v.id ?? '';
    const detail =
      v.reason === 'expired'
        ? 'api key is expired'
        : v.reason === 'invalidated'
          ? 'api key has been invalidated'
          : 'invalid credentials';
    fail(
      'security_exception',
      `unable to authenticate user [${id}] for action [${action}]` +
        ` (Authentication using apikey failed - ${detail} for API key [${id}])`,
      401,
    );
  }
  const identity = identityProblem(v.key.id, v.key.certificate_identity, dn);
  if (identity) fail('security_exception', identity, 401);
  if (v.key.type !== 'cross_cluster')
    fail(
      'security_exception',
      `authentication expected API key type of [cross_cluster], but API key [${v.key.id}] has type [${v.key.type}]`,
      401,
    );
  // Keys made before 8.14 may combine search DLS/FLS with replication; 8.14+ refuses to use them
  // (CrossClusterApiKeyRoleDescriptorBuilder.checkForInvalidLegacyRoleDescriptors, docs/es-behaviour.md §5).
  const d = v.key.role_descriptors.cross_cluster;
  if (
    versionAtLeast(state.esVersion, '8.14.0') &&
    d &&
    d.cluster.join(',') === 'cross_cluster_search,cross_cluster_replication' &&
    d.indices.some(
      (e) => e.privileges.includes('read') && (e.query !== undefined || isFieldLevelSecurity(e.field_security)),
    )
  )
    fail(
      'illegal_argument_exception',
      `Cross cluster API key [${v.key.id}] is invalid: search does not support document or field level security if replication is assigned`,
      400,
    );
  return v.key;
}

export interface FulfilContext {
  state: ClusterState;
  members: MemberInfo[];
  profile: Profile;
  now?: number;
  /** The TLS peer presented a client certificate. */
  peerPresentedCertificate?: boolean;
  /** `cluster.remote.signing.certificate_authorities`, read (undefined: no signing trust configured). */
  signingTrust?: X509Certificate[];
}

/** Log line the fulfilling node writes for a rejected request (null = nothing to log). */
export function fulfilLogFor(
  e: RemoteError,
  action: string,
  profile: Profile,
): { level: 'WARN' | 'INFO'; logger: string; message: string } | null {
  if (e.reason.startsWith('unable to authenticate user')) {
    const m = /API key \[([^\]]*)\]/.exec(e.reason);
    return {
      level: 'WARN',
      logger: 'o.e.x.s.a.ApiKeyAuthenticator',
      message: `Authentication using apikey failed - invalid credentials for API key [${m?.[1] ?? ''}]`,
    };
  }
  if (e.type === 'security_exception')
    return {
      level: 'WARN',
      logger: 'o.e.x.s.a.RemoteClusterAuthentication',
      message: `${e.reason} (action [${action}], profile=${profile})`,
    };
  return null;
}

export function handleHandshake(ctx: FulfilContext, body: RemoteRequestBody): HandshakeAnswer {
  const { state, profile } = ctx;
  if (profile === '_remote_cluster')
    authenticateCrossCluster(state, body, HANDSHAKE, ctx.now ?? Date.now(), ctx.signingTrust);
  else if (body.credentials) {
    // An RCS2 client reached the transport port. With a client certificate (mTLS configured on the client) the
    // transport layer looks for transport authentication and finds none (#4); without, the handshake action
    // refuses the profile (#5).
    if (ctx.peerPresentedCertificate)
      fail('security_exception', `missing authentication credentials for action [${HANDSHAKE}]`, 401);
    fail(
      'security_exception',
      `remote cluster handshake action requires channel profile to be [_remote_cluster], but got [default]`,
      403,
    );
  }
  const nodes = ctx.members
    .filter((m) => profile === 'default' || m.remoteClusterPort !== null)
    .map((m) => ({
      id: m.id,
      name: m.name,
      address: `${m.address}:${profile === 'default' ? m.transportPort : m.remoteClusterPort}`,
    }));
  return { cluster_name: state.clusterName, cluster_uuid: state.clusterUuid, version: state.esVersion, nodes };
}

/** Expand index expressions against this cluster's indices (wildcards; a missing concrete index is an error). */
export function expandIndices(state: ClusterState, exprs: string[], allowMissing: boolean): string[] {
  const names = Object.keys(state.indices);
  const out = new Set<string>();
  for (const e of exprs) {
    if (e.includes('*') || e.includes('?')) names.filter((n) => patternMatches(e, n)).forEach((n) => out.add(n));
    else if (names.includes(e)) out.add(e);
    else if (!allowMissing) fail('index_not_found_exception', `no such index [${e}]`, 404);
  }
  return [...out].sort();
}

function permissionFor(ctx: FulfilContext, body: RemoteRequestBody, action: string): { perm: Permission; who: string } {
  const s = body.subject;
  if (!s) fail('security_exception', `missing authentication credentials for action [${action}]`, 401);
  if (ctx.profile === '_remote_cluster') {
    const key = authenticateCrossCluster(ctx.state, body, action, ctx.now ?? Date.now(), ctx.signingTrust);
    if (s.model !== 'rcs2')
      fail(
        'security_exception',
        `remote cluster request on the [_remote_cluster] profile carries no cross cluster access subject`,
        403,
      );
    const keyLayer = Object.values(key.role_descriptors);
    return {
      perm: { layers: [keyLayer, ...s.layers], effectiveRoles: s.roles, missingRoles: [] },
      who: `towards remote cluster is unauthorized for user [${s.username}] with assigned roles [${s.roles.join(',')}] authenticated by API key id [${key.id}] of user [${key.username}]`,
    };
  }
  if (body.credentials) fail('security_exception', `missing authentication credentials for action [${action}]`, 401);
  if (s.model !== 'rcs1') fail('security_exception', `missing authentication credentials for action [${action}]`, 401);
  if ('roles' in s) {
    // RCS1: role names are resolved with the *fulfilling* cluster's roles.
    const perm = permissionOfRoles(ctx.state.security, s.roles);
    return { perm, who: `is unauthorized for user [${s.username}] with effective roles ${describeRoles(perm)}` };
  }
  return {
    perm: { layers: s.layers, effectiveRoles: [], missingRoles: [] },
    who: `is unauthorized for API key id [${s.apiKeyId}] of user [${s.username}]`,
  };
}

/** A read through the connection (search for transforms/datafeeds, shard changes for CCR followers). */
export function handleRead(
  ctx: FulfilContext,
  action: string,
  body: RemoteRequestBody,
): { indices: string[]; docs: number; search?: ClusterSearchResult } {
  const { perm, who } = permissionFor(ctx, body, action);
  const exprs = body.indices ?? [];
  const concrete = expandIndices(ctx.state, exprs, action === SEARCH);
  const wildcardOnly = exprs.every((e) => e.includes('*') || e.includes('?'));
  const denied = concrete.filter((i) => !grantsIndex(perm, i, action));
  const granted = concrete.filter((i) => grantsIndex(perm, i, action));
  // ES filters unauthorized indices out of wildcard expressions, but refuses when nothing is left or when
  // a concrete index is not authorized.
  if ((denied.length && !wildcardOnly) || (wildcardOnly && concrete.length > 0 && granted.length === 0)) {
    const list = wildcardOnly ? exprs : denied;
    fail(
      'security_exception',
      `action [${action}] ${who} on indices [${list.join(',')}], this action is granted by the index privileges [${indexGrantedBy(action)}]`,
      403,
    );
  }
  if (exprs.length && concrete.length === 0 && !wildcardOnly)
    fail('index_not_found_exception', `no such index [${exprs.join(',')}]`, 404);
  if (action === SEARCH && body.search) {
    // The caller's DLS/FLS on this cluster: RCS1 its same-named roles here, RCS2 the key's access ∩ its
    // remote_indices (both as permission layers).
    const res = searchIndices(ctx.state, granted, body.search, (i) => restrictionsOf(indexAccess(perm, i, SEARCH)));
    return {
      indices: granted,
      docs: res.total,
      search: { ...res, hits: res.hits.slice(0, Math.max(0, body.search.size)) },
    };
  }
  return { indices: granted, docs: granted.length * 10 };
}

/** `_resolve/cluster` on the fulfilling side: does any index match for this caller? */
export function handleResolve(
  ctx: FulfilContext,
  body: RemoteRequestBody,
): { matching_indices: boolean; version: Record<string, string> } {
  const { perm } = permissionFor(ctx, body, RESOLVE_CLUSTER);
  const concrete = expandIndices(ctx.state, body.indices ?? ['*'], true);
  return {
    matching_indices: concrete.some((i) => grantsIndex(perm, i, SEARCH)),
    version: {
      number: ctx.state.esVersion,
      build_flavor: 'default',
      ...compatibilityVersions(ctx.state.esVersion),
    },
  };
}
