import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { effectiveAliases, remoteInfoEntry } from '../../lab/node/remote/settings.js';
import { remoteTargets, splitIndexExpression } from '../../lab/node/remote/index-expr.js';
import {
  handleHandshake,
  handleRead,
  handleResolve,
  SEARCH,
  SHARD_CHANGES,
  type FulfilContext,
} from '../../lab/node/remote/fulfil.js';
import { subjectFor } from '../../lab/node/remote/subject.js';
import { openTlsChannel, ConnectError, mapChannelError } from '../../lab/node/remote/tls-client.js';
import { FrameChannel, type RemoteError } from '../../lab/node/remote/wire.js';
import { ipFilterAllows, ruleMatches } from '../../lab/node/remote/ip-filter.js';
import { createCrossClusterApiKey, createRestApiKey, invalidateApiKeys } from '../../lab/node/security/api-keys.js';
import type { ClusterState } from '../../lab/node/cluster/state.js';
import type { NodeRuntime } from '../../lab/node/runtime.js';
import type { Principal } from '../../lab/node/security/model.js';
import { createCa, issueCert } from '../../controller/certs/index.js';
import { EXAMPLES } from '../helpers/shape.js';

const EX = join(EXAMPLES, 'cluster.remote_info');

/** Same field names and JSON types (recursively for objects). */
function sameShape(t: any, actual: unknown, expected: unknown, path = '$'): void {
  const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  t.is(kind(actual), kind(expected), `type at ${path}`);
  if (kind(expected) === 'object') {
    t.deepEqual(Object.keys(actual as object).sort(), Object.keys(expected as object).sort(), `keys at ${path}`);
    for (const k of Object.keys(expected as object))
      sameShape(t, (actual as any)[k], (expected as any)[k], `${path}.${k}`);
  }
}

test('alias settings: transient > persistent > yml; skip_unavailable default flips in 8.15; no address → ignored', (t) => {
  const yml = { 'cluster.remote.my_remote.seeds': ['127.0.2.1:9300'], 'cluster.remote.other.mode': 'proxy' };
  const persistent = {
    'cluster.remote.my_remote.seeds': ['127.0.2.2:9300'],
    'cluster.remote.my_remote.skip_unavailable': 'false',
  };
  const transient = { 'cluster.remote.my_remote.node_connections': '2' };
  const [a, ...rest] = effectiveAliases(yml, persistent, transient, '8.15.0');
  t.is(rest.length, 0, 'alias "other" has mode proxy but no proxy_address');
  t.deepEqual(a!.seeds, ['127.0.2.2:9300']);
  t.is(a!.nodeConnections, 2);
  t.false(a!.skipUnavailable);
  t.is(a!.source, 'persistent');
  t.true(effectiveAliases(yml, {}, {}, '8.15.0')[0]!.skipUnavailable);
  t.false(effectiveAliases(yml, {}, {}, '8.14.0')[0]!.skipUnavailable);
  t.is(effectiveAliases(yml, {}, {}, '8.14.0')[0]!.source, 'yml');
});

test('_remote/info entries have the shapes of the published examples', (t) => {
  const proxyEx = JSON.parse(
    readFileSync(`${EX}/response.docs-content.proxy-with-cluster_credentials.json`, 'utf8'),
  ).my_remote;
  const sniffEx = JSON.parse(
    readFileSync(`${EX}/response.docs-content.sniff-with-cluster_credentials.json`, 'utf8'),
  ).cluster_one;
  const [p] = effectiveAliases(
    {},
    { 'cluster.remote.my_remote.mode': 'proxy', 'cluster.remote.my_remote.proxy_address': 'h:9443' },
    {},
    '8.15.0',
  );
  const proxy = remoteInfoEntry(p!, { connected: true, nodesConnected: 1, socketsConnected: 18 }, true);
  sameShape(t, proxy, proxyEx);
  const [s] = effectiveAliases({}, { 'cluster.remote.cluster_one.seeds': ['127.0.0.1:9443'] }, {}, '8.15.0');
  sameShape(t, remoteInfoEntry(s!, { connected: true, nodesConnected: 1, socketsConnected: 1 }, true), sniffEx);
  const rcs1 = remoteInfoEntry(s!, { connected: true, nodesConnected: 1, socketsConnected: 1 }, false);
  t.false('cluster_credentials' in rcs1);
});

