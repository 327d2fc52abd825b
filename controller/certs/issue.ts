// Leaf certificates like `elasticsearch-certutil cert`: CN=<name> (or a full DN), SANs from --dns/--ip,
// SKI, AKI (the CA's key id), basicConstraints CA:false; optional EKU serverAuth+clientAuth for transport certs.
import { isIP } from 'node:net';
import forge from 'node-forge';
import { checkDays, DEFAULT_DAYS, DEFAULT_KEY_SIZE, assertKeyMatchesCert, type CertAndKey } from './ca.js';
import { nameToDn } from './dn.js';
import { CertError, generateRsaKey, generateRsaKeyPemAsync, keyPairFromPem, randomSerialHex, signCertificate } from './keys.js';

export interface IssueOptions {
  ca: CertAndKey;
  /** CN, or a full DN when it contains '='. Default "instance" (certutil's default). */
  name?: string;
  dns?: string[];
  ip?: string[];
  days?: number;
  keySize?: number;
  /** Add extendedKeyUsage serverAuth+clientAuth (transport certs are used both ways). */
  serverAndClientAuth?: boolean;
  /** A key made beforehand (PKCS#1 PEM). */
  keyPem?: string;
}

const DAY_MS = 86_400_000;
// dNSName is an IA5String; allow one leading wildcard label like "*.example.com".
const DNS_RE = /^(\*\.)?([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

export function validateDns(name: string): string {
  if (!DNS_RE.test(name) || name.length > 253) throw new CertError(`"${name}" is not a valid DNS name for a certificate`);
  return name;
}
export function validateIp(ip: string): string {
  if (isIP(ip) === 0) throw new CertError(`"${ip}" is not a valid IP address`);
  return ip;
}

export function issueCert(opts: IssueOptions): CertAndKey {
  const days = checkDays(opts.days ?? DEFAULT_DAYS);
  const dns = (opts.dns ?? []).map(validateDns);
  const ips = (opts.ip ?? []).map(validateIp);
  const name = opts.name ?? 'instance';
  if (name === 'ca') throw new CertError('"ca" is not allowed as an instance name (certutil reserves it)');
  const caCert = forge.pki.certificateFromPem(opts.ca.certPem);
  assertKeyMatchesCert(caCert, opts.ca.keyPem, 'the CA');
  const { publicKey, keyPem } = opts.keyPem ? keyPairFromPem(opts.keyPem) : generateRsaKey(opts.keySize ?? DEFAULT_KEY_SIZE);

  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerialHex();
  const now = Date.now();
  cert.validity.notBefore = new Date(now);
  cert.validity.notAfter = new Date(Math.min(now + days * DAY_MS, caCert.validity.notAfter.getTime()));
  cert.setSubject(nameToDn(name));
  cert.setIssuer(caCert.subject.attributes);
  const exts: unknown[] = [
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caKeyId(caCert) },
    { name: 'basicConstraints', cA: false },
  ];
  if (dns.length + ips.length > 0) {
    exts.push({
      name: 'subjectAltName',
      altNames: [...dns.map((value) => ({ type: 2, value })), ...ips.map((ip) => ({ type: 7, ip }))],
    });
  }
  if (opts.serverAndClientAuth) exts.push({ name: 'extKeyUsage', serverAuth: true, clientAuth: true });
  cert.setExtensions(exts as forge.pki.CertificateField[]);
  signCertificate(cert, opts.ca.keyPem);
  // Like certutil: the new certificate must verify against the CA.
  if (!caCert.verify(cert)) throw new CertError('certificate verification failed: the CA certificate and key do not match');
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

/** issueCert with the key generated off the main thread (many certificates in parallel). */
export async function issueCertAsync(opts: IssueOptions): Promise<CertAndKey> {
  return issueCert({ ...opts, keyPem: opts.keyPem ?? await generateRsaKeyPemAsync(opts.keySize ?? DEFAULT_KEY_SIZE) });
}

/** The CA's key identifier as raw bytes: its SKI extension when present, else SHA-1 of its public key. */
function caKeyId(caCert: forge.pki.Certificate): string {
  const ski = caCert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | null;
  if (ski?.subjectKeyIdentifier) return forge.util.hexToBytes(ski.subjectKeyIdentifier);
  return caCert.generateSubjectKeyIdentifier().getBytes();
}
