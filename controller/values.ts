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
