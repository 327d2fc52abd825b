// Binds the core modules to the playbook language library (pure functions, no dependency back on modules).
import { parseExpr, type Expr } from '../../lang/expr.js';
import { ModuleError } from '../contract.js';
import { renderFile, renderString } from '../../lang/template.js';

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

/** A Handlebars template file rendered with the host's vars (a Secret when a secret was rendered into it).
 *  Variables that hold templates themselves (`publish_host: "{{ ansible_host }}"`) are rendered when the template
 *  reads them, as Ansible's lazy templating does. */
export function renderTemplateFile(path: string, vars: Record<string, unknown>): unknown {
  return renderFile(path, lazyVars(vars));
}

/** A read-only view of vars whose templated strings render on access, against the whole view (depth-limited). */
export function lazyVars(vars: Record<string, unknown>): Record<string, unknown> {
  const wrap = (obj: Record<string, unknown>, d: number): Record<string, unknown> =>
    new Proxy(obj, { get: (t, k) => (typeof k === 'string' ? view(t[k], d) : undefined) });
  const view = (v: unknown, d: number): unknown => {
    if (d > 8) return v;
    if (typeof v === 'string') return v.includes('{{') ? view(renderString(v, root), d + 1) : v;
    if (Array.isArray(v)) return v.map((x) => view(x, d + 1));
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
      return wrap(v as Record<string, unknown>, d + 1);
    return v;
  };
  const root = wrap(vars, 0);
  return root;
}
