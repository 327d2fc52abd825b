// file.stat / file.read / file.put / file.restore / file.remove.
// Changes are computed first (read → diff) and applied only when there is a diff and not in check mode.
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import type { OpArgs, OpResult, StatResult } from '../protocol.js';
import { AgentOpError, invalid, requireAbsolute, requireString } from './errors.js';
import {
  atomicWrite,
  backupFile,
  backupOptionsArg,
  parseMode,
  readIfExists,
  resolveGid,
  resolveUid,
  sha256,
  statPath,
  textForDiff,
} from './fsutil.js';

export async function fileStat(args: OpArgs<'file.stat'>): Promise<OpResult<'file.stat'>> {
  const path = requireAbsolute(requireString(args, 'path', 'file.stat'), 'file.stat');
  return statPath(path, args.checksum === true);
}

export async function fileRead(args: OpArgs<'file.read'>): Promise<OpResult<'file.read'>> {
  const path = requireAbsolute(requireString(args, 'path', 'file.read'), 'file.read');
  const st: StatResult = await statPath(path);
  if (!st.exists) return st;
  if (st.isDir) throw new AgentOpError('EISDIR', `file.read: ${path} is a directory`);
  const buf = await fsp.readFile(path);
  return { ...st, sha256: sha256(buf), content: buf.toString(args.encoding === 'base64' ? 'base64' : 'utf8') };
}

export interface PutRequest {
  path: string;
  content: Buffer;
  mode?: string;
  owner?: string;
  group?: string;
  backup?: boolean;
  /** Backups kept per file (the new one included) and backups never pruned; see fsutil backupFile. */
  keepBackups?: number;
  protectBackups?: readonly string[];
  /** Mode of the file when this call creates it and `mode` is not given (default 0644); an existing file keeps its own. */
  createMode?: string;
  check?: boolean;
}
export interface PutOutcome {
  changed: boolean;
  created: boolean;
  before?: Buffer;
  backupPath?: string;
}

/** The one place that writes files: content and/or metadata, with an optional backup of the old version. */
export async function putFile(op: string, req: PutRequest): Promise<PutOutcome> {
  // Through a symlink (e.g. /etc/elasticsearch/elasticsearch.yml → shared config) the real file is changed,
  // never replaced by a regular file.
  const path = await fsp.realpath(requireAbsolute(req.path, op)).catch(() => req.path);
  const wantMode = req.mode !== undefined ? parseMode(req.mode) : undefined;
  const createMode = req.createMode !== undefined ? parseMode(req.createMode) : 0o644;
  const backupOpts = backupOptionsArg(req, op);
  const wantUid = req.owner !== undefined ? resolveUid(req.owner) : undefined;
  const wantGid = req.group !== undefined ? resolveGid(req.group) : undefined;
  const parent = await statPath(dirname(path));
  if (!parent.exists || !parent.isDir)
    throw new AgentOpError('ENOENT', `${op}: folder ${dirname(path)} does not exist`);
  const before = await readIfExists(path);
  const st = before ? await fsp.stat(path) : undefined;
  if (st?.isDirectory()) throw new AgentOpError('EISDIR', `${op}: ${path} is a directory`);
  const contentChanged = !before?.equals(req.content);
  const metaChanged =
    !!st &&
    ((wantMode !== undefined && (st.mode & 0o7777) !== wantMode) ||
      (wantUid !== undefined && st.uid !== wantUid) ||
      (wantGid !== undefined && st.gid !== wantGid));
  const changed = contentChanged || metaChanged;
  const outcome: PutOutcome = { changed, created: !before, before };
  if (!changed || req.check) return outcome;
  if (contentChanged) {
    if (before && req.backup) outcome.backupPath = await backupFile(path, backupOpts);
    // A new version keeps the old file's mode and owner unless asked otherwise.
    await atomicWrite(
      path,
      req.content,
      wantMode ?? (st ? st.mode & 0o7777 : createMode),
      wantUid ?? st?.uid,
      wantGid ?? st?.gid,
    );
  } else {
    if (wantMode !== undefined) await fsp.chmod(path, wantMode);
    if (wantUid !== undefined || wantGid !== undefined) await fsp.chown(path, wantUid ?? -1, wantGid ?? -1);
  }
  return outcome;
}

export async function filePut(args: OpArgs<'file.put'>): Promise<OpResult<'file.put'>> {
  const path = requireString(args, 'path', 'file.put');
  if (typeof args.content !== 'string') throw invalid('file.put: argument "content" must be a string');
  const content = Buffer.from(args.content, args.encoding === 'base64' ? 'base64' : 'utf8');
  const o = await putFile('file.put', {
    path,
    content,
    mode: args.mode,
    owner: args.owner,
    group: args.group,
    createMode: args.createMode,
    backup: args.backup,
    keepBackups: args.keepBackups,
    protectBackups: args.protectBackups,
    check: args.check,
  });
  const result: OpResult<'file.put'> = { changed: o.changed, created: o.created, afterSha256: sha256(content) };
  if (o.before) {
    result.beforeSha256 = sha256(o.before);
    const text = textForDiff(o.before);
    if (text !== undefined) result.before = text;
  }
  if (o.backupPath) result.backupPath = o.backupPath;
  return result;
}

export async function fileRestore(args: OpArgs<'file.restore'>): Promise<OpResult<'file.restore'>> {
  const path = requireAbsolute(requireString(args, 'path', 'file.restore'), 'file.restore');
  const backupPath = requireAbsolute(requireString(args, 'backupPath', 'file.restore'), 'file.restore');
  const saved = await readIfExists(backupPath);
  if (!saved) throw new AgentOpError('ENOENT', `file.restore: backup ${backupPath} does not exist`);
  const st = await fsp.stat(backupPath);
  const mode = '0' + (st.mode & 0o7777).toString(8);
  const o = await putFile('file.restore', { path, content: saved, mode, owner: String(st.uid), group: String(st.gid) });
  return { changed: o.changed };
}

export async function fileBackup(args: OpArgs<'file.backup'>): Promise<OpResult<'file.backup'>> {
  const path = requireAbsolute(requireString(args, 'path', 'file.backup'), 'file.backup');
  const backupOpts = backupOptionsArg(args, 'file.backup');
  const st = await statPath(path);
  if (!st.exists) return { exists: false };
  if (st.isDir) throw new AgentOpError('EISDIR', `file.backup: ${path} is a directory`);
  return { exists: true, backupPath: await backupFile(path, backupOpts) };
}

export async function fileRemove(args: OpArgs<'file.remove'>): Promise<OpResult<'file.remove'>> {
  const path = requireAbsolute(requireString(args, 'path', 'file.remove'), 'file.remove');
  const backupOpts = backupOptionsArg(args, 'file.remove');
  const st = await statPath(path);
  if (!st.exists) return { changed: false };
  if (st.isDir) throw new AgentOpError('EISDIR', `file.remove: ${path} is a directory (not removed)`);
  if (args.check) return { changed: true };
  if (args.backup) {
    const backupPath = await backupFile(path, backupOpts);
    await fsp.unlink(path);
    return { changed: true, backupPath };
  }
  await fsp.unlink(path);
  return { changed: true };
}
