// Rendered module arguments are checked again against the schema at run time (the loader can only check
// values that are not templated), defaults applied, and arguments declared secret wrapped in Secret.
import type { ArgSchema, ArgType } from '../modules/contract.js';
import { ModuleError } from '../modules/contract.js';
import { isSecret, Secret } from '../secrets.js';

function typeOk(v: unknown, t: ArgType): boolean {
  switch (t) {
    case 'any':
      return true;
    case 'string':
      return typeof v === 'string' || isSecret(v) || typeof v === 'number' || typeof v === 'boolean';
    case 'number':
      return typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)));
    case 'boolean':
      return typeof v === 'boolean' || (typeof v === 'string' && /^(true|false|yes|no)$/i.test(v));
    case 'list':
      return Array.isArray(v);
    case 'dict':
      return !!v && typeof v === 'object' && !Array.isArray(v) && !isSecret(v);
  }
}

function coerce(v: unknown, t: ArgType): unknown {
  if (t === 'string' && (typeof v === 'number' || typeof v === 'boolean')) return String(v);
  if (t === 'number' && typeof v === 'string') return Number(v);
  if (t === 'boolean' && typeof v === 'string') return /^(true|yes)$/i.test(v);
  return v;
}

function containsSecretValue(v: unknown): boolean {
  if (isSecret(v)) return true;
  if (Array.isArray(v)) return v.some(containsSecretValue);
  if (v && typeof v === 'object') return Object.values(v).some(containsSecretValue);
  return false;
}

export function checkArgs(module: string, schema: ArgSchema, args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    const spec = schema[k];
    if (!spec)
      throw new ModuleError(`${module}: unknown argument '${k}' (valid: ${Object.keys(schema).sort().join(', ')})`);
    if (v === undefined || v === null) continue;
    if (!typeOk(v, spec.type))
      throw new ModuleError(
        `${module}: argument '${k}' must be a ${spec.type}, got ${Array.isArray(v) ? 'list' : typeof v}`,
      );
    if (spec.noSecret && containsSecretValue(v)) {
      throw new ModuleError(
        `${module}: argument '${k}' would put a secret on the command line, where every user of the host can read it ` +
          '(/proc/*/cmdline): pass it with stdin or env instead',
      );
    }
    let value = coerce(v, spec.type);
    if (spec.type === 'list' && spec.elements && spec.elements !== 'any') {
      const bad = (value as unknown[]).findIndex((e) => !typeOk(e, spec.elements!));
      if (bad >= 0) throw new ModuleError(`${module}: argument '${k}[${bad}]' must be a ${spec.elements}`);
      value = (value as unknown[]).map((e) => coerce(e, spec.elements!));
    }
    if (spec.choices && !isSecret(value) && !spec.choices.includes(value as string | number | boolean)) {
      throw new ModuleError(
        `${module}: argument '${k}' must be one of ${spec.choices.join(', ')}, got '${String(value)}'`,
      );
    }
    if (spec.secret && typeof value === 'string') value = new Secret(value);
    out[k] = value;
  }
  for (const [k, spec] of Object.entries(schema)) {
    if (out[k] === undefined && spec.default !== undefined) out[k] = structuredClone(spec.default);
    if (out[k] === undefined && spec.required) throw new ModuleError(`${module}: missing required argument '${k}'`);
  }
  return out;
}
