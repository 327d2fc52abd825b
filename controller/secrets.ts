// Secret values (passwords, API keys, vault values) must never reach output, journals, diffs or argv.
// A Secret wraps the value so accidental printing shows a mask; the registry lets every output
// sink scrub values that escaped as plain strings (e.g. inside a command's stdout).
import { inspect } from 'node:util';

export const MASK = '********';

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
    secrets.register(value);
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
  [inspect.custom](): string {
    return MASK;
  }
}

export function isSecret(v: unknown): v is Secret {
  return v instanceof Secret;
}

/** Returns the plain value of a Secret or the value itself. Use only at the last moment (stdin, HTTP body). */
export function reveal(v: unknown): unknown {
  return v instanceof Secret ? v.reveal() : v;
}

export class SecretRegistry {
  #values = new Set<string>();
  register(value: string): void {
    // Very short values would mask innocent text everywhere; they are still masked where typed as Secret.
    if (typeof value === 'string' && value.length >= 4) this.#values.add(value);
  }
  /** Replaces every registered secret (and its base64 form) in text with the mask. */
  redact(text: string): string {
    let out = text;
    for (const v of this.#values) {
      if (out.includes(v)) out = out.split(v).join(MASK);
      const b64 = Buffer.from(v).toString('base64');
      if (b64.length >= 8 && out.includes(b64)) out = out.split(b64).join(MASK);
    }
    return out;
  }
  /** Deep copy of a JSON-like value with Secrets masked and registered values redacted in strings. */
  redactValue<T>(value: T): T {
    const walk = (v: unknown): unknown => {
      if (v instanceof Secret) return MASK;
      if (typeof v === 'string') return this.redact(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object' && !(v instanceof Date) && !Buffer.isBuffer(v)) {
        const o: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) o[k] = walk(x);
        return o;
      }
      return v;
    };
    return walk(value) as T;
  }
  get size(): number {
    return this.#values.size;
  }
}

/** Process-wide registry: one controller run = one process. */
export const secrets = new SecretRegistry();
