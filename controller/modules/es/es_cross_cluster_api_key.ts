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
import type { Change, Resource } from '../contract.js';
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
  type CreateCrossClusterApiKeyRequest,
  type CrossClusterAccess,
} from '../../elastic/api/security.js';
import { getInfo } from '../../elastic/api/cluster.js';
import { esFor, groupHosts, MIN_VERSIONS, stateKey } from './common.js';
import { versionAtLeast } from '../../version.js';
import { identityFor } from './es_signing_certificate.js';
import { type NamedSecret, scratchOf } from './run-secrets.js';
import { opOf, stoppedPartWay } from './apply-plan.js';

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
  /** 9.3+ strong identity: the regex the signing certificate's DN must match; '' removes it. Unset: kept as is. */
  certificate_identity?: string;
  /** The CN of the local cluster's signing certificate (es_signing_certificate): the identity matching exactly
   *  it; '' removes the identity. */
  signing_name?: string;
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
  /** The run's copy of the encoded key as read (what report() registers when nothing changes). */
  known?: NamedSecret;
}

/** The key a plan keeps when it creates none: its saved record is kept (same id) or started, with this hash. */
export interface KeptKey {
  id: string;
  name: string;
  accessHash: string;
  saved?: SavedApiKey;
}

/**
 * create: a first key. rotate: a new key replacing `from` (recorded and registered at once); `invalidateFrom` for the
 * resume rule, while `state: rotated` keeps `from` valid until invalidate_previous. update: the access of the kept
 * key. invalidate: one key, a previous one (`keep`: the key whose record stays, unless the plan creates one) or,
 * for `absent`, one of the alias's (then the record and the run secret are dropped).
 */
export type ApiKeyOp =
  | { kind: 'create'; request: CreateCrossClusterApiKeyRequest; accessHash: string }
  | {
      kind: 'rotate';
      from: string;
      request: CreateCrossClusterApiKeyRequest;
      accessHash: string;
      invalidateFrom: boolean;
    }
  | {
      kind: 'update';
      access: CrossClusterAccess;
      metadata: Record<string, unknown>;
      keep: KeptKey;
      /** Set only when the identity changes (null: removed). */
      certificateIdentity?: string | null;
    }
  | { kind: 'invalidate'; id: string; reason: 'absent' }
  | { kind: 'invalidate'; id: string; reason: 'previous'; keep?: KeptKey };

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

