// Host patterns for play `hosts:` and --limit, as Ansible reads them:
//   a:b or a,b   union          a:&b  intersection       a:!b  exclusion
//   all, *       every host      es-*  glob on groups and hosts      ~regex (anchored at the start)
//   group[0], group[1:3]  subscripts (inclusive end, like Ansible)
// Unions come first, then intersections, then exclusions, whatever order they are written in.
// Order of the result, as Ansible's: union terms in the order written; inside a term, a group's hosts
// (own hosts, then its children's level by level), glob/regex matches of groups then of host names.
// (Ansible orders grandchildren groups through a Python set, so its order varies between runs there;
// ours is fixed: children in the order written.)
import { globToRegExp } from '../glob.js';

export interface PatternSource {
  /** Hosts of `all` in Ansible's order. */
  allHosts(): string[];
  /** Host names in the order they were defined (for glob/regex matches on names). */
  definedHosts(): string[];
  groupHosts(group: string): string[] | undefined;
  groupNames(): string[];
  hasHost(host: string): boolean;
}

export class PatternError extends Error {
  override name = 'PatternError';
}

export function splitPattern(pattern: string): string[] {
  const text = pattern.trim();
  if (text.includes(','))
    return text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (const c of text) {
    if (c === '[') depth++;
    if (c === ']') depth--;
    if (c === ':' && depth === 0) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** Hosts one term names (in inventory order), and whether the term matched anything. */
function matchTerm(term: string, src: PatternSource): string[] {
  if (term === 'all' || term === '*') return src.allHosts();
  const sub = /^(.+?)\[(-?\d+)(?::(-?\d*))?\]$/.exec(term);
  if (sub && !term.startsWith('~')) {
    const base = matchTerm(sub[1]!, src);
    const start = Number(sub[2]);
    const norm = (i: number): number => (i < 0 ? base.length + i : i);
    if (sub[3] === undefined) {
      const h = base[norm(start)];
      return h ? [h] : [];
    }
    const end = sub[3] === '' ? base.length - 1 : norm(Number(sub[3]));
    return base.slice(norm(start), end + 1);
  }
  let matcher: RegExp | undefined;
  if (term.startsWith('~')) {
    try {
      matcher = new RegExp('^(?:' + term.slice(1) + ')');
    } catch (e) {
      throw new PatternError(`invalid regular expression in host pattern '${term}': ${(e as Error).message}`);
    }
  } else if (/[*?[]/.test(term)) {
    matcher = globToRegExp(term);
  }
  if (!matcher) {
    if (src.hasHost(term)) return [term];
    return src.groupHosts(term) ?? [];
  }
  const hits = new Set<string>();
  for (const g of src.groupNames()) {
    if (g === 'all' || g === 'ungrouped') continue; // built-in groups match only by their exact name
    if (matcher.test(g)) for (const h of src.groupHosts(g) ?? []) hits.add(h);
  }
  for (const h of src.definedHosts()) if (matcher.test(h)) hits.add(h);
  return [...hits];
}

export interface Selection {
  hosts: string[];
  /** Terms that matched no host (Ansible warns "Could not match supplied host pattern"). */
  unmatched: string[];
}

export function selectHosts(pattern: string, src: PatternSource): Selection {
  const terms = splitPattern(pattern);
  const unmatched: string[] = [];
  const union = new Set<string>();
  const intersections: string[][] = [];
  const exclusions: string[][] = [];
  for (const t of terms) {
    const op = t[0] === '&' || t[0] === '!' ? t[0] : '';
    const body = op ? t.slice(1) : t;
    if (!body) throw new PatternError(`empty term in host pattern '${pattern}'`);
    const hosts = matchTerm(body, src);
    if (hosts.length === 0) unmatched.push(t);
    if (op === '&') intersections.push(hosts);
    else if (op === '!') exclusions.push(hosts);
    else for (const h of hosts) union.add(h);
  }
  // Only & and ! terms: Ansible starts from 'all'.
  const onlyFilters = terms.every((t) => t[0] === '&' || t[0] === '!');
  let result = onlyFilters ? src.allHosts() : [...union];
  for (const i of intersections) {
    const s = new Set(i);
    result = result.filter((h) => s.has(h));
  }
  for (const x of exclusions) {
    const s = new Set(x);
    result = result.filter((h) => !s.has(h));
  }
  return { hosts: result, unmatched };
}
