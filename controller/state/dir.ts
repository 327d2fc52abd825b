// The state directory: `.crosskey/` next to the inventory unless --state-dir, mode 0700
// (it holds journals and saved state that, while redacted, still describe the fleet).
import { mkdirSync, chmodSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export function defaultStateDir(inventoryPath: string): string {
  const abs = resolve(inventoryPath);
  let base: string;
  try {
    base = statSync(abs).isDirectory() ? abs : dirname(abs);
  } catch {
    base = dirname(abs);
  }
  return join(base, '.crosskey');
}

/** Creates the state dir (and runs/) with mode 0700; tightens the mode when it already exists. */
export class StateDirError extends Error {
  override name = 'StateDirError';
}

export function ensureStateDir(dir: string): string {
  const abs = resolve(dir);
  for (let p = abs; ; p = dirname(p)) {
    // The nearest existing ancestor must be a directory: --state-dir /etc/passwd is a mistake, not a mkdir to try.
    let st;
    try {
      st = statSync(p);
    } catch {
      if (dirname(p) === p) break;
      continue;
    }
    if (!st.isDirectory()) throw new StateDirError(`state directory ${abs}: ${p} exists and is not a directory`);
    break;
  }
  mkdirSync(join(abs, 'runs'), { recursive: true, mode: 0o700 });
  chmodSync(abs, 0o700);
  chmodSync(join(abs, 'runs'), 0o700);
  return abs;
}
