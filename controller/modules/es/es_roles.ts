// es_roles: give the local roles used by an alias's tasks the `remote_indices` (and, from 8.15, `remote_cluster`)
// privileges they need under API-key security, derived from the remote cluster's roles of the same names
// (docs/procedure.md §2.8: under RCS1 those remote roles grant the access). `indices` are kept, so each role works
// under
// both models during the transition. The original of each role is saved once for `state: reverted`.
import type { Change, Resource } from '../contract.js';
import {
  getRoles,
  putRole,
  deriveRemoteIndices,
  deriveRemoteCluster,
  withRemotePrivileges,
  sameRole,
  isReserved,
  writableRole,
  remoteEntriesFor,
  type RoleDescriptor,
} from '../../elastic/api/roles.js';
import { getInfo } from '../../elastic/api/cluster.js';
import { esFor, stateKey, MIN_VERSIONS } from './common.js';
import { versionAtLeast } from '../../version.js';
import { discoverTasks, taskIdentities } from './es_tasks.js';
import { performInOrder } from './apply-plan.js';

export interface RolesArgs {
  alias: string;
  state: 'present' | 'reverted';
  roles?: string[];
  from_tasks: boolean;
  remote_group: string;
  cluster_group?: string;
}

export interface RoleEntry {
  name: string;
  local?: RoleDescriptor;
  remote?: RoleDescriptor;
  desired?: RoleDescriptor;
  saved?: RoleDescriptor | null;
  savedKey: string;
  note?: string;
}

export interface RolesCurrent {
  clusterUuid: string;
  version: string;
  roles: RoleEntry[];
  apiKeyTasks: string[];
}

/**
 * Put one role: its descriptor with the remote privileges (`present`) or its saved original (`reverted`). A first
 * `present` saves the original under `saveOriginal.key` before the put (null: the role did not exist).
 */
export type RoleOp =
  | {
      kind: 'put';
      name: string;
      role: RoleDescriptor;
      saveOriginal?: { key: string; original: RoleDescriptor | null };
    }
  | { kind: 'revert'; name: string; role: RoleDescriptor };

export const esRoles: Resource<RolesArgs, RolesCurrent, RoleOp> = {
  name: 'es_roles',
  description:
    "Add remote_indices/remote_cluster privileges to the local roles of an alias's tasks (derived from the remote roles), or revert them",
  runsOn: 'controller',
  changeNoun: ['role', 'roles'],
  schema: {
    alias: { type: 'string', required: true },
    state: { type: 'string', choices: ['present', 'reverted'], default: 'present' },
    roles: { type: 'list', elements: 'string', description: 'extra local role names' },
    from_tasks: { type: 'boolean', default: true, description: "include the roles the alias's tasks run with" },
    remote_group: { type: 'string', default: 'remote' },
    cluster_group: { type: 'string' },
  },

  async read(ctx, args) {
    const es = esFor(ctx, args.cluster_group);
    const info = await getInfo(es);
    const names = new Set(args.roles ?? []);
    let apiKeyTasks: string[] = [];
    if (args.from_tasks) {
      const ids = taskIdentities(await discoverTasks(es, args.alias));
      ids.roles.forEach((r) => names.add(r));
      apiKeyTasks = ids.api_key_tasks;
    }
    const savedKeyOf = (n: string) => stateKey('roles', info.cluster_uuid, args.alias, n, 'original');
    if (args.state === 'reverted') {
      // Every role this alias's migration changed, also those named only by an earlier run's `roles:`.
      const prefix = stateKey('roles', info.cluster_uuid, args.alias, '');
      for (const k of ctx.state.keys(prefix))
        if (k.endsWith('/original')) names.add(k.slice(prefix.length, -'/original'.length));
    }
    const list = [...names].sort();
    const local = await getRoles(es, list);
    const remote = args.state === 'present' ? await getRoles(esFor(ctx, args.remote_group), list) : {};
    const withRc = versionAtLeast(info.version.number, MIN_VERSIONS.remoteClusterPrivileges);
    const roles: RoleEntry[] = list.map((name) => {
      const e: RoleEntry = { name, savedKey: savedKeyOf(name) };
      const l = local[name];
      const r = remote[name];
      if (l) e.local = l;
      if (r) e.remote = r;
      const saved = ctx.state.get<RoleDescriptor | null>(e.savedKey);
      if (saved !== undefined) e.saved = saved;
      if (l && isReserved(l)) {
        // Reserved roles cannot be changed; superuser covers remote indices already, any other is a task owner problem
        // that es_preflight stops on before the migration changes anything.
        e.note =
          name === 'superuser'
            ? 'reserved role (superuser already covers remote indices): unchanged'
            : 'reserved role: cannot be given remote_indices (es_preflight names the tasks that depend on it)';
        return e;
      }
      if (args.state === 'present') {
        if (!r) {
          e.note = 'no role of that name on the remote cluster: nothing to derive';
          return e;
        }
        const base: RoleDescriptor = l ?? {};
        e.desired = withRemotePrivileges(
          base,
          deriveRemoteIndices(r, args.alias, l),
          withRc ? deriveRemoteCluster(r, args.alias) : [],
        );
      }
      return e;
    });
    return { clusterUuid: info.cluster_uuid, version: info.version.number, roles, apiKeyTasks };
  },

  diff(current, args) {
    const changes: Change<RoleOp>[] = [];
    for (const r of current.roles) {
      if (args.state === 'present') {
        if (!r.desired) continue;
        if (r.local && sameRole(r.local, r.desired)) continue;
        changes.push({
          target: `role ${r.name}`,
          action: r.local ? 'update' : 'create',
          before: r.local ? remoteEntriesFor(r.local, args.alias) : undefined,
          after: remoteEntriesFor(r.desired, args.alias),
          op: {
            kind: 'put',
            name: r.name,
            role: r.desired,
            // An original saved once is never overwritten: it is what `reverted` puts back.
            ...(r.saved === undefined
              ? { saveOriginal: { key: r.savedKey, original: r.local ? writableRole(r.local) : null } }
              : {}),
          },
        });
      } else {
        if (r.saved === undefined) continue;
        if (r.saved === null) {
          // The role did not exist before: reverting leaves it without the added entries rather than deleting it.
          continue;
        }
        if (r.local && sameRole(r.local, r.saved)) continue;
        changes.push({
          target: `role ${r.name}`,
          action: 'update',
          before: r.local ? remoteEntriesFor(r.local, args.alias) : undefined,
          after: remoteEntriesFor(r.saved, args.alias),
          op: { kind: 'revert', name: r.name, role: r.saved },
        });
      }
    }
    return changes;
  },

  async apply(ctx, args, plan, current) {
    const es = esFor(ctx, args.cluster_group);
    const applied = await performInOrder(plan, async (op) => {
      if (op.kind === 'put' && op.saveOriginal) await ctx.state.set(op.saveOriginal.key, op.saveOriginal.original);
      await putRole(es, op.name, op.role);
    });
    return {
      applied,
      msg: `${plan.length} role(s) ${args.state === 'present' ? 'updated' : 'reverted'}`,
      data: report(current),
    };
  },

  report(current) {
    return report(current);
  },
};

function report(current: RolesCurrent): Record<string, unknown> {
  return {
    roles: current.roles.map((r) => ({ name: r.name, ...(r.note ? { note: r.note } : {}) })),
    api_key_tasks: current.apiKeyTasks,
    ...(current.apiKeyTasks.length
      ? {
          warning: `tasks running as REST API keys need their key updated after the role change: ${current.apiKeyTasks.join(', ')}`,
        }
      : {}),
  };
}
