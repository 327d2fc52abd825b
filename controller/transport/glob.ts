// OpenSSH host patterns (* and ?), as used by known_hosts and ssh_config; matching is case-insensitive.
export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** A comma/space list of patterns with `!negation`: any negated match wins, else any positive match. */
export function matchPatternList(patterns: string[], name: string): boolean {
  let matched = false;
  for (const raw of patterns) {
    const neg = raw.startsWith('!');
    if (globToRegExp(neg ? raw.slice(1) : raw).test(name)) {
      if (neg) return false;
      matched = true;
    }
  }
  return matched;
}
