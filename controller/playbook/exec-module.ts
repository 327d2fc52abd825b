// The life of one task on one host: render and validate the arguments, then a check runs (read and report) or a
// resource reads → plans → applies exactly the plan (never in check mode); `changed` comes from the changes
// applied; then changed_when / failed_when. The executor (executor.ts) only schedules.
import { validateModuleArgs } from '../modules/args.js';
import { errorText } from '../values.js';
import {
  type Change,
  isCheck,
  ModuleError,
  type ModuleResult,
  PartialApplyError,
  type TaskContext,
  UnreachableError,
} from '../modules/contract.js';
import type { AnyModule } from '../modules/registry.js';
import type { HostResultStatus, Lang, Where } from './exec-types.js';
import type { ModuleTask } from './types.js';

/** What one task did on one host. */
export interface HostOutcome {
  status: HostResultStatus;
  msg?: string;
  changes: Change[];
  registered: Record<string, unknown>;
  ignored?: boolean;
  attempts?: number;
  changedFiles?: Array<{ path: string; backupPath?: string }>;
}

/** An error the executor raises itself (a bad loop, a failed until): its data is registered. */
export class TaskFailure extends Error {
  constructor(
    message: string,
    public data: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function isUnreachable(e: unknown): e is UnreachableError {
  return e instanceof UnreachableError || (e instanceof Error && e.name === 'UnreachableError');
}

export interface RunModuleInput {
  task: ModuleTask;
  mod: AnyModule;
  host: string;
  vars: Record<string, unknown>;
  check: boolean;
  where: Where;
  lang: Lang;
  ctx: () => TaskContext;
  /** A real run that did less than its plan says so (a warning line for the host). */
  warn: (message: string) => void;
}

export async function runModuleOnce(inp: RunModuleInput): Promise<HostOutcome> {
  const { task, mod, host, vars, check, where } = inp;
  let status: ModuleResult['status'];
  let changes: Change[] = [];
  let msg: string | undefined;
  let data: Record<string, unknown> = {};
  let changedFiles: ModuleResult['changedFiles'];
  try {
    const rendered = inp.lang.render(task.args, vars, where) as Record<string, unknown>;
    const args = validateModuleArgs(task.module, mod.schema, mod.rules, rendered ?? {}, 'run');
    const ctx = inp.ctx();
    if (isCheck(mod)) {
      // A check reads and reports, the same in check mode; it fails by throwing.
      const r = await mod.run(ctx, args as never);
      status = 'ok';
      data = r.data ?? {};
      msg = r.msg ?? (typeof data.msg === 'string' ? data.msg : undefined);
    } else {
      const current = await mod.read(ctx, args);
      const plan = await mod.diff(current, args, ctx);
      changes = plan;
      if (plan.length && !check) {
        const r = await mod.apply(ctx, args, plan, current);
        const unplanned = r.applied.filter((c) => !plan.includes(c));
        if (unplanned.length) {
          throw new ModuleError(
            `${task.module}: applied changes it did not plan: ${unplanned.map((c) => c.target).join(', ')}`,
          );
        }
        changes = r.applied;
        status = r.applied.length ? 'changed' : 'ok';
        msg = r.msg;
        data = r.data ?? {};
        changedFiles = r.changedFiles;
        const left = plan.filter((c) => !r.applied.includes(c));
        if (left.length) {
          // Apply did less than the plan (the state changed under it): said inline for this host.
          const note = `planned ${plan.length} change(s), applied ${r.applied.length}; not applied: ${left.map((c) => c.target).join(', ')}`;
          msg = msg ? `${msg} (${note})` : note;
          inp.warn(`[${host}] ${task.name ?? task.module}: ${note}`);
        }
      } else {
        status = plan.length ? 'changed' : 'ok';
        data = mod.report?.(current, args) ?? {};
        if (typeof data.msg === 'string') msg = data.msg;
        // Check mode: the files a host module would change, so a later es_rolling_restart can show which nodes
        // it would restart.
        if (check && mod.runsOn === 'host') {
          const paths = plan.map((c) => c.target).filter((t) => t.startsWith('/'));
          if (paths.length) changedFiles = paths.map((path) => ({ path }));
        }
      }
    }
  } catch (e) {
    if (isUnreachable(e)) {
      return {
        status: 'unreachable',
        msg: errorText(e),
        changes: [],
        registered: { unreachable: true, msg: errorText(e) },
      };
    }
    status = 'failed';
    msg = errorText(e);
    const withData = e instanceof ModuleError || e instanceof TaskFailure || e instanceof PartialApplyError;
    data = withData ? { ...(e.data ?? {}) } : {};
    // A partial failure reports the planned changes already performed.
    changes = e instanceof PartialApplyError ? e.applied : [];
  }
  let registered: Record<string, unknown> = {
    ...data,
    changed: status === 'changed',
    failed: status === 'failed',
    ...(msg !== undefined ? { msg } : {}),
  };
  if (check) registered.check_mode = true;
  // changed_when / failed_when see the result under the register name (as in Ansible).
  const bound = () => (task.register ? { ...vars, [task.register]: registered } : { ...vars, ...registered });
  try {
    if (task.changedWhen && status !== 'failed') {
      const changed = task.changedWhen.every((c) => inp.lang.test(c, bound(), where));
      status = changed ? 'changed' : 'ok';
      if (!changed) changes = []; // nothing to show for a task declared unchanged
      registered = { ...registered, changed };
    }
    if (task.failedWhen) {
      const failed = task.failedWhen.every((c) => inp.lang.test(c, bound(), where));
      if (failed) {
        status = 'failed';
        msg ??= 'failed_when condition held';
      } else if (status === 'failed') {
        status = registered.changed ? 'changed' : 'ok';
      }
      registered = { ...registered, failed };
    }
  } catch (e) {
    status = 'failed';
    msg = errorText(e);
    registered = { ...registered, failed: true, msg };
  }
  return {
    status,
    changes,
    registered,
    ...(msg !== undefined ? { msg } : {}),
    ...(changedFiles && status === 'changed' ? { changedFiles } : {}),
    ...(status === 'failed' && task.ignoreErrors ? { ignored: true } : {}),
  };
}
