// Index expressions with cluster prefixes (`alias:index`, `*:index`), as ES's RemoteClusterAware splits them.
import { patternMatches } from '../security/privileges.js';

export interface SplitExpression {
  cluster: string | null;
  index: string;
  exclusion: boolean;
}

/** `logs` → local; `my_remote:logs` → remote; `-x:y` exclusion; `<date-math>` and `a::failures` stay local. */
export function splitIndexExpression(expr: string): SplitExpression {
  let e = expr;
  const exclusion = e.startsWith('-');
  if (exclusion) e = e.slice(1);
  if (e === '' || e.startsWith('<')) return { cluster: null, index: e, exclusion };
  const i = e.indexOf(':');
  if (i <= 0 || e[i + 1] === ':') return { cluster: null, index: e, exclusion };
  return { cluster: e.slice(0, i), index: e.slice(i + 1), exclusion };
}

/** The remote aliases (among `aliases`) that a list of expressions reads from, with the index part per alias. */
export function remoteTargets(exprs: string[], aliases: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const expr of exprs) {
    const s = splitIndexExpression(expr);
    if (s.exclusion || s.cluster === null) continue;
    for (const a of aliases) {
      if (!patternMatches(s.cluster, a)) continue;
      const list = out.get(a) ?? [];
      list.push(s.index);
      out.set(a, list);
    }
  }
  return out;
}
