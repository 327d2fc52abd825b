// elasticsearch_yml: set or remove individual settings in a node's elasticsearch.yml, keeping every other byte.
// Used where a managed block cannot be: settings the operator already wrote outside our blocks, e.g. an alias
// defined statically (`cluster.remote.<alias>.seeds: [...]`) that the migration must point at the remote
// cluster server port. Only flat (dotted) top-level keys are edited; a key set in nested form is refused with
// its line, because rewriting a nested mapping would move the operator's comments and layout.
import { loadBounded as load } from '../../../agent/yaml-bounds.js';
import type { Change, Resource } from '../contract.js';
import { ModuleError } from '../contract.js';
import { unifiedDiff } from '../core/unified-diff.js';
import { backupArgs } from '../core/file-state.js';

interface Args {
  path: string;
  settings: Record<string, unknown>; // value null removes the key
  backup?: boolean;
}

interface Current {
  exists: boolean;
  text: string;
  desired: string;
}

/**
 * The one change: write `content` (the file with the settings edited, every other byte kept) at `path`, with a
 * backup unless `backup: false`.
 */
export interface YmlWriteOp {
  kind: 'write';
  path: string;
  content: string;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Flattens a parsed YAML document into dotted keys (lists stay values). */
export function flatten(v: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out[prefix] = v;
  return out;
}

/** YAML text of one flat setting, in the style Elasticsearch's docs use. */
function renderSetting(key: string, value: unknown): string {
  if (Array.isArray(value)) return `${key}: [ ${value.map((x) => JSON.stringify(String(x))).join(', ')} ]`;
  if (typeof value === 'string') return `${key}: ${JSON.stringify(value)}`;
  return `${key}: ${String(value)}`;
}

/** The line range [start, end) a flat top-level key occupies (a value may continue on indented lines). */
function findFlatKey(lines: string[], key: string): [number, number] | undefined {
  const re = new RegExp(`^${escapeRe(key)}\\s*:`);
  const start = lines.findIndex((l) => re.test(l));
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length && /^(\s+\S|\s*-\s)/.test(lines[end]!) && !/^\S/.test(lines[end]!)) end++;
  return [start, end];
}

export function editSettings(path: string, text: string, settings: Record<string, unknown>): string {
  let parsed: unknown;
  try {
    parsed = load(text) ?? {};
  } catch (e) {
    throw new ModuleError(`${path} does not parse as YAML: ${(e as Error).message}`);
  }
  const flatBefore = flatten(parsed);
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  for (const [key, value] of Object.entries(settings)) {
    const range = findFlatKey(lines, key);
    if (!range && key in flatBefore) {
      throw new ModuleError(
        `${path}: ${key} is set in nested form; crosskey edits flat keys only — rewrite it as "${key}: …" first`,
      );
    }
    if (value === null || value === undefined) {
      if (range) lines.splice(range[0], range[1] - range[0]);
      continue;
    }
    const line = renderSetting(key, value);
    if (range) lines.splice(range[0], range[1] - range[0], line);
    else lines.push(line);
  }
  const out = lines.length ? lines.join('\n') + '\n' : '';
  // The result must parse and hold exactly what was asked: never write a file Elasticsearch would refuse.
  let after: Record<string, unknown>;
  try {
    after = flatten(load(out) ?? {});
  } catch (e) {
    throw new ModuleError(`${path}: the edited file would not parse (${(e as Error).message}); nothing written`);
  }
  for (const [key, value] of Object.entries(settings)) {
    const want =
      value === null || value === undefined
        ? undefined
        : JSON.stringify(Array.isArray(value) ? value.map(String) : value);
    const got =
      after[key] === undefined
        ? undefined
        : JSON.stringify(Array.isArray(after[key]) ? (after[key] as unknown[]).map(String) : after[key]);
    if (want !== got && !(typeof value !== 'object' && String(value) === String(after[key]))) {
      throw new ModuleError(
        `${path}: ${key} would read back as ${got ?? 'unset'}, not ${want ?? 'unset'}; nothing written`,
      );
    }
  }
  return out;
}

export const elasticsearchYml: Resource<Args, Current, YmlWriteOp> = {
  name: 'elasticsearch_yml',
  description: 'Set or remove flat settings in elasticsearch.yml, keeping the rest of the file byte for byte.',
  runsOn: 'host',
  changeNoun: ['file', 'files'],
  schema: {
    path: { type: 'string', required: true, description: 'path of elasticsearch.yml' },
    settings: { type: 'dict', required: true, description: 'flat setting → value (null removes it)' },
    backup: { type: 'boolean', default: true },
  },
  async read(ctx, args) {
    const agent = await ctx.agent();
    const r = await agent.call('file.read', { path: args.path, encoding: 'utf8' });
    if (!r.exists) throw new ModuleError(`${args.path} does not exist on ${ctx.host}`);
    const text = r.content ?? '';
    return { exists: true, text, desired: editSettings(args.path, text, args.settings) };
  },
  diff(current, args) {
    if (current.text === current.desired) return [];
    const change: Change<YmlWriteOp> = {
      target: args.path,
      action: 'update',
      unified: unifiedDiff(current.text, current.desired, `${args.path} (before)`, `${args.path} (after)`),
      op: { kind: 'write', path: args.path, content: current.desired },
    };
    return [change];
  },
  async apply(ctx, args, plan) {
    const agent = await ctx.agent();
    const applied: Change<YmlWriteOp>[] = [];
    const changedFiles: Array<{ path: string; backupPath?: string }> = [];
    for (const change of plan) {
      const op = change.op!;
      const r = await agent.call('file.put', {
        path: op.path,
        content: op.content,
        encoding: 'utf8',
        backup: args.backup !== false,
        ...backupArgs(ctx),
      });
      // The agent found the file already as planned (changed by someone else meanwhile): nothing applied.
      if (r.changed) {
        applied.push(change);
        changedFiles.push({ path: op.path, backupPath: r.backupPath });
      }
    }
    return { applied, changedFiles };
  },
};
