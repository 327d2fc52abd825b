// The Elasticsearch keystore on-disk format (KeyStoreWrapper, formats v3–v6), shared by the agent (to list entry
// names without a JVM) and the lab (its bin/elasticsearch-keystore and node start-up).
// Layout (docs/procedure.md §7.2): Lucene CodecUtil header (big-endian) · hasPassword byte · data length · data block
// {salt, iv, AES-128-GCM ciphertext+tag} (ints big-endian for v3/v4, little-endian for v5+) · CodecUtil footer with
// CRC32 of every preceding byte. Key = PBKDF2-HMAC-SHA512(password, salt, 10 000 | 210 000 (v6), 128 bit),
// GCM AAD = salt. Plaintext (Java DataOutputStream, big-endian): int32 count, then {uint16 name, (v3: uint16 type),
// int32 value} per entry. Only Node built-ins are used: the agent is a single self-contained file.
import { createCipheriv, createDecipheriv, pbkdf2, pbkdf2Sync, randomBytes, randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const CODEC_MAGIC = 0x3fd76c17;
export const FOOTER_MAGIC = 0xc02893e8; // ~CODEC_MAGIC as unsigned
export const CODEC_NAME = 'elasticsearch.keystore';
export const MIN_FORMAT_VERSION = 3;
export const LE_VERSION = 5;
export const HIGHER_KDF_ITERATION_COUNT_VERSION = 6;
export const CURRENT_VERSION = 6;
export const SALT_LENGTH = 64;
export const IV_LENGTH = 12;
export const GCM_TAG_LENGTH = 16;
export const KEY_LENGTH_BYTES = 16; // AES-128
export const SEED_SETTING = 'keystore.seed';
/** ES's allowed setting-name pattern (KeyStoreWrapper.ALLOWED_SETTING_NAME). */
export const SETTING_NAME_PATTERN = /^[A-Za-z0-9_\-.]+$/;
const SEED_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~!@#$%^&*-_=+?';

export function kdfIterations(version: number): number {
  return version >= HIGHER_KDF_ITERATION_COUNT_VERSION ? 210_000 : 10_000;
}

/** Keystore format a given Elasticsearch version writes: v6 from 8.14, v5 for 8.0–8.13 (docs/procedure.md §7.1). */
export function keystoreVersionFor(esVersion: string): number {
  const [maj, min] = esVersion.split('.').map((x) => Number(x));
  if (maj! > 8 || (maj === 8 && min! >= 14)) return 6;
  if (maj === 8) return 5;
  return 4;
}

export type KeystoreErrorCode = 'wrong-password' | 'corrupt' | 'too-new' | 'too-old' | 'bad-password-flag';

/** Errors carry Elasticsearch's own messages so that logs and CLI output match what operators know. */
export class KeystoreError extends Error {
  constructor(
    readonly code: KeystoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KeystoreError';
  }
}

const corrupt = () => new KeystoreError('corrupt', 'Keystore has been corrupted or tampered with');

export interface KeystoreHeader {
  version: number;
  hasPassword: boolean;
}

export interface Keystore extends KeystoreHeader {
  /** Entry name → raw value bytes (strings are UTF-8). */
  entries: Map<string, Buffer>;
}

export interface ReadOptions {
  /** Path shown in ES's "format is too new/old" messages. */
  path?: string;
  /** Highest format the reading node understands (e.g. 5 for an 8.13 lab node); default CURRENT_VERSION. */
  maxVersion?: number;
}

/** A small bounds-checked cursor: any read past the end is a corrupt keystore, never a RangeError. */
class Cursor {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    readonly littleEndian = false,
  ) {}
  need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw corrupt();
  }
  int32(): number {
    this.need(4);
    const v = this.littleEndian ? this.buf.readInt32LE(this.pos) : this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int32BE(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  uint16BE(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  vint(): number {
    let shift = 0;
    let v = 0;
    for (;;) {
      const b = this.byte();
      v |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
      shift += 7;
      if (shift > 28) throw corrupt();
    }
  }
}

interface Parsed extends KeystoreHeader {
  salt: Buffer;
  iv: Buffer;
  enc: Buffer;
}

function parseHeader(c: Cursor, opts: ReadOptions): KeystoreHeader {
  if (c.buf.length < 4 || c.int32BE() >>> 0 !== CODEC_MAGIC) throw corrupt();
  const nameLen = c.vint();
  if (c.bytes(nameLen).toString('utf8') !== CODEC_NAME) throw corrupt();
  const version = c.int32BE();
  const where = opts.path ?? 'elasticsearch.keystore';
  if (version < MIN_FORMAT_VERSION) {
    throw new KeystoreError(
      'too-old',
      `The Elasticsearch keystore [${where}] format is too old. You should delete and recreate it in order to upgrade.`,
    );
  }
  if (version > (opts.maxVersion ?? CURRENT_VERSION)) {
    throw new KeystoreError(
      'too-new',
      `The Elasticsearch keystore [${where}] format is too new. Are you trying to downgrade? You should delete and recreate it in order to downgrade.`,
    );
  }
  const flag = c.byte();
  if (flag !== 0 && flag !== 1) throw new KeystoreError('bad-password-flag', 'hasPassword boolean is corrupt');
  return { version, hasPassword: flag === 1 };
}

function parse(buf: Buffer, opts: ReadOptions): Parsed {
  // Checksum first, like CodecUtil.checksumEntireFile: a truncated or flipped file is "corrupted", whatever byte.
  if (buf.length < 16 + 8) throw corrupt();
  const footerAt = buf.length - 16;
  if (buf.readUInt32BE(footerAt) !== FOOTER_MAGIC || buf.readInt32BE(footerAt + 4) !== 0) throw corrupt();
  const stored = buf.readBigUInt64BE(footerAt + 8);
  if (BigInt(crc32(buf.subarray(0, footerAt + 8))) !== stored) throw corrupt();

  const c = new Cursor(buf.subarray(0, footerAt));
  const header = parseHeader(c, opts);
  const le = header.version >= LE_VERSION;
  const d = new Cursor(buf.subarray(0, footerAt), le);
  d.pos = c.pos;
  const dataLen = d.int32();
  if (d.pos + dataLen !== footerAt) throw corrupt();
  const salt = d.bytes(d.int32());
  const iv = d.bytes(d.int32());
  const enc = d.bytes(d.int32());
  if (d.pos !== footerAt || enc.length < GCM_TAG_LENGTH) throw corrupt();
  return { ...header, salt, iv, enc };
}

/** Reads version and password flag without decrypting (what `has-passwd` and the agent need). */
export function readKeystoreHeader(buf: Buffer, opts: ReadOptions = {}): KeystoreHeader {
  const { version, hasPassword } = parse(buf, opts);
  return { version, hasPassword };
}

function deriveKey(password: string, salt: Buffer, version: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, kdfIterations(version), KEY_LENGTH_BYTES, 'sha512');
}

/** Decrypts a keystore. An unprotected keystore uses the empty password, as ES does. */
export function readKeystore(buf: Buffer, password = '', opts: ReadOptions = {}): Keystore {
  const p = parse(buf, opts);
  const key = deriveKey(password, p.salt, p.version);
  let plain: Buffer;
  try {
    const dec = createDecipheriv('aes-128-gcm', key, p.iv, { authTagLength: GCM_TAG_LENGTH });
    dec.setAAD(p.salt);
    dec.setAuthTag(p.enc.subarray(p.enc.length - GCM_TAG_LENGTH));
    plain = Buffer.concat([dec.update(p.enc.subarray(0, p.enc.length - GCM_TAG_LENGTH)), dec.final()]);
  } catch {
    // AEADBadTagException in Java: a wrong password and a tampered ciphertext are indistinguishable.
    throw new KeystoreError('wrong-password', 'Provided keystore password was incorrect');
  }
  const c = new Cursor(plain);
  const count = c.int32();
  if (count < 0) throw corrupt();
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const name = c.bytes(c.uint16BE()).toString('utf8');
    if (p.version === 3) c.bytes(c.uint16BE()); // entry type STRING|FILE, no longer distinguished
    entries.set(name, Buffer.from(c.bytes(c.int32())));
  }
  if (c.pos !== plain.length) throw corrupt();
  return { version: p.version, hasPassword: p.hasPassword, entries };
}

