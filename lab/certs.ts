// Certificates of a lab, behind a small interface. Same certificates as controller/certs (certutil-like: RSA 2048,
// SHA-256, SKI/AKI, basicConstraints, SANs, EKU serverAuth+clientAuth), built with node-forge, but made for speed
// because `lab up` creates one per node under a 10 s budget on a shared 2-core machine: RSA keys are generated
// asynchronously on libuv's thread pool, the certificate is signed with Node's native RSA (forge only encodes
// the ASN.1), and PKCS#12 files come from OpenSSL in child processes when it is installed (controller/certs'
// pure-JS writer otherwise). Every certificate is checked against its CA with Node's X509Certificate.
import { execFile } from 'node:child_process';
import { createPrivateKey, generateKeyPair, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { toPkcs12, type CertAndKey } from '../controller/certs/index.js';

export type { CertAndKey };

export interface LabCa extends CertAndKey {}

const DAY_MS = 86_400_000;
const DAYS = 1095;

function rsaKey(): Promise<{ keyPem: string; publicKey: forge.pki.PublicKey }> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 }, (err, pub, priv) => {
      if (err) return reject(err);
      resolve({
        keyPem: priv.export({ format: 'pem', type: 'pkcs1' }) as string,
        publicKey: forge.pki.publicKeyFromPem(pub.export({ format: 'pem', type: 'spki' }) as string),
      });
    });
  });
}

function serial(): string {
  const b = randomBytes(20);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

function cn(name: string): forge.pki.CertificateField[] {
  return [{ name: 'commonName', value: name }];
}

/** Signs the TBSCertificate with Node's native RSA (SHA-256) and returns the PEM. */
function signNative(cert: forge.pki.Certificate, caKey: KeyObject): string {
  const c = cert as forge.pki.Certificate & { siginfo: { algorithmOid: string }; signatureOid: string; tbsCertificate: forge.asn1.Asn1; signature: string };
  c.signatureOid = c.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
  // getTBSCertificate is part of forge's pki API but missing from its type definitions
  const tbs = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  const der = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  c.tbsCertificate = tbs;
  c.signature = sign('sha256', der, caKey).toString('binary');
  return forge.pki.certificateToPem(cert);
}

export async function createLabCa(name = 'crosskey lab CA'): Promise<LabCa> {
  const { keyPem, publicKey } = await rsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial();
  const now = Date.now();
  cert.validity.notBefore = new Date(now);
  cert.validity.notAfter = new Date(now + DAYS * DAY_MS);
  cert.setSubject(cn(name));
  cert.setIssuer(cn(name));
  cert.setExtensions([
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: true },
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  return { certPem: signNative(cert, createPrivateKey(keyPem)), keyPem };
}

export interface NodeCertRequest {
  ca: LabCa;
  name: string;
  ips: string[];
  dns: string[];
}

/** One certificate per node, for HTTP (server) and transport (server + client), like a certutil cert. */
export async function issueNodeCert(req: NodeCertRequest): Promise<CertAndKey> {
  const caCert = forge.pki.certificateFromPem(req.ca.certPem);
  const { keyPem, publicKey } = await rsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial();
  const now = Date.now();
  cert.validity.notBefore = new Date(now);
  cert.validity.notAfter = new Date(Math.min(now + DAYS * DAY_MS, caCert.validity.notAfter.getTime()));
  cert.setSubject(cn(req.name));
  cert.setIssuer(caCert.subject.attributes);
  const ski = caCert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | null;
  cert.setExtensions([
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ski?.subjectKeyIdentifier ? forge.util.hexToBytes(ski.subjectKeyIdentifier) : true },
    { name: 'basicConstraints', cA: false },
    { name: 'subjectAltName', altNames: [...req.dns.map((value) => ({ type: 2, value })), ...req.ips.map((ip) => ({ type: 7, ip }))] },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
  ]);
  const certPem = signNative(cert, createPrivateKey(req.ca.keyPem));
  if (!new X509Certificate(certPem).verify(new X509Certificate(req.ca.certPem).publicKey)) {
    throw new Error(`certificate for ${req.name} does not verify against the lab CA`);
  }
  return { certPem, keyPem };
}

const OPENSSL = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => existsSync(p));

/**
 * PKCS#12 with the key entry `alias` and the CA as a trusted entry. OpenSSL reads the PEM input twice (key, then
 * certificates), so it gets a 0600 temp file in `workDir`, removed right after; the password goes through the
 * environment, never argv.
 */
export async function pkcs12(cert: CertAndKey, caPem: string, password: string, alias: string, workDir: string): Promise<Buffer> {
  const pure = () => toPkcs12({ keyPem: cert.keyPem, certPem: cert.certPem, caPems: [caPem], password, alias });
  if (!OPENSSL) return pure();
  const input = join(workDir, `.p12-input-${randomBytes(6).toString('hex')}.pem`);
  writeFileSync(input, cert.keyPem + cert.certPem + caPem, { mode: 0o600 });
  try {
    return await new Promise<Buffer>((resolve) => {
      execFile(OPENSSL, ['pkcs12', '-export', '-in', input, '-name', alias, '-caname', 'ca', '-passout', 'env:CROSSKEY_LAB_P12_PASS'], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CROSSKEY_LAB_P12_PASS: password },
        encoding: 'buffer',
        maxBuffer: 1 << 20,
      }, (err, stdout) => resolve(err || stdout.length === 0 ? pure() : stdout)); // any OpenSSL problem: the pure-JS writer
    });
  } finally {
    rmSync(input, { force: true });
  }
}
