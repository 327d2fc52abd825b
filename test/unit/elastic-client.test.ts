// The client layer against a real HTTPS server on loopback (real TLS, real @elastic/elasticsearch 8 client):
// trust (CA file, fingerprint, off with warning), credentials, retries on 429/503/connection errors, error mapping.
import test from 'ava';
import https from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createCa, issueCert, certInfoFromPem } from '../../controller/certs/index.js';
import {
  EsClient,
  EsConfigError,
  closeAllClients,
  esForNode,
  esForVars,
  resolveConnection,
} from '../../controller/elastic/client.js';
import { EsError } from '../../controller/elastic/errors.js';
import { backoffMs } from '../../controller/elastic/retry.js';
import { Secret, secrets } from '../../controller/secrets.js';

const dir = mkdtempSync(join(tmpdir(), 'crosskey-esclient-'));
const ca = createCa({ days: 2 });
const leaf = issueCert({ ca, name: 'es1', dns: ['localhost'], ip: ['127.0.0.1'], days: 1 });
const caFile = join(dir, 'ca.crt');
writeFileSync(caFile, ca.certPem);
const pwFile = join(dir, 'pw');
writeFileSync(pwFile, 'file-password-1\n', { mode: 0o600 });

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
let handler: Handler = (_q, _b, res) => send(res, 200, { ok: true });
const seen: Array<{ method: string; url: string; auth?: string; accept?: string; body: string }> = [];
function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch', ...headers });
  res.end(JSON.stringify(body));
}
const server = https.createServer({ key: leaf.keyPem, cert: leaf.certPem + ca.certPem }, (req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    seen.push({
      method: req.method!,
      url: req.url!,
      auth: req.headers.authorization,
      accept: req.headers.accept,
      body,
    });
    handler(req, body, res);
  });
});
let url = '';
test.before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after.always(async () => {
  await closeAllClients();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});
test.beforeEach(() => {
  seen.length = 0;
  handler = (_q, _b, res) => send(res, 200, { ok: true });
});

const fast = { retry: { baseMs: 5, maxMs: 20 }, warn: () => {} };
const vars = () => ({ es_url: url, es_user: 'crosskey', es_password_file: pwFile, es_ca_cert: caFile });

test.serial(
  'verified TLS with es_ca_cert, basic auth from es_password_file, compatible-with=8, query + body',
  async (t) => {
    const es = new EsClient(resolveConnection(vars(), { label: 'local' }), fast);
    t.teardown(() => es.close());
    const r = await es.request<{ ok: boolean }>({
      method: 'PUT',
      path: '/_cluster/settings',
      query: { flat_settings: true, x: undefined },
      body: { persistent: { a: 1 } },
    });
    t.deepEqual(r, { status: 200, body: { ok: true } });
    t.is(seen[0].url, '/_cluster/settings?flat_settings=true');
    t.is(seen[0].auth, `Basic ${Buffer.from('crosskey:file-password-1').toString('base64')}`);
    t.regex(seen[0].accept ?? '', /compatible-with=8/);
    t.deepEqual(JSON.parse(seen[0].body), { persistent: { a: 1 } });
    t.is(es.label, 'local');
  },
);

test.serial(
  'no CA configured: the system trust store rejects the lab CA with a message naming es_ca_cert',
  async (t) => {
    const es = new EsClient(resolveConnection({ ...vars(), es_ca_cert: undefined }, { label: 'local' }), fast);
    t.teardown(() => es.close());
    const e = await t.throwsAsync(es.request({ method: 'GET', path: '/' }), { instanceOf: EsError });
    t.is(e!.code, 'TLS_UNTRUSTED');
    t.regex(e!.message, /^\[local\] GET \/: .*not trusted.*fix: set es_ca_cert/);
    t.is(seen.length, 0, 'no request reached the server');
  },
);

test.serial('es_ca_fingerprint pins the CA and then verifies normally; a wrong fingerprint fails', async (t) => {
  const fp = certInfoFromPem(ca.certPem)
    .sha256.toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');
  const es = new EsClient(resolveConnection({ ...vars(), es_ca_cert: undefined, es_ca_fingerprint: fp }), fast);
  t.teardown(() => es.close());
  t.is((await es.request({ method: 'GET', path: '/' })).status, 200);
  const bad = new EsClient(
    resolveConnection({ ...vars(), es_ca_cert: undefined, es_ca_fingerprint: 'ab'.repeat(32) }),
    fast,
  );
  t.teardown(() => bad.close());
  const e = await t.throwsAsync(bad.request({ method: 'GET', path: '/' }), { instanceOf: EsError });
  t.regex(e!.message, /no certificate sent by .* has SHA-256/);
  t.throws(() => resolveConnection({ ...vars(), es_ca_cert: undefined, es_ca_fingerprint: 'xyz' }), {
    message: /64 hex digits/,
  });
});

