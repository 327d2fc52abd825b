// Unit tests of controller/certs: certificate contents, key encryption, PKCS#12 round trip, CLI errors.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import forge from 'node-forge';
import { pkcs12MacKey } from '../../controller/certs/pkcs12.js';
import {
  CertError,
  createCa,
  issueCert,
  loadCa,
  parseDn,
  readPkcs12,
  toPkcs12,
  writeCa,
  inspect,
  formatDn,
} from '../../controller/certs/index.js';
import { certsCommand } from '../../controller/cli/commands/certs.js';

const dir = mkdtempSync(join(tmpdir(), 'crosskey-certs-unit-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

// One CA and one leaf for the whole file: RSA keygen is the slow part.
const ca = createCa({ dn: 'CN=Test CA,O=crosskey', days: 30 });
const leaf = issueCert({ ca, name: 'node-1', dns: ['node1.lab', '*.es.lab'], ip: ['127.0.0.1', '::1'], days: 10 });

test('CA: certutil extensions (CA critical, keyCertSign+cRLSign critical, SKI=AKI), SHA-256, 160-bit serial', (t) => {
  const x = new X509Certificate(ca.certPem);
  t.true(x.ca);
  t.is(x.subject, 'CN=Test CA\nO=crosskey');
  const c = forge.pki.certificateFromPem(ca.certPem);
  const bc = c.getExtension('basicConstraints') as { cA: boolean; critical: boolean };
  t.true(bc.cA);
  t.true(bc.critical);
  const ku = c.getExtension('keyUsage') as Record<string, boolean>;
  t.true(ku.critical && ku.keyCertSign && ku.cRLSign);
  t.false(ku.digitalSignature);
  const ski = (c.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier: string }).subjectKeyIdentifier;
  t.is(ski.length, 40);
  t.is(c.siginfo.algorithmOid, forge.pki.oids.sha256WithRSAEncryption);
  t.is(c.serialNumber.length, 40);
  t.true(parseInt(c.serialNumber[0], 16) < 8, 'serial is positive');
  const days = (c.validity.notAfter.getTime() - c.validity.notBefore.getTime()) / 86_400_000;
  t.is(Math.round(days), 30);
  t.is(createPrivateKey(ca.keyPem).asymmetricKeyDetails?.modulusLength, 2048);
  t.true(ca.keyPem.startsWith('-----BEGIN RSA PRIVATE KEY-----'), 'PKCS#1 like certutil');
});

test('leaf: SANs, CA:false, AKI = CA SKI, no EKU by default, verifies against the CA', (t) => {
  const x = new X509Certificate(leaf.certPem);
  t.false(x.ca);
  t.is(x.subject, 'CN=node-1');
  t.true(x.checkIssued(new X509Certificate(ca.certPem)));
  t.true(x.verify(new X509Certificate(ca.certPem).publicKey));
  t.is(x.subjectAltName, 'DNS:node1.lab, DNS:*.es.lab, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  t.truthy(x.checkHost('node1.lab'));
  t.truthy(x.checkHost('a.es.lab'));
  t.falsy(x.checkHost('other.lab'));
  t.truthy(x.checkIP('127.0.0.1'));
  t.falsy(x.checkIP('127.0.0.2'));
  const c = forge.pki.certificateFromPem(leaf.certPem);
  const caC = forge.pki.certificateFromPem(ca.certPem);
  const aki = c.getExtension('authorityKeyIdentifier') as { value: string };
  const caSki = (caC.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier: string }).subjectKeyIdentifier;
  t.true(forge.util.bytesToHex(aki.value).endsWith(caSki), 'AKI carries the CA key id');
  t.falsy(c.getExtension('extKeyUsage'));
  t.false((c.getExtension('basicConstraints') as { cA: boolean }).cA);
  // A leaf never outlives its CA.
  t.true(c.validity.notAfter.getTime() <= caC.validity.notAfter.getTime());
});

test('leaf: optional serverAuth+clientAuth EKU, full DN as name, no SAN extension without --dns/--ip', (t) => {
  const l = issueCert({ ca, name: 'CN=t1,OU=es', serverAndClientAuth: true, keySize: 2048 });
  const c = forge.pki.certificateFromPem(l.certPem);
  const eku = c.getExtension('extKeyUsage') as Record<string, boolean>;
  t.true(eku.serverAuth && eku.clientAuth);
  t.is(formatDn(c.subject.attributes), 'CN=t1,OU=es');
  t.falsy(c.getExtension('subjectAltName'));
});

test('bad inputs are clear errors', (t) => {
  t.throws(() => issueCert({ ca, ip: ['300.1.1.1'] }), {
    instanceOf: CertError,
    message: /"300.1.1.1" is not a valid IP/,
  });
  t.throws(() => issueCert({ ca, dns: ['bad name'] }), { instanceOf: CertError, message: /not a valid DNS name/ });
  t.throws(() => issueCert({ ca, name: 'ca' }), { message: /not allowed as an instance name/ });
  t.throws(() => createCa({ keySize: 1024 }), { message: /key size 1024 is not allowed/ });
  t.throws(() => createCa({ days: 0 }), { message: /days 0 is not allowed/ });
  t.throws(() => parseDn('CN=x,FOO=y'), { message: /unknown attribute "FOO"/ });
  t.throws(() => parseDn('justtext'), { message: /not KEY=value/ });
  const other = createCa({ days: 1 });
  t.throws(() => issueCert({ ca: { certPem: ca.certPem, keyPem: other.keyPem } }), {
    message: /does not belong to the certificate/,
  });
  t.throws(() => toPkcs12({ keyPem: other.keyPem, certPem: leaf.certPem, caPems: [], password: 'x' }), {
    message: /does not belong/,
  });
  t.throws(() => toPkcs12({ keyPem: leaf.keyPem, certPem: leaf.certPem, caPems: [], password: 'pässwort' }), {
    message: /plain printable ASCII/,
  });
});

test('writeCa/loadCa: encrypted ca.key (traditional PEM, AES-128-CBC), 0600, refuses to overwrite, wrong passphrase', (t) => {
  const d = join(dir, 'ca-enc');
  const { keyPath, certPath } = writeCa(d, ca, 'ca-pass-123');
  const keyText = readFileSync(keyPath, 'utf8');
  t.regex(keyText, /^-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,[0-9A-F]{32}\n/);
  t.is(statSync(keyPath).mode & 0o777, 0o600);
  t.is(statSync(certPath).mode & 0o777, 0o600);
  // Node crypto reads it with the passphrase (as ES tooling and openssl do).
  t.is(createPrivateKey({ key: keyText, passphrase: 'ca-pass-123' }).asymmetricKeyType, 'rsa');
  const loaded = loadCa(d, 'ca-pass-123');
  t.is(loaded.certPem, ca.certPem);
  t.is(
    createPrivateKey(loaded.keyPem).export({ format: 'der', type: 'pkcs1' }).toString('hex'),
    createPrivateKey(ca.keyPem).export({ format: 'der', type: 'pkcs1' }).toString('hex'),
  );
  t.throws(() => loadCa(d, 'wrong'), {
    instanceOf: CertError,
    message: /ca\.key: cannot decrypt the key \(wrong passphrase\?\)/,
  });
  t.throws(() => loadCa(d), { message: /the key is encrypted; give its passphrase/ });
  t.throws(() => writeCa(d, ca), { message: /already exists; refusing to overwrite/ });
  t.throws(() => loadCa(join(dir, 'missing')), {
    message: /cannot read the CA in .*missing \(expected ca.crt and ca.key\)/,
  });
});

test('PKCS#12: round trip keeps key, leaf, CA and alias; wrong password is a clear error', (t) => {
  const p12 = toPkcs12({
    keyPem: leaf.keyPem,
    certPem: leaf.certPem,
    caPems: [ca.certPem],
    password: 'p12-secret',
    alias: 'node-1',
  });
  const back = readPkcs12(p12, 'p12-secret');
  t.is(back.alias, 'node-1');
  t.is(back.certPem.trim(), leaf.certPem.trim());
  t.deepEqual(
    back.caPems.map((p) => p.trim()),
    [ca.certPem.trim()],
  );
  t.is(
    createPrivateKey(back.keyPem).export({ format: 'der', type: 'pkcs1' }).toString('hex'),
    createPrivateKey(leaf.keyPem).export({ format: 'der', type: 'pkcs1' }).toString('hex'),
  );
  t.throws(() => readPkcs12(p12, 'nope', 'node1.p12'), {
    instanceOf: CertError,
    message: 'node1.p12: wrong password (the PKCS#12 integrity check failed)',
  });
  t.throws(() => readPkcs12(Buffer.from('garbage'), 'x', 'g.p12'), { message: /g\.p12: not a readable PKCS#12 file/ });
  // Node's TLS stack loads it as pfx too.
  const info = inspect(p12, 'p12-secret');
  t.is(info.subject, 'CN=node-1');
  t.deepEqual(info.sans, { dns: ['node1.lab', '*.es.lab'], ip: ['127.0.0.1', '::1'] });
  t.is(info.issuer, 'CN=Test CA,O=crosskey');
  t.false(info.isCa);
  t.is(info.cas?.[0].isCa, true);
  t.throws(() => inspect(p12), { message: /needs its password/ });
  t.is(
    inspect(Buffer.from(ca.certPem)).sha256,
    new X509Certificate(ca.certPem).fingerprint256.replace(/:/g, '').toLowerCase(),
  );
});

test('PKCS#12 MAC key derivation (native) equals the RFC 7292 KDF as node-forge implements it', (t) => {
  for (const [password, saltLen, iterations] of [
    ['p12-secret', 20, 10_000],
    ['', 8, 1],
    ['a much longer password that spans two blocks of 64 bytes!!', 70, 3],
  ] as const) {
    const salt = Buffer.from(Array.from({ length: saltLen }, (_, i) => (i * 37 + 11) & 0xff));
    const forgeKey = forge.pkcs12.generateKey(
      password,
      new forge.util.ByteStringBuffer(salt.toString('binary')),
      3,
      iterations,
      32,
      forge.md.sha256.create(),
    );
    t.is(
      pkcs12MacKey(password, salt, iterations).toString('hex'),
      forge.util.bytesToHex(forgeKey.getBytes()),
      `password ${JSON.stringify(password)}`,
    );
  }
});

test('CLI: usage errors and cert errors exit 1 and name the file; nothing is written', async (t) => {
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) };
  t.is(await certsCommand(['cert', '--out', join(dir, 'x.p12')], io), 1);
  t.regex(err.join(''), /--pass-file is required/);
  t.is(await certsCommand(['ca', '--out', join(dir, 'c'), '--bogus', '1'], io), 1);
  t.regex(err.join(''), /unknown option --bogus/);
  const pf = join(dir, 'pw');
  writeFileSync(pf, 'pw-123\n', { mode: 0o600 });
  err.length = 0;
  t.is(await certsCommand(['cert', '--ca', join(dir, 'nope'), '--out', join(dir, 'y.p12'), '--pass-file', pf], io), 1);
  t.regex(err.join(''), /cannot read the CA in .*nope/);
  t.throws(() => statSync(join(dir, 'y.p12')));
  t.is(await certsCommand(['ca', '--out', join(dir, 'c2'), '--days', 'ten'], io), 1);
  t.regex(err.join(''), /--days must be a whole number/);
});
