// ansible-vault decryption (format 1.1 and 1.2, cipher AES256), whole files and inline `!vault |` values.
// Envelope: "$ANSIBLE_VAULT;1.1;AES256[;vault-id]" + hex lines. The hex decodes to three hex lines:
// salt, HMAC-SHA256(ciphertext), ciphertext. Keys: PBKDF2-SHA256(password, salt, 10000, 80 bytes) =
// 32 AES-256-CTR key + 32 HMAC key + 16 IV; plaintext is PKCS#7 padded. Every value that comes out of a
// vault is wrapped as a Secret by the YAML loader (see yaml.ts).
// Errors say which of three things went wrong: the envelope is corrupted (not hex, not three parts, a part of the
// wrong length: it could not have come out of ansible-vault, whatever the password), the format is unsupported, or
// the HMAC does not match a well-formed payload (a wrong password, or bytes changed inside it: HMAC cannot tell).
import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { allowLooseSecretFiles, checkSecretFileMode } from '../secret-files.js';
import { Secret } from '../secrets.js';

export const VAULT_HEADER = '$ANSIBLE_VAULT;';

export type VaultErrorKind = 'corrupted' | 'unsupported' | 'password' | 'password-file';

export class VaultError extends Error {
  /** For 'corrupted': what is wrong with the envelope, without the "is corrupted" preamble. */
  readonly reason: string;
  /** Set when the problem sits on one line of the envelope: its index (0 = the header) after trimming. */
  envelopeLine?: number;
  constructor(
    message: string,
    readonly kind: VaultErrorKind,
    reason?: string,
  ) {
    super(message);
    this.name = 'VaultError';
    this.reason = reason ?? message;
  }
}

function corrupted(reason: string, envelopeLine?: number): VaultError {
  const e = new VaultError(`vault data is corrupted: ${reason}`, 'corrupted', reason);
  if (envelopeLine !== undefined) e.envelopeLine = envelopeLine;
  return e;
}
const HEX = /^[0-9a-fA-F]*$/;

/** One of the three hex lines inside the payload, decoded; its length checked when `bytes` is given. */
function innerHex(text: string, what: string, bytes?: number): Buffer {
  if (text === '') throw corrupted(`the ${what} is empty (truncated?)`);
  if (!HEX.test(text)) throw corrupted(`the ${what} is not hex`);
  if (text.length % 2) throw corrupted(`the ${what} has an odd number of hex digits (truncated?)`);
  if (bytes !== undefined && text.length !== bytes * 2)
    throw corrupted(`the ${what} is ${text.length / 2} bytes, not ${bytes}`);
  return Buffer.from(text, 'hex');
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

  /**
   * Password file as Ansible reads it: the whole file, trailing whitespace/newline stripped. Like any secret file
   * it must be readable by its owner only (SecretFileError otherwise), unless CROSSKEY_ALLOW_LOOSE_SECRET_FILES=true.
   */
  static fromPasswordFile(path: string, env: NodeJS.ProcessEnv = process.env): Vault {
    checkSecretFileMode(path, 'vault password file', allowLooseSecretFiles(undefined, env));
    let raw: string;
    try {
      raw = readFileSync(path, 'utf8');
    } catch (e) {
      throw new VaultError(
        `cannot read vault password file ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`,
        'password-file',
      );
    }
    const pw = raw.replace(/\s+$/, '');
    if (!pw) throw new VaultError(`vault password file ${path} is empty`, 'password-file');
    return new Vault(pw);
  }

  /** --vault-password-file wins; else env CROSSKEY_VAULT_PASSWORD_FILE; else no vault. */
  static fromOptions(passwordFile?: string, env: NodeJS.ProcessEnv = process.env): Vault | undefined {
    const file = passwordFile ?? env.CROSSKEY_VAULT_PASSWORD_FILE;
    return file ? Vault.fromPasswordFile(file, env) : undefined;
  }

  /** Decrypts one envelope to its plaintext (utf8). Throws VaultError with a reason on any mismatch. */
  decrypt(envelope: string): string {
    const lines = envelope
      .trim()
      .split(/\r?\n/)
      .map((l) => l.trim());
    const header = lines.shift() ?? '';
    const parts = header.split(';');
    if (parts[0] !== '$ANSIBLE_VAULT' || parts.length < 3)
      throw corrupted('the header line is not "$ANSIBLE_VAULT;<version>;<cipher>"');
    const version = parts[1];
    if (version !== '1.1' && version !== '1.2')
      throw new VaultError(`unsupported vault format ${version} (1.1 and 1.2 are supported)`, 'unsupported');
    if (parts[2] !== 'AES256')
      throw new VaultError(`unsupported vault cipher ${parts[2]} (only AES256)`, 'unsupported');
    lines.forEach((l, i) => {
      const bad = /[^0-9a-fA-F]/.exec(l);
      if (bad)
        throw corrupted(
          `the payload is not hex (${JSON.stringify(bad[0])} in column ${bad.index + 1} of payload line ${i + 1})`,
          i + 1,
        );
    });
    const hex = lines.join('');
    if (hex === '') throw corrupted('the payload is empty (truncated?)');
    if (hex.length % 2) throw corrupted('the payload has an odd number of hex digits (truncated?)');
    const inner = Buffer.from(hex, 'hex').toString('latin1').split('\n');
    if (inner.length !== 3) {
      throw corrupted(
        `the payload holds ${inner.length} line(s), not 3 (salt, HMAC, ciphertext)${inner.length < 3 ? ' (truncated?)' : ''}`,
      );
    }
    const [saltHex, hmacHex, cipherHex] = inner as [string, string, string];
    const salt = innerHex(saltHex, 'salt');
    const expectedMac = innerHex(hmacHex, 'HMAC', 32);
    const ciphertext = innerHex(cipherHex, 'ciphertext');
    // PKCS#7 padding makes the ciphertext a whole number of 16-byte blocks (AES-CTR itself would not).
    if (ciphertext.length % 16)
      throw corrupted(`the ciphertext is ${ciphertext.length} bytes, not a multiple of 16 (truncated?)`);
    const material = pbkdf2Sync(this.#password.reveal(), salt, 10000, 80, 'sha256');
    const aesKey = material.subarray(0, 32);
    const macKey = material.subarray(32, 64);
    const iv = material.subarray(64, 80);
    const mac = createHmac('sha256', macKey).update(ciphertext).digest();
    if (mac.length !== expectedMac.length || !timingSafeEqual(mac, expectedMac)) {
      throw new VaultError('wrong vault password (or the file was modified)', 'password');
    }
    const decipher = createDecipheriv('aes-256-ctr', aesKey, iv);
    const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    const pad = padded[padded.length - 1] ?? 0;
    if (pad < 1 || pad > 16 || !padded.subarray(padded.length - pad).every((b) => b === pad))
      throw corrupted('the plaintext has bad padding');
    return padded.subarray(0, padded.length - pad).toString('utf8');
  }
}
