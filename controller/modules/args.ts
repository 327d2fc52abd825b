// Module arguments: declared once (a module's `schema` and `rules`), validated by one function with one set of
// rules, twice — at load time on the values written literally in the playbook (a value holding `{{ }}` is known
// only later), and at run time on the rendered values, where defaults are applied, values coerced and secret
// arguments wrapped. Models: Ansible's AnsibleModule argument_spec with mutually_exclusive / required_one_of /
// required_if. Errors name the module and the argument; the caller adds where (file:line, or host and task).
import { isSecret, isSecretVarName, Secret } from '../secrets.js';
import { didYouMean } from '../names.js';
import type { ArgRules, ArgSchema, ArgSpec, ArgType } from './contract.js';

export type { ArgRules };

/** An argument error: `arg` is the argument it is about (for its line at load time), when there is one. */
export class ArgError extends Error {
  override name = 'ArgError';
  constructor(
    message: string,
    readonly arg?: string,
  ) {
    super(message);
  }
}

const TRUE = /^(true|yes|on)$/i;
const BOOL = /^(true|false|yes|no|on|off)$/i;

function typeOk(type: ArgType, v: unknown): boolean {
  switch (type) {
    case 'any':
      return true;
    case 'string':
      return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || isSecret(v);
    case 'number':
      return typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)));
    case 'boolean':
      return typeof v === 'boolean' || (typeof v === 'string' && BOOL.test(v));
    case 'list':
      return Array.isArray(v);
    case 'dict':
      return !!v && typeof v === 'object' && !Array.isArray(v) && !isSecret(v);
  }
}

function coerce(v: unknown, type: ArgType): unknown {
  if (type === 'string' && (typeof v === 'number' || typeof v === 'boolean')) return String(v);
  if (type === 'number' && typeof v === 'string') return Number(v);
  if (type === 'boolean' && typeof v === 'string') return TRUE.test(v);
  return v;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (isSecret(v)) return 'a secret string';
  if (typeof v === 'object') return 'a dict';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function hasTemplate(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('{{') || v.includes('{%');
  if (Array.isArray(v)) return v.some(hasTemplate);
  if (v && typeof v === 'object' && !isSecret(v)) return Object.values(v).some(hasTemplate);
  return false;
}

/**
 * What makes an argument secret: a Secret (a vault value, a rendered secret), or — before rendering — a template
 * that reads a secret-named variable (`{{ es_password }}`) or a `secret_file`.
 */
function secretIn(v: unknown): string | undefined {
  if (isSecret(v)) return 'a secret';
  if (Array.isArray(v)) return v.map(secretIn).find(Boolean);
  if (v && typeof v === 'object') return Object.values(v).map(secretIn).find(Boolean);
  if (typeof v !== 'string') return undefined;
  for (const m of v.matchAll(/\{\{([\s\S]*?)\}\}/g)) {
    for (const id of m[1]!.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) {
      if (id === 'secret_file') return 'a secret_file';
      if (isSecretVarName(id)) return `the secret variable '${id}'`;
    }
  }
  return undefined;
}

export type ArgPhase = 'load' | 'run';

/**
 * The one validator. `load`: the literal playbook values (templated ones are skipped where their value matters);
 * returns the args unchanged. `run`: the rendered values; returns them coerced, with defaults, secret arguments
 * wrapped in Secret. Throws ArgError.
 */
export function validateModuleArgs(
  module: string,
  schema: ArgSchema,
  rules: ArgRules | undefined,
  args: Record<string, unknown>,
  phase: ArgPhase,
): Record<string, unknown> {
  const names = Object.keys(schema);
  const given = (k: string) => args[k] !== undefined && args[k] !== null;
  for (const k of Object.keys(args)) {
    if (!(k in schema)) {
      throw new ArgError(
        `${module}: unknown argument '${k}'${didYouMean(k, names)}; valid arguments: ${names.sort().join(', ') || '(none)'}`,
        k,
      );
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(schema)) {
    let v = args[k];
    if (v === undefined && spec.default !== undefined) {
      if (phase === 'run') out[k] = structuredClone(spec.default);
      continue;
    }
    if (v === undefined || v === null) {
      if (spec.required) throw new ArgError(`${module}: missing required argument '${k}'${why(spec)}`, k);
      continue;
    }
    if (spec.noSecret) {
      const secret = secretIn(v);
      if (secret) {
        throw new ArgError(
          `${module}: argument '${k}' would put ${secret} on the command line, where every user of the host can read ` +
            'it (/proc/*/cmdline): pass it with stdin or env instead',
          k,
        );
      }
    }
    if (phase === 'load' && hasTemplate(v) && (typeof v === 'string' || spec.type === 'any')) {
      out[k] = v; // known at run time
      continue;
    }
    if (!typeOk(spec.type, v))
      throw new ArgError(`${module}: argument '${k}' must be a ${spec.type}, got ${describe(v)}`, k);
    v = coerce(v, spec.type);
    if (spec.type === 'list' && spec.elements && spec.elements !== 'any') {
      const list = v as unknown[];
      list.forEach((x, i) => {
        if (phase === 'load' && hasTemplate(x)) return;
        if (!typeOk(spec.elements!, x))
          throw new ArgError(`${module}: argument '${k}' item ${i} must be a ${spec.elements}, got ${describe(x)}`, k);
      });
      if (phase === 'run') v = list.map((x) => coerce(x, spec.elements!));
    }
    if (spec.choices && !isSecret(v) && !spec.choices.some((c) => String(c) === String(v))) {
      const choice = typeof v === 'string' ? didYouMean(v, spec.choices.map(String)) : '';
      throw new ArgError(
        `${module}: argument '${k}' must be one of: ${spec.choices.map((c) => JSON.stringify(c)).join(', ')}; got ${JSON.stringify(v)}${choice}`,
        k,
      );
    }
    if (phase === 'run' && spec.secret && typeof v === 'string') v = new Secret(v);
    out[k] = v;
  }
  for (const group of rules?.mutuallyExclusive ?? []) {
    const present = group.filter(given);
    if (present.length > 1)
      throw new ArgError(`${module}: arguments ${list(present)} are mutually exclusive (give one)`, present[1]);
  }
  for (const group of rules?.requiredOneOf ?? []) {
    if (!group.some(given)) throw new ArgError(`${module}: one of ${list(group)} is required`);
  }
  for (const [arg, value, required] of rules?.requiredIf ?? []) {
    const v = args[arg];
    if (v === undefined || (phase === 'load' && hasTemplate(v))) continue;
    if (String(coerce(v, schema[arg]?.type ?? 'any')) !== String(value)) continue;
    const missing = required.filter((r) => !given(r));
    if (missing.length)
      throw new ArgError(
        `${module}: ${arg} is ${JSON.stringify(value)} but ${list(missing)} ${missing.length > 1 ? 'are' : 'is'} missing`,
        arg,
      );
  }
  return phase === 'run' ? out : args;
}

const why = (spec: ArgSpec): string => (spec.description ? ` (${spec.description})` : '');
const list = (names: string[]): string => names.map((n) => `'${n}'`).join(', ');

/** The run-time check alone (rendered values): for code that calls a module directly, e.g. tests. */
export function checkArgs(
  module: string,
  schema: ArgSchema,
  args: Record<string, unknown>,
  rules?: ArgRules,
): Record<string, unknown> {
  return validateModuleArgs(module, schema, rules, args, 'run');
}
