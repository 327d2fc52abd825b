// ES's _cat rendering: `h=` column selection (names or aliases, wildcards), `v` header line, `format=json`
// (every value a string, as ES returns), `help`, `s=` sort. Text output pads columns like ES's table renderer.
import type { LabRequest, LabResponse } from '../router.js';
import { esError } from '../http-error.js';
import { wildcardRegExp } from '../rest-helpers.js';

export interface CatColumn {
  name: string;
  aliases?: string[];
  /** Shown when no `h=` is given. */
  default?: boolean;
  desc?: string;
}

export type CatRow = Record<string, string | null>;

export const CAT_PARAMS = ['h', 'v', 'help', 's', 'bytes', 'time', 'local', 'master_timeout'];

/** A selected column and the header it is shown under: the name as requested in `h=` (an alias stays an alias). */
interface Shown {
  col: CatColumn;
  display: string;
}

/**
 * `h=`: a wildcard expands over names and aliases (shown under the primary name); a plain entry picks the first
 * column (in table order) whose name or alias it is and is shown as written — `h=dt,du` prints `dt du`
 * (RestTable.buildDisplayHeaders, docs/es-behaviour.md §7).
 */
function resolveColumns(columns: CatColumn[], h: string | null): Shown[] {
  if (!h) return columns.filter((c) => c.default).map((col) => ({ col, display: col.name }));
  const out: Shown[] = [];
  for (const want of h
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (want.includes('*')) {
      const re = wildcardRegExp(want);
      for (const c of columns.filter((c) => re.test(c.name) || (c.aliases ?? []).some((a) => re.test(a))))
        if (!out.some((o) => o.col === c)) out.push({ col: c, display: c.name });
      continue;
    }
    const c = columns.find((x) => x.name === want || (x.aliases ?? []).includes(want));
    if (!c) throw esError(400, 'illegal_argument_exception', `header [${want}] is not a valid header`);
    out.push({ col: c, display: want });
  }
  return out;
}

/** ES's human byte sizes for _cat (`bytes=` gives a unit instead). */
export function catBytes(n: number, unit: string | null): string {
  const units: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4, pb: 1024 ** 5 };
  if (unit && units[unit]) return String(Math.floor(n / units[unit]!));
  for (const u of ['pb', 'tb', 'gb', 'mb', 'kb'])
    if (n >= units[u]!) return `${Number((n / units[u]!).toFixed(1))}${u}`;
  return `${n}b`;
}

export function catResponse(
  req: LabRequest,
  columns: CatColumn[],
  rows: CatRow[],
  opts: { drop?: string[] } = {},
): LabResponse {
  const q = req.query;
  if (q.has('help')) {
    const w = Math.max(...columns.map((c) => c.name.length));
    return {
      body:
        columns.map((c) => `${c.name.padEnd(w)} | ${(c.aliases ?? []).join(',')} | ${c.desc ?? ''}`).join('\n') + '\n',
    };
  }
  const cols = resolveColumns(columns, q.get('h')).filter((c) => !(opts.drop ?? []).includes(c.col.name));
  let sorted = rows;
  const s = q.get('s');
  if (s) {
    const keys = s.split(',').map((k) => {
      const [name, dir] = k.split(':');
      const col = columns.find((c) => c.name === name || (c.aliases ?? []).includes(name!));
      if (!col) throw esError(400, 'unsupported_operation_exception', `Unable to sort by unknown sort key \`${name}\``);
      return { name: col.name, desc: dir === 'desc' };
    });
    sorted = [...rows].sort((a, b) => {
      for (const k of keys) {
        const x = a[k.name] ?? '';
        const y = b[k.name] ?? '';
        const c = x.localeCompare(y, undefined, { numeric: true });
        if (c) return k.desc ? -c : c;
      }
      return 0;
    });
  }
  const format = q.get('format');
  if (format === 'json') {
    return { body: sorted.map((r) => Object.fromEntries(cols.map((c) => [c.display, r[c.col.name] ?? null]))) };
  }
  if (format && format !== 'txt' && format !== 'text') {
    throw esError(
      400,
      'illegal_argument_exception',
      `format [${format}] is not supported by the crosskey lab (use format=json)`,
    );
  }
  const table = sorted.map((r) => cols.map((c) => r[c.col.name] ?? ''));
  const verbose = q.has('v') && q.get('v') !== 'false';
  if (verbose) table.unshift(cols.map((c) => c.display));
  const widths = cols.map((_, i) => Math.max(0, ...table.map((row) => row[i]!.length)));
  const text = table
    .map((row) =>
      row
        .map((v, i) => (i === row.length - 1 ? v : v.padEnd(widths[i]!)))
        .join(' ')
        .trimEnd(),
    )
    .join('\n');
  return { body: text ? text + '\n' : '', headers: { 'content-type': 'text/plain; charset=UTF-8' } };
}
