// File helpers shared by the file and block ops: stat with owner names, atomic writes, backups.
import { promises as fsp, readFileSync, constants as fsc } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import type { StatResult } from '../protocol.js';
import { invalid } from './errors.js';

/** uid/gid ↔ name from /etc/passwd and /etc/group (Node has no getpwuid); re-read per call, files are small. */
function idTable(file: string): Array<{ name: string; id: number }> {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const f = l.split(':');
        return { name: f[0], id: Number(f[2]) };
      });
  } catch {
    return [];
  }
}
export const userName = (uid: number) => idTable('/etc/passwd').find((e) => e.id === uid)?.name;
export const groupName = (gid: number) => idTable('/etc/group').find((e) => e.id === gid)?.name;

export function resolveUid(owner: string): number {
  if (/^\d+$/.test(owner)) return Number(owner);
  const e = idTable('/etc/passwd').find((x) => x.name === owner);
  if (!e) throw invalid(`unknown user "${owner}"`);
  return e.id;
}
export function resolveGid(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  const e = idTable('/etc/group').find((x) => x.name === group);
  if (!e) throw invalid(`unknown group "${group}"`);
  return e.id;
}

export function parseMode(mode: string): number {
  if (!/^0?[0-7]{3,4}$/.test(mode))
    throw invalid(`mode must be an octal string like "0640", got ${JSON.stringify(mode)}`);
  return parseInt(mode, 8);
}
export const formatMode = (m: number) => '0' + (m & 0o7777).toString(8).padStart(3, '0');

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export async function statPath(path: string, checksum = false): Promise<StatResult> {
  let st;
  try {
    st = await fsp.stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      return { exists: false };
    throw err;
  }
  const r: StatResult = {
    exists: true,
    isDir: st.isDirectory(),
    size: st.size,
    mode: formatMode(st.mode),
    uid: st.uid,
    gid: st.gid,
    owner: userName(st.uid),
    group: groupName(st.gid),
    mtimeMs: st.mtimeMs,
  };
  if (checksum && st.isFile()) r.sha256 = sha256(await fsp.readFile(path));
  return r;
}

/** Previous content for diffs: only UTF-8 text up to 256 KiB. */
export function textForDiff(b: Buffer): string | undefined {
  if (b.length > 256 * 1024 || b.includes(0)) return undefined;
  const s = b.toString('utf8');
  return Buffer.from(s, 'utf8').equals(b) ? s : undefined;
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('.', '');
}

/** Backups kept per file when the controller does not say (playbook variable `crosskey_keep_backups`). */
export const DEFAULT_KEEP_BACKUPS = 3;

export interface BackupOptions {
  /** How many backups of the file to keep, the new one included (≥ 1; default DEFAULT_KEEP_BACKUPS). */
  keep?: number;
  /** Backups that are never pruned (e.g. still needed to roll back a pending restart). */
  protect?: readonly string[];
}

/** The optional `keepBackups` / `protectBackups` arguments of an op that makes backups, checked. */
export function backupOptionsArg(args: { keepBackups?: unknown; protectBackups?: unknown }, op: string): BackupOptions {
  const keep = args.keepBackups;
  if (keep !== undefined && (typeof keep !== 'number' || !Number.isInteger(keep) || keep < 1)) {
    throw invalid(`${op}: argument "keepBackups" must be a whole number of at least 1, got ${JSON.stringify(keep)}`);
  }
  const protect = args.protectBackups;
  if (protect !== undefined && (!Array.isArray(protect) || !protect.every((p) => typeof p === 'string'))) {
    throw invalid(`${op}: argument "protectBackups" must be a list of paths`);
  }
  return { ...(keep !== undefined ? { keep } : {}), ...(protect !== undefined ? { protect } : {}) };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Backups of `path` made by backupFile: `<basename>.<stamp>[-i].crosskey~` in the same folder, newest first
 *  (by the stamp in the name, then the -i counter; not by mtime, which a copy or restore can change). */
export async function listBackups(path: string): Promise<string[]> {
  const dir = dirname(path);
  const re = new RegExp(`^${escapeRe(basename(path))}\\.(\\d{8}T\\d{9}Z)(?:-(\\d+))?\\.crosskey~$`);
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const found = entries.flatMap((e) => {
    const m = re.exec(e.name);
    return m && e.isFile() ? [{ file: join(dir, e.name), stamp: m[1]!, i: Number(m[2] ?? 0) }] : [];
  });
  found.sort((a, b) => (a.stamp === b.stamp ? b.i - a.i : a.stamp < b.stamp ? 1 : -1));
  return found.map((f) => f.file);
}

/**
 * Keeps the newest `keep` backups of `path` (the one just made and the protected ones count, and are never
 * removed); removes the older ones, oldest first. Best effort: a backup that cannot be removed stays.
 * Returns the removed paths.
 */
export async function pruneBackups(
  path: string,
  keep: number,
  justMade: string,
  protect: readonly string[] = [],
): Promise<string[]> {
  const keepSet = new Set([justMade, ...protect].map((p) => resolve(p)));
  const all = await listBackups(path);
  const others = all.filter((f) => !keepSet.has(resolve(f)));
  const keptAnyway = all.length - others.length + (all.some((f) => resolve(f) === resolve(justMade)) ? 0 : 1);
  const slots = Math.max(0, keep - keptAnyway);
  const removed: string[] = [];
  for (const f of others.slice(slots).reverse()) {
    try {
      await fsp.unlink(f);
      removed.push(f);
    } catch {
      // Gone already (another run pruned it) or not ours to remove: leave it.
    }
  }
  return removed;
}

/** Copies `path` to `<path>.<timestamp>.crosskey~` keeping mode and owner, then prunes the older backups of the
 *  file to the newest `opts.keep` (default DEFAULT_KEEP_BACKUPS); returns the backup path. */
export async function backupFile(path: string, opts: BackupOptions = {}): Promise<string> {
  const keep = opts.keep ?? DEFAULT_KEEP_BACKUPS;
  if (!Number.isInteger(keep) || keep < 1)
    throw invalid(`backup: keep must be a whole number of at least 1, got ${keep}`);
  const st = await fsp.stat(path);
  let target = `${path}.${stamp()}.crosskey~`;
  for (let i = 1; ; i++) {
    try {
      await fsp.copyFile(path, target, fsc.COPYFILE_EXCL);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || i > 50) throw err;
      target = `${path}.${stamp()}-${i}.crosskey~`;
    }
  }
  await fsp.chmod(target, st.mode & 0o7777);
  await fsp.chown(target, st.uid, st.gid).catch(() => {
    /* not root: keep ours */
  });
  await pruneBackups(path, keep, target, opts.protect);
  return target;
}

/** Writes via a temp file in the same folder + fsync + rename, so readers never see a half-written file. */
export async function atomicWrite(
  path: string,
  content: Buffer,
  mode: number,
  uid?: number,
  gid?: number,
): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.crosskey-tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const fh = await fsp.open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(content);
    await fh.chmod(mode);
    if (uid !== undefined || gid !== undefined) await fh.chown(uid ?? -1, gid ?? -1);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

export async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await fsp.readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
