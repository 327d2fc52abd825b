// Certificate files referenced by elasticsearch.yml: which settings name them, and what they hold.
// PEM files are read without a password; a PKCS#12 file needs one, known only from vars (`es_cert_passwords`);
// without it the file is reported "protected" (an empty password, certutil's default, is tried first).
import { posix } from 'node:path';
import forge from 'node-forge';
import {
  certInfoFromPem,
  inspect as inspectCert,
  sniffCertFile,
  validityOf,
  type CertInfo,
  type ValidityStatus,
} from '../certs/index.js';
import { isSecret, secrets } from '../secrets.js';
import type { CertFileReport, CertSummary } from './types.js';

// SSL settings whose value is a certificate container. `.key` (a private key) is deliberately not read.
const CERT_SETTING =
  /^xpack\.security\.[a-z_.]+\.ssl\.(keystore\.path|truststore\.path|certificate|certificate_authorities)$/;

export interface CertFileRef {
  setting: string;
  path: string;
  type?: string;
}

/** Settings naming certificate files, with paths resolved against the config dir (ES resolves relative paths there). */
export function certFileRefs(flat: Record<string, unknown>, configDir: string): CertFileRef[] {
  const out: CertFileRef[] = [];
  for (const [key, value] of Object.entries(flat)) {
    if (!CERT_SETTING.test(key)) continue;
    const values = Array.isArray(value) ? value.map(String) : [String(value)];
    const type = key.endsWith('.path') ? flat[key.replace(/\.path$/, '.type')] : undefined;
    for (const v of values) {
      if (!v.trim()) continue;
      out.push({
        setting: key,
        path: posix.isAbsolute(v) ? v : posix.join(configDir, v),
        ...(typeof type === 'string' ? { type } : {}),
      });
    }
  }
  return out.sort((a, b) => a.setting.localeCompare(b.setting) || a.path.localeCompare(b.path));
}

/**
 * A CertSummary with its validity: `validity` is 'expired', 'not yet valid', 'expiring' (ends within 30 days) or
 * 'valid', and `expired` says it as a boolean for --json readers. Optional so that reports without them still render.
 */
export interface CertSummaryValidity extends CertSummary {
  notBefore?: string;
  validity?: ValidityStatus;
  expired?: boolean;
}

function summary(c: CertInfo, now: Date): CertSummaryValidity {
  const v = validityOf(c.notBefore, c.notAfter, now);
  return {
    subject: c.subject,
    issuer: c.issuer,
    sans: c.sans,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    daysLeft: v.daysLeft,
    validity: v.status,
    expired: v.expired,
    isCa: c.isCa,
    sha256: c.sha256,
  };
}

/** Every certificate in a PEM text (CA bundles hold several). */
export function pemCertificates(text: string): CertInfo[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => certInfoFromPem(b));
}

/** Certificates of a PKCS#12 file without a key entry (a trust store). Throws on a wrong password. */
function p12TrustCertificates(buf: Buffer, password: string): CertInfo[] {
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(buf.toString('binary')), false, password);
  const bags = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? [];
  return bags.filter((b) => b.cert).map((b) => certInfoFromPem(forge.pki.certificateToPem(b.cert!)));
}

/**
 * The password vars give for this file: es_cert_passwords keyed by path, file name or setting prefix; for the
 * remote cluster server's keystore also crosskey_rcs_cert_password (the migration's own variable).
 */
export function passwordFor(ref: CertFileRef, vars: Record<string, unknown>): string | undefined {
  const map = vars.es_cert_passwords;
  const m = map && typeof map === 'object' && !isSecret(map) ? (map as Record<string, unknown>) : {};
  const prefix = ref.setting.replace(/\.(keystore|truststore)\.path$/, '');
  const candidates: unknown[] = [ref.path, posix.basename(ref.path), ref.setting, prefix].map((k) => m[k]);
  if (ref.setting === 'xpack.security.remote_cluster_server.ssl.keystore.path')
    candidates.push(vars.crosskey_rcs_cert_password);
  for (const v of candidates) {
    if (isSecret(v)) return v.reveal();
    if (typeof v === 'string') {
      secrets.register(v); // a plain-text password from vars is still a secret: scrub it from any output
      return v;
    }
  }
  return undefined;
}

const isWrongPassword = (e: unknown) =>
  /wrong password|MAC could not be verified|Invalid password|decrypt/i.test((e as Error).message);

/** Parses one file's bytes (already read from the host). */
export function describeCertFile(
  ref: CertFileRef,
  bytes: Buffer | undefined,
  password: string | undefined,
  now = new Date(),
): CertFileReport {
  const base = { setting: ref.setting, path: ref.path };
  if (!bytes) return { ...base, format: 'unknown', status: 'missing', certificates: [] };
  const kind = sniffCertFile(bytes);
  if (kind === 'empty' || kind === 'other') {
    return {
      ...base,
      format: 'unknown',
      status: 'error',
      error: kind === 'empty' ? 'the file is empty' : 'neither PEM nor PKCS#12 (no "-----BEGIN" line, not DER)',
      certificates: [],
    };
  }
  if (kind === 'pem') {
    try {
      const certs = pemCertificates(bytes.toString('utf8'));
      if (!certs.length)
        return { ...base, format: 'pem', status: 'error', error: 'no CERTIFICATE block in the file', certificates: [] };
      return { ...base, format: 'pem', status: 'ok', certificates: certs.map((c) => summary(c, now)) };
    } catch (e) {
      return { ...base, format: 'pem', status: 'error', error: (e as Error).message, certificates: [] };
    }
  }
  // JKS starts with 0xFEEDFEED; ES 8 reads it, node-forge does not.
  if (kind === 'jks' || /jks/i.test(ref.type ?? '')) {
    return {
      ...base,
      format: 'jks',
      status: 'error',
      error: 'JKS keystores are not inspected (convert to PKCS#12)',
      certificates: [],
    };
  }
  const candidates = password !== undefined ? [password] : [''];
  for (const pw of candidates) {
    try {
      const info = inspectCert(bytes, pw);
      const certs = [info, ...(info.cas ?? [])];
      return { ...base, format: 'pkcs12', status: 'ok', certificates: certs.map((c) => summary(c, now)) };
    } catch (e) {
      if (isWrongPassword(e)) continue;
      if (/private key entry, found 0/.test((e as Error).message)) {
        try {
          return {
            ...base,
            format: 'pkcs12',
            status: 'ok',
            certificates: p12TrustCertificates(bytes, pw).map((c) => summary(c, now)),
          };
        } catch (e2) {
          if (isWrongPassword(e2)) continue;
          return { ...base, format: 'pkcs12', status: 'error', error: (e2 as Error).message, certificates: [] };
        }
      }
      return {
        ...base,
        format: 'pkcs12',
        status: 'error',
        error: (e as Error).message.replace(/^certificate: /, ''),
        certificates: [],
      };
    }
  }
  if (password !== undefined)
    return {
      ...base,
      format: 'pkcs12',
      status: 'error',
      error: 'the password from es_cert_passwords does not open it',
      certificates: [],
    };
  return { ...base, format: 'pkcs12', status: 'protected', certificates: [] };
}
