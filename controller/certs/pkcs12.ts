// PKCS#12 files the JDK (and so Elasticsearch) reads, like `elasticsearch-certutil cert` writes:
//   PrivateKeyEntry <alias> (key + leaf) and TrustedCertificateEntry "ca" per CA certificate.
// node-forge's toPkcs12Asn1 cannot mark a certificate as trusted: the JDK lists a key-less certificate bag as
// trustedCertEntry only when it carries Oracle's attribute 2.16.840.1.113894.746875.1.1 = anyExtendedKeyUsage,
// so the PFX is assembled here on forge's asn1. Key and certificates: PBES2 (PBKDF2 HMAC-SHA256, AES-256-CBC),
// MAC HMAC-SHA256, 10 000 iterations (JDK 16+ defaults; JDK 17 and OpenSSL 3 read it).
import { randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { CertError } from './keys.js';

const { asn1 } = forge;
const T = asn1.Type;
const C = asn1.Class;

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  oracleTrustedKeyUsage: '2.16.840.1.113894.746875.1.1',
  anyExtendedKeyUsage: '2.5.29.37.0',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

const ITERATIONS = 10_000;
const PBE_OPTIONS = { algorithm: 'aes256', prfAlgorithm: 'sha256', count: ITERATIONS, saltSize: 16 } as const;

export interface Pkcs12Input {
  keyPem: string;
  certPem: string;
  /** CA certificates, stored as trusted entries "ca", "ca-1", … */
  caPems: string[];
  password: string;
  /** Alias of the key entry; default "instance" like certutil. */
  alias?: string;
}
export interface Pkcs12Contents { keyPem: string; certPem: string; caPems: string[]; alias: string }

function checkPassword(password: string): void {
  // certutil: "PKCS#12 passwords must be plain ASCII"; forge and the JDK agree on ASCII bytes only.
  if (!/^[\x20-\x7e]*$/.test(password)) throw new CertError('PKCS#12 passwords must be plain printable ASCII');
}

const seq = (items: forge.asn1.Asn1[]) => asn1.create(C.UNIVERSAL, T.SEQUENCE, true, items);
const set = (items: forge.asn1.Asn1[]) => asn1.create(C.UNIVERSAL, T.SET, true, items);
const oid = (o: string) => asn1.create(C.UNIVERSAL, T.OID, false, asn1.oidToDer(o).getBytes());
const octets = (bytes: string) => asn1.create(C.UNIVERSAL, T.OCTETSTRING, false, bytes);
const explicit0 = (inner: forge.asn1.Asn1) => asn1.create(C.CONTEXT_SPECIFIC, 0, true, [inner]);
const integer = (n: number) => asn1.create(C.UNIVERSAL, T.INTEGER, false, asn1.integerToDer(n).getBytes());

// forge's toDer writes BMPSTRING values as UTF-16BE itself.
const bmpString = (s: string) => asn1.create(C.UNIVERSAL, T.BMPSTRING, false, s);
const attribute = (type: string, value: forge.asn1.Asn1) => seq([oid(type), set([value])]);

function certBag(certDer: string, attrs: forge.asn1.Asn1[]): forge.asn1.Asn1 {
  return seq([oid(OID.certBag), explicit0(seq([oid(OID.x509Certificate), explicit0(octets(certDer))])), set(attrs)]);
}

/** PBES2-encrypts DER bytes of `content`, returning [algorithmIdentifier, encryptedBytes]. */
function pbes2Encrypt(content: forge.asn1.Asn1, password: string): [forge.asn1.Asn1, string] {
  // encryptPrivateKeyInfo is a generic "PBES2-encrypt this ASN.1 value" (EncryptedPrivateKeyInfo shape).
  const enc = forge.pki.encryptPrivateKeyInfo(content, password, PBE_OPTIONS) as forge.asn1.Asn1;
  const parts = enc.value as forge.asn1.Asn1[];
  return [parts[0], parts[1].value as string];
}

function pemToDer(pem: string, what: string): string {
  try {
    return asn1.toDer(forge.pki.certificateToAsn1(forge.pki.certificateFromPem(pem))).getBytes();
  } catch (e) {
    throw new CertError(`${what}: not a readable PEM certificate: ${(e as Error).message}`);
  }
}

export function toPkcs12(input: Pkcs12Input): Buffer {
  checkPassword(input.password);
  const alias = input.alias ?? 'instance';
  let key: forge.pki.rsa.PrivateKey;
  try {
    key = forge.pki.privateKeyFromPem(input.keyPem) as forge.pki.rsa.PrivateKey;
  } catch (e) {
    throw new CertError(`the private key is not a readable unencrypted RSA PEM key: ${(e as Error).message}`);
  }
  const leafDer = pemToDer(input.certPem, 'the certificate');
  const leaf = forge.pki.certificateFromPem(input.certPem);
  if ((leaf.publicKey as forge.pki.rsa.PublicKey).n.compareTo(key.n) !== 0) {
    throw new CertError('the private key does not belong to the certificate');
  }
  const localKeyId = forge.md.sha1.create().update(leafDer).digest().getBytes();

  // Key bag: PrivateKeyEntry <alias>, linked to the leaf certificate by localKeyId.
  const keyInfo = forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key));
  const encKey = forge.pki.encryptPrivateKeyInfo(keyInfo, input.password, PBE_OPTIONS) as forge.asn1.Asn1;
  const keyBag = seq([
    oid(OID.shroudedKeyBag),
    explicit0(encKey),
    set([attribute(OID.friendlyName, bmpString(alias)), attribute(OID.localKeyId, octets(localKeyId))]),
  ]);

  // Certificate bags: the leaf (same localKeyId) and each CA as a trusted entry.
  const certBags = [certBag(leafDer, [attribute(OID.friendlyName, bmpString(alias)), attribute(OID.localKeyId, octets(localKeyId))])];
  input.caPems.forEach((pem, i) => {
    const name = i === 0 ? 'ca' : `ca-${i}`;
    certBags.push(
      certBag(pemToDer(pem, `CA certificate ${i + 1}`), [
        attribute(OID.friendlyName, bmpString(name)),
        attribute(OID.oracleTrustedKeyUsage, oid(OID.anyExtendedKeyUsage)),
      ]),
    );
  });

  const keyContentInfo = seq([oid(OID.data), explicit0(octets(asn1.toDer(seq([keyBag])).getBytes()))]);
  const [algId, encCerts] = pbes2Encrypt(seq(certBags), input.password);
  const certContentInfo = seq([
    oid(OID.encryptedData),
    explicit0(seq([integer(0), seq([oid(OID.data), algId, asn1.create(C.CONTEXT_SPECIFIC, 0, false, encCerts)])])),
  ]);
  const authSafeDer = asn1.toDer(seq([certContentInfo, keyContentInfo])).getBytes();

  // MAC over the AuthenticatedSafe: HMAC-SHA256 with the PKCS#12 KDF (id 3).
  const macSalt = randomBytes(20).toString('binary');
  const macKey = forge.pkcs12.generateKey(input.password, new forge.util.ByteStringBuffer(macSalt), 3, ITERATIONS, 32, forge.md.sha256.create());
  const hmac = forge.hmac.create();
  hmac.start(forge.md.sha256.create(), macKey);
  hmac.update(authSafeDer);
  const macData = seq([
    seq([seq([oid(OID.sha256), asn1.create(C.UNIVERSAL, T.NULL, false, '')]), octets(hmac.digest().getBytes())]),
    octets(macSalt),
    integer(ITERATIONS),
  ]);
  const pfx = seq([integer(3), seq([oid(OID.data), explicit0(octets(authSafeDer))]), macData]);
  return Buffer.from(asn1.toDer(pfx).getBytes(), 'binary');
}

