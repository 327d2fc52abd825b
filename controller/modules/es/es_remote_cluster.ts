// es_remote_cluster: save, remove, (re)write and restore a remote cluster alias (docs/procedure.md §2.3).
//   state: saved     capture the whole definition (persistent, transient, yml per node) once into saved state
//   state: absent    null every key of the alias (persistent and transient), in one mode-consistent request each
//   state: present   write a complete, mode-consistent definition under `kind` (the other mode's keys nulled)
//   state: restored  put back the saved original exactly (rollback)
// absent/present save the original first when nothing is saved yet, so no path loses it; an existing saved
// original is never overwritten. Aliases defined in elasticsearch.yml are reported (the migration changes them
// through templates and a rolling restart).
import type { Change, Resource } from '../contract.js';
import { ModuleError } from '../contract.js';
import {
  readAliasDefinition,
  definitionKinds,
  removeAliasBody,
  sameAliasSettings,
  aliasPrefix,
  SNIFF_KEYS,
  PROXY_KEYS,
  ALIAS_KEYS,
  type AliasDefinition,
  type AliasSettings,
  type AliasSettingKind,
  type RemoteMode,
  type PutSettingsBody,
} from '../../elastic/api/remote.js';
import { getInfo, putClusterSettings } from '../../elastic/api/cluster.js';
import { esFor, remoteServerAddresses, stateKey } from './common.js';
import { opOf, stoppedPartWay } from './apply-plan.js';

export interface RemoteClusterArgs {
  alias: string;
  state: 'saved' | 'absent' | 'present' | 'restored';
  mode?: RemoteMode;
  seeds?: string[];
  proxy_address?: string;
  server_name?: string;
  skip_unavailable?: boolean;
  node_connections?: number;
  proxy_socket_connections?: number;
  /** Other per-alias keys (e.g. `transport.compress`), as ES names them under `cluster.remote.<alias>.`. */
  settings?: Record<string, unknown>;
  kind: AliasSettingKind;
  cluster_group?: string;
  /** Target the remote cluster server: seeds / proxy_address from the hosts of this group with `port`. */
  remote_group?: string;
  port?: number;
}

export interface SavedAliasDefinition extends AliasDefinition {
  cluster_uuid: string;
  saved_at: string;
}

export interface RemoteClusterCurrent {
  clusterUuid: string;
  def: AliasDefinition;
  saved?: SavedAliasDefinition;
  savedKey: string;
  /** From remote_group + port: the remote cluster server address of every remote host. */
  derivedTargets?: { seeds: string[]; proxy_address?: string };
}

function toSettingValue(v: unknown): string | string[] {
  return Array.isArray(v) ? v.map(String) : String(v);
}

/** The definition `present` writes: args over the captured original's mode-independent fields. */
export function desiredSettings(args: RemoteClusterArgs, current: RemoteClusterCurrent): AliasSettings {
  const mode: RemoteMode =
    args.mode ?? (args.proxy_address || current.derivedTargets?.proxy_address ? 'proxy' : 'sniff');
  args = { ...args };
  if (mode === 'sniff' && !args.seeds?.length && current.derivedTargets) args.seeds = current.derivedTargets.seeds;
  if (mode === 'proxy' && !args.proxy_address && current.derivedTargets)
    args.proxy_address = current.derivedTargets.seeds[0];
  const original = current.saved
    ? { ...current.saved.persistent, ...current.saved.transient }
    : { ...current.def.persistent, ...current.def.transient };
  const origYml = Object.values((current.saved ?? current.def).yml)[0] ?? {};
  const out: AliasSettings = { mode };
  // Carry over what the user tuned before (transport options; connection counts when the mode stays the same).
  for (const k of ['transport.ping_schedule', 'transport.compress', 'transport.compression_scheme']) {
    if (original[k] !== undefined) out[k] = original[k]!;
  }
  const origMode = original.mode ?? origYml.mode ?? 'sniff';
  if (origMode === mode) {
    const k = mode === 'sniff' ? 'node_connections' : 'proxy_socket_connections';
    if (original[k] !== undefined) out[k] = original[k]!;
  }
  // skip_unavailable: explicit arg, else the captured value (persistent/transient, else yml) — never ES's default,
  // which flipped from false to true in 8.15.
  const skip = args.skip_unavailable ?? original.skip_unavailable ?? origYml.skip_unavailable;
  if (skip === undefined) {
    throw new ModuleError(
      `es_remote_cluster ${args.alias}: skip_unavailable is not set and no captured value exists; ` +
        'set skip_unavailable explicitly (its default changed from false to true in 8.15)',
    );
  }
  out.skip_unavailable = toSettingValue(skip) as string;
  if (mode === 'sniff') {
    if (!args.seeds?.length) throw new ModuleError(`es_remote_cluster ${args.alias}: mode sniff needs seeds`);
    out.seeds = args.seeds.map(String);
    if (args.node_connections !== undefined) out.node_connections = String(args.node_connections);
  } else {
    if (!args.proxy_address) throw new ModuleError(`es_remote_cluster ${args.alias}: mode proxy needs proxy_address`);
    out.proxy_address = args.proxy_address;
    if (args.server_name) out.server_name = args.server_name;
    if (args.proxy_socket_connections !== undefined)
      out.proxy_socket_connections = String(args.proxy_socket_connections);
  }
  for (const [k, v] of Object.entries(args.settings ?? {})) {
    if (!ALIAS_KEYS.includes(k))
      throw new ModuleError(
        `es_remote_cluster ${args.alias}: unknown setting "${k}" (known: ${ALIAS_KEYS.join(', ')})`,
      );
    const other: readonly string[] = mode === 'sniff' ? PROXY_KEYS : SNIFF_KEYS;
    if (other.includes(k))
      throw new ModuleError(`es_remote_cluster ${args.alias}: setting "${k}" cannot be used with mode ${mode}`);
    if (v === null) delete out[k];
    else out[k] = toSettingValue(v);
  }
  return out;
}