export interface WriteKeystoreInput {
  version?: number;
  entries: Map<string, Buffer | string>;
  /** Empty or absent = unprotected keystore. */
  password?: string;
}

interface Prepared {
  version: number;
  password: string;
  plain: Buffer;
  salt: Buffer;
  iv: Buffer;
}

function prepare(input: WriteKeystoreInput): Prepared {
  const version = input.version ?? CURRENT_VERSION;
  if (version < MIN_FORMAT_VERSION || version > CURRENT_VERSION)
    throw new Error(`cannot write keystore format ${version}`);
  const entries = new Map(input.entries);
  if (!entries.has(SEED_SETTING)) entries.set(SEED_SETTING, newSeed());
  const parts: Buffer[] = [];
  const i32 = Buffer.alloc(4);
  i32.writeInt32BE(entries.size);
  parts.push(i32);
  for (const [name, raw] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!SETTING_NAME_PATTERN.test(name))
      throw new Error(`Setting name [${name}] does not match the allowed setting name pattern [[A-Za-z0-9_\\-.]+]`);
    const nameBuf = Buffer.from(name, 'utf8');
    const value = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    const h = Buffer.alloc(2);
    h.writeUInt16BE(nameBuf.length);
    parts.push(h, nameBuf);
    if (version === 3) {
      const t = Buffer.from('STRING');
      const th = Buffer.alloc(2);
      th.writeUInt16BE(t.length);
      parts.push(th, t);
    }
    const vl = Buffer.alloc(4);
    vl.writeInt32BE(value.length);
    parts.push(vl, value);
  }
  return {
    version,
    password: input.password ?? '',
    plain: Buffer.concat(parts),
    salt: randomBytes(SALT_LENGTH),
    iv: randomBytes(IV_LENGTH),
  };
}

