// Request parameters and response rendering every simulated ES endpoint shares: boolean query parameters,
// settings rendered flat or nested (`flat_settings`), settings input, `filter_path` (ES's XContent filtering,
// wildcards and `-` exclusions) and `pretty`.
import { illegalArgument } from './http-error.js';
import type { FlatSettings, SettingValue } from './cluster/state.js';

export function boolParam(q: URLSearchParams, name: string, dflt = false): boolean {
  if (!q.has(name)) return dflt;
  const v = q.get(name)!;
  if (v === '' || v === 'true') return true;
  if (v === 'false') return false;
  throw illegalArgument(`Failed to parse value [${v}] as only [true] or [false] are allowed.`);
}

/** Flat `a.b.c` keys → nested objects (ES's default settings rendering). */
export function nestSettings(flat: FlatSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(flat).sort()) {
    const parts = key.split('.');
    let cur = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const p = parts[i]!;
      if (typeof cur[p] !== 'object' || cur[p] === null || Array.isArray(cur[p])) cur[p] = {};
      cur = cur[p] as Record<string, unknown>;
    }
    cur[parts[parts.length - 1]!] = flat[key];
  }
  return out;
}

export function sortedFlat(flat: FlatSettings): FlatSettings {
  const out: FlatSettings = {};
  for (const k of Object.keys(flat).sort()) out[k] = flat[k]!;
  return out;
}

export function renderSettings(flat: FlatSettings, flatSettings: boolean): Record<string, unknown> {
  return flatSettings ? sortedFlat(flat) : nestSettings(flat);
}

/** JSON input (nested or dotted keys, any scalar) → flat map; null values kept as null (= remove). */
export function flattenInput(
  value: unknown,
  prefix = '',
  out: Record<string, SettingValue | null> = {},
): Record<string, SettingValue | null> {
  if (value === null) {
    if (prefix) out[prefix] = null;
    return out;
  }
  if (Array.isArray(value)) {
    out[prefix] = value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
    return out;
  }
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      flattenInput(v, prefix ? `${prefix}.${k}` : k, out);
    return out;
  }
  out[prefix] = String(value);
  return out;
}

/**
 * ES's `filter_path`: comma-separated paths, `*` matches one field name, `**` any depth, a leading `-` excludes.
 * Dotted field names (flat settings) are matched part by part, as ES 8 does.
 */
export function applyFilterPath(value: unknown, filterPath: string | null): unknown {
  if (!filterPath) return value;
  const all = filterPath
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const includes = all.filter((p) => !p.startsWith('-')).map((p) => p.split('.'));
  const excludes = all.filter((p) => p.startsWith('-')).map((p) => p.slice(1).split('.'));
  let out = includes.length ? include(value, includes) : value;
  if (out === undefined) out = {};
  for (const ex of excludes) out = exclude(out, ex);
  return out;
}

/** ES's simple wildcard match (`*` = any characters), used for index, node, setting and column patterns. */
export function wildcardRegExp(pattern: string): RegExp {
  return new RegExp(
    '^' +
      pattern
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
}

function segMatches(pattern: string, name: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return pattern === name;
  return wildcardRegExp(pattern).test(name);
}

/** Remaining filters after consuming a (possibly dotted) field name; [] = fully matched (keep everything below). */
function advance(filters: string[][], key: string): string[][] {
  const keyParts = key.split('.');
  const next: string[][] = [];
  for (const f of filters) {
    const walk = (fi: number, ki: number): void => {
      if (ki === keyParts.length) {
        next.push(f.slice(fi));
        return;
      }
      if (fi === f.length) {
        next.push([]); // the filter ends inside a dotted name: everything below matches
        return;
      }
      const seg = f[fi]!;
      if (seg === '**') {
        walk(fi + 1, ki); // ** matches zero names
        walk(fi, ki + 1); // or one more name
        return;
      }
      if (segMatches(seg, keyParts[ki]!)) walk(fi + 1, ki + 1);
    };
    walk(0, 0);
  }
  return next;
}

function include(value: unknown, filters: string[][]): unknown {
  if (filters.some((f) => f.length === 0 || (f.length === 1 && f[0] === '**'))) return value;
  if (Array.isArray(value)) {
    const items = value.map((v) => include(v, filters)).filter((v) => v !== undefined);
    return items.length ? items : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const rest = advance(filters, k);
    if (!rest.length) continue;
    const sub = include(v, rest);
    if (sub !== undefined) out[k] = sub;
  }
  return Object.keys(out).length ? out : undefined;
}

function exclude(value: unknown, filter: string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => exclude(v, filter));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const rest = advance([filter], k);
    if (rest.some((r) => r.length === 0)) continue;
    out[k] = rest.length ? exclude(v, rest[0]!) : v;
  }
  return out;
}

/** Serialises a JSON answer as ES does (`pretty` → 2-space indent and trailing newline). */
export function serializeJson(value: unknown, pretty: boolean): string {
  return pretty ? JSON.stringify(value, null, 2) + '\n' : JSON.stringify(value);
}
