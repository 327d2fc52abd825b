// Strong identity for cross-cluster API keys (9.3, docs/es-9x.md §4): the querying node signs each RCS2 request
// with `cluster.remote.<alias>.signing.{certificate,key}` (PEM files, relative paths against the config dir); the
// fulfilling node verifies it against `cluster.remote.signing.certificate_authorities`, then matches the key's
// certificate_identity against the leaf's subject DN (RFC 2253), whole string
// (x-pack/plugin/security/…/transport/CrossClusterAccessTransportInterceptor.java, CrossClusterApiKeySignatureManager
// .java, …/authc/CrossClusterAccessAuthenticationService.java). Signed bytes: subject info + "\n" + credentials
// header; SHA256withRSA or SHA256withECDSA. The lab's wire carries the signature as JSON, not ES's byte stream.
import { createPrivateKey, createHash, sign, verify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

export interface RequestSignature {
  /** Leaf first, PEM. */
  certificates: string[];
  algorithm: 'SHA256withRSA' | 'SHA256withECDSA';
  /** Base64 of the signature bytes. */
  value: string;
}

export interface SigningMaterial {
  certificates: string[];
  keyPem: string;
  algorithm: RequestSignature['algorithm'];
}

const resolveIn = (configDir: string, p: string) => (isAbsolute(p) ? p : join(configDir, p));

function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** The signing material an alias's settings name, or undefined when the alias does not sign. */
export function loadSigningMaterial(
  configDir: string,
  certificate: unknown,
  key: unknown,
): SigningMaterial | undefined {
  if (typeof certificate !== 'string' || typeof key !== 'string' || !certificate || !key) return undefined;
  const certificates = splitPem(readFileSync(resolveIn(configDir, certificate), 'utf8'));
  const keyPem = readFileSync(resolveIn(configDir, key), 'utf8');
  const type = createPrivateKey(keyPem).asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ec') throw new Error(`Unsupported Key Type [${type}]`);
  return { certificates, keyPem, algorithm: type === 'rsa' ? 'SHA256withRSA' : 'SHA256withECDSA' };
}

export const signablePayload = (subjectInfo: string, credentialsHeader: string) =>
  Buffer.from(`${subjectInfo}\n${credentialsHeader}`, 'utf8');

export function signRequest(m: SigningMaterial, subjectInfo: string, credentialsHeader: string): RequestSignature {
  const value = sign('sha256', signablePayload(subjectInfo, credentialsHeader), m.keyPem).toString('base64');
  return { certificates: m.certificates, algorithm: m.algorithm, value };
}

/** The trusted CAs of `cluster.remote.signing.certificate_authorities` (undefined: no trust configured). */
export function loadSigningTrust(configDir: string, cas: unknown): X509Certificate[] | undefined {
  const list = Array.isArray(cas) ? cas.map(String) : typeof cas === 'string' && cas ? cas.split(',') : [];
  if (list.length === 0) return undefined;
  return list.flatMap((p) =>
    splitPem(readFileSync(resolveIn(configDir, p.trim()), 'utf8')).map((pem) => new X509Certificate(pem)),
  );
}

/** RFC 2253: the RDNs most specific first, comma-separated. */
export function rfc2253(cert: X509Certificate): string {
  return cert.subject.split('\n').filter(Boolean).reverse().join(',');
}

/** `(<subject>;X.509;SHA1:<fingerprint>)`, as ES's certificate descriptions in these messages. */
function describe(cert: X509Certificate): string {
  const sha1 = createHash('sha1').update(cert.raw).digest('hex');
  return `(${rfc2253(cert)};X.509;SHA1:${sha1})`;
}

export type SignatureCheck = { ok: true; dn: string } | { ok: false; reason: string };

/** Chain (trusted issuer, validity), then the signature bytes, as verifySignature does. */
export function verifyRequestSignature(
  sig: RequestSignature,
  trust: X509Certificate[] | undefined,
  subjectInfo: string,
  credentialsHeader: string,
  now: number,
): SignatureCheck {
  if (!trust)
    return {
      ok: false,
      reason: 'Cannot verify signed cross-cluster headers because [cluster.remote.signing] has not trust configuration',
    };
  if (sig.certificates.length === 0)
    return { ok: false, reason: 'Provided signature does not contain any certificates' };
  const leaf = new X509Certificate(sig.certificates[0]!);
  const trusted = trust.some((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
  const valid = Date.parse(leaf.validFrom) <= now && now <= Date.parse(leaf.validTo);
  if (!trusted || !valid)
    return {
      ok: false,
      reason: `Failed to verify cross cluster api key signature certificate from [${describe(leaf)}]`,
    };
  const good = verify(
    'sha256',
    signablePayload(subjectInfo, credentialsHeader),
    leaf.publicKey,
    Buffer.from(sig.value, 'base64'),
  );
  if (!good) return { ok: false, reason: `Invalid cross cluster api key signature from [${describe(leaf)}]` };
  return { ok: true, dn: rfc2253(leaf) };
}

/** A Java pattern as a whole-string JS RegExp; Java's leading inline `(?i)` becomes the i flag (JS has no inline
 *  flags). Throws on a pattern JS cannot compile. */
export function javaPattern(pattern: string): RegExp {
  const m = /^\(\?i\)/.exec(pattern);
  return new RegExp(`^(?:${m ? pattern.slice(m[0].length) : pattern})$`, m ? 'i' : '');
}

/** The key's certificate_identity against the verified DN (whole-string match). Undefined: allowed. */
export function identityProblem(
  keyId: string,
  pattern: string | undefined,
  dn: string | undefined,
): string | undefined {
  if (pattern === undefined) return undefined;
  if (dn === undefined)
    return `API key (type:[cross_cluster], id:[${keyId}]) requires certificate identity matching [${pattern}], but no certificate was provided`;
  let re: RegExp;
  try {
    re = javaPattern(pattern);
  } catch {
    return `DN from provided certificate [${dn}] does not match API Key certificate identity pattern [${pattern}]`;
  }
  return re.test(dn)
    ? undefined
    : `DN from provided certificate [${dn}] does not match API Key certificate identity pattern [${pattern}]`;
}
