// jsonlog.scan: one pass over a JSON-lines log (Elasticsearch's ECS logs, e.g. <cluster>_deprecation.json, which
// rolls at 1 GB), streamed line by line, summarising the lines whose `field` starts with `prefix`: per value, how
// many, the first and the last `@timestamp`. Lines that do not parse are counted and skipped. The answer is bounded
// (at most `maxValues` distinct values), whatever the file's size.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { OpArgs, OpResult } from '../protocol.js';
import { invalid } from './errors.js';

export async function jsonlogScan(args: OpArgs<'jsonlog.scan'>): Promise<OpResult<'jsonlog.scan'>> {
  if (typeof args.path !== 'string' || typeof args.field !== 'string' || typeof args.prefix !== 'string')
    throw invalid('jsonlog.scan: needs "path", "field" and "prefix"');
  const maxValues = args.maxValues ?? 1000;
  let size: number;
  try {
    size = (await stat(args.path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false, lines: 0, unparsed: 0, matches: {} };
    throw e;
  }
  const matches: OpResult<'jsonlog.scan'>['matches'] = {};
  let lines = 0;
  let unparsed = 0;
  let truncated = false;
  const rl = createInterface({ input: createReadStream(args.path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    lines++;
    // Cheap test first: most lines of a big log are not the ones asked for.
    if (!line.includes(args.prefix)) continue;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line) as Record<string, unknown>;
    } catch {
      unparsed++;
      continue;
    }
    const value = doc[args.field];
    if (typeof value !== 'string' || !value.startsWith(args.prefix)) continue;
    const ts = typeof doc['@timestamp'] === 'string' ? doc['@timestamp'] : undefined;
    let m = matches[value];
    if (!m) {
      if (Object.keys(matches).length >= maxValues) {
        truncated = true;
        continue;
      }
      m = matches[value] = { count: 0 };
      if (ts) m.first = ts;
    }
    m.count++;
    if (ts && (!m.last || ts >= m.last)) m.last = ts;
    if (ts && (!m.first || ts < m.first)) m.first = ts;
  }
  return { exists: true, size, lines, unparsed, matches, ...(truncated ? { truncated } : {}) };
}