/** The identity asked for: a pattern, '' (none), or undefined (keep what the key has). */
function wantedIdentity(args: ApiKeyArgs): string | undefined {
  if (args.signing_name !== undefined) return args.signing_name ? identityFor(args.signing_name) : '';
  return args.certificate_identity;
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

export const esCrossClusterApiKey: Resource<ApiKeyArgs, ApiKeyCurrent, ApiKeyOp> = {
  name: 'es_cross_cluster_api_key',
  description: 'Create, update or invalidate the cross-cluster API key for an alias (on the remote cluster)',
  runsOn: 'controller',
  changeNoun: ['API key change', 'API key changes'],
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
    certificate_identity: {
      type: 'string',
      description: "9.3+: regex of the local cluster's signing certificate DN (strong identity); '' removes it",
    },
    signing_name: {
      type: 'string',
      description: "9.3+: CN of the local cluster's signing certificate; the identity matches exactly it ('' removes)",
    },
  },
  rules: { mutuallyExclusive: [['certificate_identity', 'signing_name']] },

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
    if (wantedIdentity(args) && !versionAtLeast(remote.version.number, MIN_VERSIONS.strongIdentity))
      throw new ModuleError(
        `es_cross_cluster_api_key ${args.name}: certificate_identity needs Elasticsearch 9.3+ on the remote cluster (it runs ${remote.version.number})`,
      );
    const savedKey = stateKey('api_key', local.cluster_uuid, args.alias);
    const saved = ctx.state.get<SavedApiKey>(savedKey);
    const registerAs = args.register_as ?? `cluster.remote.${args.alias}.credentials`;
    const known = scratchOf(ctx).secrets.get(registerAs);
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
      ...(known ? { known } : {}),
    };
    const primary = primaryKey(current);
    current.secretKnown = !!primary && known?.version === primary.id;
    return current;
  },

  diff(current, args) {
    const label = `api_key ${args.name}`;
    if (args.state === 'absent') {
      return current.keys.map((k) => ({
        target: `${label} (${k.id})`,
        action: 'delete',
        before: { id: k.id, access: k.access },
        op: { kind: 'invalidate', id: k.id, reason: 'absent' },
      }));
    }
    const want = access(args);
    const hash = accessHash(want);
    const metadata = desiredMetadata(args, current.localUuid, hash);
    const primary = primaryKey(current);
    // A new key (first, rotation) gets the identity asked for, else the one the key it replaces had.
    const wanted = wantedIdentity(args);
    const identity = wanted !== undefined ? wanted || undefined : primary?.certificate_identity;
    const request: CreateCrossClusterApiKeyRequest = {
      name: args.name,
      access: want,
      metadata,
      ...(args.expiration ? { expiration: args.expiration } : {}),
      ...(identity ? { certificate_identity: identity } : {}),
    };
    if (!primary) {
      return [
        {
          target: label,
          action: 'create',
          after: { access: want, metadata },
          op: { kind: 'create', request, accessHash: hash },
        },
      ];
    }
    // A key created by this run is the rotation's result: a re-run in the same run is ok.
    if (args.state === 'rotated' && !current.secretKnown) {
      return [
        {
          target: label,
          action: 'create',
          before: { id: primary.id },
          after: { rotate: 'new key; the previous one stays valid until invalidate_previous', access: want },
          op: { kind: 'rotate', from: primary.id, request, accessHash: hash, invalidateFrom: false },
        },
      ];
    }
    const keep: KeptKey = {
      id: primary.id,
      name: primary.name,
      accessHash: hash,
      ...(current.saved?.id === primary.id ? { saved: current.saved } : {}),
    };
    let keyChange: Change<ApiKeyOp> | undefined;
    if (args.state === 'present' && !current.secretKnown && !fullyStaged(current, primary.id)) {
      keyChange = {
        target: label,
        action: 'update',
        before: { id: primary.id },
        after: {
          rotate: 'secret unknown to this run and not staged on every host: new key, then invalidate the old one',
          access: want,
        },
        op: { kind: 'rotate', from: primary.id, request, accessHash: hash, invalidateFrom: true },
      };
    } else {
      const identityChange = wanted !== undefined && (primary.certificate_identity ?? '') !== wanted;
      if (identityChange || primary.metadata[META_ACCESS_HASH] !== hash || !sameAccess(primary.access, want))
        keyChange = {
          target: label,
          action: 'update',
          before: {
            id: primary.id,
            access: primary.access,
            ...(identityChange ? { certificate_identity: primary.certificate_identity ?? null } : {}),
          },
          after: { access: want, ...(identityChange ? { certificate_identity: wanted || null } : {}) },
          op: {
            kind: 'update',
            access: want,
            metadata,
            keep,
            ...(identityChange ? { certificateIdentity: wanted || null } : {}),
          },
        };
    }
    const changes: Change<ApiKeyOp>[] = [];
    if (args.state !== 'rotated' && args.invalidate_previous) {
      // A rotation records the new key itself; otherwise the primary's record is kept once the others are gone.
      const creates = keyChange?.op?.kind === 'rotate';
      for (const k of current.keys)
        if (k.id !== primary.id)
          changes.push({
            target: `${label} (${k.id})`,
            action: 'delete',
            before: { id: k.id, reason: 'previous key' },
            op: { kind: 'invalidate', id: k.id, reason: 'previous', ...(creates ? {} : { keep }) },
          });
    }
    if (keyChange) changes.push(keyChange);
    return changes;
  },

  async apply(ctx, args, plan, current) {
    const es = esFor(ctx, args.cluster_group);
    const applied: Change<ApiKeyOp>[] = [];
    const invalidated: string[] = [];
    let created: { id: string; encoded: Secret; from?: string } | undefined;
    let kept: KeptKey | undefined;
    let forget = false;
    // Keep the record of this key (its staged hosts) when there is one; start one otherwise.
    const record = async (k: KeptKey) => {
      const saved = k.saved ?? { id: k.id, name: k.name, staged_hosts: [], created_at: new Date().toISOString() };
      await ctx.state.set(current.savedKey, { ...saved, access_hash: k.accessHash } satisfies SavedApiKey);
    };
    try {
      for (let i = 0; i < plan.length; ) {
        const c = plan[i]!;
        const op = opOf(c);
        if (op.kind === 'invalidate') {
          // Consecutive invalidations in one request.
          let j = i + 1;
          while (j < plan.length && opOf(plan[j]!).kind === 'invalidate') j++;
          const batch = plan.slice(i, j);
          const ops = batch.map((x) => opOf(x) as Extract<ApiKeyOp, { kind: 'invalidate' }>);
          await invalidateApiKeys(
            es,
            ops.map((o) => o.id),
          );
          invalidated.push(...ops.map((o) => o.id));
          applied.push(...batch);
          for (const o of ops) {
            if (o.reason === 'absent') forget = true;
            else if (o.keep) kept = o.keep;
          }
          if (kept) await record(kept);
          i = j;
          continue;
        }
        if (op.kind === 'update') {
          await updateCrossClusterApiKey(es, op.keep.id, {
            access: op.access,
            metadata: op.metadata,
            ...(op.certificateIdentity !== undefined ? { certificate_identity: op.certificateIdentity } : {}),
          });
          kept = op.keep;
          await record(op.keep);
          applied.push(c);
        } else {
          const k = await createCrossClusterApiKey(es, op.request);
          const from = op.kind === 'rotate' ? op.from : undefined;
          created = { id: k.id, encoded: k.encoded, ...(from ? { from } : {}) };
          // Record the id at once: a crash from here on leaves state that the next run can reason about.
          await ctx.state.set(current.savedKey, {
            id: k.id,
            name: k.name,
            access_hash: op.accessHash,
            staged_hosts: [],
            created_at: new Date().toISOString(),
          } satisfies SavedApiKey);
          scratchOf(ctx).secrets.set(current.registerAs, {
            secret: k.encoded,
            version: k.id,
            stagedStateKey: current.savedKey,
          });
          ctx.journal.event('api_key.created', { name: k.name, id: k.id, alias: args.alias, rotated_from: from });
          applied.push(c);
          // The resume rule replaces the unknown key at once; `rotated` keeps it valid until invalidate_previous.
          if (op.kind === 'rotate' && op.invalidateFrom) {
            await invalidateApiKeys(es, [op.from]);
            invalidated.push(op.from);
          }
        }
        i++;
      }
    } catch (e) {
      throw stoppedPartWay(e, applied);
    }
    if (forget) {
      await ctx.state.delete(current.savedKey);
      scratchOf(ctx).secrets.delete(current.registerAs);
      return { applied, msg: `invalidated ${invalidated.length} key(s)`, data: { invalidated } };
    }
    const id = created?.id ?? kept?.id;
    const known = scratchOf(ctx).secrets.get(current.registerAs);
    return {
      applied,
      msg: created
        ? created.from
          ? `rotated key ${args.name}: ${created.from} → ${id}`
          : `created key ${args.name} (${id})`
        : `updated key ${args.name} (${id})`,
      data: {
        id,
        name: args.name,
        created: !!created,
        rotated: !!created?.from,
        invalidated,
        register_as: current.registerAs,
        ...(created ? { encoded: created.encoded } : known && known.version === id ? { encoded: known.secret } : {}),
      },
    };
  },

  report(current, args) {
    const primary = primaryKey(current);
    const known = current.known;
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
