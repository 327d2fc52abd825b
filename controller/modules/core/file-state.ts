// Shared by copy and template: read a whole file's current state through the agent, diff it against the
// desired content/mode/owner/group, and put it. One RPC to read, one to write; nothing written when equal.
import type { AgentClient, BackupArgs } from '../../../agent/protocol.js';
import type { Change, TaskContext } from '../contract.js';
import { ModuleError, pendingRestartKey } from '../contract.js';
import { containsSecret, reveal, revealDeep } from '../../secrets.js';
import { lazyVars } from './lang.js';
import { normalizeMode, sha256 } from './util.js';
import { unifiedDiff } from './unified-diff.js';

export interface DesiredFile {
  dest: string;
  content: string; // plain text or base64 (when binary)
  encoding: 'utf8' | 'base64';
  secret: boolean; // content came from a Secret: never shown in diffs
  mode?: string;
  owner?: string;
  group?: string;
  backup: boolean;
}

export interface CurrentFile {
  desired: DesiredFile;
  exists: boolean;
  isDir: boolean;
  sha256?: string;
  text?: string; // current content (utf8 only, for diffs)
  mode?: string;
  owner?: string;
  group?: string;
  uid?: number;
  gid?: number;
}

/** Mode of a new file whose content is (or contains) a Secret when the task gives no mode. */
export const SECRET_FILE_MODE = '0600';

/** Content from a string or Secret (or a list/dict, as JSON, that may contain Secrets); Buffers that are not
 *  valid UTF-8 travel as base64. */
export function desiredContent(value: unknown): { content: string; encoding: 'utf8' | 'base64'; secret: boolean } {
  if (Buffer.isBuffer(value)) {
    const asText = value.toString('utf8');
    if (Buffer.from(asText, 'utf8').equals(value)) return { content: asText, encoding: 'utf8', secret: false };
    return { content: value.toString('base64'), encoding: 'base64', secret: false };
  }
  const secret = containsSecret(value);
  const r = revealDeep(value);
  return { content: typeof r === 'string' ? r : JSON.stringify(r), encoding: 'utf8', secret };
}

/**
 * `crosskey_keep_backups`: how many backups (`<file>.<timestamp>.crosskey~`) the agent keeps per changed file,
 * the new one included; undefined when the variable is not set (the agent's default, 3). 0, a negative number or
 * anything but a whole number is an error.
 */