/** Null every alias key, then set exactly `settings` (no implied mode): restores a captured definition verbatim. */
export function exactAliasBody(
  alias: string,
  kind: AliasSettingKind,
  settings: AliasSettings,
  current: AliasSettings,
): PutSettingsBody {
  const p = aliasPrefix(alias);
  const body: Record<string, unknown> = {};
  for (const k of new Set([...ALIAS_KEYS, ...Object.keys(current)])) body[p + k] = null;
  for (const [k, v] of Object.entries(settings)) body[p + k] = v;
  return { [kind]: body };
}

function target(alias: string, kind: string): string {
  return `${aliasPrefix(alias)}* (${kind})`;
}

/**
 * save: keep the alias's whole definition under `key` (never over an existing one). remove: null every key of the
 * alias under `scope`. write: null every key, then set exactly `settings` (mode-consistent). `present` is what
 * the scope holds now (its keys are nulled too).
 */
export type RemoteClusterOp =
  | { kind: 'save'; key: string; clusterUuid: string; def: AliasDefinition }
  | { kind: 'remove'; scope: AliasSettingKind; present: AliasSettings }
  | { kind: 'write'; scope: AliasSettingKind; settings: AliasSettings; present: AliasSettings };

export const esRemoteCluster: Resource<RemoteClusterArgs, RemoteClusterCurrent, RemoteClusterOp> = {
  name: 'es_remote_cluster',
  description: 'Save, remove, write or restore a remote cluster alias (persistent/transient; yml reported)',
  runsOn: 'controller',
  changeNoun: ['alias change', 'alias changes'],
  schema: {
    alias: { type: 'string', required: true },
    state: { type: 'string', required: true, choices: ['saved', 'absent', 'present', 'restored'] },
    mode: { type: 'string', choices: ['sniff', 'proxy'] },
    seeds: { type: 'list', elements: 'string' },
    proxy_address: { type: 'string' },
    server_name: { type: 'string' },
    skip_unavailable: { type: 'boolean' },
    node_connections: { type: 'number' },
    proxy_socket_connections: { type: 'number' },
    settings: { type: 'dict' },
    kind: { type: 'string', choices: ['persistent', 'transient'], default: 'persistent' },
    cluster_group: {
      type: 'string',
      description: "inventory group of the local cluster (default: the task host's cluster)",
    },
    remote_group: {
      type: 'string',
      description:
        "with port: seeds/proxy_address from this group's hosts (crosskey_rcs_publish_host or es_node_url host)",
    },
    port: {
      type: 'number',
      description: 'port of the derived seeds/proxy_address (the remote cluster server port, 9443)',
    },
  },

  async read(ctx, args) {
    const es = esFor(ctx, args.cluster_group);
    const [info, def] = await Promise.all([getInfo(es), readAliasDefinition(es, args.alias)]);
    const savedKey = stateKey('remote_cluster', info.cluster_uuid, args.alias, 'original');
    const saved = ctx.state.get<SavedAliasDefinition>(savedKey);
    const current: RemoteClusterCurrent = {
      clusterUuid: info.cluster_uuid,
      def,
      savedKey,
      ...(saved ? { saved } : {}),
    };
    if (args.state === 'present' && !args.seeds?.length && !args.proxy_address) {
      if (!args.remote_group || args.port === undefined) {
        throw new ModuleError(
          `es_remote_cluster ${args.alias}: state present needs seeds, proxy_address, or remote_group + port`,
        );
      }
      current.derivedTargets = { seeds: remoteServerAddresses(ctx, args.remote_group, Number(args.port)) };
    }
    return current;
  },

  diff(current, args) {
    const { def, alias } = { def: current.def, alias: args.alias };
    const changes: Change<RemoteClusterOp>[] = [];
    const saveChange: Change<RemoteClusterOp> = {
      target: `saved state ${current.savedKey}`,
      action: 'create',
      after: { persistent: def.persistent, transient: def.transient, yml: def.yml },
      op: { kind: 'save', key: current.savedKey, clusterUuid: current.clusterUuid, def },
    };
    const remove = (kind: AliasSettingKind): Change<RemoteClusterOp> => ({
      target: target(alias, kind),
      action: 'delete',
      before: def[kind],
      op: { kind: 'remove', scope: kind, present: def[kind] },
    });
    switch (args.state) {
      case 'saved':
        if (!current.saved) changes.push(saveChange);
        break;
      case 'absent':
        for (const kind of ['persistent', 'transient'] as const) {
          if (Object.keys(def[kind]).length) changes.push(remove(kind));
        }
        if (changes.length && !current.saved) changes.unshift(saveChange);
        break;
      case 'present': {
        const want = desiredSettings(args, current);
        const other: AliasSettingKind = args.kind === 'persistent' ? 'transient' : 'persistent';
        if (!sameAliasSettings(def[args.kind], want)) {
          changes.push({
            target: target(alias, args.kind),
            action: Object.keys(def[args.kind]).length ? 'update' : 'create',
            before: def[args.kind],
            after: want,
            op: { kind: 'write', scope: args.kind, settings: want, present: def[args.kind] },
          });
        }
        // Transient overrides persistent: a leftover definition of the other kind would shadow (or be shadowed by)
        // ours.
        if (Object.keys(def[other]).length) changes.push(remove(other));
        if (changes.length && !current.saved) changes.unshift(saveChange);
        break;
      }
      case 'restored': {
        if (!current.saved)
          throw new ModuleError(`es_remote_cluster ${alias}: nothing saved under ${current.savedKey}; cannot restore`);
        for (const kind of ['persistent', 'transient'] as const) {
          const want = current.saved[kind];
          if (sameAliasSettings(def[kind], want)) continue;
          const empty = Object.keys(want).length === 0;
          changes.push({
            target: target(alias, kind),
            action: empty ? 'delete' : Object.keys(def[kind]).length ? 'update' : 'create',
            before: def[kind],
            after: empty ? undefined : want,
            op: empty
              ? { kind: 'remove', scope: kind, present: def[kind] }
              : { kind: 'write', scope: kind, settings: want, present: def[kind] },
          });
        }
        break;
      }
    }
    return changes;
  },

  async apply(ctx, args, plan, current) {
    const es = esFor(ctx, args.cluster_group);
    const applied: Change<RemoteClusterOp>[] = [];
    try {
      for (const c of plan) {
        const op = opOf(c);
        if (op.kind === 'save') {
          // Never over an original saved meanwhile: then this change is not applied.
          if (ctx.state.get(op.key)) continue;
          const saved: SavedAliasDefinition = {
            ...op.def,
            cluster_uuid: op.clusterUuid,
            saved_at: new Date().toISOString(),
          };
          await ctx.state.set(op.key, saved);
          ctx.journal.event('remote_cluster.saved', {
            alias: args.alias,
            cluster_uuid: op.clusterUuid,
            kinds: definitionKinds(op.def),
          });
        } else {
          // Complete and mode-consistent: every key nulled, then the desired ones (the other mode's keys stay null).
          const body: PutSettingsBody =
            op.kind === 'remove'
              ? removeAliasBody(args.alias, op.scope, op.present)
              : exactAliasBody(args.alias, op.scope, op.settings, op.present);
          await putClusterSettings(es, body);
        }
        applied.push(c);
      }
    } catch (e) {
      throw stoppedPartWay(e, applied);
    }
    return { applied, msg: resultMsg(args, current), data: report(current, args) };
  },

  report(current, args) {
    return report(current, args);
  },
};

function resultMsg(args: RemoteClusterArgs, current: RemoteClusterCurrent): string {
  const yml = Object.keys(current.def.yml);
  const base = `alias ${args.alias}: ${args.state}`;
  return yml.length
    ? `${base}; also defined in elasticsearch.yml on ${yml.join(', ')} (static: changed by templates + restart)`
    : base;
}

function report(current: RemoteClusterCurrent, args: RemoteClusterArgs): Record<string, unknown> {
  return {
    alias: args.alias,
    state: args.state,
    cluster_uuid: current.clusterUuid,
    kinds: definitionKinds(current.def),
    persistent: current.def.persistent,
    transient: current.def.transient,
    yml_nodes: Object.keys(current.def.yml),
    saved_key: current.savedKey,
    saved: current.saved !== undefined,
  };
}