test('index expressions: alias prefixes, wildcards, exclusions, date math and selectors stay local', (t) => {
  t.deepEqual(splitIndexExpression('my_remote:logs'), { cluster: 'my_remote', index: 'logs', exclusion: false });
  t.is(splitIndexExpression('<logs-{now/d}>').cluster, null);
  t.is(splitIndexExpression('logs::failures').cluster, null);
  t.deepEqual([...remoteTargets(['*:idx'], ['my_remote'])], [['my_remote', ['idx']]]);
  t.deepEqual([...remoteTargets(['my_*:idx'], ['my_remote', 'other'])], [['my_remote', ['idx']]]);
  t.is(remoteTargets(['-my_remote:idx', 'idx'], ['my_remote']).size, 0);
  t.deepEqual(
    [...remoteTargets(['*:a', 'r2:b', 'c'], ['r1', 'r2'])],
    [
      ['r1', ['a']],
      ['r2', ['a', 'b']],
    ],
  );
});

function fcState(license: 'trial' | 'basic' = 'trial'): ClusterState {
  return {
    clusterName: 'remote',
    clusterUuid: 'u',
    esVersion: '8.15.0',
    version: 1,
    masterNodeId: 'n1',
    persistent: {},
    transient: {},
    license: { type: license, status: 'active' } as ClusterState['license'],
    indices: { 'leader-1': {} as any, 'logs-a': {} as any, secret: {} as any },
    lab: {} as any,
    security: {
      users: {},
      apiKeys: [],
      roles: {
        ccr_role: {
          cluster: [],
          indices: [{ names: ['leader-*', 'logs-*'], privileges: ['read', 'monitor'] }],
          applications: [],
          run_as: [],
          metadata: {},
          transient_metadata: { enabled: true },
        },
      },
    },
    tasks: {} as any,
    counters: { disruptions: 0, disruption_log: [] },
    events: [],
  };
}
const admin: Principal = {
  kind: 'user',
  username: 'elastic',
  roles: ['superuser'],
  realm: 'default_native',
  realmType: 'native',
};
const members = [
  { id: 'n1', name: 'remote-1', address: '127.0.2.1', transportPort: 9300, remoteClusterPort: 9443 },
  { id: 'n2', name: 'remote-2', address: '127.0.2.2', transportPort: 9300, remoteClusterPort: null },
] as any;

// ResolveClusterActionResponse.java @17e9ef9e: the remote's `version` block is its Build — number, build_flavor and
// the minimum compatibility versions of its release (docs/es-9x.md §1.1), not 7.x values on a 9.x remote.
test('fulfilling side, _resolve/cluster: the version block follows the remote release', (t) => {
  const subject = { model: 'rcs1' as const, username: 'elastic', roles: ['superuser'] };
  const v = (esVersion: string) =>
    handleResolve({ state: { ...fcState(), esVersion }, members, profile: 'default' }, { subject, indices: ['*'] })
      .version;
  t.deepEqual(v('8.15.0'), {
    number: '8.15.0',
    build_flavor: 'default',
    minimum_wire_compatibility_version: '7.17.0',
    minimum_index_compatibility_version: '7.0.0',
  });
  t.like(v('9.0.0'), { minimum_wire_compatibility_version: '8.18.0', minimum_index_compatibility_version: '8.0.0' });
  t.like(v('9.3.0'), { minimum_wire_compatibility_version: '8.19.0', minimum_index_compatibility_version: '8.0.0' });
});

