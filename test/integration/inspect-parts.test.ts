// The pieces of `crosskey inspect` that need no lab: model detection on Elastic's published _remote/info answers,
// where an alias is defined, ports attribution, elasticsearch.yml parsing, and certificate files made by the real
// certs library (PEM bundles, PKCS#12 with and without a known password, trust-only PKCS#12, JKS, missing).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { createCa, issueCert, toPkcs12 } from '../../controller/certs/index.js';
import { parseRemoteInfo } from '../../controller/elastic/api/remote.js';
import { describeAliases, modelsByAlias, nodeAliasStates } from '../../controller/inspect/cluster.js';
import { addKeystoreCredentials } from '../../controller/inspect/index.js';
import type { ClusterReport, HostReport } from '../../controller/inspect/types.js';
import { certFileRefs, describeCertFile, passwordFor } from '../../controller/inspect/certfiles.js';
import { nodePorts, parseElasticsearchYml, rcsSettings } from '../../controller/inspect/host.js';
import { Secret } from '../../controller/secrets.js';
import { EXAMPLES } from '../helpers/shape.js';

const REMOTE_INFO_EXAMPLES = join(EXAMPLES, 'cluster.remote_info');
const example = (name: string) => JSON.parse(readFileSync(join(REMOTE_INFO_EXAMPLES, name), 'utf8')) as unknown;

test('model per node: cluster_credentials means RCS2 (Elastic examples), its absence RCS1', (t) => {
  const sniff = nodeAliasStates(parseRemoteInfo(example('response.docs-content.sniff-with-cluster_credentials.json')));
  t.deepEqual(sniff.cluster_one, {
    connected: true,
    mode: 'sniff',
    model: 'RCS2',
    credentials: true,
    addresses: ['127.0.0.1:9443'],
    connections: 1,
  });
  const proxy = nodeAliasStates(parseRemoteInfo(example('response.docs-content.proxy-with-cluster_credentials.json')));
  t.is(proxy.my_remote!.model, 'RCS2');
  t.deepEqual(proxy.my_remote!.addresses, ['my.remote.cluster.com:9443']);
  const rcs1 = nodeAliasStates(
    parseRemoteInfo({
      my_remote: { connected: true, mode: 'sniff', seeds: ['10.0.0.1:9300'], num_nodes_connected: 3 },
    }),
  );
  t.is(rcs1.my_remote!.model, 'RCS1');
  // Mid-migration: one node switched, one not → "mixed".
  const models = modelsByAlias(
    [
      { host: 'a', nodeName: 'node-a', aliases: { my_remote: { ...rcs1.my_remote! } } },
      { host: 'b', aliases: { my_remote: { ...rcs1.my_remote!, model: 'RCS2', credentials: true } } },
      { host: 'c', error: 'down', aliases: {} },
    ],
    ['my_remote', 'other'],
  );
  t.deepEqual(models.my_remote, { model: 'mixed', perNode: { 'node-a': 'RCS1', b: 'RCS2' } });
  t.is(models.other!.model, 'unknown');
});

test('aliases: persistent, transient and yml definitions, effective mode and addresses', (t) => {
  const aliases = describeAliases(
    {
      'cluster.remote.p.mode': 'proxy',
      'cluster.remote.p.proxy_address': 'r:9443',
      'cluster.remote.p.skip_unavailable': 'true',
    },
    { 'cluster.remote.both.seeds': ['t1:9300'] },
    {
      n1: {
        'cluster.remote.y.seeds': ['y1:9300', 'y2:9300'],
        'cluster.remote.both.seeds': ['x:9300'],
        'cluster.remote.connect': 'true',
      },
      n2: { 'cluster.remote.y.seeds': ['y1:9300', 'y2:9300'] },
    },
    ['only_info'],
  );
  t.deepEqual(
    aliases.map((a) => [a.alias, a.configuredAs, a.mode, a.addresses]),
    [
      ['both', ['transient', 'yml'], 'sniff', ['t1:9300']],
      ['only_info', [], 'sniff', []],
      ['p', ['persistent'], 'proxy', ['r:9443']],
      ['y', ['yml'], 'sniff', ['y1:9300', 'y2:9300']],
    ],
  );
  t.is(aliases.find((a) => a.alias === 'p')!.skipUnavailable, 'true');
  t.deepEqual(aliases.find((a) => a.alias === 'y')!.ymlNodes, ['n1', 'n2']);
});

