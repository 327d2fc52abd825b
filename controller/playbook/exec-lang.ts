// Binds the executor's Lang interface to the playbook language library: expressions (expr.ts) for
// when/until/changed_when/failed_when, `{{ }}` rendering (template.ts) for args and loops, vars files.
import { parseExpr, type Expr } from '../lang/expr.js';
import { ConfigError } from '../input/errors.js';
import type { Lang, Where } from './exec-types.js';
import { loadVarsFile } from '../inventory/index.js';
import type { Vault } from '../input/vault.js';
import { renderValue } from '../lang/template.js';

export function makeLang(vault?: Vault): Lang {
  const exprs = new Map<string, Expr>();
  const expr = (src: string, where: Where): Expr => {
    let e = exprs.get(src);
    if (!e) {
      try {
        e = parseExpr(src);
      } catch (err) {
        throw new ConfigError(
          where.file,
          where.line,
          `${where.task ? `task '${where.task}': ` : ''}bad expression '${src}': ${(err as Error).message}`,
        );
      }
      exprs.set(src, e);
    }
    return e;
  };
  return {
    test(src, vars, where) {
      try {
        return expr(src, where).test(vars);
      } catch (err) {
        if (err instanceof ConfigError) throw err;
        throw new ConfigError(
          where.file,
          where.line,
          `${where.task ? `task '${where.task}': ` : ''}${(err as Error).message} (in '${src}')`,
        );
      }
    },
    render(value, vars, where) {
      // Variables may hold templates themselves (`dir: "/srv/{{ inventory_hostname }}"`): render again while a
      // pass still changes a result that holds "{{", as Ansible's lazy templating ends up doing.
      let out = renderValue(value, vars, where);
      for (let i = 0; i < 5 && stillTemplated(out); i++) {
        const next = renderValue(out, vars, where);
        if (JSON.stringify(next) === JSON.stringify(out)) break;
        out = next;
      }
      return out;
    },
    loadVarsFile(path) {
      return loadVarsFile(path, vault);
    },
  };
}

function stillTemplated(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('{{');
  if (Array.isArray(v)) return v.some(stillTemplated);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    return Object.values(v).some(stillTemplated);
  return false;
}