export function keepBackupsVar(vars: Record<string, unknown>): number | undefined {
  const raw = reveal(lazyVars(vars).crosskey_keep_backups);
  if (raw === undefined || raw === null) return undefined;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*[-+]?\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1) {
    throw new ModuleError(
      `crosskey_keep_backups must be a whole number of at least 1 (backups kept per changed file), got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

/**
 * What an agent op that makes a backup is told about pruning: `keepBackups` from `crosskey_keep_backups`, and
 * `protectBackups`: the backups this host's files were changed from earlier in the play or in runs no restart has
 * picked up yet (es_rolling_restart restores them when a node does not come back), never pruned.
 */
export function backupArgs(
  ctx: Pick<TaskContext, 'vars' | 'host'> & Partial<Pick<TaskContext, 'changedFiles' | 'state'>>,
): BackupArgs {
  const keep = keepBackupsVar(ctx.vars);
  const pending = ctx.state?.get<unknown>(pendingRestartKey(ctx.host));
  const files = [...(ctx.changedFiles?.get(ctx.host) ?? []), ...(Array.isArray(pending) ? pending : [])] as Array<{
    backupPath?: unknown;
  }>;
  const protect = [...new Set(files.flatMap((f) => (f && typeof f.backupPath === 'string' ? [f.backupPath] : [])))];
  return {
    ...(keep !== undefined ? { keepBackups: keep } : {}),
    ...(protect.length ? { protectBackups: protect } : {}),
  };
}

export function buildDesired(
  args: { dest: string; mode?: unknown; owner?: string; group?: string; backup?: boolean },
  content: unknown,
): DesiredFile {
  const c = desiredContent(content);
  return {
    dest: args.dest,
    ...c,
    mode: normalizeMode(args.mode),
    owner: args.owner,
    group: args.group,
    backup: !!args.backup,
  };
}

/**
 * The current state of `desired.dest`. A file that does not exist yet and gets a secret without a mode from the
 * task is created readable by its owner only (SECRET_FILE_MODE); an existing one keeps its mode.
 */
export async function readFileState(agent: AgentClient, desired: DesiredFile): Promise<CurrentFile> {
  const missing = (): CurrentFile => ({
    desired: desired.secret && desired.mode === undefined ? { ...desired, mode: SECRET_FILE_MODE } : desired,
    exists: false,
    isDir: false,
  });
  let r: Awaited<ReturnType<AgentClient['call']>> & {
    exists: boolean;
    content?: string;
    isDir?: boolean;
    mode?: string;
    owner?: string;
    group?: string;
    uid?: number;
    gid?: number;
  };
  try {
    r = await agent.call('file.read', { path: desired.dest, encoding: desired.encoding });
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT' || /ENOENT|no such file/i.test((e as Error).message))
      return missing();
    throw e;
  }
  if (!r.exists) return missing();
  const content = r.content ?? '';
  const bytes = desired.encoding === 'base64' ? Buffer.from(content, 'base64') : Buffer.from(content, 'utf8');
  return {
    desired,
    exists: true,
    isDir: !!r.isDir,
    sha256: r.isDir ? undefined : sha256(bytes),
    text: desired.encoding === 'utf8' ? content : undefined,
    mode: r.mode,
    owner: r.owner,
    group: r.group,
    uid: r.uid,
    gid: r.gid,
  };
}

function sameOwner(want: string | undefined, name: string | undefined, id: number | undefined): boolean {
  if (want === undefined) return true;
  return want === name || (id !== undefined && want === String(id));
}

/**
 * One planned change to a whole file: its content (create or replace), or one attribute. The put that applies
 * the plan sends the content it must keep anyway, and only the attributes planned (or all of them for a new file).
 */
export type FileOp =
  | { kind: 'content' }
  | { kind: 'mode'; mode: string }
  | { kind: 'owner'; owner: string }
  | { kind: 'group'; group: string };

export function diffFileState(cur: CurrentFile, ctx: TaskContext | undefined): Change<FileOp>[] {
  const d = cur.desired;
  const changes: Change<FileOp>[] = [];
  const wantSha = sha256(d.encoding === 'base64' ? Buffer.from(d.content, 'base64') : Buffer.from(d.content, 'utf8'));
  if (cur.isDir) throw new ModuleError(`${d.dest} is a directory: a file cannot be written there`);
  if (!cur.exists || cur.sha256 !== wantSha) {
    const change: Change<FileOp> = {
      target: d.dest,
      action: cur.exists ? 'update' : 'create',
      op: { kind: 'content' },
    };
    if (d.secret) change.secret = true;
    else if (d.encoding === 'utf8' && (ctx?.diff ?? true)) {
      change.unified = unifiedDiff(
        cur.text ?? '',
        d.content,
        cur.exists ? `${d.dest} (before)` : '/dev/null',
        `${d.dest} (after)`,
      );
    } else {
      change.before = cur.sha256 ? `sha256:${cur.sha256}` : undefined;
      change.after = `sha256:${wantSha}`;
    }
    changes.push(change);
  }
  if (d.mode && cur.exists && cur.mode !== d.mode)
    changes.push({
      target: `${d.dest} mode`,
      action: 'update',
      before: cur.mode,
      after: d.mode,
      op: { kind: 'mode', mode: d.mode },
    });
  if (d.owner && cur.exists && !sameOwner(d.owner, cur.owner, cur.uid))
    changes.push({
      target: `${d.dest} owner`,
      action: 'update',
      before: cur.owner,
      after: d.owner,
      op: { kind: 'owner', owner: d.owner },
    });
  if (d.group && cur.exists && !sameOwner(d.group, cur.group, cur.gid))
    changes.push({
      target: `${d.dest} group`,
      action: 'update',
      before: cur.group,
      after: d.group,
      op: { kind: 'group', group: d.group },
    });
  return changes;
}

/** Performs a file plan with one put: the planned content and attributes (a new file gets all of them). */
export async function applyFilePlan(
  agent: AgentClient,
  d: DesiredFile,
  plan: Change<FileOp>[],
  backups: BackupArgs = {},
): Promise<{ backupPath?: string }> {
  const ops = plan.map((c) => c.op!);
  const creating = ops.some((o) => o.kind === 'content') && plan.some((c) => c.action === 'create');
  const mode = creating ? d.mode : ops.find((o) => o.kind === 'mode')?.mode;
  const owner = creating ? d.owner : ops.find((o) => o.kind === 'owner')?.owner;
  const group = creating ? d.group : ops.find((o) => o.kind === 'group')?.group;
  const r = await agent.call('file.put', {
    path: d.dest,
    content: d.content,
    encoding: d.encoding,
    ...(mode ? { mode } : {}),
    ...(owner ? { owner } : {}),
    ...(group ? { group } : {}),
    backup: d.backup,
    ...(d.backup ? backups : {}),
  });
  return r.backupPath ? { backupPath: r.backupPath } : {};
}
