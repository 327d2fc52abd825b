// ES's _cat rendering: `h=` column selection (names or aliases, wildcards), `v` header line, `format=json`
// (every value a string, as ES returns), `help`, `s=` sort. Text output pads columns like ES's table renderer.
import { esError, wildcardRegExp, type LabRequest, type LabResponse } from '../router.js';

export interface CatColumn {
  name: string;
  aliases?: string[];
  /** Shown when no `h=` is given. */
  default?: boolean;
  desc?: string;
}

export type CatRow = Record<string, string | null>;

export const CAT_PARAMS = ['h', 'v', 'help', 's', 'bytes', 'time', 'local', 'master_timeout'];

function resolveColumns(columns: CatColumn[], h: string | null): CatColumn[] {
  if (!h) return columns.filter((c) => c.default);
  const out: CatColumn[] = [];
  for (const want of h
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const re = wildcardRegExp(want);
    const hits = columns.filter((c) => re.test(c.name) || (c.aliases ?? []).some((a) => re.test(a)));
    if (!hits.length && !want.includes('*'))
      throw esError(400, 'illegal_argument_exception', `header [${want}] is not a valid header`);
    for (const c of hits) if (!out.includes(c)) out.push(c);
  }
  return out;
}

export function catResponse(req: LabRequest, columns: CatColumn[], rows: CatRow[]): LabResponse {
  const q = req.query;
  if (q.has('help')) {
    const w = Math.max(...columns.map((c) => c.name.length));
    return {
      body:
        columns.map((c) => `${c.name.padEnd(w)} | ${(c.aliases ?? []).join(',')} | ${c.desc ?? ''}`).join('\n') + '\n',
    };
  }
  const cols = resolveColumns(columns, q.get('h'));
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
    return { body: sorted.map((r) => Object.fromEntries(cols.map((c) => [c.name, r[c.name] ?? null]))) };
  }
  if (format && format !== 'txt' && format !== 'text') {
    throw esError(
      400,
      'illegal_argument_exception',
      `format [${format}] is not supported by the crosskey lab (use format=json)`,
    );
  }
  const table = sorted.map((r) => cols.map((c) => r[c.name] ?? ''));
  const verbose = q.has('v') && q.get('v') !== 'false';
  if (verbose) table.unshift(cols.map((c) => c.name));
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