test('fulfilling side, RCS1 (transport profile): role names resolved with the remote cluster roles', (t) => {
  const ctx: FulfilContext = { state: fcState(), members, profile: 'default' };
  t.deepEqual(
    handleHandshake(ctx, {}).nodes.map((n) => n.address),
    ['127.0.2.1:9300', '127.0.2.2:9300'],
  );
  const ok = handleRead(ctx, SEARCH, {
    subject: { model: 'rcs1', username: 'u', roles: ['ccr_role'] },
    indices: ['logs-*'],
  });
  t.deepEqual(ok.indices, ['logs-a']);
  const e = t.throws(() =>
    handleRead(ctx, SEARCH, {
      subject: { model: 'rcs1', username: 'u', roles: ['missing_role'] },
      indices: ['secret'],
    }),
  ) as RemoteError;
  t.is(e.status, 403);
  t.is(
    e.reason,
    'action [indices:data/read/search] is unauthorized for user [u] with effective roles [] (assigned roles [missing_role] were not found) on indices [secret], this action is granted by the index privileges [read,all]',
  );
  const e2 = t.throws(() => handleHandshake(ctx, { credentials: 'ApiKey abc' })) as RemoteError;
  t.regex(e2.reason, /requires channel profile to be \[_remote_cluster\], but got \[default\]/);
  const e4 = t.throws(() =>
    handleHandshake({ ...ctx, peerPresentedCertificate: true }, { credentials: 'ApiKey abc' }),
  ) as RemoteError;
  t.is(e4.reason, 'missing authentication credentials for action [cluster:internal/remote_cluster/handshake]');
});

test('fulfilling side, RCS2 (_remote_cluster profile): key required, checked, intersected', (t) => {
  const state = fcState();
  const key = createCrossClusterApiKey(
    state.security,
    admin,
    { name: 'k', access: { replication: [{ names: ['leader-*'] }] } },
    '8.15.0',
  );
  const ctx: FulfilContext = { state, members, profile: '_remote_cluster' };
  t.regex(
    (t.throws(() => handleHandshake(ctx, {})) as RemoteError).reason,
    /^Cross cluster requests through the dedicated remote cluster server port require transport header \[_cross_cluster_access_credentials\]/,
  );
  const hs = handleHandshake(ctx, { credentials: `ApiKey ${key.encoded}` });
  t.deepEqual(
    hs.nodes.map((n) => n.address),
    ['127.0.2.1:9443'],
    'only nodes with the remote cluster server',
  );
  const layers = [
    [
      {
        cluster: [],
        indices: [{ names: ['leader-*'], privileges: ['cross_cluster_replication'] }],
        applications: [],
        run_as: [],
        metadata: {},
        transient_metadata: { enabled: true },
      },
    ],
  ];
  t.deepEqual(
    handleRead(ctx, SHARD_CHANGES, {
      credentials: `ApiKey ${key.encoded}`,
      subject: { model: 'rcs2', username: 'u', roles: ['r'], layers },
      indices: ['leader-1'],
    }).indices,
    ['leader-1'],
  );
  const denied = t.throws(() =>
    handleRead(ctx, SEARCH, {
      credentials: `ApiKey ${key.encoded}`,
      subject: { model: 'rcs2', username: 'u', roles: ['r'], layers },
      indices: ['leader-1'],
    }),
  ) as RemoteError;
  t.regex(
    denied.reason,
    /^action \[indices:data\/read\/search\] towards remote cluster is unauthorized for user \[u\] with assigned roles \[r\] authenticated by API key id \[.+\] of user \[elastic\] on indices \[leader-1\]/,
  );
  const rest = createRestApiKey(state.security, admin, { name: 'rest' });
  t.regex(
    (t.throws(() => handleHandshake(ctx, { credentials: `ApiKey ${rest.encoded}` })) as RemoteError).reason,
    /expected API key type of \[cross_cluster\], but API key \[.+\] has type \[rest\]/,
  );
  invalidateApiKeys(state.security, admin, { ids: [key.id] }, true);
  t.regex(
    (t.throws(() => handleHandshake(ctx, { credentials: `ApiKey ${key.encoded}` })) as RemoteError).reason,
    new RegExp(
      `^unable to authenticate user \\[${key.id}\\] for action \\[cluster:internal/remote_cluster/handshake\\]`,
    ),
  );
  const basic = { ...ctx, state: fcState('basic') };
  const k2 = createCrossClusterApiKey(
    basic.state.security,
    admin,
    { name: 'k', access: { search: [{ names: ['*'] }] } },
    '8.15.0',
  );
  t.is(
    (t.throws(() => handleHandshake(basic, { credentials: `ApiKey ${k2.encoded}` })) as RemoteError).reason,
    'current license is non-compliant for [advanced-remote-cluster-security]',
  );
});

