// OpenSSH known_hosts: plain and hashed (|1|salt|hmac) host fields, `[host]:port`, patterns with * ? and !,
// @revoked lines. Used to verify host keys before any authentication happens.
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { matchPatternList } from './glob.js';

export interface KnownKey {
  keyType: string;
  blob: Buffer;
  file: string;
  line: number;
  revoked: boolean;
}

export type HostKeyVerdict =
  | { status: 'match'; entry: KnownKey }
  | { status: 'unknown' }
  | { status: 'mismatch'; known: KnownKey[] }
  | { status: 'revoked'; entry: KnownKey };

/** OpenSSH-style fingerprint: "SHA256:" + unpadded base64 of the key blob's SHA-256. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** The key type inside an SSH public key blob (its first length-prefixed string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

export function hostField(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Does a known_hosts host field (comma list, maybe hashed or negated) name this host? */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return matchPatternList(field.split(','), name);
}

export function readKnownHosts(file: string, name: string): KnownKey[] {
  if (!existsSync(file)) return [];
  const out: KnownKey[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      const parts = line.split(/\s+/);
      let revoked = false;
      if (parts[0].startsWith('@')) {
        if (parts[0] === '@revoked') revoked = true;
        else return; // @cert-authority: host certificates are not supported; such lines never match a plain key
        parts.shift();
      }
      const [hosts, keyType, b64] = parts;
      if (!hosts || !keyType || !b64 || !hostFieldMatches(hosts, name)) return;
      out.push({ keyType, blob: Buffer.from(b64, 'base64'), file, line: i + 1, revoked });
    });
  return out;
}

/**
 * OpenSSH's decision: a revoked key refuses; a listed key matches; any other key for a host that is listed
 * (with the same or another key type) is a mismatch; a host not listed at all is unknown.
 */
export function verifyHostKey(files: string[], host: string, port: number, blob: Buffer): HostKeyVerdict {
  const name = hostField(host, port);
  const known = files.flatMap((f) => readKnownHosts(f, name));
  const same = known.filter((k) => k.blob.equals(blob));
  const revoked = same.find((k) => k.revoked);
  if (revoked) return { status: 'revoked', entry: revoked };
  if (same.length) return { status: 'match', entry: same[0] };
  const valid = known.filter((k) => !k.revoked);
  return valid.length ? { status: 'mismatch', known: valid } : { status: 'unknown' };
}

/** Key types known for a host (to ask the server for one of those first, as OpenSSH does). */
export function knownKeyTypes(files: string[], host: string, port: number): string[] {
  const name = hostField(host, port);
  return [
    ...new Set(
      files
        .flatMap((f) => readKnownHosts(f, name))
        .filter((k) => !k.revoked)
        .map((k) => k.keyType),
    ),
  ];
}

export function addKnownHost(file: string, host: string, port: number, blob: Buffer): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const prefix =
    existsSync(file) && !readFileSync(file, 'utf8').endsWith('\n') && readFileSync(file, 'utf8').length ? '\n' : '';
  appendFileSync(file, `${prefix}${hostField(host, port)} ${keyTypeOf(blob)} ${blob.toString('base64')}\n`, {
    mode: 0o600,
  });
}
