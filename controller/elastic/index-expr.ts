// Index expressions and remote cluster aliases (docs/procedure.md §2.5, Appendix A).
// Mirrors Elasticsearch's RemoteClusterAware.splitIndexName: "cluster:index" names a remote index when the colon is
// not at position 0, the expression is not date math (`<…>`) and the colon is not the start of a `::` selector.
// The cluster part may be a wildcard (`*`, `rem*`): `*:idx` reads through every alias.

/** One index expression split into its parts. */
export interface IndexExpression {
  /** The expression as written. */
  raw: string;
  /** Leading `-`: an exclusion, never a read. */
  exclusion: boolean;
  /** Cluster part (may contain `*`), or undefined for a local index. */
  cluster?: string;
  /** Index part (after the colon for remote expressions). */
  index: string;
}

export function splitIndexExpression(raw: string): IndexExpression {
  const exclusion = raw.startsWith('-');
  const expr = exclusion ? raw.slice(1) : raw;
  // Date math is local: "the remote can't start with <".
  if (expr === '' || expr.startsWith('<')) return { raw, exclusion, index: expr };
  const i = expr.indexOf(':');
  // i === 0 → local; '::' → failure-store style selector on a local index.
  if (i <= 0 || expr[i + 1] === ':') return { raw, exclusion, index: expr };
  return { raw, exclusion, cluster: expr.slice(0, i), index: expr.slice(i + 1) };
}

/** Simple `*` wildcard match, as ES's Regex.simpleMatch (no other metacharacters). */
export function wildcardMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
    's',
  );
  return re.test(value);
}

/** True if this single expression reads from `alias` (exclusions never read). */
export function readsFromAlias(expr: string, alias: string): boolean {
  const e = splitIndexExpression(expr);
  if (e.exclusion || e.cluster === undefined) return false;
  return wildcardMatch(e.cluster, alias);
}

/**
 * True if a task's list of index expressions (transform `source.index`, datafeed `indices`) reads from `alias`.
 * Accepts a string (comma separated, as ES does) or a list. A cluster exclusion `-alias:*` (or `-pat*:*`) that
 * matches the alias removes it, as CCS cluster exclusions do; an index exclusion like `-alias:old` does not.
 */
export function expressionsReadFromAlias(indices: string | readonly string[], alias: string): boolean {
  const list = (typeof indices === 'string' ? [indices] : [...indices])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const reads = list.some((e) => readsFromAlias(e, alias));
  if (!reads) return false;
  const clusterExcluded = list.some((raw) => {
    const e = splitIndexExpression(raw);
    return e.exclusion && e.cluster !== undefined && e.index === '*' && wildcardMatch(e.cluster, alias);
  });
  return !clusterExcluded;
}

/** The remote expressions of a list that read from `alias` (for reports). */
export function expressionsOnAlias(indices: string | readonly string[], alias: string): string[] {
  const list = (typeof indices === 'string' ? [indices] : [...indices])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim());
  return list.filter((e) => readsFromAlias(e, alias));
}
