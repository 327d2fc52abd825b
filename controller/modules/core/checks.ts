// Read-only modules evaluated on the controller: `assert`, `fail`, `debug`. They never report changed.
import { ModuleError, readOnly } from '../contract.js';
import { evalExpression } from './lang.js';

export interface AssertArgs {
  that: unknown;
  fail_msg?: string;
  msg?: string;
  success_msg?: string;
  quiet?: boolean;
}

export const assertModule = readOnly<AssertArgs, { msg: string }>({
  name: 'assert',
  description: 'Fail unless every expression in `that` is true.',
  runsOn: 'controller',
  schema: {
    that: { type: 'any', required: true, description: 'expression or list of expressions (all must hold)' },
    fail_msg: { type: 'string' },
    msg: { type: 'string', description: 'alias of fail_msg' },
    success_msg: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
  async read(ctx, args) {
    const list = Array.isArray(args.that) ? args.that : [args.that];
    for (const expr of list) {
      // A bare boolean (already rendered from "{{ }}") is its own result.
      const value = typeof expr === 'boolean' ? expr : evalExpression(String(expr), ctx.vars);
      if (!value) {
        throw new ModuleError(args.fail_msg ?? args.msg ?? `Assertion failed: ${String(expr)}`, {
          assertion: String(expr),
          evaluated_to: false,
        });
      }
    }
    return { msg: args.success_msg ?? 'All assertions passed' };
  },
  report(cur) {
    return { msg: cur.msg };
  },
});

export const failModule = readOnly<{ msg: string }, never>({
  name: 'fail',
  description: 'Fail the task with a message (use with when).',
  runsOn: 'controller',
  schema: { msg: { type: 'string', default: 'Failed as requested from task' } },
  async read(_ctx, args) {
    throw new ModuleError(args.msg);
  },
});

export interface DebugArgs {
  msg?: unknown;
  var?: string;
  verbosity?: number;
}

export const debugModule = readOnly<DebugArgs, Record<string, unknown>>({
  name: 'debug',
  description: 'Print a message or the value of a variable.',
  runsOn: 'controller',
  rules: { mutuallyExclusive: [['msg', 'var']] },
  schema: {
    msg: { type: 'any' },
    var: { type: 'string', description: 'variable name or expression to print' },
    verbosity: { type: 'number', default: 0 },
  },
  async read(ctx, args) {
    if (args.var !== undefined) {
      let value: unknown;
      try {
        value = evalExpression(args.var, ctx.vars);
      } catch {
        value = 'VARIABLE IS NOT DEFINED!';
      }
      return { [args.var]: value };
    }
    return { msg: args.msg ?? 'Hello world!' };
  },
  report(cur) {
    return cur;
  },
});
