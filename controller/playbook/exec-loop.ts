// A task's repetition on one host: `loop` (one module run per item, each under the task's `when`) and
// `until` / `retries` / `delay` around each run. The module life itself is exec-module.ts.
import type { Change, TaskStatus } from '../modules/contract.js';
import { sleepUnlessAborted } from '../sleep.js';
import { type HostOutcome, TaskFailure } from './exec-module.js';
import type { Lang, Where } from './exec-types.js';
import type { ModuleTask } from './types.js';
import { errorText } from '../values.js';

export function skipped(): HostOutcome {
  return {
    status: 'skipped',
    changes: [],
    registered: { changed: false, skipped: true, skip_reason: 'Conditional result was False' },
  };
}

export interface LoopInput {
  task: ModuleTask;
  vars: Record<string, unknown>;
  where: Where;
  lang: Lang;
  signal: AbortSignal;
  /** The task's conditions (its blocks' and its own): all must hold. */
  when: string[];
  /** One module run with these vars. */
  once: (vars: Record<string, unknown>) => Promise<HostOutcome>;
}

/** The task on one host: once, or once per loop item; each run retried per `until`. */
export async function runWithLoop(inp: LoopInput): Promise<HostOutcome> {
  const { task, vars, where, lang } = inp;
  const holds = (v: Record<string, unknown>) => inp.when.every((c) => lang.test(c, v, where));
  if (task.loop === undefined) {
    if (!holds(vars)) return skipped();
    return runWithRetries(inp, vars);
  }
  const items = lang.render(task.loop, vars, where);
  if (!Array.isArray(items)) throw new TaskFailure(`loop must be a list, got ${typeof items}`);
  const results: Array<Record<string, unknown>> = [];
  const changes: Change[] = [];
  const changedFiles: Array<{ path: string; backupPath?: string }> = [];
  let anyChanged = false;
  let anyFailed = false;
  let allSkipped = true;
  let firstFailMsg: string | undefined;
  for (const item of items) {
    if (inp.signal.aborted) break;
    const iv = { ...vars, [task.loopVar]: item };
    if (!holds(iv)) {
      results.push({ ...skipped().registered, [task.loopVar]: item });
      continue;
    }
    allSkipped = false;
    const r = await runWithRetries(inp, iv);
    if (r.status === 'unreachable') return r;
    results.push({ ...r.registered, [task.loopVar]: item });
    changes.push(...r.changes);
    if (r.changedFiles) changedFiles.push(...r.changedFiles);
    if (r.status === 'changed') anyChanged = true;
    if (r.status === 'failed') {
      anyFailed = true;
      firstFailMsg ??= r.msg;
    }
  }
  if (allSkipped && items.length) return { ...skipped(), registered: { changed: false, skipped: true, results } };
  const status: TaskStatus = anyFailed ? 'failed' : anyChanged ? 'changed' : 'ok';
  const msg = anyFailed
    ? `One or more items failed${firstFailMsg ? `: ${firstFailMsg}` : ''}`
    : items.length
      ? 'All items completed'
      : 'No items';
  return {
    status,
    msg,
    changes,
    changedFiles,
    registered: { changed: anyChanged, failed: anyFailed, msg, results },
    ...(anyFailed && task.ignoreErrors ? { ignored: true } : {}),
  };
}

/** until/retries/delay around one module run (retries are attempts after the first). */
async function runWithRetries(inp: LoopInput, vars: Record<string, unknown>): Promise<HostOutcome> {
  const { task, where } = inp;
  const maxAttempts = task.until !== undefined ? (task.retries ?? 3) + 1 : 1;
  let out!: HostOutcome;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    out = await inp.once(vars);
    if (out.status === 'unreachable' || task.until === undefined) return out;
    out.attempts = attempt;
    out.registered.attempts = attempt;
    const bound = task.register ? { ...vars, [task.register]: out.registered } : { ...vars, ...out.registered };
    let done = false;
    try {
      done = inp.lang.test(task.until, bound, where);
    } catch (e) {
      return { ...out, status: 'failed', msg: errorText(e) };
    }
    if (done) return out;
    if (attempt < maxAttempts) {
      if (!(await sleepUnlessAborted((task.delay ?? 5) * 1000, inp.signal))) break;
    }
  }
  return {
    ...out,
    status: 'failed',
    msg: `retried ${out.attempts ?? maxAttempts} times, until condition never held${out.msg ? `: ${out.msg}` : ''}`,
    registered: { ...out.registered, failed: true },
    ...(task.ignoreErrors ? { ignored: true } : {}),
  };
}
