// What the querying cluster sends as the identity of a cross-cluster request.
// RCS1: the user's role names (resolved by the fulfilling cluster with *its* roles) or an API key's descriptors.
// RCS2: the caller's remote_indices entries for the alias, as plain index descriptors (ES intersects them with
// the cross-cluster key's access on the fulfilling side); none → ES's "no remote indices privileges apply".
import type { RoleDescriptor, SecurityState } from '../security/model.js';
import {
  describeRoles,
  hasRemoteIndicesFor,
  permissionOfApiKey,
  permissionOfRoles,
  remoteDescriptorsFor,
} from '../security/privileges.js';
import type { Subject } from './fulfil.js';
import type { Model } from './tls-client.js';
import { RemoteError } from './wire.js';

export type Identity =
  | { kind: 'roles'; username: string; roles: string[] }
  | {
      kind: 'api_key';
      username: string;
      id: string;
      role_descriptors: Record<string, RoleDescriptor>;
      limited_by: Array<Record<string, RoleDescriptor>>;
    };

export function subjectFor(
  security: SecurityState,
  who: Identity,
  alias: string,
  model: Model,
  action: string,
): Subject {
  if (model === 'rcs1') {
    if (who.kind === 'roles') return { model: 'rcs1', username: who.username, roles: who.roles };
    const layers = permissionOfApiKey(who).layers;
    return { model: 'rcs1', username: who.username, apiKeyId: who.id, layers };
  }
  const perm = who.kind === 'roles' ? permissionOfRoles(security, who.roles) : permissionOfApiKey(who);
  if (!hasRemoteIndicesFor(perm, alias)) {
    const whoText =
      who.kind === 'roles'
        ? `user [${who.username}] with effective roles ${describeRoles(perm)}`
        : `API key id [${who.id}] of user [${who.username}]`;
    throw new RemoteError(
      'security_exception',
      `action [${action}] towards remote cluster [${alias}] is unauthorized for ${whoText} because no remote indices privileges apply for the target cluster`,
      403,
    );
  }
  return {
    model: 'rcs2',
    username: who.username,
    roles: who.kind === 'roles' ? perm.effectiveRoles : [],
    layers: remoteDescriptorsFor(perm, alias),
  };
}
