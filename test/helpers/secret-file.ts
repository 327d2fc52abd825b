// Secret files (vault password files, password files) are refused when group or others can read them, and git
// checks fixtures out 0644 (a chmod in the repository does not survive a checkout). Tests use a private copy:
// mode 0600 in a fresh 0700 temporary folder, removed by `remove()` (give it to t.teardown or test.after.always).
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export const VAULT_FIXTURES = new URL('../fixtures/vault/', import.meta.url).pathname;

export interface PrivateFile {
  path: string;
  remove(): void;
}

function privateDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ck-secret-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A 0600 copy of `src` (same file name) in its own temporary folder. */
export function privateCopy(src: string): PrivateFile {
  const { dir, remove } = privateDir();
  const path = join(dir, basename(src));
  copyFileSync(src, path);
  chmodSync(path, 0o600);
  return { path, remove };
}

/** A new 0600 file holding `content` in its own temporary folder. */
export function privateFile(name: string, content: string): PrivateFile {
  const { dir, remove } = privateDir();
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600); // writeFileSync's mode is filtered by the umask
  return { path, remove };
}

/** A 0600 copy of test/fixtures/vault/vault-pass.txt (the password of every vault fixture). */
export function vaultPasswordFile(): PrivateFile {
  return privateCopy(join(VAULT_FIXTURES, 'vault-pass.txt'));
}
