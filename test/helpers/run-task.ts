// Runs one task of a module on one host exactly as the executor does (controller/playbook/exec-module.ts): the
// arguments checked against the schema, then a check runs, or read → plan → apply (never in check mode or with an
// empty plan); `changed` derived from the changes applied; a failure is a `failed` outcome with its message and
// data, a part-way failure also with the changes applied before it. For tests that give their own TaskContext.
import type { TaskContext } from '../../controller/modules/contract.js';
import type { AnyModule } from '../../controller/modules/registry.js';
import { runModuleOnce, type HostOutcome } from '../../controller/playbook/exec-module.js';
import type { Lang } from '../../controller/playbook/exec-types.js';
import type { ModuleTask } from '../../controller/playbook/types.js';

/** Arguments reach the module as given (already rendered). */
const IDENTITY_LANG: Lang = {
  render: (v) => v,
  test: () => true,
  loadVarsFile: () => ({}),
};

export interface TaskOutcome extends HostOutcome {
  /** What `register` stores, without the executor's changed/failed/check_mode flags. */
  data: Record<string, unknown>;
  /** Warnings the executor would print (a real run that applied less than its plan). */
  warnings: string[];
}

/** One task of `mod` with `args` on ctx.host (check mode when ctx.check). */
export async function runTask(mod: AnyModule, ctx: TaskContext, args: Record<string, unknown>): Promise<TaskOutcome> {
  const task: ModuleTask = {
    kind: 'task',
    module: mod.name,
    args,
    tags: [],
    loopVar: 'item',
    ignoreErrors: false,
    noLog: false,
    runOnce: false,
    notify: [],
    vars: {},
    source: { file: 'test', line: 1 },
  };
  const warnings: string[] = [];
  const out = await runModuleOnce({
    task,
    mod,
    host: ctx.host,
    vars: ctx.vars,
    check: ctx.check,
    where: { file: 'test', line: 1 },
    lang: IDENTITY_LANG,
    ctx: () => ctx,
    warn: (message) => void warnings.push(message),
  });
  const { changed: _c, failed: _f, check_mode: _m, ...data } = out.registered;
  return { ...out, data, warnings };
}
