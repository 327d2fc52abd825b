// es_cross_cluster_api_key: the cross-cluster API key on the remote (fulfilling) cluster (docs/procedure.md §2.2, §4).
// Found by name + metadata (crosskey.alias, crosskey.local_cluster_uuid), like ECK; `crosskey.access_hash` is the
// sha256 of the canonical requested access, so a changed `access` is an update of the same key (the secret stays,
// no keystore change needed). A re-run never makes a second key.
//
// The encoded key is a Secret from the moment ES answers. It is registered for this run under `register_as`
// (default `cluster.remote.<alias>.credentials`) for the keystore module (`value_from`) and returned as `encoded`
// in the registered data; it is never persisted. Saved state keeps only {id, name, access_hash, staged_hosts}.
//
// Resume rule (documented choice): if the key exists but its secret is unknown to this run (the process that
// created it is gone) and the saved state does not show it staged on every host of `stage_hosts`, the key is
// rotated: a new key is created first, then the old one is invalidated, so the end state has exactly one active
// key and every keystore gets the new value (the keystore module sees a different version and rewrites it).
// When the key was fully staged, nothing happens: the keystores already hold its secret.
//
// Rotation without outage (playbooks/rotate-key.yml): `state: rotated` creates a new key and keeps the previous
// one valid (a re-run in the same run is ok); after staging, reload and verification, `state: present` with
// `invalidate_previous: true` invalidates every other key of this name/alias. Other keys are otherwise only
// reported (`other_keys`), never invalidated silently.
import type { Change, Module } from '../contract.js';
import { ModuleError } from '../contract.js';
import type { Secret } from '../../secrets.js';
import {
  createCrossClusterApiKey,
  getApiKeysByName,
  updateCrossClusterApiKey,
  invalidateApiKeys,
  validateAccess,
  accessHash,
  sameAccess,
  type ApiKeyInfo,
  type CrossClusterAccess,
} from '../../elastic/api/security.js';
import { getInfo } from '../../elastic/api/cluster.js';
import { esFor, groupHosts, stateKey } from './common.js';
import { runSecrets } from './run-secrets.js';

export interface ApiKeyArgs {
  name: string;
  alias: string;
  access?: Record<string, unknown>;
  state: 'present' | 'absent' | 'rotated';
  invalidate_previous: boolean;
  expiration?: string;
  local_group: string;
  cluster_group?: string;
  register_as?: string;
  stage_hosts?: string[];
}

export interface SavedApiKey {
  id: string;
  name: string;
  access_hash: string;
  staged_hosts: string[];
  created_at: string;
}

export interface ApiKeyCurrent {
  localUuid: string;
  remoteUuid: string;
  keys: ApiKeyInfo[];
  saved?: SavedApiKey;
  savedKey: string;
  secretKnown: boolean;
  stageHosts: string[];
  registerAs: string;
}

export const META_ALIAS = 'crosskey.alias';
export const META_LOCAL_UUID = 'crosskey.local_cluster_uuid';
export const META_ACCESS_HASH = 'crosskey.access_hash';
export const META_MANAGED_BY = 'crosskey.managed_by';

function desiredMetadata(args: ApiKeyArgs, localUuid: string, hash: string): Record<string, unknown> {
  return {
    [META_MANAGED_BY]: 'crosskey',
    [META_ALIAS]: args.alias,
    [META_LOCAL_UUID]: localUuid,
    [META_ACCESS_HASH]: hash,
  };
}

function access(args: ApiKeyArgs): CrossClusterAccess {
  try {
    return validateAccess(args.access);
  } catch (e) {
    throw new ModuleError(`es_cross_cluster_api_key ${args.name}: ${(e as Error).message}`);
  }
}

/** The key this task manages: recorded id first, else the newest matching key. */
function primaryKey(current: ApiKeyCurrent): ApiKeyInfo | undefined {
  const byId = current.saved ? current.keys.find((k) => k.id === current.saved!.id) : undefined;
  return byId ?? [...current.keys].sort((a, b) => (b.creation ?? 0) - (a.creation ?? 0))[0];
}

