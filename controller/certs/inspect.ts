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
  const san = cert.getExtension('subjectAltName') as { altNames?: Array<{ type: number; value?: string; ip?: string }> } | null;
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

/** A PEM certificate, or a PKCS#12 file (needs its password); `source` is a path or the bytes. */
export function inspect(source: string | Buffer, password?: string): CertInfo {
  const where = typeof source === 'string' ? source : 'certificate';
  let buf: Buffer;
  try {
    buf = typeof source === 'string' ? readFileSync(source) : source;
  } catch (e) {
    throw new CertError(`cannot read ${where}: ${(e as Error).message}`);
  }
  const text = buf.subarray(0, 64).toString('latin1');
  if (text.includes('-----BEGIN')) return certInfoFromPem(buf.toString('utf8'));
  if (password === undefined) throw new CertError(`${where}: a PKCS#12 file needs its password (--pass-file)`);
  const p12 = readPkcs12(buf, password, where);
  return { ...certInfoFromPem(p12.certPem), alias: p12.alias, cas: p12.caPems.map(certInfoFromPem) };
}
