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

/** A secret argument as a Secret (a plain string is wrapped; undefined stays undefined). */
export function asSecret(v: Secret | string | undefined): Secret | undefined {
  if (v === undefined) return undefined;
  return isSecret(v) ? v : new Secret(String(v));
}

/** Returns the plain value of a Secret or the value itself. Use only at the last moment (stdin, HTTP body). */
export function reveal(v: unknown): unknown {
  return v instanceof Secret ? v.reveal() : v;
}

/** Values shorter than this are scrubbed only as whole words: as substrings they would mask innocent text. */
const MIN_SUBSTRING = 4;

/**
 * Every form in which a value can leave the process inside text: as is, JSON-escaped (once and nested twice),
 * URL-encoded, hex, and base64/base64url at each of the three byte alignments it can take inside a longer
 * encoded string (HTTP Basic `user:password`, a cross-cluster key `id:secret`): for alignment k the value is encoded
 * behind k filler bytes and only the characters that depend on the value alone are kept.
 */
export function encodedForms(value: string): string[] {
  const forms = new Set<string>([value]);
  const json1 = JSON.stringify(value).slice(1, -1);
  forms.add(json1);
  forms.add(JSON.stringify(json1).slice(1, -1));
  forms.add(encodeURIComponent(value));
  forms.add(encodeURIComponent(value).replace(/%20/g, '+'));
  const bytes = Buffer.from(value, 'utf8');
  forms.add(bytes.toString('hex'));
  for (let k = 0; k < 3; k++) {
    const padded = Buffer.concat([Buffer.alloc(k), bytes]);
    for (const enc of ['base64', 'base64url'] as const) {
      const full = padded.toString(enc).replace(/=+$/, '');
      // Characters fully determined by the value: skip those mixing in the filler, drop the last partial one.
      const startChars = Math.ceil((k * 8) / 6);
      const endChars = Math.floor((padded.length * 8) / 6);
      const core = full.slice(startChars, endChars);
      if (core.length >= 6) forms.add(core);
    }
  }
  return [...forms].filter((f) => f.length > 0);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class SecretRegistry {
  #forms = new Map<string, string[]>();
  #shortWords = new Set<string>();
  #pattern: RegExp | undefined;
  register(value: string): void {
    if (typeof value !== 'string' || !value || this.#forms.has(value) || this.#shortWords.has(value)) return;
    if (value.length < MIN_SUBSTRING) this.#shortWords.add(value);
    else
      this.#forms.set(
        value,
        encodedForms(value).filter((f) => f.length >= MIN_SUBSTRING),
      );
    this.#pattern = undefined;
  }
  /** Replaces every registered secret, in each of its encoded forms, with the mask. */
  redact(text: string): string {
    if (!text || (!this.#forms.size && !this.#shortWords.size)) return text;
    this.#pattern ??= this.#compile();
    return text.replace(this.#pattern, MASK);
  }
  #compile(): RegExp {
    // Longest first so a value's JSON-escaped form wins over the raw prefix it contains.
    const long = [...new Set([...this.#forms.values()].flat())].sort((a, b) => b.length - a.length).map(escapeRe);
    const short = [...this.#shortWords].map((w) => `(?<![\\p{L}\\p{N}_])${escapeRe(w)}(?![\\p{L}\\p{N}_])`);
    return new RegExp([...long, ...short].join('|'), 'gu');
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
    return this.#forms.size + this.#shortWords.size;
  }
}

/** Process-wide registry: one controller run = one process. */
export const secrets = new SecretRegistry();

/**
 * Variables whose name says they hold a secret (`*_password`, `*_passwd`, `*_secret`, `*_token`, `api_key`,
 * `*_api_key`): their string values are Secrets wherever they are written (inventory, group/host vars, play vars,
 * `-e`), not only when they come from a vault. `*_file` names (paths) are not secrets.
 */
const SECRET_VAR = /(^|_)(password|passwd|secret|token|api_key)$/i;
export function isSecretVarName(name: string): boolean {
  return SECRET_VAR.test(name);
}

/** The same vars with every secret-named string or number value wrapped in a Secret (the input is not changed). */
export function secretsByName<T extends Record<string, unknown>>(vars: T): T {
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(vars)) {
    if (!isSecretVarName(k) || !(typeof v === 'string' || typeof v === 'number') || v === '') continue;
    // A template (`{{ vault_es_password }}`) is rendered later from its source, which carries its own type.
    if (typeof v === 'string' && v.includes('{{')) continue;
    out ??= { ...vars };
    out[k] = new Secret(String(v));
  }
  return (out ?? vars) as T;
}

/** Whether a value holds a Secret anywhere inside (lists and dicts, cycles tolerated). */
export function containsSecret(v: unknown, seen = new Set<object>()): boolean {
  if (v instanceof Secret) return true;
  if (!v || typeof v !== 'object' || Buffer.isBuffer(v) || v instanceof Date || seen.has(v)) return false;
  seen.add(v);
  return (Array.isArray(v) ? v : Object.values(v)).some((x) => containsSecret(x, seen));
}

/** A plain copy with every Secret revealed (shared sub-values copied once). Only at the last moment: content
 *  written to a host, a template's input. */
export function revealDeep(v: unknown, memo = new WeakMap<object, unknown>()): unknown {
  if (v instanceof Secret) return v.reveal();
  if (!v || typeof v !== 'object' || v instanceof Date || Buffer.isBuffer(v)) return v;
  if (memo.has(v)) return memo.get(v);
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    memo.set(v, out);
    for (const x of v) out.push(revealDeep(x, memo));
    return out;
  }
  const out: Record<string, unknown> = {};
  memo.set(v, out);
  for (const [k, x] of Object.entries(v)) out[k] = revealDeep(x, memo);
  return out;
}