function fullyStaged(current: ApiKeyCurrent, keyId: string): boolean {
  const s = current.saved;
  return !!s && s.id === keyId && current.stageHosts.every((h) => s.staged_hosts.includes(h));
}

export const esCrossClusterApiKey: Module<ApiKeyArgs, ApiKeyCurrent> = {
  name: 'es_cross_cluster_api_key',
  description: 'Create, update or invalidate the cross-cluster API key for an alias (on the remote cluster)',
  runsOn: 'controller',
  schema: {
    name: { type: 'string', required: true },
    alias: { type: 'string', required: true },
    access: { type: 'dict', description: 'same shape as the create API: {search: [...], replication: [...]}' },
    state: { type: 'string', choices: ['present', 'absent', 'rotated'], default: 'present' },
    invalidate_previous: {
      type: 'boolean',
      default: false,
      description: 'present: invalidate every other key of this name/alias (end of a rotation)',
    },
    expiration: { type: 'string' },
    local_group: { type: 'string', default: 'local', description: 'inventory group of the local (querying) cluster' },
    cluster_group: {
      type: 'string',
      description: "inventory group of the remote cluster (default: the task host's cluster)",
    },
    register_as: {
      type: 'string',
      description: 'run-secret name for the keystore module (default cluster.remote.<alias>.credentials)',
    },
    stage_hosts: {
      type: 'list',
      elements: 'string',
      description: 'hosts whose keystores get the key (default: hosts of local_group)',
    },
  },

  async read(ctx, args) {
    const es = esFor(ctx, args.cluster_group);
    const [remote, local] = await Promise.all([getInfo(es), getInfo(esFor(ctx, args.local_group))]);
    const all = await getApiKeysByName(es, args.name, { activeOnly: true });
    const keys = all.filter(
      (k) =>
        !k.invalidated &&
        (k.type === undefined || k.type === 'cross_cluster') &&
        k.metadata[META_ALIAS] === args.alias &&
        k.metadata[META_LOCAL_UUID] === local.cluster_uuid,
    );
    const savedKey = stateKey('api_key', local.cluster_uuid, args.alias);
    const saved = ctx.state.get<SavedApiKey>(savedKey);
    const registerAs = args.register_as ?? `cluster.remote.${args.alias}.credentials`;
    const known = runSecrets.get(registerAs);
    const stageHosts = args.stage_hosts ?? groupHosts(ctx, args.local_group);
    const current: ApiKeyCurrent = {
      localUuid: local.cluster_uuid,
      remoteUuid: remote.cluster_uuid,
      keys,
      savedKey,
      stageHosts,
      registerAs,
      secretKnown: false,
      ...(saved ? { saved } : {}),
    };
    const primary = primaryKey(current);
    current.secretKnown = !!primary && known?.version === primary.id;
    return current;
  },

  diff(current, args) {
    const changes: Change[] = [];
    const label = `api_key ${args.name}`;
    if (args.state === 'absent') {
      for (const k of current.keys)
        changes.push({ target: `${label} (${k.id})`, action: 'delete', before: { id: k.id, access: k.access } });
      return changes;
    }
    const want = access(args);
    const hash = accessHash(want);
    const primary = primaryKey(current);
    if (!primary) {
      changes.push({
        target: label,
        action: 'create',
        after: { access: want, metadata: desiredMetadata(args, current.localUuid, hash) },
      });
      return changes;
    }
    if (args.state === 'rotated') {
      // A key created by this run is the rotation's result: a re-run in the same run is ok.
      if (!current.secretKnown) {
        changes.push({
          target: label,
          action: 'create',
          before: { id: primary.id },
          after: { rotate: 'new key; the previous one stays valid until invalidate_previous', access: want },
        });
        return changes;
      }
    } else if (args.invalidate_previous) {
      for (const k of current.keys)
        if (k.id !== primary.id)
          changes.push({
            target: `${label} (${k.id})`,
            action: 'delete',
            before: { id: k.id, reason: 'previous key' },
          });
    }
    if (args.state === 'present' && !current.secretKnown && !fullyStaged(current, primary.id)) {
      changes.push({
        target: label,
        action: 'update',
        before: { id: primary.id },
        after: {
          rotate: 'secret unknown to this run and not staged on every host: new key, then invalidate the old one',
          access: want,
        },
      });
    } else if (primary.metadata[META_ACCESS_HASH] !== hash || !sameAccess(primary.access, want)) {
      changes.push({
        target: label,
        action: 'update',
        before: { id: primary.id, access: primary.access },
        after: { access: want },
      });
    }
    return changes;
  },

  async apply(ctx, args, changes, current) {
    const es = esFor(ctx, args.cluster_group);
    if (args.state === 'absent') {
      const ids = current.keys.map((k) => k.id);
      if (ids.length) await invalidateApiKeys(es, ids);
      await ctx.state.delete(current.savedKey);
      runSecrets.delete(current.registerAs);
      return { status: 'changed', msg: `invalidated ${ids.length} key(s)`, data: { invalidated: ids } };
    }
    const want = access(args);
    const hash = accessHash(want);
    const metadata = desiredMetadata(args, current.localUuid, hash);
    const primary = primaryKey(current);
    const rotate = changes.some((c) => (c.after as Record<string, unknown> | undefined)?.rotate !== undefined);
    let id = primary?.id;
    let encoded: Secret | undefined;
    let created = false;
    const toInvalidate = changes.filter((c) => c.action === 'delete').map((c) => (c.before as { id: string }).id);
    if (!primary || rotate) {
      const req = {
        name: args.name,
        access: want,
        metadata,
        ...(args.expiration ? { expiration: args.expiration } : {}),
      };
      const k = await createCrossClusterApiKey(es, req);
      id = k.id;
      encoded = k.encoded;
      created = true;
      // Record the id at once: a crash from here on leaves state that the next run can reason about.
      await ctx.state.set(current.savedKey, {
        id: k.id,
        name: k.name,
        access_hash: hash,
        staged_hosts: [],
        created_at: new Date().toISOString(),
      } satisfies SavedApiKey);
      runSecrets.set(current.registerAs, { secret: k.encoded, version: k.id, stagedStateKey: current.savedKey });
      ctx.journal.event('api_key.created', {
        name: k.name,
        id: k.id,
        alias: args.alias,
        rotated_from: rotate ? primary?.id : undefined,
      });
      // The resume rule replaces the unknown key at once; `rotated` keeps it valid until invalidate_previous.
      if (rotate && primary && args.state === 'present') toInvalidate.push(primary.id);
    } else {
      if (changes.some((c) => c.action === 'update'))
        await updateCrossClusterApiKey(es, primary.id, { access: want, metadata });
      // Keep the record of this key (its staged hosts) when there is one; start one otherwise.
      const saved =
        current.saved?.id === primary.id
          ? current.saved
          : { id: primary.id, name: primary.name, staged_hosts: [], created_at: new Date().toISOString() };
      await ctx.state.set(current.savedKey, { ...saved, access_hash: hash } satisfies SavedApiKey);
    }
    if (toInvalidate.length) await invalidateApiKeys(es, toInvalidate);
    const known = runSecrets.get(current.registerAs);
    return {
      status: 'changed',
      msg: created
        ? rotate
          ? `rotated key ${args.name}: ${primary?.id} → ${id}`
          : `created key ${args.name} (${id})`
        : `updated key ${args.name} (${id})`,
      data: {
        id,
        name: args.name,
        created,
        rotated: rotate,
        invalidated: toInvalidate,
        register_as: current.registerAs,
        ...(encoded ? { encoded } : known && known.version === id ? { encoded: known.secret } : {}),
      },
    };
  },

  report(current, args) {
    const primary = primaryKey(current);
    const known = runSecrets.get(current.registerAs);
    return {
      id: primary?.id,
      name: args.name,
      created: false,
      register_as: current.registerAs,
      secret_known: current.secretKnown,
      other_keys: current.keys.filter((k) => k.id !== primary?.id).map((k) => k.id),
      ...(known && primary && known.version === primary.id ? { encoded: known.secret } : {}),
    };
  },
};
