// RSA key generation and PEM key encryption, done with Node's crypto (native, fast) and handed to node-forge.
import { createPrivateKey, generateKeyPair, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import forge from 'node-forge';

export class CertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertError';
  }
}

export interface KeyPair {
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
  keyPem: string;
}

function checkKeySize(bits: number): number {
  if (!Number.isInteger(bits) || bits < 2048 || bits > 8192) {
    throw new CertError(`key size ${bits} is not allowed: use 2048..8192 bits (certutil's default is 2048)`);
  }
  return bits;
}

/** The forge view of a PKCS#1 PEM key. */
export function keyPairFromPem(keyPem: string): KeyPair {
  const fk = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  return { privateKey: fk, publicKey: forge.pki.setRsaPublicKey(fk.n, fk.e), keyPem };
}

export function generateRsaKey(bits: number): KeyPair {
  // Node's native keygen: ~0.2 s for 2048 bits (forge's pure-JS keygen takes seconds).
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: checkKeySize(bits), publicExponent: 0x10001 });
  return keyPairFromPem(privateKey.export({ format: 'pem', type: 'pkcs1' }) as string);
}

/** The same on libuv's thread pool, so that several keys (e.g. one per lab node) are made in parallel. */
export function generateRsaKeyPemAsync(bits: number): Promise<string> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: checkKeySize(bits), publicExponent: 0x10001 }, (err, _pub, priv) =>
      err ? reject(err) : resolve(priv.export({ format: 'pem', type: 'pkcs1' }) as string),
    );
  });
}

/** Signs a forge certificate (SHA-256 with RSA) with Node's native RSA: forge only encodes the ASN.1. */
export function signCertificate(cert: forge.pki.Certificate, signerKeyPem: string): void {
  const c = cert as forge.pki.Certificate & {
    siginfo: { algorithmOid: string };
    signatureOid: string;
    tbsCertificate: forge.asn1.Asn1;
    signature: string;
  };
  c.signatureOid = c.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
  // getTBSCertificate is part of forge's pki API but missing from its type definitions
  const tbs = (
    forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }
  ).getTBSCertificate(cert);
  c.tbsCertificate = tbs;
  const der = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  c.signature = sign('sha256', der, createPrivateKey(signerKeyPem)).toString('binary');
}

/** Random positive 160-bit serial, like certutil (BigInteger(160, random)); hex for forge. */
export function randomSerialHex(): string {
  const b = randomBytes(20);
  b[0] = (b[0] & 0x7f) | 0x01; // positive (DER INTEGER sign bit clear) and exactly 20 bytes
  return b.toString('hex');
}

/**
 * Traditional OpenSSL PEM encryption of a PKCS#1 key (Proc-Type: 4,ENCRYPTED; DEK-Info: AES-128-CBC),
 * which is what certutil writes for `ca --pem --pass`; Node crypto and openssl both read it.
 */
export function encryptKeyPem(keyPem: string, passphrase: string): string {
  if (passphrase === '') throw new CertError('encrypted PEM files do not support blank passwords');
  return createPrivateKey(keyPem).export({ format: 'pem', type: 'pkcs1', cipher: 'aes-128-cbc', passphrase }) as string;
}

/** Whether a PEM key is passphrase-protected (traditional "Proc-Type: 4,ENCRYPTED" or PKCS#8 "ENCRYPTED PRIVATE KEY"). */
export function isEncryptedKeyPem(keyPem: string): boolean {
  return /ENCRYPTED/.test(keyPem);
}

/** Returns the key as unencrypted PKCS#1 PEM; `where` names the file for error messages. */
export function decryptKeyPem(keyPem: string, passphrase: string | undefined, where: string): string {
  const encrypted = isEncryptedKeyPem(keyPem);
  if (encrypted && passphrase === undefined) {
    throw new CertError(`${where}: the key is encrypted; give its passphrase (--ca-pass-file)`);
  }
  try {
    const key = createPrivateKey(encrypted ? { key: keyPem, passphrase } : { key: keyPem });
    if (key.asymmetricKeyType !== 'rsa')
      throw new CertError(`${where}: only RSA keys are supported, found ${key.asymmetricKeyType}`);
    return key.export({ format: 'pem', type: 'pkcs1' }) as string;
  } catch (e) {
    if (e instanceof CertError) throw e;
    const msg = (e as Error).message;
    if (encrypted) throw new CertError(`${where}: cannot decrypt the key (wrong passphrase?): ${msg}`);
    throw new CertError(`${where}: not a readable private key: ${msg}`);
  }
}
