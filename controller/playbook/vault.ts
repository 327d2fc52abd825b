// ansible-vault decryption (format 1.1 and 1.2, cipher AES256), whole files and inline `!vault |` values.
// Envelope: "$ANSIBLE_VAULT;1.1;AES256[;vault-id]" + hex lines. The hex decodes to three hex lines:
// salt, HMAC-SHA256(ciphertext), ciphertext. Keys: PBKDF2-SHA256(password, salt, 10000, 80 bytes) =
// 32 AES-256-CTR key + 32 HMAC key + 16 IV; plaintext is PKCS#7 padded. Every value that comes out of a
// vault is wrapped as a Secret by the YAML loader (see yaml.ts).
import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Secret } from '../secrets.js';

export const VAULT_HEADER = '$ANSIBLE_VAULT;';

export class VaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultError';
  }
}

export function isVaultText(text: string): boolean {
  return text.trimStart().startsWith(VAULT_HEADER);
}

/** Holds the vault password (as a Secret) and decrypts envelopes. */
export class Vault {
  readonly #password: Secret;
  constructor(password: Secret | string) {
    this.#password = typeof password === 'string' ? new Secret(password) : password;
  }

  /** Password file as Ansible reads it: the whole file, trailing whitespace/newline stripped. */
  static fromPasswordFile(path: string): Vault {
    let raw: string;
    try {
      raw = readFileSync(path, 'utf8');
    } catch (e) {
      throw new VaultError(`cannot read vault password file ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    const pw = raw.replace(/\s+$/, '');
    if (!pw) throw new VaultError(`vault password file ${path} is empty`);
    return new Vault(pw);
  }

  /** --vault-password-file wins; else env CROSSKEY_VAULT_PASSWORD_FILE; else no vault. */
  static fromOptions(passwordFile?: string, env: NodeJS.ProcessEnv = process.env): Vault | undefined {
    const file = passwordFile ?? env.CROSSKEY_VAULT_PASSWORD_FILE;
    return file ? Vault.fromPasswordFile(file) : undefined;
  }

  /** Decrypts one envelope to its plaintext (utf8). Throws VaultError with a reason on any mismatch. */
  decrypt(envelope: string): string {
    const lines = envelope.trim().split(/\r?\n/).map((l) => l.trim());
    const header = lines.shift() ?? '';
    const parts = header.split(';');
    if (parts[0] !== '$ANSIBLE_VAULT' || parts.length < 3) throw new VaultError('not an ansible-vault envelope (bad header)');
    const version = parts[1];
    if (version !== '1.1' && version !== '1.2') throw new VaultError(`unsupported vault format ${version} (1.1 and 1.2 are supported)`);
    if (parts[2] !== 'AES256') throw new VaultError(`unsupported vault cipher ${parts[2]} (only AES256)`);
    const hex = lines.join('');
    if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2) throw new VaultError('vault payload is not hex');
    const inner = Buffer.from(hex, 'hex').toString('ascii').split('\n');
    if (inner.length !== 3) throw new VaultError('vault payload is malformed');
    const [saltHex, hmacHex, cipherHex] = inner as [string, string, string];
    const salt = Buffer.from(saltHex, 'hex');
    const expectedMac = Buffer.from(hmacHex, 'hex');
    const ciphertext = Buffer.from(cipherHex, 'hex');
    const material = pbkdf2Sync(this.#password.reveal(), salt, 10000, 80, 'sha256');
    const aesKey = material.subarray(0, 32);
    const macKey = material.subarray(32, 64);
    const iv = material.subarray(64, 80);
    const mac = createHmac('sha256', macKey).update(ciphertext).digest();
    if (mac.length !== expectedMac.length || !timingSafeEqual(mac, expectedMac)) {
      throw new VaultError('vault password does not decrypt this value (HMAC mismatch)');
    }
    const decipher = createDecipheriv('aes-256-ctr', aesKey, iv);
    const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    const pad = padded[padded.length - 1] ?? 0;
    if (pad < 1 || pad > 16) throw new VaultError('vault plaintext has bad padding');
    return padded.subarray(0, padded.length - pad).toString('utf8');
  }
}