type Bag = forge.pkcs12.Bag;

/** Reads a PKCS#12: the (single) key entry, its certificate, and the other certificates as CAs. */
export function readPkcs12(buf: Buffer, password: string, where = 'PKCS#12'): Pkcs12Contents {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1.fromDer(buf.toString('binary')), false, password);
  } catch (e) {
    const msg = (e as Error).message;
    if (/MAC could not be verified|Invalid password|PKCS#8|decrypt/i.test(msg)) {
      throw new CertError(`${where}: wrong password (the PKCS#12 integrity check failed)`);
    }
    throw new CertError(`${where}: not a readable PKCS#12 file: ${msg}`);
  }
  const keyBags: Bag[] = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag })[forge.pki.oids.keyBag] ?? []),
  ];
  const certBags: Bag[] = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? [];
  if (keyBags.length !== 1) throw new CertError(`${where}: expected exactly one private key entry, found ${keyBags.length}`);
  const keyBag = keyBags[0];
  if (!keyBag.key) throw new CertError(`${where}: the private key is not an RSA key (unsupported)`);
  const idHex = (b: Bag) => {
    const v = b.attributes?.localKeyId?.[0] as unknown;
    return typeof v === 'string' ? forge.util.bytesToHex(v) : undefined;
  };
  const keyId = idHex(keyBag);
  const keyN = (keyBag.key as forge.pki.rsa.PrivateKey).n;
  const leafBag =
    certBags.find((b) => keyId !== undefined && idHex(b) === keyId) ??
    certBags.find((b) => b.cert && (b.cert.publicKey as forge.pki.rsa.PublicKey).n?.compareTo(keyN) === 0);
  if (!leafBag?.cert) throw new CertError(`${where}: no certificate for the private key`);
  const caPems = certBags.filter((b) => b !== leafBag && b.cert).map((b) => forge.pki.certificateToPem(b.cert!));
  const alias = (keyBag.attributes?.friendlyName?.[0] as string | undefined) ?? (leafBag.attributes?.friendlyName?.[0] as string | undefined) ?? '1';
  return {
    keyPem: forge.pki.privateKeyToPem(keyBag.key),
    certPem: forge.pki.certificateToPem(leafBag.cert),
    caPems,
    alias,
  };
}
