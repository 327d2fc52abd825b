// Leaf certificates like `elasticsearch-certutil cert`: CN=<name> (or a full DN), SANs from --dns/--ip,
// SKI, AKI (the CA's key id), basicConstraints CA:false; optional EKU serverAuth+clientAuth for transport certs.
import { isIP } from 'node:net';
import forge from 'node-forge';
import {
  assertCaCurrentlyValid,
  checkDays,
  DEFAULT_DAYS,
  DEFAULT_KEY_SIZE,
  assertKeyMatchesCert,
  type CertAndKey,
  type LoadedCa,
} from './ca.js';
import { nameToDn } from './dn.js';
import {
  CertError,
  generateRsaKey,
  generateRsaKeyPemAsync,
  keyPairFromPem,
  randomSerialHex,
  signCertificate,
} from './keys.js';

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
  /** Names the CA in messages (default: its ca.crt path when it came from loadCa). */
  caWhere?: string;
  /** The issuing time (tests). */
  now?: Date;
}

/** The new certificate and key, and what the operator should be told (validity clamped to the CA's end). */
export interface IssuedCert extends CertAndKey {
  notAfter: Date;
  warnings: string[];
}

const DAY_MS = 86_400_000;
// dNSName is an IA5String; allow one leading wildcard label like "*.example.com".
const DNS_RE =
  /^(\*\.)?([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

export function validateDns(name: string): string {
  if (!DNS_RE.test(name) || name.length > 253)
    throw new CertError(`"${name}" is not a valid DNS name for a certificate`);
  return name;
}
export function validateIp(ip: string): string {
  if (isIP(ip) === 0) throw new CertError(`"${ip}" is not a valid IP address`);
  return ip;
}

/**
 * The leaf's validity: from now for `days`, but never past the CA's notAfter.
 *
 * Clamped rather than refused, on purpose: a certificate that outlives its CA buys nothing (every TLS peer
 * rejects the chain once the CA has expired), and refusing would break the ordinary flow where a CA and its
 * leaves are made moments apart with the same default days (es_certificate creating a CA on demand). The
 * operator is told when the cut is a day or more, since the real renewal date is then the CA's, not --days.
 * An expired or not-yet-valid CA is refused outright (assertCaCurrentlyValid).
 */
export function leafValidity(
  caCertPem: string,
  days: number,
  where: string,
  now: Date = new Date(),
): { notBefore: Date; notAfter: Date; warnings: string[] } {
  checkDays(days);
  assertCaCurrentlyValid(caCertPem, where, now);
  const caNotAfter = forge.pki.certificateFromPem(caCertPem).validity.notAfter;
  const wantedEnd = now.getTime() + days * DAY_MS;
  const warnings: string[] = [];
  if (wantedEnd <= caNotAfter.getTime()) return { notBefore: now, notAfter: new Date(wantedEnd), warnings };
  if (wantedEnd - caNotAfter.getTime() >= DAY_MS) {
    const left = Math.floor((caNotAfter.getTime() - now.getTime()) / DAY_MS);
    warnings.push(
      `${days} days would end ${new Date(wantedEnd).toISOString()}, after the CA certificate ${where} ` +
        `(notAfter ${caNotAfter.toISOString()}); a certificate cannot outlive its CA, so this one ends then too ` +
        `(${left} day${left === 1 ? '' : 's'} from now)`,
    );
  }
  return { notBefore: now, notAfter: caNotAfter, warnings };
}

const caWhereOf = (opts: IssueOptions) =>
  opts.caWhere ?? (opts.ca as Partial<LoadedCa>).certPath ?? '(given in memory)';

export function issueCert(opts: IssueOptions): IssuedCert {
  const days = checkDays(opts.days ?? DEFAULT_DAYS);
  const dns = (opts.dns ?? []).map(validateDns);
  const ips = (opts.ip ?? []).map(validateIp);
  const name = opts.name ?? 'instance';
  if (name === 'ca') throw new CertError('"ca" is not allowed as an instance name (certutil reserves it)');
  const where = caWhereOf(opts);
  // Refuses an expired CA before any key is made (the slow part).
  const validity = leafValidity(opts.ca.certPem, days, where, opts.now);
  const caCert = forge.pki.certificateFromPem(opts.ca.certPem);
  assertKeyMatchesCert(caCert, opts.ca.keyPem, 'the CA');
  const { publicKey, keyPem } = opts.keyPem
    ? keyPairFromPem(opts.keyPem)
    : generateRsaKey(opts.keySize ?? DEFAULT_KEY_SIZE);

  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = validity.notBefore;
  cert.validity.notAfter = validity.notAfter;
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
  if (!caCert.verify(cert))
    throw new CertError('certificate verification failed: the CA certificate and key do not match');
  return {
    certPem: forge.pki.certificateToPem(cert),
    keyPem,
    notAfter: validity.notAfter,
    warnings: validity.warnings,
  };
}

/** issueCert with the key generated off the main thread (many certificates in parallel). */
export async function issueCertAsync(opts: IssueOptions): Promise<IssuedCert> {
  // Checked before the key is made: an expired CA is refused without the keygen's wait.
  leafValidity(opts.ca.certPem, checkDays(opts.days ?? DEFAULT_DAYS), caWhereOf(opts), opts.now);
  return issueCert({
    ...opts,
    keyPem: opts.keyPem ?? (await generateRsaKeyPemAsync(opts.keySize ?? DEFAULT_KEY_SIZE)),
  });
}

/** The CA's key identifier as raw bytes: its SKI extension when present, else SHA-1 of its public key. */
function caKeyId(caCert: forge.pki.Certificate): string {
  const ski = caCert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | null;
  if (ski?.subjectKeyIdentifier) return forge.util.hexToBytes(ski.subjectKeyIdentifier);
  return caCert.generateSubjectKeyIdentifier().getBytes();
}
