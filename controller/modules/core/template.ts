// `template`: render a Handlebars file with the host's vars into `dest` (whole file), or, with
// `block: <marker>`, into a managed block of a YAML file (agent `block.apply`, validated as YAML there).
import type { Resource, Change } from '../contract.js';
import {
  SECRET_FILE_MODE,
  backupArgs,
  buildDesired,
  diffFileState,
  keepBackupsVar,
  applyFilePlan,
  type FileOp,
  readFileState,
  type CurrentFile,
} from './file-state.js';
import { renderTemplateFile } from './lang.js';
import { normalizeMode, resolveLocalFile, plain } from './util.js';
import { unifiedDiff } from './unified-diff.js';
import { isSecret, reveal } from '../../secrets.js';

export interface TemplateArgs {
  src: string;
  dest: string;
  mode?: unknown;
  owner?: string;
  group?: string;
  backup?: boolean;
  block?: string;
}

type TemplateCurrent =
  | { kind: 'file'; file: CurrentFile }
  | {
      kind: 'block';
      marker: string;
      content: string;
      secret: boolean;
      changed: boolean;
      before: string;
      after: string;
    };

export const templateModule: Resource<TemplateArgs, TemplateCurrent, FileOp | { kind: 'block' }> = {
  name: 'template',
  description: 'Render a Handlebars template into a file, or into a managed block of a YAML file (block: marker).',
  runsOn: 'host',
  changeNoun: ['file', 'files'],
  schema: {
    src: {
      type: 'string',
      required: true,
      description: 'template, relative to <playbook_dir>/templates or <playbook_dir>',
    },
    dest: { type: 'string', required: true },
    mode: { type: 'any' },
    owner: { type: 'string' },
    group: { type: 'string' },
    backup: { type: 'boolean', default: false },
    block: { type: 'string', description: 'render into the managed block with this marker instead of the whole file' },
  },
  async read(ctx, args) {
    const path = resolveLocalFile(plain(args.src), ctx.vars, 'templates');
    keepBackupsVar(ctx.vars); // a bad crosskey_keep_backups fails before anything changes
    const rendered = renderTemplateFile(path, ctx.vars);
    const agent = await ctx.agent();
    if (args.block !== undefined) {
      const content = String(reveal(rendered));
      const r = await agent.call('block.apply', {
        path: args.dest,
        marker: args.block,
        content,
        validate: 'yaml',
        check: true,
        ...(args.mode !== undefined ? { mode: normalizeMode(args.mode) } : {}),
        ...(args.owner ? { owner: args.owner } : {}),
        ...(args.group ? { group: args.group } : {}),
      });
      return {
        kind: 'block',
        marker: args.block,
        content,
        secret: isSecret(rendered),
        changed: r.changed,
        before: r.before,
        after: r.after,
      };
    }
    return { kind: 'file', file: await readFileState(agent, buildDesired(args, rendered)) };
  },
  diff(cur, args, ctx) {
    if (cur.kind === 'file') return diffFileState(cur.file, ctx);
    if (!cur.changed) return [];
    const change: Change<{ kind: 'block' }> = {
      target: `${args.dest} [block ${cur.marker}]`,
      action: cur.before.includes(`BEGIN crosskey ${cur.marker}`) ? 'update' : 'create',
      op: { kind: 'block' },
    };
    if (cur.secret) change.secret = true;
    else change.unified = unifiedDiff(cur.before, cur.after, `${args.dest} (before)`, `${args.dest} (after)`);
    return [change];
  },
  async apply(ctx, args, plan, cur) {
    const agent = await ctx.agent();
    let backupPath: string | undefined;
    if (cur.kind === 'file') {
      backupPath = (await applyFilePlan(agent, cur.file.desired, plan as Change<FileOp>[], backupArgs(ctx))).backupPath;
    } else {
      const r = await agent.call('block.apply', {
        path: args.dest,
        marker: cur.marker,
        content: cur.content,
        validate: 'yaml',
        backup: !!args.backup,
        ...(args.backup ? backupArgs(ctx) : {}),
        // A file the block creates with a secret in it is readable by its owner only, unless the task gives a mode.
        ...(args.mode !== undefined
          ? { mode: normalizeMode(args.mode) }
          : cur.secret
            ? { createMode: SECRET_FILE_MODE }
            : {}),
        ...(args.owner ? { owner: args.owner } : {}),
        ...(args.group ? { group: args.group } : {}),
      });
      backupPath = r.backupPath;
    }
    return {
      applied: plan,
      data: { dest: args.dest, ...(backupPath ? { backup_file: backupPath } : {}) },
      changedFiles: [{ path: args.dest, ...(backupPath ? { backupPath } : {}) }],
    };
  },
  report(_cur, args) {
    return { dest: args.dest };
  },
};
