// Files that hold a secret on the controller (password files, `secret_file`, vault password files): like OpenSSH
// with a private key, a file that group or others can read is refused — the secret has already leaked to every
// account on the machine — unless the operator says so (`crosskey_allow_loose_secret_files: true`, or the
// environment variable CROSSKEY_ALLOW_LOOSE_SECRET_FILES=true for the commands that take no variables).
import { readFileSync, statSync } from 'node:fs';

export class SecretFileError extends Error {
  override name = 'SecretFileError';
}

/** Whether loose permissions are allowed: the variable (when the caller has one) or the environment. */
export function allowLooseSecretFiles(variable?: unknown, env: NodeJS.ProcessEnv = process.env): boolean {
  if (variable === true || variable === 'true') return true;
  return /^(1|true|yes)$/i.test(env.CROSSKEY_ALLOW_LOOSE_SECRET_FILES ?? '');
}

/** Throws unless `path` is readable by its owner only (mode & 0o077 == 0), or loose files are allowed. */
export function checkSecretFileMode(path: string, what: string, allowLoose: boolean): void {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (e) {
    throw new SecretFileError(
      `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  if ((mode & 0o077) !== 0 && !allowLoose) {
    const octal = (mode & 0o777).toString(8).padStart(4, '0');
    throw new SecretFileError(
      `${what} ${path} is readable by others (mode ${octal}): run 'chmod 600 ${path}', ` +
        `or set crosskey_allow_loose_secret_files: true (CROSSKEY_ALLOW_LOOSE_SECRET_FILES=true) to accept it`,
    );
  }
}

/** Reads a secret file after the permission check; the caller wraps the value in a Secret. */
export function readSecretFile(path: string, what: string, allowLoose: boolean): string {
  checkSecretFileMode(path, what, allowLoose);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new SecretFileError(
      `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}
