import test from 'ava';
import { createDecipheriv, pbkdf2Sync } from 'node:crypto';
import { crc32 } from 'node:zlib';
import {
  readKeystore,
  readKeystoreHeader,
  writeKeystore,
  KeystoreError,
  CODEC_MAGIC,
  FOOTER_MAGIC,
  SEED_SETTING,
  keystoreVersionFor,
} from '../../agent/keystore/format.js';

const entries = () =>
  new Map<string, Buffer | string>([
    ['cluster.remote.r1.credentials', 'abc:def=='],
    ['bin', Buffer.from([0, 1, 255])],
  ]);

for (const version of [3, 4, 5, 6]) {
  test(`v${version} round trip, with and without password`, (t) => {
    for (const password of ['', 'keystorepassword']) {
      const buf = writeKeystore({ version, entries: entries(), password });
      const ks = readKeystore(buf, password);
      t.is(ks.version, version);
      t.is(ks.hasPassword, password !== '');
      t.is(ks.entries.get('cluster.remote.r1.credentials')?.toString(), 'abc:def==');
      t.deepEqual([...ks.entries.get('bin')!], [0, 1, 255]);
      t.regex(ks.entries.get(SEED_SETTING)!.toString(), /^[A-Za-z0-9~!@#$%^&*\-_=+?]{20}$/);
      t.deepEqual(readKeystoreHeader(buf), { version, hasPassword: password !== '' });
    }
  });
}

// Decodes the bytes by hand, following docs/procedure.md §7.2, to pin the byte layout independently of the reader.
function decodeByHand(buf: Buffer, password: string) {
  if (buf.readUInt32BE(0) !== CODEC_MAGIC) throw new Error('magic');
  const nameLen = buf[4]!;
  const codec = buf.toString('utf8', 5, 5 + nameLen);
  let o = 5 + nameLen;
  const version = buf.readInt32BE(o);
  o += 4;
  const le = version >= 5;
  const rd = (p: number) => (le ? buf.readInt32LE(p) : buf.readInt32BE(p));
  const hasPassword = buf[o++];
  const dataLen = rd(o);
  o += 4;
  const dataStart = o;
  const saltLen = rd(o);
  o += 4;
  const salt = buf.subarray(o, (o += saltLen));
  const ivLen = rd(o);
  o += 4;
  const iv = buf.subarray(o, (o += ivLen));
  const encLen = rd(o);
  o += 4;
  const enc = buf.subarray(o, (o += encLen));
  const footerMagic = buf.readUInt32BE(o);
  const algo = buf.readInt32BE(o + 4);
  const checksum = buf.readBigUInt64BE(o + 8);
  const iterations = version >= 6 ? 210000 : 10000;
  const key = pbkdf2Sync(Buffer.from(password), salt, iterations, 16, 'sha512');
  const d = createDecipheriv('aes-128-gcm', key, iv);
  d.setAAD(salt);
  d.setAuthTag(enc.subarray(enc.length - 16));
  const plain = Buffer.concat([d.update(enc.subarray(0, enc.length - 16)), d.final()]);
  return {
    codec,
    version,
    hasPassword,
    dataLen,
    dataEnd: o,
    dataStart,
    saltLen,
    ivLen,
    footerMagic,
    algo,
    checksum,
    crc: BigInt(crc32(buf.subarray(0, o + 8))),
    total: buf.length,
    plain,
  };
}

test('v6 layout: LE body ints, 64-byte salt, 12-byte IV, 210k PBKDF2-SHA512 with salt as AAD, CRC32 footer', (t) => {
  const buf = writeKeystore({ version: 6, entries: entries(), password: 'pw' });
  const h = decodeByHand(buf, 'pw');
  t.is(h.codec, 'elasticsearch.keystore');
  t.is(h.version, 6);
  t.is(h.hasPassword, 1);
  t.is(h.dataStart + h.dataLen, h.dataEnd);
  t.is(h.saltLen, 64);
  t.is(h.ivLen, 12);
  t.is(h.footerMagic, FOOTER_MAGIC);
  t.is(h.algo, 0);
  t.is(h.checksum, h.crc);
  t.is(h.total, h.dataEnd + 16);
  t.is(h.plain.readInt32BE(0), 3); // 2 entries + keystore.seed, big-endian
});

test('v5 layout uses 10k iterations and little-endian ints; v4 big-endian', (t) => {
  const v5 = decodeByHand(writeKeystore({ version: 5, entries: entries() }), '');
  t.is(v5.saltLen, 64);
  const v4 = writeKeystore({ version: 4, entries: entries() });
  // v4: data length is big-endian right after the hasPassword byte (offset 4+1+22+4+1 = 32)
  t.is(v4.readInt32BE(32) + 36, v4.length - 16);
  t.notThrows(() => decodeByHand(v4, ''));
});

test('wrong password → ES message', (t) => {
  const buf = writeKeystore({ version: 5, entries: entries(), password: 'right' });
  const err = t.throws(() => readKeystore(buf, 'wrong'), { instanceOf: KeystoreError });
  t.is(err?.message, 'Provided keystore password was incorrect');
});

test('corrupted, truncated and bad flag files → ES messages', (t) => {
  const buf = writeKeystore({ version: 6, entries: entries() });
  for (const at of [0, 10, 40, 100, buf.length - 20, buf.length - 1]) {
    const bad = Buffer.from(buf);
    bad[at] = bad[at]! ^ 0x5a;
    t.throws(() => readKeystore(bad), { message: 'Keystore has been corrupted or tampered with' }, `byte ${at}`);
  }
  t.throws(() => readKeystore(buf.subarray(0, buf.length - 5)), {
    message: 'Keystore has been corrupted or tampered with',
  });
  t.throws(() => readKeystore(Buffer.alloc(0)), { message: 'Keystore has been corrupted or tampered with' });
  // hasPassword = 2 with a re-computed checksum: ES's own message
  const flagged = Buffer.from(buf);
  flagged[31] = 2;
  flagged.writeBigUInt64BE(BigInt(crc32(flagged.subarray(0, flagged.length - 8))), flagged.length - 8);
  t.throws(() => readKeystore(flagged), { message: 'hasPassword boolean is corrupt' });
});

test('too new for the reading node', (t) => {
  const buf = writeKeystore({ version: 6, entries: entries() });
  t.throws(() => readKeystore(buf, '', { path: '/x/elasticsearch.keystore', maxVersion: 5 }), {
    message:
      'The Elasticsearch keystore [/x/elasticsearch.keystore] format is too new. Are you trying to downgrade? You should delete and recreate it in order to downgrade.',
  });
});

test('format version per ES version', (t) => {
  t.is(keystoreVersionFor('8.15.0'), 6);
  t.is(keystoreVersionFor('8.14.0'), 6);
  t.is(keystoreVersionFor('8.13.4'), 5);
  t.is(keystoreVersionFor('8.10.0'), 5);
});