test('elasticsearch.yml: nested and dotted forms flatten; RCS settings picked; errors name file and line', (t) => {
  const flat = parseElasticsearchYml(
    [
      'cluster.name: c',
      'remote_cluster_server.enabled: true',
      'remote_cluster:',
      '  port: 9443',
      'xpack.security.remote_cluster_server.ssl:',
      '  enabled: true',
      '  keystore.path: certs/rcs.p12',
      'xpack.security.remote_cluster_client.ssl.certificate_authorities: [ "/etc/es/remote-ca.crt" ]',
      'cluster.remote.my_remote.seeds: ["a:9300"]',
      'http.port: 9201',
    ].join('\n'),
    'h:/x.yml',
  );
  t.deepEqual(Object.keys(rcsSettings(flat)), [
    'cluster.remote.my_remote.seeds',
    'remote_cluster.port',
    'remote_cluster_server.enabled',
    'xpack.security.remote_cluster_client.ssl.certificate_authorities',
    'xpack.security.remote_cluster_server.ssl.enabled',
    'xpack.security.remote_cluster_server.ssl.keystore.path',
  ]);
  t.deepEqual(
    certFileRefs(flat, '/etc/es').map((r) => `${r.setting}=${r.path}`),
    [
      'xpack.security.remote_cluster_client.ssl.certificate_authorities=/etc/es/remote-ca.crt',
      'xpack.security.remote_cluster_server.ssl.keystore.path=/etc/es/certs/rcs.p12',
    ],
  );
  t.throws(() => parseElasticsearchYml('a: 1\nb: [\n', 'h:/x.yml'), { message: /^h:\/x\.yml:\d+: not valid YAML/ });
  t.deepEqual(parseElasticsearchYml('', 'e'), {});
  t.deepEqual(parseElasticsearchYml('# only a comment\n\n', 'e'), {});
  // Ports: only this node's own address (or wildcard), attributed by the ports the yml sets.
  const ports = nodePorts(
    [
      { address: '127.1.1.1', port: 9201 },
      { address: '127.1.1.2', port: 9201 },
      { address: '0.0.0.0', port: 9443 },
      { address: '127.1.1.1', port: 5432 },
    ],
    flat,
    { ansible_host: '127.1.1.1' },
  );
  t.deepEqual(ports, [
    { address: '127.1.1.1', port: 9201, role: 'http' },
    { address: '0.0.0.0', port: 9443, role: 'remote_cluster' },
  ]);
});

