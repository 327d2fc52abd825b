// The controller's own Node runtime, as shipped to hosts without a usable node (agent_runtime push, or auto's
// fallback): gzip-compressed once on the controller and cached in a private folder under os.tmpdir(), keyed by the
// binary's sha256. The sha256 itself is indexed by the binary's (dev, inode, size, mtime), so later runs only stat it.
import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export interface RuntimeId {
  /** The node binary being shipped (process.execPath). */
  binary: string;
  sha256: string;
  size: number;
}

export interface RuntimeArchive extends RuntimeId {
  gzFile: string;
  gzBytes: number;
}

export function defaultRuntimeCacheDir(): string {
  return join(tmpdir(), `crosskey-runtime-${userInfo().uid}`);
}

function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if (st.uid !== userInfo().uid || (st.mode & 0o022) !== 0)
    throw new Error(`runtime cache ${dir} is not a private folder of this user; remove it or pick another`);
}

const ids = new Map<string, RuntimeId>();
const hashing = new Map<string, Promise<RuntimeId>>();
const archives = new Map<string, Promise<RuntimeArchive>>();

function indexOf(cacheDir: string, binary: string): { key: string; index: string; size: number } {
  const st = statSync(binary);
  const key = `${cacheDir}\0${st.dev}-${st.ino}-${st.size}-${Math.trunc(st.mtimeMs)}`;
  return {
    key,
    index: join(cacheDir, `sha256-${st.dev}-${st.ino}-${st.size}-${Math.trunc(st.mtimeMs)}`),
    size: st.size,
  };
}

/** The node binary's sha256 when already known (this process, or the cache folder's index): a stat and a small
 * read, never a hash. Undefined when it was never computed here (or the cache folder is unusable). */
export function knownRuntimeId(cacheDir = defaultRuntimeCacheDir(), binary = process.execPath): RuntimeId | undefined {
  try {
    const { key, index, size } = indexOf(cacheDir, binary);
    const memo = ids.get(key);
    if (memo) return memo;
    const s = readFileSync(index, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(s)) return undefined;
    const id = { binary, sha256: s, size };
    ids.set(key, id);
    return id;
  } catch {
    return undefined;
  }
}

/** sha256 of the node binary: read and hashed (streamed, once per binary version) when not indexed yet. */
export function runtimeId(cacheDir = defaultRuntimeCacheDir(), binary = process.execPath): Promise<RuntimeId> {
  const known = knownRuntimeId(cacheDir, binary);
  if (known) return Promise.resolve(known);
  const { key, index, size } = indexOf(cacheDir, binary);
  let p = hashing.get(key);
  if (!p) {
    p = (async () => {
      ensurePrivateDir(cacheDir);
      const h = createHash('sha256');
      await pipeline(createReadStream(binary), h);
      const sha256 = h.digest('hex');
      const tmp = `${index}.${process.pid}`;
      writeFileSync(tmp, sha256 + '\n');
      renameSync(tmp, index);
      const id = { binary, sha256, size };
      ids.set(key, id);
      return id;
    })();
    hashing.set(key, p);
    p.finally(() => hashing.delete(key)).catch(() => {});
  }
  return p;
}

/** The gzip of the node binary, made once (per process: one promise shared by every host) and kept in the cache. */
export function runtimeArchive(
  cacheDir = defaultRuntimeCacheDir(),
  binary = process.execPath,
): Promise<RuntimeArchive> {
  return runtimeId(cacheDir, binary).then((id) => archiveOf(id, cacheDir, binary));
}

function archiveOf(id: RuntimeId, cacheDir: string, binary: string): Promise<RuntimeArchive> {
  const gzFile = join(cacheDir, `node-${id.sha256}.gz`);
  let p = archives.get(gzFile);
  if (!p) {
    p = (async () => {
      try {
        return { ...id, gzFile, gzBytes: statSync(gzFile).size };
      } catch {
        /* not compressed yet */
      }
      const tmp = `${gzFile}.${process.pid}.tmp`;
      await pipeline(createReadStream(binary), createGzip({ level: 6 }), createWriteStream(tmp, { mode: 0o600 }));
      renameSync(tmp, gzFile);
      return { ...id, gzFile, gzBytes: statSync(gzFile).size };
    })();
    archives.set(gzFile, p);
    p.catch(() => archives.delete(gzFile));
  }
  return p;
}

/** Drops a cached archive found damaged (the next runtimeArchive() makes it again). */
export function forgetRuntimeArchive(a: RuntimeArchive): void {
  archives.delete(a.gzFile);
  rmSync(a.gzFile, { force: true });
}
