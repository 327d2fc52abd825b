// `copy`: put a file with the given content (or a local `src` file) at `dest`, Ansible's argument names.
import { readFileSync } from 'node:fs';
import type { Resource } from '../contract.js';
import {
  backupArgs,
  buildDesired,
  diffFileState,
  keepBackupsVar,
  applyFilePlan,
  type FileOp,
  readFileState,
  type CurrentFile,
} from './file-state.js';
import { plain, resolveLocalFile } from './util.js';

export interface CopyArgs {
  content?: unknown;
  src?: string;
  dest: string;
  mode?: unknown;
  owner?: string;
  group?: string;
  backup?: boolean;
  restart?: boolean;
}

export const copyModule: Resource<CopyArgs, CurrentFile, FileOp> = {
  name: 'copy',
  description: 'Copy content or a local file to a path on the host (atomic write, optional backup).',
  runsOn: 'host',
  changeNoun: ['file', 'files'],
  rules: { requiredOneOf: [['content', 'src']], mutuallyExclusive: [['content', 'src']] },
  schema: {
    content: { type: 'any', description: 'file content (exclusive with src)' },
    src: { type: 'string', description: 'local file, relative to <playbook_dir>/files or <playbook_dir>' },
    dest: { type: 'string', required: true },
    mode: { type: 'any', description: "octal mode, e.g. '0644'" },
    owner: { type: 'string' },
    group: { type: 'string' },
    backup: { type: 'boolean', default: false },
    restart: {
      type: 'boolean',
      default: true,
      description: 'false: the service reads the file without a restart (a dynamic setting names it): no restart owed',
    },
  },
  async read(ctx, args) {
    keepBackupsVar(ctx.vars); // a bad crosskey_keep_backups fails before anything changes
    const content =
      args.src !== undefined ? readFileSync(resolveLocalFile(plain(args.src), ctx.vars, 'files')) : args.content;
    const desired = buildDesired(args, content);
    return readFileState(await ctx.agent(), desired);
  },
  diff(cur, _args, ctx) {
    return diffFileState(cur, ctx);
  },
  async apply(ctx, args, plan, cur) {
    const r = await applyFilePlan(await ctx.agent(), cur.desired, plan, backupArgs(ctx));
    return {
      applied: plan,
      data: { dest: args.dest, ...(r.backupPath ? { backup_file: r.backupPath } : {}) },
      ...(args.restart === false
        ? {}
        : { changedFiles: [{ path: args.dest, ...(r.backupPath ? { backupPath: r.backupPath } : {}) }] }),
    };
  },
  report(_cur, args) {
    return { dest: args.dest };
  },
};
