// Validation of module arguments against a module's ArgSchema, before any host is contacted.
// Values that hold `{{ }}` are only known at run time: their type and choices are checked by
// validateRenderedArgs() after rendering (the executor calls it), the rest is checked at load time.
import type { ArgSchema, ArgSpec, ArgType } from '../modules/contract.js';
import { isSecret, isSecretVarName } from '../secrets.js';
import { ConfigError, didYouMean } from './errors.js';
import { hasTemplate } from './template.js';

export interface ArgWhere {
  file: string;
  /** Line of the module key (fallback). */
  line: number;
  /** Line of each argument key, when known. */
  argLine?: (arg: string) => number;
}

function typeOk(type: ArgType, v: unknown): boolean {
  switch (type) {
    case 'any':
      return true;
    case 'string':
      return typeof v === 'string' || typeof v === 'number' || isSecret(v);
    case 'number':
      return typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)));
    case 'boolean':
      return typeof v === 'boolean' || (typeof v === 'string' && /^(yes|no|true|false|on|off)$/i.test(v));
    case 'list':
      return Array.isArray(v);
    case 'dict':
      return !!v && typeof v === 'object' && !Array.isArray(v) && !isSecret(v);
  }
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (isSecret(v)) return 'a secret string';
  if (typeof v === 'object') return 'a dict';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/**
 * What makes a literal argument secret, as far as the loader can tell: an inline vault value, a template that reads
 * a secret-named variable (`{{ es_password }}`) or a `secret_file`. Other secrets are caught after rendering.
 */
function secretIn(v: unknown): string | undefined {
  if (isSecret(v)) return 'a vault-encrypted value';
  if (Array.isArray(v)) return v.map(secretIn).find(Boolean);
  if (typeof v !== 'string') return undefined;
  for (const m of v.matchAll(/\{\{([\s\S]*?)\}\}/g)) {
    for (const id of m[1]!.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) {
      if (id === 'secret_file') return 'a secret_file';
      if (isSecretVarName(id)) return `the secret variable '${id}'`;
    }
  }
  return undefined;
}

function checkOne(module: string, name: string, spec: ArgSpec, v: unknown, where: ArgWhere, runtime: boolean): void {
  const line = where.argLine?.(name) ?? where.line;
  const err = (msg: string): never => {
    throw new ConfigError(where.file, line, `${module}: argument '${name}' ${msg}`);
  };
  if (v === null || v === undefined) {
    if (spec.required) err('is required but empty');
    return;
  }
  if (spec.noSecret && !runtime) {
    const why = secretIn(v);
    if (why)
      err(
        `would put ${why} on the command line, where every user of the host can read it (/proc/*/cmdline): pass it with stdin or env instead`,
      );
  }
  if (!runtime && hasTemplate(v) && (typeof v === 'string' || spec.type === 'any')) return; // known at run time
  if (!typeOk(spec.type, v)) err(`must be a ${spec.type}, got ${describe(v)}`);
  if (spec.type === 'list' && spec.elements && Array.isArray(v)) {
    v.forEach((x, i) => {
      if (!runtime && typeof x === 'string' && hasTemplate(x)) return;
      if (!typeOk(spec.elements!, x)) err(`item ${i} must be a ${spec.elements}, got ${describe(x)}`);
    });
  }
  if (spec.choices && !spec.choices.some((c) => c === v || String(c) === String(v))) {
    err(
      `must be one of: ${spec.choices.map((c) => JSON.stringify(c)).join(', ')}; got ${JSON.stringify(v)}${typeof v === 'string' ? didYouMean(v, spec.choices.map(String)) : ''}`,
    );
  }
}

/** Load-time check: unknown/missing arguments, types and choices of values without `{{ }}`. */
export function validateArgs(module: string, schema: ArgSchema, args: Record<string, unknown>, where: ArgWhere): void {
  const names = Object.keys(schema);
  for (const k of Object.keys(args)) {
    if (!(k in schema)) {
      throw new ConfigError(
        where.file,
        where.argLine?.(k) ?? where.line,
        `${module}: unknown argument '${k}'${didYouMean(k, names)}; valid arguments: ${names.sort().join(', ') || '(none)'}`,
      );
    }
  }
  for (const [k, spec] of Object.entries(schema)) {
    if (spec.required && spec.default === undefined && !(k in args)) {
      throw new ConfigError(
        where.file,
        where.line,
        `${module}: missing required argument '${k}'${spec.description ? ` (${spec.description})` : ''}`,
      );
    }
    if (k in args) checkOne(module, k, spec, args[k], where, false);
  }
}

/** Run-time check after rendering: every value is concrete now. Returns args with defaults applied. */
export function validateRenderedArgs(
  module: string,
  schema: ArgSchema,
  args: Record<string, unknown>,
  where: ArgWhere,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(schema)) {
    const v = k in args ? args[k] : spec.default;
    checkOne(module, k, spec, v, where, true);
    if (v !== undefined) out[k] = v;
  }
  return out;
}
