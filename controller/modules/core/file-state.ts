// Shared by copy and template: read a whole file's current state through the agent, diff it against the
// desired content/mode/owner/group, and put it. One RPC to read, one to write; nothing written when equal.
import type { AgentClient } from '../../../agent/protocol.js';
import type { Change, TaskContext } from '../contract.js';
import { isSecret, reveal } from '../../secrets.js';
import { normalizeMode, sha256 } from './util.js';
import { unifiedDiff } from './unified-diff.js';

export interface DesiredFile {
  dest: string;
  content: string;          // plain text or base64 (when binary)
  encoding: 'utf8' | 'base64';
  secret: boolean;          // content came from a Secret: never shown in diffs
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
  text?: string;            // current content (utf8 only, for diffs)
  mode?: string;
  owner?: string;
  group?: string;
  uid?: number;
  gid?: number;
}

/** Content from a string or Secret; Buffers that are not valid UTF-8 travel as base64. */
export function desiredContent(value: unknown): { content: string; encoding: 'utf8' | 'base64'; secret: boolean } {
  if (Buffer.isBuffer(value)) {
    const asText = value.toString('utf8');
    if (Buffer.from(asText, 'utf8').equals(value)) return { content: asText, encoding: 'utf8', secret: false };
    return { content: value.toString('base64'), encoding: 'base64', secret: false };
  }
  const secret = isSecret(value);
  const r = reveal(value);
  return { content: typeof r === 'string' ? r : JSON.stringify(r), encoding: 'utf8', secret };
}

export function buildDesired(args: { dest: string; mode?: unknown; owner?: string; group?: string; backup?: boolean }, content: unknown): DesiredFile {
  const c = desiredContent(content);
  return {
    dest: args.dest, ...c,
    mode: normalizeMode(args.mode),
    owner: args.owner, group: args.group,
    backup: !!args.backup,
  };
}

export async function readFileState(agent: AgentClient, desired: DesiredFile): Promise<CurrentFile> {
  let r: Awaited<ReturnType<AgentClient['call']>> & { exists: boolean; content?: string; isDir?: boolean; mode?: string; owner?: string; group?: string; uid?: number; gid?: number };
  try {
    r = await agent.call('file.read', { path: desired.dest, encoding: desired.encoding });
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT' || /ENOENT|no such file/i.test((e as Error).message)) return { desired, exists: false, isDir: false };
    throw e;
  }
  if (!r.exists) return { desired, exists: false, isDir: false };
  const content = r.content ?? '';
  const bytes = desired.encoding === 'base64' ? Buffer.from(content, 'base64') : Buffer.from(content, 'utf8');
  return {
    desired, exists: true, isDir: !!r.isDir,
    sha256: r.isDir ? undefined : sha256(bytes),
    text: desired.encoding === 'utf8' ? content : undefined,
    mode: r.mode, owner: r.owner, group: r.group, uid: r.uid, gid: r.gid,
  };
}

function sameOwner(want: string | undefined, name: string | undefined, id: number | undefined): boolean {
  if (want === undefined) return true;
  return want === name || (id !== undefined && want === String(id));
}

export function diffFileState(cur: CurrentFile, ctx: TaskContext | undefined): Change[] {
  const d = cur.desired;
  const changes: Change[] = [];
  const wantSha = sha256(d.encoding === 'base64' ? Buffer.from(d.content, 'base64') : Buffer.from(d.content, 'utf8'));
  if (cur.isDir) {
    changes.push({ target: d.dest, action: 'update', before: 'directory', after: 'file' });
    return changes;
  }
  if (!cur.exists || cur.sha256 !== wantSha) {
    const change: Change = { target: d.dest, action: cur.exists ? 'update' : 'create' };
    if (d.secret) change.secret = true;
    else if (d.encoding === 'utf8' && (ctx?.diff ?? true)) {
      change.unified = unifiedDiff(cur.text ?? '', d.content, cur.exists ? `${d.dest} (before)` : '/dev/null', `${d.dest} (after)`);
    } else {
      change.before = cur.sha256 ? `sha256:${cur.sha256}` : undefined;
      change.after = `sha256:${wantSha}`;
    }
    changes.push(change);
  }
  if (d.mode && cur.exists && cur.mode !== d.mode) changes.push({ target: `${d.dest} mode`, action: 'update', before: cur.mode, after: d.mode });
  if (d.owner && cur.exists && !sameOwner(d.owner, cur.owner, cur.uid)) changes.push({ target: `${d.dest} owner`, action: 'update', before: cur.owner, after: d.owner });
  if (d.group && cur.exists && !sameOwner(d.group, cur.group, cur.gid)) changes.push({ target: `${d.dest} group`, action: 'update', before: cur.group, after: d.group });
  return changes;
}

export async function putFile(agent: AgentClient, d: DesiredFile): Promise<{ backupPath?: string; changed: boolean }> {
  const r = await agent.call('file.put', {
    path: d.dest, content: d.content, encoding: d.encoding,
    ...(d.mode ? { mode: d.mode } : {}), ...(d.owner ? { owner: d.owner } : {}), ...(d.group ? { group: d.group } : {}),
    backup: d.backup,
  });
  return { backupPath: r.backupPath, changed: r.changed };
}
