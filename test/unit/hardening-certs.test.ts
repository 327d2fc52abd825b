// Hardening of the certificate tooling: an expired or not-yet-valid CA is refused (CLI and es_certificate, before
// anything is written); a leaf never outlives its CA (clamped, with a warning); `certs inspect` and `crosskey
// inspect` say EXPIRED / not yet valid / expires in N days; files that are neither PEM nor PKCS#12 are named as
// such; --ca-pass-file for an unencrypted CA key is warned about; password files readable by others are refused.
import test from 'ava';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import {
  CertError,
  createCa,
  inspect,
  issueCert,
  issueCertAsync,
  leafValidity,
  toPkcs12,
  validityOf,
  writeCa,
  type CertAndKey,
} from '../../controller/certs/index.js';
import { certsCommand } from '../../controller/cli/commands/certs.js';
import { describeCertFile } from '../../controller/inspect/certfiles.js';
import { expiryCell, renderInspect } from '../../controller/inspect/render.js';
import type { InspectReport } from '../../controller/inspect/types.js';
import type { TaskContext } from '../../controller/modules/contract.js';
import { checkArgs } from '../../controller/modules/args.js';
import { FileStateStore } from '../../controller/state/store.js';
import { secrets } from '../../controller/secrets.js';
import { esCertificate, type CertificateArgs, type CertificateOp } from '../../controller/modules/es/es_certificate.js';
import { runTask } from '../helpers/run-task.js';
import { bundleCli, runCli } from '../integration/cli-bundle.js';

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'crosskey-hardening-certs-'));
let bundle: { file: string; remove(): void } | undefined;
test.before(async () => {
  bundle = await bundleCli();
});
test.after.always(() => {
  bundle?.remove();
  rmSync(dir, { recursive: true, force: true });
});

/** A self-signed CA (certutil's extensions) with the given validity: forge lets the dates lie in the past/future. */
function caWithValidity(notBefore: Date, notAfter: Date, cn = 'Dated CA'): CertAndKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ format: 'pem', type: 'pkcs1' }) as string;
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = '01';
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  const subject = [{ name: 'commonName', value: cn }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'subjectKeyIdentifier' },
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

/** A leaf with arbitrary dates, signed by `ca` (issueCert would refuse or clamp them). */
function leafWithValidity(ca: CertAndKey, notBefore: Date, notAfter: Date, cn: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(
    privateKey.export({ format: 'pem', type: 'pkcs1' }) as string,
  ) as forge.pki.rsa.PrivateKey;
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = '02';
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  cert.setSubject([{ name: 'commonName', value: cn }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem) as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

const now = Date.now();
const expiredCa = caWithValidity(new Date(now - 800 * DAY), new Date(now - 5 * DAY), 'Expired CA');
const futureCa = caWithValidity(new Date(now + 10 * DAY), new Date(now + 400 * DAY), 'Future CA');
const shortCa = createCa({ dn: 'CN=Short CA', days: 20 });
const expiredDir = join(dir, 'expired-ca');
const futureDir = join(dir, 'future-ca');
const shortDir = join(dir, 'short-ca');
writeCa(expiredDir, expiredCa);
writeCa(futureDir, futureCa);
writeCa(shortDir, shortCa);

const passFile = join(dir, 'p12-pass');
writeFileSync(passFile, 'store-pass-1\n', { mode: 0o600 });

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s), env: {} },
  };
}
const isoDay = (pem: string, which: 'notBefore' | 'notAfter') =>
  forge.pki.certificateFromPem(pem).validity[which].toISOString();

// ---- 1. expired / not-yet-valid CA; leaf never outlives its CA -------------------------------------------------

