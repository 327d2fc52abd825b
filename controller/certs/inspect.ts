// What `crosskey certs inspect` prints and es_certificate compares: subject, SANs, issuer, serial, validity.
import { readFileSync } from 'node:fs';
import forge from 'node-forge';
import { formatDn } from './dn.js';
import { CertError } from './keys.js';
import { readPkcs12 } from './pkcs12.js';

export interface CertInfo {
  subject: string;
  sans: { dns: string[]; ip: string[] };
  issuer: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  /** SHA-256 fingerprint of the DER certificate, hex lower case (what es_ca_fingerprint compares). */
  sha256: string;
  /** For PKCS#12: the key entry's alias and the CA certificates stored beside it. */
  alias?: string;
  cas?: CertInfo[];
}

export function certInfoFromPem(pem: string): CertInfo {
  let cert: forge.pki.Certificate;
  try {
    cert = forge.pki.certificateFromPem(pem);
  } catch (e) {
    throw new CertError(`not a readable PEM certificate: ${(e as Error).message}`);
  }
  const san = cert.getExtension('subjectAltName') as {
    altNames?: Array<{ type: number; value?: string; ip?: string }>;
  } | null;
  const dns: string[] = [];
  const ip: string[] = [];
  for (const n of san?.altNames ?? []) {
    if (n.type === 2 && n.value) dns.push(n.value);
    if (n.type === 7 && n.ip) ip.push(n.ip);
  }
  const bc = cert.getExtension('basicConstraints') as { cA?: boolean } | null;
  const der = forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes();
  return {
    subject: formatDn(cert.subject.attributes),
    sans: { dns, ip },
    issuer: formatDn(cert.issuer.attributes),
    serial: cert.serialNumber,
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
    isCa: bc?.cA === true,
    sha256: forge.md.sha256.create().update(der).digest().toHex(),
  };
}

const DAY_MS = 86_400_000;
/** Certificates expiring within this many days are flagged ("expires in N days"). */
export const EXPIRY_WARNING_DAYS = 30;

/** valid; expiring: valid but ends within EXPIRY_WARNING_DAYS; expired; not yet valid (notBefore in the future). */
export type ValidityStatus = 'valid' | 'expiring' | 'expired' | 'not yet valid';
export interface Validity {
  status: ValidityStatus;
  expired: boolean;
  notYetValid: boolean;
  /** Whole days until notAfter (negative once expired). */
  daysLeft: number;
  /** What to print: "EXPIRED 3 days ago", "not yet valid (from …)", "expires in 12 days", "valid (1094 days left)". */
  text: string;
}

export function validityOf(notBefore: Date, notAfter: Date, now: Date = new Date()): Validity {
  const ms = notAfter.getTime() - now.getTime();
  const daysLeft = Math.floor(ms / DAY_MS);
  if (ms <= 0) {
    const ago = Math.floor(-ms / DAY_MS);
    return {
      status: 'expired',
      expired: true,
      notYetValid: false,
      daysLeft,
      text: `EXPIRED ${ago === 0 ? 'less than a day' : `${ago} day${ago === 1 ? '' : 's'}`} ago (not after ${notAfter.toISOString()})`,
    };
  }
  if (notBefore.getTime() > now.getTime()) {
    return {
      status: 'not yet valid',
      expired: false,
      notYetValid: true,
      daysLeft,
      text: `not yet valid (valid from ${notBefore.toISOString()})`,
    };
  }
  const inDays = daysLeft === 0 ? 'less than a day' : `${daysLeft} day${daysLeft === 1 ? '' : 's'}`;
  if (daysLeft < EXPIRY_WARNING_DAYS)
    return { status: 'expiring', expired: false, notYetValid: false, daysLeft, text: `expires in ${inDays}` };
  return { status: 'valid', expired: false, notYetValid: false, daysLeft, text: `valid (${inDays} left)` };
}

/** What a file holds, from its first bytes: PEM text, DER (PKCS#12 is a DER SEQUENCE), a JKS keystore, or else. */
export function sniffCertFile(buf: Buffer): 'pem' | 'pkcs12' | 'jks' | 'empty' | 'other' {
  if (buf.length === 0) return 'empty';
  if (buf.includes('-----BEGIN')) return 'pem';
  // DER SEQUENCE with a long-form (or BER indefinite) length: a PKCS#12 file is always longer than 127 bytes.
  // A text file that merely starts with "0" has an ASCII second byte, below 0x80.
  if (buf[0] === 0x30 && buf.length > 1 && buf[1]! >= 0x80 && buf[1]! <= 0x84) return 'pkcs12';
  if (buf.length >= 4 && buf.readUInt32BE(0) === 0xfeedfeed) return 'jks';
  return 'other';
}

/** A PEM certificate, or a PKCS#12 file (needs its password); `source` is a path or the bytes. */
export function inspect(source: string | Buffer, password?: string): CertInfo {
  const where = typeof source === 'string' ? source : 'certificate';
  let buf: Buffer;
  try {
    buf = typeof source === 'string' ? readFileSync(source) : source;
  } catch (e) {
    throw new CertError(`cannot read ${where}: ${(e as Error).message}`);
  }
  const kind = sniffCertFile(buf);
  if (kind === 'pem') {
    // The first certificate block, wherever it is (openssl writes "Bag Attributes" text and keys before it).
    const text = buf.toString('utf8');
    const block = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0];
    if (!block) {
      const found = [...new Set([...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((m) => m[1]))];
      throw new CertError(
        `${where}: a PEM file with no certificate in it (it holds: ${found.join(', ') || 'nothing readable'})`,
      );
    }
    try {
      return certInfoFromPem(block);
    } catch (e) {
      throw new CertError(`${where}: ${(e as Error).message}`);
    }
  }
  if (kind === 'empty')
    throw new CertError(`${where}: the file is empty (neither a PEM certificate nor a PKCS#12 file)`);
  if (kind === 'jks')
    throw new CertError(
      `${where}: a JKS keystore, which is not read here; convert it to PKCS#12 (keytool -importkeystore -deststoretype PKCS12)`,
    );
  if (kind === 'other') {
    throw new CertError(
      `${where}: neither a PEM certificate (no "-----BEGIN" line) nor a PKCS#12 file (not DER: it does not start with a SEQUENCE, 0x30)`,
    );
  }
  if (password === undefined) throw new CertError(`${where}: a PKCS#12 file needs its password (--pass-file)`);
  const p12 = readPkcs12(buf, password, where);
  return { ...certInfoFromPem(p12.certPem), alias: p12.alias, cas: p12.caPems.map(certInfoFromPem) };
}
