// es_cluster_settings: make persistent (or transient) cluster settings equal to the given values.
// Used by disable-cert-trust (IP filters) and anywhere a playbook needs a plain dynamic setting. Values compare
// the way Elasticsearch answers them (strings, string lists); null removes a setting.
import type { Change, Resource } from '../contract.js';
import { getClusterSettings, putClusterSettings } from '../../elastic/api/cluster.js';
import { opOf } from './apply-plan.js';
import { esFor } from './common.js';

interface Args {
  settings: Record<string, unknown>;
  kind?: 'persistent' | 'transient';
  cluster_group?: string;
  merge_lists?: boolean;
}

type Current = Record<string, unknown>; // flat settings of the chosen kind

/** One setting to set (in the string form ES answers) or to remove (reset to its default). */
export type SettingOp = { kind: 'set'; key: string; value: string | string[] } | { kind: 'remove'; key: string };

/** ES answers every value as a string (lists as string lists): compare in that form. */
export function asEsValue(v: unknown): string | string[] | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(String);
  return String(v);
}

/** With `mergeLists`, a list value adds its entries to the current list (entries already there stay, in order). */
export function settingsDiff(
  current: Current,
  desired: Record<string, unknown>,
  mergeLists = false,
): Change<SettingOp>[] {
  const changes: Change<SettingOp>[] = [];
  for (const [key, value] of Object.entries(desired)) {
    const have = asEsValue(current[key]);
    let want = asEsValue(value);
    if (mergeLists && Array.isArray(want) && have !== null) {
      const kept = Array.isArray(have) ? have : [have];
      want = [...kept, ...want.filter((v) => !kept.includes(v))];
    }
    if (JSON.stringify(want) === JSON.stringify(have)) continue;
    changes.push({
      target: key,
      action: want === null ? 'delete' : have === null ? 'create' : 'update',
      before: have,
      after: want,
      op: want === null ? { kind: 'remove', key } : { kind: 'set', key, value: want },
    });
  }
  return changes;
}

export const esClusterSettings: Resource<Args, Current, SettingOp> = {
  name: 'es_cluster_settings',
  description: 'Set (or remove with null) dynamic cluster settings; changes only what differs.',
  runsOn: 'controller',
  changeNoun: ['cluster setting', 'cluster settings'],
  schema: {
    settings: { type: 'dict', required: true, description: 'flat setting name → value (null removes it)' },
    kind: { type: 'string', choices: ['persistent', 'transient'], default: 'persistent' },
    cluster_group: { type: 'string', description: "inventory group of the cluster (default: the task host's cluster)" },
    merge_lists: {
      type: 'boolean',
      default: false,
      description: 'list values are added to the current list (entries set by others stay)',
    },
  },
  async read(ctx, args) {
    const all = await getClusterSettings(esFor(ctx, args.cluster_group));
    return args.kind === 'transient' ? all.transient : all.persistent;
  },
  diff(current, args) {
    return settingsDiff(current, args.settings, args.merge_lists);
  },
  async apply(ctx, args, plan) {
    // The whole plan in one request: ES applies it entirely or not at all.
    const body: Record<string, unknown> = {};
    for (const c of plan) {
      const op = opOf(c);
      body[op.key] = op.kind === 'set' ? op.value : null;
    }
    const kind = args.kind ?? 'persistent';
    await putClusterSettings(esFor(ctx, args.cluster_group), { [kind]: body }); // throws when not acknowledged
    return { applied: plan };
  },
};
