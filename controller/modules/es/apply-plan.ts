// Performing a plan in order (controller/modules/contract.ts): a failure after some planned changes were performed
// reports them (PartialApplyError); a failure before any stays the error it is.
import type { Change } from '../contract.js';
import { ModuleError, PartialApplyError } from '../contract.js';

/** The error to throw when apply stops after performing `applied` (a copy is kept: the caller may go on). */
export function stoppedPartWay(e: unknown, applied: readonly Change[]): unknown {
  if (applied.length === 0 || e instanceof PartialApplyError) return e;
  if (e instanceof Error && e.name === 'UnreachableError') return e;
  const message = e instanceof Error ? e.message : String(e);
  return new PartialApplyError(message, [...applied], e instanceof ModuleError ? e.data : undefined);
}

/** The op of a planned change; a change planned without one is a bug of the module's diff. */
export function opOf<Op>(c: Change<Op>): Op {
  if (c.op === undefined) throw new ModuleError(`${c.target}: planned without an operation`);
  return c.op;
}

/** Performs each change of `plan` in order; returns them all (what apply reports as applied). */
export async function performInOrder<Op>(
  plan: Change<Op>[],
  perform: (op: Op, c: Change<Op>) => Promise<void>,
): Promise<Change<Op>[]> {
  const applied: Change<Op>[] = [];
  try {
    for (const c of plan) {
      await perform(opOf(c), c);
      applied.push(c);
    }
  } catch (e) {
    throw stoppedPartWay(e, applied);
  }
  return applied;
}
