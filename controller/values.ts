// Reading loosely typed values (inventory variables, JSON answers) as strings, in one place.

/** A non-blank string, trimmed; anything else (absent, empty, not a string) is undefined. */
export function nonBlank(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** The value when it is a string, else undefined. */
export function stringOnly(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A value that may have come through templating as a number, as a string; absent stays undefined. */
export function asString(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}

/** An error as one line for an operator: its message, with file:line first for errors that carry them
 *  (ConfigError-like: undefined variables in templates, bad expressions). */
export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const f = e as Error & { file?: string; line?: number };
    return typeof f.file === 'string' && typeof f.line === 'number' && !e.message.startsWith(f.file)
      ? `${f.file}:${f.line}: ${e.message}`
      : e.message;
  }
  return String(e);
}
