// The one glob → RegExp translation, for OpenSSH host patterns (case-insensitive), Ansible host patterns
// (fnmatch: `[…]` classes too) and --start-at-task names (only `*`).

export interface GlobOptions {
  ignoreCase?: boolean;
  /** `?` matches one character (default true). */
  question?: boolean;
  /** `[…]` character classes pass through, as in fnmatch (default false: `[` is literal). */
  classes?: boolean;
}

export function globToRegExp(pattern: string, o: GlobOptions = {}): RegExp {
  let re = '';
  for (const c of pattern) {
    if (c === '*') re += '.*';
    else if (c === '?' && o.question !== false) re += '.';
    else if ((c === '[' || c === ']') && o.classes) re += c;
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, o.ignoreCase ? 'i' : '');
}