test('querying side, RCS2: no remote_indices for the alias → ES error before anything is sent', (t) => {
  const qc = fcState().security;
  qc.roles.plain = {
    cluster: [],
    indices: [{ names: ['*'], privileges: ['read'] }],
    applications: [],
    run_as: [],
    metadata: {},
    transient_metadata: { enabled: true },
  };
  const e = t.throws(() =>
    subjectFor(qc, { kind: 'roles', username: 'u', roles: ['plain'] }, 'my_remote', 'rcs2', SEARCH),
  ) as RemoteError;
  t.is(
    e.reason,
    'action [indices:data/read/search] towards remote cluster [my_remote] is unauthorized for user [u] with effective roles [plain] because no remote indices privileges apply for the target cluster',
  );
  t.deepEqual(subjectFor(qc, { kind: 'roles', username: 'u', roles: ['plain'] }, 'my_remote', 'rcs1', SEARCH), {
    model: 'rcs1',
    username: 'u',
    roles: ['plain'],
  });
});

// Real TLS: a server with a certificate for 127.0.0.1 issued by a CA; the client trusts or not, checks SANs.
async function tlsServer(t: any, certPem: string, keyPem: string) {
  const server = createServer({ cert: certPem, key: keyPem }, (s: TLSSocket) => {
    const ch = new FrameChannel(s);
    ch.onRequest(async (type) => ({ echoed: type }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}
function rtWith(ca: string | undefined, mode: 'full' | 'certificate' = 'full'): NodeRuntime {
  const cfg: Record<string, string> = ca
    ? { 'xpack.security.remote_cluster_client.ssl.certificate_authorities': 'remote-cluster-ca.crt' }
    : {};
  return {
    config: cfg,
    tls: {
      remoteClusterClient: { ...(ca ? { ca } : {}), verificationMode: mode },
      transport: null,
      http: null,
      remoteClusterServer: null,
    },
  } as unknown as NodeRuntime;
}

test('RCS2 client TLS: trusted CA + matching IP SAN connects; system trust store or wrong SAN fails like ES', async (t) => {
  const ca = createCa({ dn: 'CN=RemoteCluster CA' });
  const good = issueCert({ ca, ip: ['127.0.0.1'], dns: ['localhost'] });
  const port = await tlsServer(t, good.certPem, good.keyPem);
  const ch = await openTlsChannel(rtWith(ca.certPem), 'rcs2', '127.0.0.1', port, '');
  t.deepEqual(await ch.request('x', {}), { echoed: 'x' });
  ch.close();
  const untrusted = (await t.throwsAsync(
    openTlsChannel(rtWith(undefined), 'rcs2', '127.0.0.1', port, ''),
  )) as ConnectError;
  t.is(untrusted.failure.kind, 'trust');
  t.regex(
    untrusted.failure.diagnostic!,
    /failed to establish trust with server at \[127\.0\.0\.1\].*issued by \[CN=RemoteCluster CA\].*this ssl context \(\[xpack\.security\.remote_cluster_client\.ssl \(with trust configuration: JDK-trusted-certs\)\]\) is not configured to trust that issuer but trusts \[\d+\] other issuers/,
  );
  const wrongName = issueCert({ ca, dns: ['other.example.com'] });
  const port2 = await tlsServer(t, wrongName.certPem, wrongName.keyPem);
  const mismatch = (await t.throwsAsync(
    openTlsChannel(rtWith(ca.certPem), 'rcs2', '127.0.0.1', port2, ''),
  )) as ConnectError;
  t.is(mismatch.failure.kind, 'hostname');
  t.is(
    mismatch.failure.reason,
    'javax.net.ssl.SSLHandshakeException: No subject alternative names matching IP address 127.0.0.1 found',
  );
  const lenient = await openTlsChannel(rtWith(ca.certPem, 'certificate'), 'rcs2', '127.0.0.1', port2, '');
  lenient.close();
  const refused = (await t.throwsAsync(openTlsChannel(rtWith(ca.certPem), 'rcs2', '127.0.0.1', 1, ''))) as ConnectError;
  t.is(refused.failure.kind, 'connect');
  t.regex(refused.failure.reason, /connect_exception/);
});

test('#3: an RCS2 client (no client certificate) against a transport port that demands one → bad_certificate', async (t) => {
  const ca = createCa({ dn: 'CN=Shared CA' });
  const leaf = issueCert({ ca, ip: ['127.0.0.1'] });
  const server = createServer(
    { cert: leaf.certPem, key: leaf.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true },
    (s: TLSSocket) => {
      const ch = new FrameChannel(s);
      ch.onRequest(async () => ({}));
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;
  const attempt = async () => {
    const ch = await openTlsChannel(rtWith(ca.certPem), 'rcs2', '127.0.0.1', port, '');
    try {
      await ch.request('cluster:internal/remote_cluster/handshake', {}, 3000);
    } finally {
      ch.close();
    }
  };
  const e = await attempt().then(
    () => undefined,
    (err: unknown) => mapChannelError(err),
  );
  t.true(e instanceof ConnectError, String(e));
  t.is(
    (e as ConnectError).failure.reason,
    'javax.net.ssl.SSLHandshakeException: Received fatal alert: bad_certificate',
  );
});

test('#7: an RCS1 client whose transport CA trusts the 9443 certificate is refused for lack of credentials', async (t) => {
  const ca = createCa({ dn: 'CN=Shared CA' });
  const leaf = issueCert({ ca, ip: ['127.0.0.1'] });
  const state = fcState();
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (s: TLSSocket) => {
    const ch = new FrameChannel(s);
    ch.onRequest(async (_type, body) => handleHandshake({ state, members, profile: '_remote_cluster' }, body as any));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;
  const rt = {
    config: { 'xpack.security.transport.ssl.verification_mode': 'certificate' },
    tls: { transport: { ca: ca.certPem }, remoteClusterClient: { verificationMode: 'full' } },
  } as unknown as NodeRuntime;
  const ch = await openTlsChannel(rt, 'rcs1', '127.0.0.1', port, '');
  t.teardown(() => ch.close());
  const e = (await t.throwsAsync(ch.request('cluster:internal/remote_cluster/handshake', {}))) as RemoteError;
  t.regex(
    e.reason,
    /^Cross cluster requests through the dedicated remote cluster server port require transport header \[_cross_cluster_access_credentials\] but none found/,
  );
  t.is(e.status, 401);
});

test('IP filter: allow before deny, CIDR and _all; the remote cluster profile inherits the transport rules', (t) => {
  const settings: Record<string, string | string[]> = {
    'xpack.security.transport.filter.allow': ['127.5.2.0/24'],
    'xpack.security.transport.filter.deny': '_all',
  };
  const get = (k: string) => settings[k];
  t.true(ipFilterAllows(get, 'default', '127.5.2.7').allowed);
  t.deepEqual(ipFilterAllows(get, 'default', '127.5.1.1'), { allowed: false, rule: 'deny _all' });
  t.false(ipFilterAllows(get, '_remote_cluster', '127.5.1.1').allowed, 'a bare transport deny closes 9443 too');
  settings['xpack.security.remote_cluster.filter.allow'] = '_all';
  t.true(ipFilterAllows(get, '_remote_cluster', '127.5.1.1').allowed);
  t.true(ipFilterAllows(() => undefined, 'default', '10.0.0.1').allowed);
  t.true(ruleMatches('127.5.*', '::ffff:127.5.9.9'));
});
