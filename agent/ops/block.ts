// block.apply: a marked block in a YAML file (elasticsearch.yml). Every byte outside the block is kept.
// Refuses when the result is not valid YAML, or when the block sets a key that the rest of the file also sets:
// Elasticsearch would take one of them silently (or refuse to start), and the operator would not know which.
import { loadBounded as load } from '../yaml-bounds.js';
import type { OpArgs, OpResult } from '../protocol.js';
import { AgentOpError, invalid, requireAbsolute, requireString } from './errors.js';
import { backupOptionsArg, readIfExists } from './fsutil.js';
import { putFile } from './files.js';

const beginLine = (m: string) => `# BEGIN crosskey ${m}`;
const endLine = (m: string) => `# END crosskey ${m}`;

interface Split {
  head: string;
  block: string | null;
  tail: string;
}

/** Splits text into the part before the block, the block (with its marker lines) and the part after it. */
export function splitBlock(text: string, marker: string, path: string): Split {
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const isLine = (l: string, want: string) => l.replace(/\r?\n$/, '').trimEnd() === want;
  const begins = lines.flatMap((l, i) => (isLine(l, beginLine(marker)) ? [i] : []));
  const ends = lines.flatMap((l, i) => (isLine(l, endLine(marker)) ? [i] : []));
  if (begins.length === 0 && ends.length === 0) return { head: text, block: null, tail: '' };
  if (begins.length !== 1 || ends.length !== 1 || ends[0] < begins[0]) {
    throw new AgentOpError(
      'EBLOCK',
      `block.apply ${path}: markers of block "${marker}" are broken (${begins.length} BEGIN, ${ends.length} END lines); fix the file by hand`,
    );
  }
  return {
    head: lines.slice(0, begins[0]).join(''),
    block: lines.slice(begins[0], ends[0] + 1).join(''),
    tail: lines.slice(ends[0] + 1).join(''),
  };
}

/** Dotted key paths a YAML mapping sets: `a.b: 1` and `a: {b: 1}` both give "a.b". */
export function settingKeys(doc: unknown, prefix = ''): string[] {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return prefix ? [prefix] : [];
  const entries = Object.entries(doc as Record<string, unknown>);
  if (!entries.length) return prefix ? [prefix] : [];
  return entries.flatMap(([k, v]) => settingKeys(v, prefix ? `${prefix}.${k}` : k));
}

function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(b + '.') || b.startsWith(a + '.');
}

function parseYaml(text: string, what: string, path: string): unknown {
  // js-yaml 5 refuses an empty document; for us an empty (or comments-only) file sets nothing.
  if (text.split('\n').every((l) => /^\s*(#.*)?$/.test(l))) return null;
  try {
    return load(text);
  } catch (err) {
    throw new AgentOpError(
      'EVALIDATE',
      `block.apply ${path}: ${what} is not valid YAML: ${(err as Error).message.split('\n')[0]}`,
    );
  }
}

export async function blockApply(args: OpArgs<'block.apply'>): Promise<OpResult<'block.apply'>> {
  const path = requireAbsolute(requireString(args, 'path', 'block.apply'), 'block.apply');
  const marker = requireString(args, 'marker', 'block.apply');
  if (!/^[A-Za-z0-9_.:@/-]+$/.test(marker))
    throw invalid(`block.apply: marker ${JSON.stringify(marker)} may only contain letters, digits and _.:@/-`);
  if (args.content !== null && typeof args.content !== 'string')
    throw invalid('block.apply: "content" must be a string or null');
  backupOptionsArg(args, 'block.apply');
  const current = await readIfExists(path);
  const before = current ? current.toString('utf8') : '';
  const { head, block, tail } = splitBlock(before, marker, path);

  let after: string;
  if (args.content === null) {
    after = block === null ? before : head + tail;
  } else {
    const body = args.content === '' || args.content.endsWith('\n') ? args.content : args.content + '\n';
    if (body.split('\n').some((l) => /^# (BEGIN|END) crosskey /.test(l.trim())))
      throw invalid('block.apply: content must not contain crosskey marker lines');
    const newBlock = `${beginLine(marker)}\n${body}${endLine(marker)}\n`;
    // A new block goes at the end; the text before it gets a final newline if it lacked one.
    after =
      block === null ? (head === '' || head.endsWith('\n') ? head : head + '\n') + newBlock : head + newBlock + tail;

    if ((args.validate ?? 'yaml') === 'yaml') {
      const inBlock = settingKeys(parseYaml(body, 'the block', path));
      const outside = settingKeys(parseYaml(head + tail, 'the rest of the file', path));
      const clash = inBlock.flatMap((k) => outside.filter((o) => overlaps(k, o)).map((o) => [k, o] as const));
      if (clash.length) {
        const list = clash.map(([k, o]) => (k === o ? `"${k}"` : `"${k}" (vs "${o}")`)).join(', ');
        throw new AgentOpError(
          'EVALIDATE',
          `block.apply ${path}: block "${marker}" sets ${list}, which the rest of the file also sets; remove it there first`,
        );
      }
      parseYaml(after, 'the result', path);
    }
  }
  if (after === before && (current || args.content === null)) {
    // Content unchanged; mode/owner may still differ.
    if (!current || (args.mode === undefined && args.owner === undefined && args.group === undefined))
      return { changed: false, before, after };
  }
  if (!current && args.content === null) return { changed: false, before, after };
  const o = await putFile('block.apply', {
    path,
    content: Buffer.from(after, 'utf8'),
    mode: args.mode,
    owner: args.owner,
    group: args.group,
    createMode: args.createMode,
    backup: args.backup,
    keepBackups: args.keepBackups,
    protectBackups: args.protectBackups,
    check: args.check,
  });
  return { changed: o.changed, before, after, ...(o.backupPath ? { backupPath: o.backupPath } : {}) };
}