test.serial('es_tls_verify: false connects without a CA and prints a warning', async (t) => {
  const warnings: string[] = [];
  const es = new EsClient(
    resolveConnection({ ...vars(), es_ca_cert: undefined, es_tls_verify: false }, { label: 'x' }),
    { ...fast, warn: (m) => warnings.push(m) },
  );
  t.teardown(() => es.close());
  t.is((await es.request({ method: 'GET', path: '/' })).status, 200);
  t.is(warnings.length, 1);
  t.regex(warnings[0], /TLS verification is OFF/);
});

test.serial('host name not in the certificate: clear TLS_HOSTNAME error', async (t) => {
  // 127.0.0.2 is loopback too, but not among the SANs (localhost, 127.0.0.1).
  const other = https.createServer({ key: leaf.keyPem, cert: leaf.certPem }, (_q, res) => send(res, 200, {}));
  await new Promise<void>((r) => other.listen(0, '127.0.0.2', r));
  t.teardown(() => new Promise<void>((r) => other.close(() => r())));
  const es = new EsClient(
    resolveConnection({ ...vars(), es_url: `https://127.0.0.2:${(other.address() as AddressInfo).port}` }),
    fast,
  );
  t.teardown(() => es.close());
  const e = await t.throwsAsync(es.request({ method: 'GET', path: '/' }), { instanceOf: EsError });
  t.is(e!.code, 'TLS_HOSTNAME');
  t.regex(e!.message, /not among the certificate's names.*fix: use a host name or IP from the certificate SANs/);
});

test.serial('429 then 503 then 200: retried with backoff; 429 with retry disabled fails at once', async (t) => {
  const answers = [429, 503, 200];
  handler = (_q, _b, res) => {
    const s = answers.shift() ?? 200;
    send(
      res,
      s,
      s === 200
        ? { ok: 1 }
        : {
            error: {
              type: s === 429 ? 'es_rejected_execution_exception' : 'master_not_discovered_exception',
              reason: 'busy',
            },
            status: s,
          },
    );
  };
  const es = esForVars(vars(), fast);
  const r = await es.request({ method: 'GET', path: '/_cluster/health' });
  t.is(r.status, 200);
  t.is(seen.length, 3);
  seen.length = 0;
  handler = (_q, _b, res) =>
    send(res, 429, { error: { type: 'es_rejected_execution_exception', reason: 'queue full' }, status: 429 });
  const e = await t.throwsAsync(
    es.request({ method: 'POST', path: '/_security/cross_cluster/api_key', retry: false }),
    { instanceOf: EsError },
  );
  t.is(seen.length, 1);
  t.is(e!.status, 429);
  t.regex(e!.message, /overloaded/);
});

test.serial(
  '503 master_not_discovered past the retry bound: error names cause and fix; attempts are bounded',
  async (t) => {
    handler = (_q, _b, res) =>
      send(res, 503, { error: { root_cause: [], type: 'master_not_discovered_exception', reason: null }, status: 503 });
    const es = new EsClient(resolveConnection(vars(), { label: 'remote' }), {
      ...fast,
      retry: { attempts: 3, baseMs: 5, maxMs: 10 },
    });
    t.teardown(() => es.close());
    const e = await t.throwsAsync(es.request({ method: 'GET', path: '/_cat/master' }), { instanceOf: EsError });
    t.is(seen.length, 3);
    t.is(e!.type, 'master_not_discovered_exception');
    t.regex(
      e!.message,
      /^\[remote\] GET \/_cat\/master: 503 master_not_discovered_exception.*no elected master.*fix: start the missing master-eligible nodes/,
    );
  },
);

test.serial('error catalogue: 401, license 403, privileges 403, 404 as an okStatus', async (t) => {
  const es = esForVars(vars(), fast);
  handler = (_q, _b, res) =>
    send(res, 401, {
      error: { type: 'security_exception', reason: 'unable to authenticate user [crosskey] for REST request [/]' },
      status: 401,
    });
  let e = await t.throwsAsync(es.request({ method: 'GET', path: '/' }), { instanceOf: EsError });
  t.regex(e!.message, /bad credentials; fix: check es_user and es_password/);
  t.is(seen.length, 1, '401 is not retried');
  handler = (_q, _b, res) =>
    send(res, 403, {
      error: {
        type: 'security_exception',
        reason: 'current license is non-compliant for [advanced-remote-cluster-security]',
      },
      status: 403,
    });
  e = await t.throwsAsync(es.request({ method: 'POST', path: '/_security/cross_cluster/api_key' }), {
    instanceOf: EsError,
  });
  t.regex(e!.message, /license does not allow this feature \[advanced-remote-cluster-security\].*Enterprise or trial/);
  handler = (_q, _b, res) =>
    send(res, 403, {
      error: {
        type: 'security_exception',
        reason: 'action [cluster:admin/settings/update] is unauthorized for user [crosskey]',
      },
      status: 403,
    });
  e = await t.throwsAsync(es.request({ method: 'PUT', path: '/_cluster/settings' }), { instanceOf: EsError });
  t.regex(e!.message, /lacks a privilege.*superuser/);
  handler = (_q, _b, res) =>
    send(res, 404, { error: { type: 'resource_not_found_exception', reason: 'no such job' }, status: 404 });
  const r = await es.request({ method: 'GET', path: '/_ml/anomaly_detectors/x', okStatuses: [404] });
  t.is(r.status, 404);
});

test.serial('connection refused: retried, then "is the node up? check es_url"', async (t) => {
  const es = new EsClient(resolveConnection({ ...vars(), es_url: 'https://127.0.0.1:1' }, { label: 'local' }), {
    ...fast,
    retry: { attempts: 2, baseMs: 5, maxMs: 5 },
  });
  t.teardown(() => es.close());
  const e = await t.throwsAsync(es.request({ method: 'GET', path: '/' }), { instanceOf: EsError });
  t.is(e!.code, 'ECONNREFUSED');
  t.regex(e!.message, /connection refused by https:\/\/127\.0\.0\.1:1; fix: is the node up\? check es_url/);
});

test.serial(
  'secrets: response fields registered and redacted; password from env or Secret; API key auth',
  async (t) => {
    handler = (_q, _b, res) =>
      send(res, 200, { id: 'k1', name: 'n', api_key: 'rAnDoMkEy-123', encoded: 'ZW5jb2RlZC1rZXktMTIz' });
    const es = esForVars(vars(), fast);
    await es.request({
      method: 'POST',
      path: '/_security/cross_cluster/api_key',
      secretResponseFields: ['api_key', 'encoded'],
    });
    t.is(secrets.redact('key rAnDoMkEy-123 / ZW5jb2RlZC1rZXktMTIz'), 'key ******** / ********');
    const fromEnv = resolveConnection(
      { es_url: url, es_user: 'u', group_names: ['remote'] },
      { env: { CROSSKEY_ES_PASSWORD_REMOTE: 'env-pass-1' } },
    );
    t.is(fromEnv.auth.kind === 'basic' && fromEnv.auth.password.reveal(), 'env-pass-1');
    t.is(fromEnv.label, 'remote', 'a host in one group names its cluster by it');
    const fromSecret = resolveConnection({ es_url: url, es_user: 'u', es_password: new Secret('vault-pass-1') });
    t.is(fromSecret.auth.kind === 'basic' && fromSecret.auth.password.reveal(), 'vault-pass-1');
    handler = (_q, _b, res) => send(res, 200, {});
    const k = esForVars({ es_url: url, es_api_key: 'a2V5OnNlY3JldA==', es_ca_cert: caFile }, fast);
    await k.request({ method: 'GET', path: '/' });
    t.is(seen.at(-1)!.auth, 'ApiKey a2V5OnNlY3JldA==');
    t.is(
      JSON.stringify(fromSecret),
      JSON.stringify({ ...fromSecret, auth: { kind: 'basic', username: 'u', password: '********' } }),
    );
  },
);

test.serial('config errors name the variable; clients are cached per URL + user; esForNode keeps credentials', (t) => {
  t.throws(() => resolveConnection({}), { instanceOf: EsConfigError, message: /es_url is not set/ });
  t.throws(() => resolveConnection({ es_url: 'nota url' }), { message: /es_url "nota url" is not a URL/ });
  t.throws(() => resolveConnection({ es_url: url }, { env: {} }), { message: /es_user is not set/ });
  t.throws(() => resolveConnection({ es_url: url, es_user: 'u' }, { env: {} }), {
    message: /no password for es_user "u"/,
  });
  t.throws(() => resolveConnection({ ...vars(), es_ca_cert: join(dir, 'missing.crt') }), {
    message: /es_ca_cert: .*missing\.crt is not a readable PEM/,
  });
  t.throws(() => resolveConnection({ ...vars(), es_password_file: join(dir, 'nope') }), {
    message: /cannot read es_password_file .*nope: ENOENT/,
  });
  t.is(esForVars(vars(), fast), esForVars(vars(), fast));
  t.not(esForVars(vars(), fast), esForVars({ ...vars(), es_user: 'other' }, fast));
  const n = esForNode(vars(), 'https://127.0.0.1:9999/', fast);
  t.is(n.url, 'https://127.0.0.1:9999');
  t.is(n.label, '127.0.0.1:9999');
});

test('backoff: exponential ceiling, bounded, jittered', (t) => {
  const p = { attempts: 5, baseMs: 100, maxMs: 1000 };
  t.is(
    backoffMs(1, p, () => 1),
    100,
  );
  t.is(
    backoffMs(3, p, () => 1),
    400,
  );
  t.is(
    backoffMs(10, p, () => 1),
    1000,
  );
  t.is(
    backoffMs(3, p, () => 0),
    10,
  );
  t.is(
    backoffMs(2, p, () => 0.5),
    100,
  );
});
