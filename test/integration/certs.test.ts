// The certificates against the real consumers: JDK 17 keytool and KeyStore.getKey (what Elasticsearch does),
// OpenSSL 3 (`verify`, `pkcs12`), and Node TLS handshakes that trust only the CA.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { certsCommand } from '../../controller/cli/commands/certs.js';
import { readPkcs12, inspect } from '../../controller/certs/index.js';

const dir = mkdtempSync(join(tmpdir(), 'crosskey-certs-int-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const checkJava = join(import.meta.dirname, '..', 'fixtures', 'CheckP12.java');

const quiet = { stdout: () => {}, stderr: (s: string) => void process.stderr.write(s) };
const caDir = join(dir, 'ca');
const caPass = join(dir, 'ca-pass');
const p12Pass = join(dir, 'p12-pass');
const nodeP12 = join(dir, 'node1.p12');
const transportP12 = join(dir, 'transport.p12');

test.before(async () => {
  writeFileSync(caPass, 'ca-passphrase\n', { mode: 0o600 });
  writeFileSync(p12Pass, 'store-pass-1\n', { mode: 0o600 });
  if ((await certsCommand(['ca', '--out', caDir, '--pass-file', caPass, '--dn', 'CN=Lab CA'], quiet)) !== 0)
    throw new Error('certs ca failed');
  const rc1 = await certsCommand(
    [
      'cert',
      '--ca',
      caDir,
      '--ca-pass-file',
      caPass,
      '--out',
      nodeP12,
      '--pass-file',
      p12Pass,
      '--dns',
      'node1.lab',
      '--dns',
      'localhost,es.lab',
      '--ip',
      '127.0.0.1',
      '--name',
      'node1',
    ],
    quiet,
  );
  const rc2 = await certsCommand(
    [
      'cert',
      '--ca',
      caDir,
      '--ca-pass-file',
      caPass,
      '--out',
      transportP12,
      '--pass-file',
      p12Pass,
      '--ip',
      '127.0.0.1',
      '--transport',
    ],
    quiet,
  );
  if (rc1 !== 0 || rc2 !== 0) throw new Error('certs cert failed');
});

test('files: mode 0600, certs cert refuses to overwrite, inspect prints subject/SANs/issuer', async (t) => {
  for (const f of [nodeP12, transportP12, join(caDir, 'ca.key'), join(caDir, 'ca.crt')])
    t.is(statSync(f).mode & 0o777, 0o600, f);
  const before = readFileSync(nodeP12);
  const err: string[] = [];
  const rc = await certsCommand(
    ['cert', '--ca', caDir, '--ca-pass-file', caPass, '--out', nodeP12, '--pass-file', p12Pass],
    { stdout: () => {}, stderr: (s) => void err.push(s) },
  );
  t.is(rc, 1);
  t.regex(err.join(''), /node1\.p12' already exists/);
  t.deepEqual(readFileSync(nodeP12), before);
  const out: string[] = [];
  t.is(
    await certsCommand(['inspect', nodeP12, '--pass-file', p12Pass], {
      stdout: (s) => void out.push(s),
      stderr: () => {},
    }),
    0,
  );
  const text = out.join('');
  t.regex(text, /alias: +node1/);
  t.regex(text, /subject: +CN=node1/);
  t.regex(text, /issuer: +CN=Lab CA/);
  t.regex(text, /SAN DNS: +node1\.lab, localhost, es\.lab/);
  t.regex(text, /SAN IP: +127\.0\.0\.1/);
  t.regex(text, /not after: +\d{4}-/);
});

test('keytool (JDK 17) opens every p12 with its password: one PrivateKeyEntry, one trustedCertEntry "ca"', (t) => {
  for (const [file, alias] of [
    [nodeP12, 'node1'],
    [transportP12, 'instance'],
  ]) {
    const out = execFileSync(
      'keytool',
      ['-list', '-storetype', 'PKCS12', '-keystore', file, '-storepass:file', p12Pass],
      { encoding: 'utf8' },
    );
    t.regex(out, /Your keystore contains 2 entries/);
    t.regex(out, new RegExp(`^${alias}, .*PrivateKeyEntry`, 'm'));
    t.regex(out, /^ca, .*trustedCertEntry/m);
    const bad = spawnSync('keytool', ['-list', '-storetype', 'PKCS12', '-keystore', file, '-storepass', 'wrong-pass'], {
      encoding: 'utf8',
    });
    t.not(bad.status, 0, 'a wrong password is rejected');
  }
});

test('JDK KeyStore.getKey decrypts the key (PBES2 AES-256) and sees the CA as a certificate entry', (t) => {
  const r = spawnSync('java', [checkJava, nodeP12], { input: 'store-pass-1\n', encoding: 'utf8', timeout: 120_000 });
  t.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').sort();
  t.deepEqual(lines, ['key node1 2 RSA', 'trusted ca']);
});

test('openssl verify accepts the chain; openssl pkcs12 reads the file with its password', (t) => {
  const leafPem = join(dir, 'leaf.pem');
  const p12 = readPkcs12(readFileSync(nodeP12), 'store-pass-1');
  writeFileSync(leafPem, p12.certPem);
  const v = execFileSync('openssl', ['verify', '-CAfile', join(caDir, 'ca.crt'), leafPem], { encoding: 'utf8' });
  t.is(v.trim(), `${leafPem}: OK`);
  const wrongCa = spawnSync('openssl', ['verify', '-CAfile', leafPem, leafPem], { encoding: 'utf8' });
  t.not(wrongCa.status, 0);
  const info = spawnSync('openssl', ['pkcs12', '-info', '-noout', '-in', nodeP12, '-passin', `file:${p12Pass}`], {
    encoding: 'utf8',
  });
  t.is(info.status, 0, info.stderr);
  t.regex(info.stderr + info.stdout, /PBES2, PBKDF2, AES-256-CBC, Iteration 10000, PRF hmacWithSHA256/);
  t.regex(info.stderr + info.stdout, /MAC: sha256, Iteration 10000/);
  // The encrypted CA key is readable by openssl with the passphrase.
  const rsa = spawnSync(
    'openssl',
    ['rsa', '-check', '-noout', '-in', join(caDir, 'ca.key'), '-passin', `file:${caPass}`],
    { encoding: 'utf8' },
  );
  t.is(rsa.status, 0, rsa.stderr);
});

test('TLS: a client trusting only the CA connects for each SAN (DNS and IP) and fails for another name', async (t) => {
  const server = tls.createServer({ pfx: readFileSync(nodeP12), passphrase: 'store-pass-1' }, (s) => s.end('hi'));
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const ca = readFileSync(join(caDir, 'ca.crt'));
  const connect = (servername?: string, withCa = true) =>
    new Promise<string>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port, ca: withCa ? ca : undefined, servername }, () => {
        s.destroy();
        resolve('ok');
      });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
  t.is(await connect(), 'ok', 'by IP SAN 127.0.0.1');
  t.is(await connect('node1.lab'), 'ok');
  t.is(await connect('localhost'), 'ok');
  t.is(await connect('es.lab'), 'ok');
  t.is(await connect('other.lab'), 'ERR_TLS_CERT_ALTNAME_INVALID');
  t.is(await connect('node1.lab', false), 'SELF_SIGNED_CERT_IN_CHAIN');
});

test('readPkcs12/inspect read files made by the JDK (keytool, as certutil) and by OpenSSL 3', (t) => {
  const jdk = join(dir, 'jdk.p12');
  execFileSync(
    'keytool',
    [
      '-genkeypair',
      '-alias',
      'node',
      '-keyalg',
      'RSA',
      '-keysize',
      '2048',
      '-dname',
      'CN=node',
      '-validity',
      '10',
      '-storetype',
      'PKCS12',
      '-keystore',
      jdk,
      '-storepass:file',
      p12Pass,
      '-ext',
      'san=dns:node.lab,ip:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const j = readPkcs12(readFileSync(jdk), 'store-pass-1', jdk);
  t.is(j.alias, 'node');
  t.deepEqual(inspect(jdk, 'store-pass-1').sans, { dns: ['node.lab'], ip: ['127.0.0.1'] });
  const ossl = join(dir, 'ossl.p12');
  const leafPem = join(dir, 'o-leaf.pem');
  const keyPem = join(dir, 'o-key.pem');
  const p = readPkcs12(readFileSync(nodeP12), 'store-pass-1');
  writeFileSync(leafPem, p.certPem);
  writeFileSync(keyPem, p.keyPem, { mode: 0o600 });
  execFileSync('openssl', [
    'pkcs12',
    '-export',
    '-inkey',
    keyPem,
    '-in',
    leafPem,
    '-out',
    ossl,
    '-passout',
    `file:${p12Pass}`,
    '-name',
    'inst',
  ]);
  const o = readPkcs12(readFileSync(ossl), 'store-pass-1');
  t.is(o.alias, 'inst');
  t.is(o.certPem.trim(), p.certPem.trim());
  t.throws(() => readPkcs12(readFileSync(ossl), 'nope', ossl), { message: /ossl\.p12: wrong password/ });
});
