// keystore.list: entry names of an Elasticsearch keystore, read without a JVM (format code shared with the lab).
import { readKeystore, readKeystoreHeader, KeystoreError } from '../keystore/format.js';
import type { OpArgs, OpResult } from '../protocol.js';
import { readIfExists } from './fsutil.js';
import { requireAbsolute, requireString } from './errors.js';

export async function keystoreList(args: OpArgs<'keystore.list'>): Promise<OpResult<'keystore.list'>> {
  const path = requireAbsolute(requireString(args, 'path', 'keystore.list'), 'keystore.list');
  const buf = await readIfExists(path);
  if (!buf) return { exists: false };
  let header;
  try {
    header = readKeystoreHeader(buf, { path });
  } catch (err) {
    if (err instanceof KeystoreError) return { exists: true, error: err.message };
    throw err;
  }
  const base = { exists: true, version: header.version, hasPassword: header.hasPassword };
  if (header.hasPassword && !args.password)
    return { ...base, error: 'the keystore is password-protected and no password was given' };
  try {
    const ks = readKeystore(buf, args.password ?? '', { path });
    return { ...base, entries: [...ks.entries.keys()].sort() };
  } catch (err) {
    if (err instanceof KeystoreError) return { ...base, error: err.message };
    throw err;
  }
}