function finish(p: Prepared, key: Buffer): Buffer {
  const { version, password, plain, salt, iv } = p;
  const cipher = createCipheriv('aes-128-gcm', key, iv, { authTagLength: GCM_TAG_LENGTH });
  cipher.setAAD(salt);
  const enc = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);

  const le = version >= LE_VERSION;
  const int = (n: number) => {
    const b = Buffer.alloc(4);
    if (le) b.writeInt32LE(n);
    else b.writeInt32BE(n);
    return b;
  };
  const data = Buffer.concat([int(salt.length), salt, int(iv.length), iv, int(enc.length), enc]);
  const nameBytes = Buffer.from(CODEC_NAME, 'utf8');
  const header = Buffer.alloc(4 + 1 + nameBytes.length + 4);
  header.writeUInt32BE(CODEC_MAGIC, 0);
  header[4] = nameBytes.length; // vint < 128
  nameBytes.copy(header, 5);
  header.writeInt32BE(version, 5 + nameBytes.length);
  const body = Buffer.concat([header, Buffer.from([password ? 1 : 0]), int(data.length), data]);
  const footerHead = Buffer.alloc(8);
  footerHead.writeUInt32BE(FOOTER_MAGIC, 0);
  footerHead.writeInt32BE(0, 4);
  const checked = Buffer.concat([body, footerHead]);
  const sum = Buffer.alloc(8);
  sum.writeBigUInt64BE(BigInt(crc32(checked)));
  return Buffer.concat([checked, sum]);
}

/** Serialises a keystore with fresh salt and IV. Adds `keystore.seed` when missing, as ES's `create` does. */
export function writeKeystore(input: WriteKeystoreInput): Buffer {
  const p = prepare(input);
  return finish(p, deriveKey(p.password, p.salt, p.version));
}

/** Same as writeKeystore, with the key derivation (210 000 PBKDF2 rounds for v6) on libuv's thread pool. */
export function writeKeystoreAsync(input: WriteKeystoreInput): Promise<Buffer> {
  const p = prepare(input);
  return new Promise((resolve, reject) => {
    pbkdf2(
      Buffer.from(p.password, 'utf8'),
      p.salt,
      kdfIterations(p.version),
      KEY_LENGTH_BYTES,
      'sha512',
      (err, key) => {
        if (err) reject(err);
        else resolve(finish(p, key));
      },
    );
  });
}

/** 20 random characters from ES's seed alphabet. */
export function newSeed(): string {
  let s = '';
  for (let i = 0; i < 20; i++) s += SEED_CHARS[randomInt(SEED_CHARS.length)];
  return s;
}
