// PKCS#12 files the JDK (and so Elasticsearch) reads, like `elasticsearch-certutil cert` writes:
//   PrivateKeyEntry <alias> (key + leaf) and TrustedCertificateEntry "ca" per CA certificate.
// node-forge's toPkcs12Asn1 cannot mark a certificate as trusted: the JDK lists a key-less certificate bag as
// trustedCertEntry only when it carries Oracle's attribute 2.16.840.1.113894.746875.1.1 = anyExtendedKeyUsage,
// so the PFX is assembled here on forge's asn1. Key and certificates: PBES2 (PBKDF2 HMAC-SHA256, AES-256-CBC),
// MAC HMAC-SHA256, 10 000 iterations (JDK 16+ defaults; JDK 17 and OpenSSL 3 read it). The key derivations and
// ciphers run in Node's crypto: forge's pure-JS PBKDF2 and PKCS#12 KDF took ~0.2 s per file, on the event loop.
import {
  X509Certificate,
  createCipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  pbkdf2Sync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
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
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSha256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
} as const;

const ITERATIONS = 10_000;

export interface Pkcs12Input {
  keyPem: string;
  certPem: string;
  /** CA certificates, stored as trusted entries "ca", "ca-1", … */
  caPems: string[];
  password: string;
  /** Alias of the key entry; default "instance" like certutil. */
  alias?: string;
}
export interface Pkcs12Contents {
  keyPem: string;
  certPem: string;
  caPems: string[];
  alias: string;
}

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

const NULL = () => asn1.create(C.UNIVERSAL, T.NULL, false, '');
const bin = (b: Buffer) => b.toString('binary');

/**
 * PBES2 (RFC 8018): PBKDF2 HMAC-SHA256 → AES-256-CBC over `der`. Returns [AlgorithmIdentifier, ciphertext bytes].
 * The password bytes are its ASCII characters (checkPassword), as the JDK and OpenSSL derive them.
 */
function pbes2Encrypt(der: Buffer, password: string): [forge.asn1.Asn1, string] {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(password, 'latin1'), salt, ITERATIONS, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(der), cipher.final()]);
  const algId = seq([
    oid(OID.pbes2),
    seq([
      seq([
        oid(OID.pbkdf2),
        seq([octets(bin(salt)), integer(ITERATIONS), integer(32), seq([oid(OID.hmacWithSha256), NULL()])]),
      ]),
      seq([oid(OID.aes256Cbc), octets(bin(iv))]),
    ]),
  ]);
  return [algId, bin(encrypted)];
}

/**
 * The PKCS#12 key derivation (RFC 7292 appendix B.2) with SHA-256 for the MAC key (ID 3). A 32-byte key is one
 * hash block, so only A_1 = H^c(D || S || P) is needed. P is the password as a null-terminated BMPString.
 */
export function pkcs12MacKey(password: string, salt: Buffer, iterations: number): Buffer {
  const v = 64;
  const repeatTo = (b: Buffer) => {
    const out = Buffer.alloc(v * Math.ceil(b.length / v));
    for (let i = 0; i < out.length; i++) out[i] = b[i % b.length]!;
    return out;
  };
  const bmp = Buffer.alloc((password.length + 1) * 2);
  for (let i = 0; i < password.length; i++) bmp.writeUInt16BE(password.charCodeAt(i), i * 2);
  let a = createHash('sha256').update(Buffer.alloc(v, 3)).update(repeatTo(salt)).update(repeatTo(bmp)).digest();
  for (let i = 1; i < iterations; i++) a = createHash('sha256').update(a).digest();
  return a;
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
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: input.keyPem, format: 'pem' });
    if (key.asymmetricKeyType !== 'rsa') throw new Error(`${key.asymmetricKeyType} key`);
  } catch (e) {
    throw new CertError(`the private key is not a readable unencrypted RSA PEM key: ${(e as Error).message}`);
  }
  const leafDer = pemToDer(input.certPem, 'the certificate');
  if (!new X509Certificate(Buffer.from(leafDer, 'binary')).checkPrivateKey(key)) {
    throw new CertError('the private key does not belong to the certificate');
  }
  const localKeyId = forge.md.sha1.create().update(leafDer).digest().getBytes();

  // Key bag: PrivateKeyEntry <alias>, linked to the leaf certificate by localKeyId (EncryptedPrivateKeyInfo).
  const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
  const [keyAlg, keyEnc] = pbes2Encrypt(pkcs8, input.password);
  const keyBag = seq([
    oid(OID.shroudedKeyBag),
    explicit0(seq([keyAlg, octets(keyEnc)])),
    set([attribute(OID.friendlyName, bmpString(alias)), attribute(OID.localKeyId, octets(localKeyId))]),
  ]);

  // Certificate bags: the leaf (same localKeyId) and each CA as a trusted entry.
  const certBags = [
    certBag(leafDer, [attribute(OID.friendlyName, bmpString(alias)), attribute(OID.localKeyId, octets(localKeyId))]),
  ];
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
  const [algId, encCerts] = pbes2Encrypt(Buffer.from(asn1.toDer(seq(certBags)).getBytes(), 'binary'), input.password);
  const certContentInfo = seq([
    oid(OID.encryptedData),
    explicit0(seq([integer(0), seq([oid(OID.data), algId, asn1.create(C.CONTEXT_SPECIFIC, 0, false, encCerts)])])),
  ]);
  const authSafeDer = asn1.toDer(seq([certContentInfo, keyContentInfo])).getBytes();

  // MAC over the AuthenticatedSafe: HMAC-SHA256 with the PKCS#12 KDF (id 3).
  const macSalt = randomBytes(20);
  const mac = createHmac('sha256', pkcs12MacKey(input.password, macSalt, ITERATIONS))
    .update(Buffer.from(authSafeDer, 'binary'))
    .digest();
  const macData = seq([
    seq([seq([oid(OID.sha256), NULL()]), octets(bin(mac))]),
    octets(bin(macSalt)),
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
  if (keyBags.length !== 1)
    throw new CertError(`${where}: expected exactly one private key entry, found ${keyBags.length}`);
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
  const alias =
    (keyBag.attributes?.friendlyName?.[0] as string | undefined) ??
    (leafBag.attributes?.friendlyName?.[0] as string | undefined) ??
    '1';
  return {
    keyPem: forge.pki.privateKeyToPem(keyBag.key),
    certPem: forge.pki.certificateToPem(leafBag.cert),
    caPems,
    alias,
  };
}
