// Certificates of a lab, behind a small interface: the CA and leaf certificates come from controller/certs
// (node-forge, like elasticsearch-certutil); PKCS#12 files are written with OpenSSL when it is installed
// (native: ~20 ms instead of ~300 ms in pure JS, which matters for `lab up` < 10 s), else with controller/certs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createCa, issueCert, toPkcs12, type CertAndKey } from '../controller/certs/index.js';

export type { CertAndKey };

export interface LabCa extends CertAndKey {}

export function createLabCa(dn = 'CN=crosskey lab CA'): LabCa {
  return createCa({ dn });
}

export interface NodeCertRequest {
  ca: LabCa;
  name: string;
  ips: string[];
  dns: string[];
}

/** One certificate per node, usable for HTTP (server) and transport (server + client), like a certutil cert. */
export function issueNodeCert(req: NodeCertRequest): CertAndKey {
  return issueCert({ ca: req.ca, name: req.name, ip: req.ips, dns: req.dns, serverAndClientAuth: true });
}

const OPENSSL = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => existsSync(p));

/** PKCS#12 with the key entry `instance` and the CA as a trusted entry; the password goes through the environment. */
export function pkcs12(cert: CertAndKey, caPem: string, password: string, alias = 'instance'): Buffer {
  if (OPENSSL) {
    const r = spawnSync(OPENSSL, ['pkcs12', '-export', '-in', '/dev/stdin', '-name', alias, '-caname', 'ca', '-passout', 'env:CROSSKEY_LAB_P12_PASS'], {
      input: cert.keyPem + cert.certPem + caPem,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CROSSKEY_LAB_P12_PASS: password },
      maxBuffer: 1 << 20,
    });
    if (r.status === 0 && r.stdout.length > 0) return r.stdout;
    // fall through to the pure-JS writer on any OpenSSL problem
  }
  return toPkcs12({ keyPem: cert.keyPem, certPem: cert.certPem, caPems: [caPem], password, alias });
}
