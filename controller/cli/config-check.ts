// Configuration the cluster modules will need, checked before any host or cluster is contacted: every host a play
// with an Elasticsearch cluster module runs on must name a cluster it can reach (es_url, credentials, trust).
// Found at run time instead, the same error would come after other plays had changed hosts, with exit 2.
import { ConfigError } from '../input/errors.js';
import type { Play, Task } from '../playbook/types.js';
import type { Lang } from '../playbook/exec-types.js';
import type { Inventory } from '../inventory/index.js';
import type { AnyModule } from '../modules/registry.js';
import { EsConfigError, resolveConnection } from '../elastic/client.js';
import { secretsByName } from '../secrets.js';
import { mergeVars } from '../playbook/var-precedence.js';

const CONNECTION_VARS = [
  'es_url',
  'es_user',
  'es_password',
  'es_password_file',
  'es_api_key',
  'es_ca_cert',
  'es_ca_fingerprint',
  'es_tls_verify',
  'es_allow_http',
  'crosskey_allow_loose_secret_files',
];

function moduleNames(tasks: Task[]): string[] {
  return tasks.flatMap((t) => (t.kind === 'task' ? [t.module] : moduleNames([...t.block, ...t.rescue, ...t.always])));
}

/** Whether a play talks to an Elasticsearch cluster (a controller-side es_* module among its tasks or handlers). */
export function playUsesCluster(play: Play, modules: ReadonlyMap<string, AnyModule>): boolean {
  return [...moduleNames(play.tasks), ...play.handlers.map((h) => h.module)].some((m) => {
    const mod = modules.get(m);
    return !!mod && mod.runsOn === 'controller' && m.startsWith('es_');
  });
}

export interface ClusterConfigInputs {
  plays: Play[];
  inventory: Inventory;
  extraVars: Record<string, unknown>;
  lang: Lang;
  modules: ReadonlyMap<string, AnyModule>;
  env?: NodeJS.ProcessEnv;
}

/** Variables that exist only while the run goes: the executor's magic vars, facts, loop variables. */
const RUN_TIME_VARS = new Set([
  'inventory_hostname',
  'inventory_hostname_short',
  'group_names',
  'groups',
  'hostvars',
  'ansible_check_mode',
  'ansible_play_hosts',
  'ansible_play_batch',
  'ansible_play_hosts_all',
  'play_hosts',
  'ansible_facts',
  'ansible_loop',
  'ansible_failed_result',
  'ansible_failed_task',
  'omit',
  'item',
]);

/** Names a playbook defines while it runs: `register:` results and loop variables. */
function runTimeNames(tasks: Task[], out = new Set<string>()): Set<string> {
  for (const t of tasks) {
    if (t.register) out.add(t.register);
    out.add(t.loopVar);
    if (t.kind === 'block') runTimeNames([...t.block, ...t.rescue, ...t.always], out);
  }
  return out;
}

/**
 * Every task's arguments rendered for every host of its play, as far as that is possible before the run: a variable
 * that no inventory, vars file, play, task or `-e` defines, and that no task registers, is a configuration error
 * (a misspelt or forgotten `crosskey_alias`), reported now with the task's file:line and the host instead of
 * after other plays have changed hosts. Tasks whose `when` cannot be decided before the run are not checked.
 */
export function checkTaskVariables(inp: ClusterConfigInputs): void {
  for (const play of inp.plays) {
    const dynamic = runTimeNames([...play.tasks, ...play.handlers]);
    let playVars: Record<string, unknown> = secretsByName({ ...play.vars });
    for (const f of play.varsFiles) playVars = { ...playVars, ...inp.lang.loadVarsFile(f) };
    const hosts = inp.inventory.select(play.hosts);
    const walk = (tasks: Task[], inherited: Record<string, unknown>, when: string[]): void => {
      for (const task of tasks) {
        const scope = { ...inherited, ...task.vars };
        const conditions = [...when, ...(task.when ?? [])];
        if (task.kind === 'block') {
          walk([...task.block, ...task.rescue, ...task.always], scope, conditions);
          continue;
        }
        if (typeof task.loop === 'string' || task.loop !== undefined) continue; // items are known at run time
        for (const host of hosts) {
          const vars: Record<string, unknown> = {
            ...mergeVars({
              inventory: inp.inventory.hostVars(host),
              play: playVars,
              block: scope,
              extra: inp.extraVars,
            }),
            ...inp.inventory.magicVars(host),
            group_names: inp.inventory.groupNames(host).filter((g) => g !== 'ungrouped'),
            ansible_check_mode: false,
          };
          const where = { file: task.source.file, line: task.source.line, ...(task.name ? { task: task.name } : {}) };
          try {
            if (!conditions.every((c) => inp.lang.test(c, vars, where))) continue;
          } catch {
            continue; // decided at run time (it reads a registered result, a fact, …)
          }
          try {
            inp.lang.render(task.args, vars, where);
          } catch (e) {
            const variable = (e as { variable?: string }).variable;
            if (!(e instanceof ConfigError) || !variable) continue;
            const root = variable.split(/[.[]/)[0]!;
            if (dynamic.has(root) || RUN_TIME_VARS.has(root) || root.startsWith('ansible_')) continue;
            throw new ConfigError(
              e.file,
              e.line,
              `host ${host}: ${e.message} — define it in the inventory, group_vars or -e`,
            );
          }
        }
      }
    };
    walk(play.tasks, {}, []);
  }
}

/** Throws a ConfigError naming the host (where the inventory defines it), the play and the variable. */
export function checkClusterConfig(inp: ClusterConfigInputs): void {
  inp.inventory.checkClusterGroups();
  const checked = new Set<string>();
  for (const play of inp.plays) {
    if (!playUsesCluster(play, inp.modules)) continue;
    for (const host of inp.inventory.select(play.hosts)) {
      if (checked.has(host)) continue;
      checked.add(host);
      const vars: Record<string, unknown> = {
        ...mergeVars({
          inventory: inp.inventory.hostVars(host),
          play: secretsByName({ ...play.vars }),
          extra: inp.extraVars,
        }),
        group_names: inp.inventory.groupNames(host).filter((g) => g !== 'ungrouped'),
      };
      // Templated connection vars are rendered as the run would; one that needs run-time data (a registered
      // result) cannot be checked now and is left to the run.
      const rendered: Record<string, unknown> = { ...vars };
      let renderable = true;
      for (const k of CONNECTION_VARS) {
        if (typeof vars[k] !== 'string' || !(vars[k] as string).includes('{{')) continue;
        try {
          rendered[k] = inp.lang.render(vars[k], vars, { file: play.source.file, line: play.source.line });
        } catch {
          renderable = false;
        }
      }
      if (!renderable) continue;
      try {
        resolveConnection(rendered, { ...(inp.env ? { env: inp.env } : {}) });
      } catch (e) {
        if (!(e instanceof EsConfigError)) throw e;
        const src = inp.inventory.data.hosts.get(host)?.source ?? play.source;
        throw new ConfigError(src.file, src.line, `host ${host} (play "${play.name ?? play.hosts}"): ${e.message}`);
      }
    }
  }
}