test('issueCert refuses an expired CA and a not-yet-valid CA, naming it and its dates', async (t) => {
  const e = t.throws(() => issueCert({ ca: expiredCa, ip: ['127.0.0.1'], caWhere: '/x/ca.crt' }), {
    instanceOf: CertError,
  });
  t.regex(e!.message, /\/x\/ca\.crt has EXPIRED/);
  t.true(e!.message.includes(`notBefore ${isoDay(expiredCa.certPem, 'notBefore')}`));
  t.true(e!.message.includes(`notAfter ${isoDay(expiredCa.certPem, 'notAfter')}`));
  t.throws(() => issueCert({ ca: futureCa, ip: ['127.0.0.1'] }), {
    instanceOf: CertError,
    message: /NOT YET VALID \(notBefore /,
  });
  await t.throwsAsync(issueCertAsync({ ca: expiredCa, ip: ['127.0.0.1'] }), {
    instanceOf: CertError,
    message: /has EXPIRED/,
  });
});

test('a leaf never outlives its CA: clamped to the CA notAfter with a warning (none when it fits)', (t) => {
  const caEnd = forge.pki.certificateFromPem(shortCa.certPem).validity.notAfter;
  const leaf = issueCert({ ca: shortCa, ip: ['127.0.0.1'], days: 365, caWhere: 'short/ca.crt' });
  t.is(forge.pki.certificateFromPem(leaf.certPem).validity.notAfter.getTime(), caEnd.getTime());
  t.is(leaf.warnings.length, 1);
  t.regex(
    leaf.warnings[0]!,
    /365 days would end .* after the CA certificate short\/ca\.crt \(notAfter .*\); a certificate cannot outlive its CA/,
  );
  const fits = issueCert({ ca: shortCa, ip: ['127.0.0.1'], days: 5 });
  t.deepEqual(fits.warnings, []);
  // A CA made moments ago with the same days as its leaf (es_certificate's own flow): no noise.
  t.deepEqual(leafValidity(shortCa.certPem, 20, 'x', new Date(Date.now() + 60_000)).warnings, []);
});

test('CLI certs cert: an expired CA exits 1 naming ca.crt and its dates; nothing written', async (t) => {
  const out = join(dir, 'from-expired.p12');
  const c = capture();
  t.is(
    await certsCommand(['cert', '--ca', expiredDir, '--out', out, '--pass-file', passFile, '--ip', '127.0.0.1'], c.io),
    1,
  );
  const msg = c.err.join('');
  t.true(msg.includes(join(expiredDir, 'ca.crt')), msg);
  t.regex(msg, /has EXPIRED \(notBefore \d{4}-\d\d-\d\dT.*, notAfter \d{4}-\d\d-\d\dT/);
  t.true(msg.includes(isoDay(expiredCa.certPem, 'notAfter')));
  t.false(existsSync(out));

  const out2 = join(dir, 'from-future.p12');
  const c2 = capture();
  t.is(
    await certsCommand(['cert', '--ca', futureDir, '--out', out2, '--pass-file', passFile, '--ip', '127.0.0.1'], c2.io),
    1,
  );
  t.regex(c2.err.join(''), /future-ca\/ca\.crt is NOT YET VALID \(notBefore /);
  t.false(existsSync(out2));
});

test('CLI certs cert (bundle): expired CA exits 1 with a clean message, no stack trace, no file', async (t) => {
  const out = join(dir, 'bundle-expired.p12');
  const r = await runCli(bundle!.file, [
    'certs',
    'cert',
    '--ca',
    expiredDir,
    '--out',
    out,
    '--pass-file',
    passFile,
    '--ip',
    '127.0.0.1',
  ]);
  t.is(r.code, 1, r.stderr);
  t.regex(
    r.stderr,
    /^crosskey certs cert: the CA certificate .*expired-ca\/ca\.crt has EXPIRED \(notBefore .*notAfter /,
  );
  t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
  t.false(existsSync(out));
});

test('CLI certs cert: --days past the CA end is clamped with a warning line', async (t) => {
  const out = join(dir, 'clamped.p12');
  const c = capture();
  t.is(
    await certsCommand(
      ['cert', '--ca', shortDir, '--out', out, '--pass-file', passFile, '--ip', '127.0.0.1', '--days', '400'],
      c.io,
    ),
    0,
    c.err.join(''),
  );
  t.regex(
    c.err.join(''),
    /^warning: 400 days would end .* after the CA certificate .*short-ca\/ca\.crt .*cannot outlive its CA/,
  );
  const info = inspect(out, 'store-pass-1');
  t.is(info.notAfter.toISOString(), isoDay(shortCa.certPem, 'notAfter'));
});

test('es_certificate: an expired CA fails the task in read, before the host is contacted or anything written', async (t) => {
  let agentCalls = 0;
  const hostDir = join(dir, 'host-a');
  mkdirSync(hostDir, { recursive: true });
  const ctx = {
    host: 'node-a',
    vars: { es_config: hostDir, inventory_hostname: 'node-a', ansible_host: '127.0.0.1' },
    check: false,
    diff: true,
    agent: async () => {
      agentCalls++;
      throw new Error('the host must not be contacted');
    },
    agentFor: async () => {
      agentCalls++;
      throw new Error('the host must not be contacted');
    },
    hostVars: () => ({}),
    playHosts: ['node-a'],
    secrets,
    state: new FileStateStore(join(dir, 'state')),
    journal: { event: () => {} },
    progress: () => {},
    changedFiles: new Map(),
    signal: new AbortController().signal,
  } as unknown as TaskContext;
  for (const [caDir, re] of [
    [
      expiredDir,
      /^node-a: es_certificate: the CA certificate .*expired-ca\/ca\.crt has EXPIRED \(notBefore .*, notAfter /,
    ],
    [futureDir, /NOT YET VALID/],
  ] as const) {
    const args = checkArgs(esCertificate.name, esCertificate.schema, {
      ca_dir: caDir,
      password: 'p12-pass-1',
    }) as unknown as CertificateArgs;
    await t.throwsAsync(esCertificate.read(ctx, args), { name: 'ModuleError', message: re });
    // check mode runs read too: it fails the same way.
    await t.throwsAsync(esCertificate.read({ ...ctx, check: true }, args), {
      message: /es_certificate: the CA certificate/,
    });
  }
  t.is(agentCalls, 0);
  t.false(existsSync(join(hostDir, 'remote-cluster-server.p12')));
});

test('es_certificate: days past the CA end are clamped; the warning is in msg and data.warnings', async (t) => {
  const puts: Array<Record<string, unknown>> = [];
  const fakeAgent = {
    async call(method: string, params: Record<string, unknown>) {
      if (method === 'file.read') return { exists: false };
      if (method === 'file.stat') return { exists: true };
      if (method === 'file.put') {
        puts.push(params);
        return {};
      }
      throw new Error(`unexpected ${method}`);
    },
  };
  const hostDir = join(dir, 'host-b');
  const ctx = {
    host: 'node-b',
    vars: { es_config: hostDir, inventory_hostname: 'node-b', ansible_host: '127.0.0.2' },
    check: false,
    diff: true,
    agent: async () => fakeAgent,
    agentFor: async () => fakeAgent,
    hostVars: () => ({}),
    playHosts: ['node-b'],
    secrets,
    state: new FileStateStore(join(dir, 'state')),
    journal: { event: () => {} },
    progress: () => {},
    changedFiles: new Map(),
    signal: new AbortController().signal,
  } as unknown as TaskContext;
  const r = await runTask(esCertificate, ctx, { ca_dir: shortDir, password: 'p12-pass-1', days: 365 });
  t.is(r.status, 'changed', r.msg);
  t.is((r.changes[0]!.op as CertificateOp).kind, 'issue');
  t.regex(r.msg!, /WARNING: 365 days would end .*cannot outlive its CA/);
  t.is((r.data.warnings as string[]).length, 1);
  t.is(puts.length, 1);
  const info = inspect(Buffer.from(String(puts[0]!.content), 'base64'), 'p12-pass-1');
  t.is(info.notAfter.toISOString(), isoDay(shortCa.certPem, 'notAfter'));
});

// ---- 2. EXPIRED / not yet valid / expires in N days -------------------------------------------------------------

const expiredLeaf = leafWithValidity(shortCa, new Date(now - 100 * DAY), new Date(now - 3 * DAY), 'old-leaf');
const futureLeaf = leafWithValidity(shortCa, new Date(now + 3 * DAY), new Date(now + 300 * DAY), 'future-leaf');
const soonLeaf = issueCert({ ca: shortCa, name: 'soon-leaf', ip: ['127.0.0.1'], days: 12 });
const longCa = createCa({ dn: 'CN=Long CA', days: 400 });
const longLeaf = issueCert({ ca: longCa, name: 'long-leaf', ip: ['127.0.0.1'], days: 200 });
const longP12 = join(dir, 'long.p12');
writeFileSync(
  longP12,
  toPkcs12({ keyPem: longLeaf.keyPem, certPem: longLeaf.certPem, caPems: [longCa.certPem], password: 'store-pass-1' }),
);

test('validityOf: expired, not yet valid, expiring within 30 days, valid', (t) => {
  const at = new Date('2030-06-15T00:00:00Z');
  t.like(validityOf(new Date('2029-01-01T00:00:00Z'), new Date('2030-06-10T00:00:00Z'), at), {
    status: 'expired',
    expired: true,
    notYetValid: false,
    daysLeft: -5,
  });
  t.regex(
    validityOf(new Date('2029-01-01T00:00:00Z'), new Date('2030-06-10T00:00:00Z'), at).text,
    /^EXPIRED 5 days ago/,
  );
  t.like(validityOf(new Date('2030-07-01T00:00:00Z'), new Date('2031-01-01T00:00:00Z'), at), {
    status: 'not yet valid',
    expired: false,
    notYetValid: true,
  });
  t.like(validityOf(new Date('2029-01-01T00:00:00Z'), new Date('2030-06-27T00:00:00Z'), at), {
    status: 'expiring',
    daysLeft: 12,
    text: 'expires in 12 days',
  });
  t.like(validityOf(new Date('2029-01-01T00:00:00Z'), new Date('2030-07-15T00:00:00Z'), at), {
    status: 'valid',
    daysLeft: 30,
  });
});

test('certs inspect: EXPIRED / not yet valid / expires in N days, in text and --json', async (t) => {
  const files: Record<string, string> = {};
  for (const [name, pem] of [
    ['expired', expiredLeaf],
    ['future', futureLeaf],
    ['soon', soonLeaf.certPem],
    ['long', longLeaf.certPem],
  ] as const) {
    files[name] = join(dir, `${name}.crt`);
    writeFileSync(files[name]!, pem);
  }
  const text = async (f: string) => {
    const c = capture();
    t.is(await certsCommand(['inspect', f], c.io), 0);
    return c.out.join('');
  };
  const json = async (f: string) => {
    const c = capture();
    t.is(await certsCommand(['inspect', f, '--json'], c.io), 0);
    return JSON.parse(c.out.join('')) as Record<string, unknown>;
  };
  t.regex(await text(files.expired!), /^status: +EXPIRED 3 days ago/m);
  t.like(await json(files.expired!), { status: 'expired', expired: true, notYetValid: false });
  t.regex(await text(files.future!), /^status: +not yet valid \(valid from /m);
  t.like(await json(files.future!), { status: 'not yet valid', expired: false, notYetValid: true });
  t.regex(await text(files.soon!), /^status: +expires in 1[12] days/m);
  t.like(await json(files.soon!), { status: 'expiring', expired: false });
  t.regex(await text(files.long!), /^status: +valid \(199 days left\)/m);
  t.like(await json(files.long!), { status: 'valid', expired: false, daysLeft: 199 });

  // PKCS#12: the leaf and the CA beside it each carry their status.
  const p12 = join(dir, 'soon.p12');
  writeFileSync(
    p12,
    toPkcs12({
      keyPem: soonLeaf.keyPem,
      certPem: soonLeaf.certPem,
      caPems: [shortCa.certPem],
      password: 'store-pass-1',
    }),
  );
  const c = capture();
  t.is(await certsCommand(['inspect', p12, '--pass-file', passFile, '--json'], c.io), 0);
  const j = JSON.parse(c.out.join('')) as { status: string; cas: Array<{ status: string; expired: boolean }> };
  t.is(j.status, 'expiring');
  t.like(j.cas[0], { status: 'expiring', expired: false });
});

test('crosskey inspect certificate files: validity per certificate, EXPIRED / not yet valid / expires in N days', (t) => {
  const ref = { setting: 'xpack.security.remote_cluster_client.ssl.certificate_authorities', path: '/c/bundle.crt' };
  const report = describeCertFile(
    ref,
    Buffer.from(expiredLeaf + futureLeaf + soonLeaf.certPem + longLeaf.certPem),
    undefined,
    new Date(),
  );
  t.is(report.status, 'ok');
  t.deepEqual(
    report.certificates.map((c) => (c as { validity?: string }).validity),
    ['expired', 'not yet valid', 'expiring', 'valid'],
  );
  t.deepEqual(
    report.certificates.map((c) => (c as { expired?: boolean }).expired),
    [true, false, false, false],
  );
  const cells = report.certificates.map(expiryCell);
  t.regex(cells[0]!, /^\d{4}-\d\d-\d\d \(EXPIRED\)$/);
  t.regex(cells[1]!, /\(not yet valid, from \d{4}-/);
  t.regex(cells[2]!, /\(expires in 1[12] days\)$/);
  t.regex(cells[3]!, /\(199d\)$/);

  const r: InspectReport = {
    inventory: 'inv.yml',
    generatedAt: 'now',
    clusters: [],
    warnings: [],
    hosts: [
      {
        host: 'h1',
        groups: [],
        node: { error: 'off' },
        ssh: { reachable: true, ymlPath: '/c/elasticsearch.yml', certFiles: [report] },
      },
    ],
  };
  const out = renderInspect(r, { long: true });
  t.regex(out, /WARNING: CN=old-leaf in \/c\/bundle\.crt: EXPIRED/);
  t.regex(out, /WARNING: CN=future-leaf in \/c\/bundle\.crt: not yet valid/);
  t.regex(out, /WARNING: CN=soon-leaf in \/c\/bundle\.crt: expires in 1[12] days/);
  t.notRegex(out, /WARNING: CN=long-leaf/);
});

// ---- 3. neither PEM nor PKCS#12 ----------------------------------------------------------------------------------

test('certs inspect: a text file is neither PEM nor PKCS#12 (not "needs its password"); a PEM without a certificate says so', async (t) => {
  const readme = join(dir, 'README');
  writeFileSync(readme, '# crosskey\n\nThis is not a certificate.\n');
  for (const args of [[readme], [readme, '--pass-file', passFile]]) {
    const c = capture();
    t.is(await certsCommand(['inspect', ...args], c.io), 1);
    t.regex(c.err.join(''), /README: neither a PEM certificate .* nor a PKCS#12 file/);
    t.notRegex(c.err.join(''), /needs its password/);
  }
  const zero = join(dir, 'zero.txt');
  writeFileSync(zero, '0 is a digit, and this file starts with one\n');
  t.throws(() => inspect(zero), { instanceOf: CertError, message: /neither a PEM certificate/ });
  const keyOnly = join(dir, 'key-only.pem');
  writeFileSync(keyOnly, shortCa.keyPem, { mode: 0o600 });
  const c = capture();
  t.is(await certsCommand(['inspect', keyOnly], c.io), 1);
  t.regex(c.err.join(''), /key-only\.pem: a PEM file with no certificate in it \(it holds: RSA PRIVATE KEY\)/);
  const empty = join(dir, 'empty.p12');
  writeFileSync(empty, '');
  t.throws(() => inspect(empty), { message: /the file is empty/ });
  // Still: a PKCS#12 without a password asks for it; a PEM with a key before the certificate is read.
  const p12 = join(dir, 'real.p12');
  writeFileSync(p12, toPkcs12({ keyPem: longLeaf.keyPem, certPem: longLeaf.certPem, caPems: [], password: 'x-pass' }));
  t.throws(() => inspect(p12), { message: /a PKCS#12 file needs its password/ });
  t.is(inspect(Buffer.from(longLeaf.keyPem + longLeaf.certPem)).subject, 'CN=long-leaf');
  // crosskey inspect: the same words.
  const d = describeCertFile(
    { setting: 'xpack.security.http.ssl.certificate', path: '/c/README' },
    Buffer.from('hello\n'),
    undefined,
  );
  t.like(d, { status: 'error', error: 'neither PEM nor PKCS#12 (no "-----BEGIN" line, not DER)' });
});

// ---- 4. --ca-pass-file for an unencrypted CA key ----------------------------------------------------------------

test('certs cert: --ca-pass-file with an unencrypted CA key is warned about on stderr', async (t) => {
  const caPass = join(dir, 'ca-pass');
  writeFileSync(caPass, 'ca-passphrase\n', { mode: 0o600 });
  const out = join(dir, 'warned.p12');
  const c = capture();
  t.is(
    await certsCommand(
      [
        'cert',
        '--ca',
        shortDir,
        '--ca-pass-file',
        caPass,
        '--out',
        out,
        '--pass-file',
        passFile,
        '--ip',
        '127.0.0.1',
        '--days',
        '5',
      ],
      c.io,
    ),
    0,
  );
  t.regex(c.err.join(''), /warning: --ca-pass-file given but CA key .*short-ca\/ca\.key is not encrypted; ignored/);
  t.true(existsSync(out));
  // An encrypted key with its passphrase: no warning.
  const encDir = join(dir, 'enc-ca');
  writeCa(encDir, shortCa, 'ca-passphrase');
  const c2 = capture();
  t.is(
    await certsCommand(
      [
        'cert',
        '--ca',
        encDir,
        '--ca-pass-file',
        caPass,
        '--out',
        join(dir, 'enc.p12'),
        '--pass-file',
        passFile,
        '--ip',
        '127.0.0.1',
        '--days',
        '5',
      ],
      c2.io,
    ),
    0,
  );
  t.deepEqual(c2.err, []);
});

// ---- 5. password files readable by others ------------------------------------------------------------------------

test('certs: a password file readable by group/others is refused (exit 1, its message); allowed by the env switch', async (t) => {
  const loose = join(dir, 'loose-pass');
  writeFileSync(loose, 'store-pass-1\n');
  chmodSync(loose, 0o644);
  const out = join(dir, 'loose.p12');
  const c = capture();
  t.is(
    await certsCommand(
      ['cert', '--ca', shortDir, '--out', out, '--pass-file', loose, '--ip', '127.0.0.1', '--days', '5'],
      c.io,
    ),
    1,
  );
  t.regex(
    c.err.join(''),
    /^crosskey certs cert: password file .*loose-pass is readable by others \(mode 0644\): run 'chmod 600 /,
  );
  t.false(existsSync(out));
  const c2 = capture();
  t.is(await certsCommand(['ca', '--out', join(dir, 'loose-ca'), '--pass-file', loose], c2.io), 1);
  t.false(existsSync(join(dir, 'loose-ca', 'ca.key')));
  const c3 = capture();
  t.is(await certsCommand(['inspect', longP12, '--pass-file', loose], c3.io), 1);
  t.regex(c3.err.join(''), /readable by others/);
  // The bundle: exit 1, the message, no stack trace; CROSSKEY_ALLOW_LOOSE_SECRET_FILES=true accepts it.
  const r = await runCli(
    bundle!.file,
    ['certs', 'cert', '--ca', shortDir, '--out', out, '--pass-file', loose, '--ip', '127.0.0.1', '--days', '5'],
    { env: { CROSSKEY_ALLOW_LOOSE_SECRET_FILES: '' } },
  );
  t.is(r.code, 1, r.stderr);
  t.regex(r.stderr, /password file .*loose-pass is readable by others/);
  t.notRegex(r.stderr, /\n\s+at /);
  t.false(existsSync(out));
  const ok = await runCli(
    bundle!.file,
    ['certs', 'cert', '--ca', shortDir, '--out', out, '--pass-file', loose, '--ip', '127.0.0.1', '--days', '5'],
    { env: { CROSSKEY_ALLOW_LOOSE_SECRET_FILES: 'true' } },
  );
  t.is(ok.code, 0, ok.stderr);
  t.true(existsSync(out));
  // A missing password file: a clean message too.
  const c4 = capture();
  t.is(await certsCommand(['inspect', longP12, '--pass-file', join(dir, 'no-such-pass')], c4.io), 1);
  t.regex(c4.err.join(''), /cannot read password file .*no-such-pass: ENOENT/);
});
