// Compares an answer of the lab with an example published by Elastic (test/fixtures/es-examples, sources in its
// README):
// same field names and JSON types. Used by every test that checks the lab's REST shapes.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'es-examples');

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * Differences in field names and types between `actual` and `expected` (arrays: every item like the example's
 * first). `dynamic` paths are maps keyed by data (node ids, setting names): there every actual entry must have the
 * shape of the example's first entry. A null in the example means "optional value" (ES prints null for unknown
 * metrics).
 */
export function shapeDiff(actual: unknown, expected: unknown, dynamic: string[] = [], path = ''): string[] {
  if (expected === null) return [];
  if (typeOf(actual) !== typeOf(expected))
    return [`${path || '.'}: expected ${typeOf(expected)}, got ${typeOf(actual)}`];
  if (Array.isArray(expected)) {
    const a = actual as unknown[];
    if (!expected.length || !a.length) return [];
    return a.flatMap((item, i) => shapeDiff(item, expected[0], dynamic, `${path}[${i}]`));
  }
  if (typeof expected === 'object') {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    if (dynamic.includes(path)) {
      const first = Object.values(e)[0];
      if (first === undefined) return [];
      return Object.entries(a).flatMap(([k, v]) =>
        shapeDiff(v, first, dynamic, `${path}.*`).map((d) => d.replace(`${path}.*`, `${path}.${k}`)),
      );
    }
    return Object.keys(e).flatMap((k) =>
      k in a ? shapeDiff(a[k], e[k], dynamic, path ? `${path}.${k}` : k) : [`${path ? `${path}.` : ''}${k}: missing`],
    );
  }
  return [];
}

/** The example files of one API whose names start with `prefix`, parsed. */
export function examplesOf(api: string, prefix = 'response'): Array<[string, unknown]> {
  return readdirSync(join(EXAMPLES, api))
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .map((f) => [f, JSON.parse(readFileSync(join(EXAMPLES, api, f), 'utf8'))]);
}
