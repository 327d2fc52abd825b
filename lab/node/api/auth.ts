// GET /_security/_authenticate: who the caller is, in ES's shape (has_privileges is in security.ts).
import type { Route } from '../router.js';
import { esError } from '../http-error.js';

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/_security/_authenticate',
    handler: (_req, { principal, state }) => {
      if (!principal) throw esError(401, 'security_exception', 'missing authentication credentials');
      if (principal.kind === 'user') {
        const u = state.security.users[principal.username];
        const realm = { name: principal.realm, type: principal.realmType };
        return {
          body: {
            username: principal.username,
            roles: principal.roles,
            full_name: u?.full_name ?? null,
            email: u?.email ?? null,
            metadata: u?.metadata ?? {},
            enabled: u?.enabled ?? true,
            authentication_realm: realm,
            lookup_realm: realm,
            authentication_type: 'realm',
          },
        };
      }
      const realm = { name: '_es_api_key', type: '_es_api_key' };
      return {
        body: {
          username: principal.username,
          roles: [],
          full_name: null,
          email: null,
          metadata: {},
          enabled: true,
          authentication_realm: realm,
          lookup_realm: realm,
          authentication_type: 'api_key',
          api_key: { id: principal.key.id, name: principal.key.name },
        },
      };
    },
  },
];