test('certificate files: PEM bundle, PKCS#12 with/without password, trust-only PKCS#12, JKS, missing', (t) => {
  const ca = createCa({ days: 30, keySize: 2048 });
  const leaf = issueCert({ ca, name: 'node-1', dns: ['node-1.example'], ip: ['10.1.2.3'], days: 10, keySize: 2048 });
  const ref = (p: string, setting = 'xpack.security.remote_cluster_server.ssl.keystore.path') => ({ setting, path: p });
  const now = new Date();

  const pem = describeCertFile(
    ref('/c/bundle.crt', 'xpack.security.remote_cluster_client.ssl.certificate_authorities'),
    Buffer.from(leaf.certPem + ca.certPem),
    undefined,
    now,
  );
  t.is(pem.status, 'ok');
  t.is(pem.format, 'pem');
  t.deepEqual(pem.certificates[0]!.sans, { dns: ['node-1.example'], ip: ['10.1.2.3'] });
  t.true(pem.certificates[0]!.daysLeft >= 9 && pem.certificates[0]!.daysLeft <= 10);
  t.true(pem.certificates[1]!.isCa);

  const p12 = toPkcs12({ keyPem: leaf.keyPem, certPem: leaf.certPem, caPems: [ca.certPem], password: 'p12-Secret-pw' });
  const vars = { es_cert_passwords: { 'rcs.p12': new Secret('p12-Secret-pw') } };
  const pw = passwordFor(ref('/c/certs/rcs.p12'), vars);
  t.is(pw, 'p12-Secret-pw');
  // The remote cluster server's keystore: the migration's own crosskey_rcs_cert_password is used too.
  t.is(
    passwordFor(ref('/c/certs/cross-cluster.p12'), { crosskey_rcs_cert_password: new Secret('p12-Secret-pw') }),
    'p12-Secret-pw',
  );
  t.is(
    passwordFor(ref('/c/t.p12', 'xpack.security.transport.ssl.keystore.path'), {
      crosskey_rcs_cert_password: 'x-y-z-w',
    }),
    undefined,
  );
  const ok = describeCertFile(ref('/c/certs/rcs.p12'), p12, pw, now);
  t.is(ok.status, 'ok');
  t.is(ok.format, 'pkcs12');
  t.deepEqual(
    ok.certificates.map((c) => c.isCa),
    [false, true],
  );
  t.false(JSON.stringify(ok).includes('p12-Secret-pw'));
  t.is(describeCertFile(ref('/c/certs/rcs.p12'), p12, undefined, now).status, 'protected');
  const wrong = describeCertFile(ref('/c/certs/rcs.p12'), p12, 'not-it', now);
  t.is(wrong.status, 'error');
  t.regex(wrong.error!, /does not open it/);

  // A trust store: certificates only, no key entry (empty password, as certutil's CA p12 often has).
  const trustDer = forge.asn1
    .toDer(forge.pkcs12.toPkcs12Asn1(null, [forge.pki.certificateFromPem(ca.certPem)], '', { algorithm: '3des' }))
    .getBytes();
  const trust = describeCertFile(
    ref('/c/certs/trust.p12', 'xpack.security.transport.ssl.truststore.path'),
    Buffer.from(trustDer, 'binary'),
    undefined,
    now,
  );
  t.is(trust.status, 'ok');
  t.is(trust.certificates.length, 1);
  t.true(trust.certificates[0]!.isCa);

  const jks = Buffer.alloc(16);
  jks.writeUInt32BE(0xfeedfeed, 0);
  t.is(describeCertFile(ref('/c/x.jks'), jks, undefined, now).format, 'jks');
  t.is(describeCertFile(ref('/c/gone.p12'), undefined, undefined, now).status, 'missing');
});

test('keystore credentials per alias; an alias known only from keystores is listed as not defined', (t) => {
  const host = (name: string, cluster: string, entries: string[]): HostReport => ({
    host: name,
    groups: [cluster],
    cluster,
    node: {},
    ssh: { reachable: true, keystore: { path: '/k', exists: true, entries } },
  });
  const clusters: ClusterReport[] = [
    {
      group: 'local',
      url: 'https://l:9200',
      remoteInfo: [],
      aliases: [{ alias: 'b', configuredAs: ['persistent'], mode: 'sniff', addresses: ['r:9443'], ymlNodes: [] }],
    },
    { group: 'remote', url: 'https://r:9200', remoteInfo: [], aliases: [] },
  ];
  addKeystoreCredentials(clusters, [
    host('l2', 'local', ['keystore.seed', 'cluster.remote.b.credentials', 'cluster.remote.a.credentials']),
    host('l1', 'local', ['cluster.remote.b.credentials']),
    host('r1', 'remote', ['cluster.remote.x.credentials']),
  ]);
  t.deepEqual(
    clusters[0]!.aliases!.map((a) => [a.alias, a.credentialsOn, !!a.undefinedMode]),
    [
      ['a', ['l2'], true],
      ['b', ['l1', 'l2'], false],
    ],
  );
  t.deepEqual(
    clusters[1]!.aliases!.map((a) => a.alias),
    ['x'],
  );
});

test('an alias known only from _remote/info shows the mode, addresses and skip_unavailable _remote/info reports', (t) => {
  const [a] = describeAliases(
    {},
    {},
    {},
    {
      only_info: {
        connected: true,
        mode: 'proxy',
        proxy_address: 'fc.example:9443',
        skip_unavailable: false,
        cluster_credentials: '::es_redacted::',
      },
    },
  );
  t.deepEqual(
    [a!.alias, a!.configuredAs, a!.mode, a!.addresses, a!.skipUnavailable],
    ['only_info', [], 'proxy', ['fc.example:9443'], 'false'],
  );
});
