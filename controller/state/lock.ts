// One run per state directory: an O_EXCL lock file holding the owner's pid. A lock whose pid is
// gone (crash, kill -9) is stale and taken over, so a crashed run never blocks `crosskey resume`.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class LockedError extends Error {
  constructor(
    public file: string,
    public pid: number,
  ) {
    super(`another crosskey run (pid ${pid}) holds ${file}; wait for it or remove the file if that process is gone`);
    this.name = 'LockedError';
  }
}

export interface RunLock {
  file: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireRunLock(stateDir: string, runId: string): RunLock {
  const file = join(stateDir, 'run.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, runId, since: new Date().toISOString() }) + '\n');
      closeSync(fd);
      let released = false;
      return {
        file,
        release() {
          if (released) return;
          released = true;
          try {
            unlinkSync(file);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let pid = 0;
      try {
        pid = Number((JSON.parse(readFileSync(file, 'utf8')) as { pid?: number }).pid) || 0;
      } catch {
        /* unreadable lock: treat as stale */
      }
      if (pid > 0 && pid !== process.pid && alive(pid)) throw new LockedError(file, pid);
      try {
        unlinkSync(file);
      } catch {
        /* raced with another remover */
      }
    }
  }
  throw new Error(`could not acquire ${file}`);
}
