// Authentication of REST requests against the cluster state (Basic auth; ApiKey auth and
// privilege evaluation — keep the signatures, the router calls them on every request).
//  - authenticate(state, authorizationHeader, uri) → a Principal, or the 401 ES would answer.
//  - authorizeCluster(state, principal, privilege) → whether the caller holds a cluster privilege.
import type { ClusterState } from '../cluster/state.js';
import type { Principal } from './model.js';
import { verifyPassword } from './passwords.js';
import { verifyEncodedKey } from './api-keys.js';
import { grantsCluster, permissionOf } from './privileges.js';

export type AuthOutcome = { ok: true; principal: Principal } | { ok: false; reason: string };

/** ES's WWW-Authenticate challenges for a 401 (security_exception). */
export const WWW_AUTHENTICATE = ['Basic realm="security" charset="UTF-8"', 'Bearer realm="security"', 'ApiKey'];

const NO_ANONYMOUS =
  'unable to authenticate with provided credentials and anonymous access is not allowed for this request';

export function authenticate(state: ClusterState, authorization: string | undefined, uri: string): AuthOutcome {
  if (!authorization) return { ok: false, reason: `missing authentication credentials for REST request [${uri}]` };
  const space = authorization.indexOf(' ');
  const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
  const value = space < 0 ? '' : authorization.slice(space + 1).trim();
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { ok: false, reason: `missing authentication credentials for REST request [${uri}]` };
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const user = state.security.users[username];
    if (!user?.enabled || !user.password_hash || !verifyPassword(password, user.password_hash)) {
      return { ok: false, reason: `unable to authenticate user [${username}] for REST request [${uri}]` };
    }
    return {
      ok: true,
      principal: { kind: 'user', username, roles: [...user.roles], realm: 'default_native', realmType: 'native' },
    };
  }
  if (scheme === 'apikey') {
    const v = verifyEncodedKey(state.security, value);
    if (!v.ok) return { ok: false, reason: NO_ANONYMOUS };
    // A cross-cluster key cannot authenticate on the REST interface (ES: ApiKeyService type check).
    if (v.key.type !== 'rest')
      return {
        ok: false,
        reason: `authentication expected API key type of [rest], but API key [${v.key.id}] has type [${v.key.type}]`,
      };
    return {
      ok: true,
      principal: {
        kind: 'api_key',
        username: v.key.username,
        realm: v.key.realm,
        realmType: v.key.realm_type,
        key: v.key,
      },
    };
  }
  return { ok: false, reason: `missing authentication credentials for REST request [${uri}]` };
}

/** Cluster privilege check (roles for users; role_descriptors ∩ limited_by for REST API keys). */
export function authorizeCluster(state: ClusterState, principal: Principal, privilege: string): boolean {
  return grantsCluster(permissionOf(state.security, principal), privilege);
}
