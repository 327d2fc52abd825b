// Binds the core modules to the playbook language library (pure functions, no dependency back on modules).
import { parseExpr, type Expr } from '../../playbook/expr.js';
import { ModuleError } from '../contract.js';
import { renderFile } from '../../playbook/template.js';

const cache = new Map<string, Expr>();

/** Value of an expression of docs/expressions.md against vars (parsed once per distinct source). */
export function evalExpression(expr: string, vars: Record<string, unknown>): unknown {
  let e = cache.get(expr);
  if (!e) {
    try {
      e = parseExpr(expr);
    } catch (err) {
      throw new ModuleError(`bad expression '${expr}': ${(err as Error).message}`);
    }
    cache.set(expr, e);
  }
  return e.evaluate(vars);
}

/** A Handlebars template file rendered with the host's vars (a Secret when a secret was rendered into it). */
export function renderTemplateFile(path: string, vars: Record<string, unknown>): unknown {
  return renderFile(path, vars);
}
