// OpenSSH host pattern lists (* and ?), as used by known_hosts and ssh_config; matching is case-insensitive.
import { globToRegExp } from '../glob.js';

export function sshPattern(pattern: string): RegExp {
  return globToRegExp(pattern, { ignoreCase: true });
}

/** A comma/space list of patterns with `!negation`: any negated match wins, else any positive match. */
export function matchPatternList(patterns: string[], name: string): boolean {
  let matched = false;
  for (const raw of patterns) {
    const neg = raw.startsWith('!');
    if (sshPattern(neg ? raw.slice(1) : raw).test(name)) {
      if (neg) return false;
      matched = true;
    }
  }
  return matched;
}
