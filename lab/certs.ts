// Certificates of a lab: the certutil-like certificates of controller/certs (RSA 2048, SHA-256, SKI/AKI,
// basicConstraints, SANs, EKU serverAuth+clientAuth for node certificates), with keys generated in parallel on
// libuv's thread pool because `lab up` makes one per node under a 10 s budget on a shared 2-core machine, and
// PKCS#12 files from OpenSSL in child processes when it is installed (controller/certs' pure-JS writer otherwise).
import { execFile } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCaAsync, issueCertAsync, toPkcs12, type CertAndKey } from '../controller/certs/index.js';

export type { CertAndKey };

export interface LabCa extends CertAndKey {}

export async function createLabCa(name = 'crosskey lab CA'): Promise<LabCa> {
  return createCaAsync({ dn: `CN=${name}` });
}

export interface NodeCertRequest {
  ca: LabCa;
  name: string;
  ips: string[];
  dns: string[];
}

/** One certificate per node, for HTTP (server) and transport (server + client), like a certutil cert. */
export async function issueNodeCert(req: NodeCertRequest): Promise<CertAndKey> {
  const cert = await issueCertAsync({
    ca: req.ca,
    name: req.name,
    ip: req.ips,
    dns: req.dns,
    serverAndClientAuth: true,
  });
  if (!new X509Certificate(cert.certPem).verify(new X509Certificate(req.ca.certPem).publicKey)) {
    throw new Error(`certificate for ${req.name} does not verify against the lab CA`);
  }
  return cert;
}

const OPENSSL = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => existsSync(p));

/**
 * PKCS#12 with the key entry `alias` and the CA as a trusted entry. OpenSSL reads the PEM input twice (key, then
 * certificates), so it gets a 0600 temp file in `workDir`, removed right after; the password goes through the
 * environment, never argv.
 */
export async function pkcs12(
  cert: CertAndKey,
  caPem: string,
  password: string,
  alias: string,
  workDir: string,
): Promise<Buffer> {
  const pure = () => toPkcs12({ keyPem: cert.keyPem, certPem: cert.certPem, caPems: [caPem], password, alias });
  if (!OPENSSL) return pure();
  const input = join(workDir, `.p12-input-${randomBytes(6).toString('hex')}.pem`);
  writeFileSync(input, cert.keyPem + cert.certPem + caPem, { mode: 0o600 });
  try {
    return await new Promise<Buffer>((resolve) => {
      execFile(
        OPENSSL,
        ['pkcs12', '-export', '-in', input, '-name', alias, '-caname', 'ca', '-passout', 'env:CROSSKEY_LAB_P12_PASS'],
        {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CROSSKEY_LAB_P12_PASS: password },
          encoding: 'buffer',
          maxBuffer: 1 << 20,
        },
        (err, stdout) => resolve(err || stdout.length === 0 ? pure() : stdout),
      ); // any OpenSSL problem: the pure-JS writer
    });
  } finally {
    rmSync(input, { force: true });
  }
}
