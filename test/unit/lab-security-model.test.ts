import test from 'ava';
import type { Principal, SecurityState } from '../../lab/node/security/model.js';
import {
  createCrossClusterApiKey,
  createRestApiKey,
  findApiKeys,
  invalidateApiKeys,
  updateCrossClusterApiKey,
  updateRestApiKey,
  verifyEncodedKey,
  apiKeyView,
  parseTimeValueMs,
} from '../../lab/node/security/api-keys.js';
import {
  grantsIndex,
  hasRemoteIndicesFor,
  permissionOf,
  permissionOfApiKey,
  remoteDescriptorsFor,
  patternMatches,
  hasPrivileges,
  grantsCluster,
} from '../../lab/node/security/privileges.js';
import { parseRoleBody } from '../../lab/node/security/roles.js';

function fresh(): SecurityState {
  return {
    users: {
      admin: { username: 'admin', roles: ['superuser'], full_name: null, email: null, metadata: {}, enabled: true },
      bob: { username: 'bob', roles: ['reader', 'ghost'], full_name: null, email: null, metadata: {}, enabled: true },
    },
    roles: {
      reader: {
        cluster: ['monitor'],
        indices: [{ names: ['logs-*'], privileges: ['read'] }],
        applications: [],
        run_as: [],
        metadata: {},
        transient_metadata: { enabled: true },
        remote_indices: [{ clusters: ['my_remote'], names: ['leader-*'], privileges: ['read', 'read_cross_cluster'] }],
      },
    },
    apiKeys: [],
  };
}
const admin: Principal = {
  kind: 'user',
  username: 'admin',
  roles: ['superuser'],
  realm: 'default_native',
  realmType: 'native',
};
/** What the fulfilling cluster evaluates for RCS2 (without a key layer): the alias's remote_indices as indices. */
const grantsRemoteIndex = (p: ReturnType<typeof permissionOf>, alias: string, index: string, action: string) =>
  grantsIndex({ layers: remoteDescriptorsFor(p, alias), effectiveRoles: [], missingRoles: [] }, index, action);
const bob: Principal = {
  kind: 'user',
  username: 'bob',
  roles: ['reader', 'ghost'],
  realm: 'default_native',
  realmType: 'native',
};

test('cross-cluster key: derived descriptor, encoded = base64(id:key), secret only hashed', (t) => {
  const s = fresh();
  const r = createCrossClusterApiKey(
    s,
    admin,
    {
      name: 'k1',
      expiration: '1d',
      access: { search: [{ names: ['logs*'] }], replication: [{ names: ['archive*'] }] },
    },
    '8.15.0',
    1000,
  );
  t.is(Buffer.from(r.encoded, 'base64').toString(), `${r.id}:${r.api_key}`);
  t.is(r.expiration, 1000 + 86_400_000);
  const stored = s.apiKeys[0]!;
  t.false(JSON.stringify(stored).includes(r.api_key));
  const view = apiKeyView(stored) as any;
  t.deepEqual(view.role_descriptors.cross_cluster.cluster, [
    'cross_cluster_search',
    'monitor_enrich',
    'cross_cluster_replication',
  ]);
  t.deepEqual(view.role_descriptors.cross_cluster.indices[1].privileges, [
    'cross_cluster_replication',
    'cross_cluster_replication_internal',
  ]);
  t.deepEqual(view.access.search, [{ names: ['logs*'], allow_restricted_indices: false }]);
  t.is(view.type, 'cross_cluster');
  t.true(verifyEncodedKey(s, r.encoded, 2000).ok);
  t.deepEqual(verifyEncodedKey(s, r.encoded, 1000 + 86_400_001), { ok: false, reason: 'expired', id: r.id });
  t.is((verifyEncodedKey(s, Buffer.from(`${r.id}:wrong`).toString('base64')) as any).reason, 'bad_secret');
});

test('cross-cluster key: ES validation errors', (t) => {
  const s = fresh();
  const err = (body: unknown) => t.throws(() => createCrossClusterApiKey(s, admin, body, '8.15.0'))!.message;
  t.is(err({ name: 'x' }), 'Required [access]');
  t.regex(err({ name: 'x', access: {} }), /must specify non-empty access for either \[search\] or \[replication\]/);
  t.regex(err({ access: { search: [{ names: ['a'] }] } }), /Required \[name\]/);
  t.regex(
    err({ name: 'x', access: { replication: [{ names: ['a'], query: { match_all: {} } }] } }),
    /replication does not support document or field level security/,
  );
  t.regex(err({ name: 'x', access: { search: [{ names: ['a'] }] }, bogus: 1 }), /unknown field \[bogus\]/);
  const rest = createRestApiKey(s, admin, { name: 'r' });
  const restPrincipal: Principal = {
    kind: 'api_key',
    username: 'admin',
    realm: 'default_native',
    realmType: 'native',
    key: s.apiKeys.find((k) => k.id === rest.id)!,
  };
  const e = t.throws(() =>
    createCrossClusterApiKey(s, restPrincipal, { name: 'x', access: { search: [{ names: ['a'] }] } }, '8.15.0'),
  ) as any;
  t.is(e.status, 400);
  t.is(
    e.reason,
    'authentication via API key not supported: An API key cannot be used to create a cross-cluster API key',
  );
});

test('update cross-cluster key: updated true/false, invalidated keys refused', (t) => {
  const s = fresh();
  const r = createCrossClusterApiKey(s, admin, { name: 'k', access: { search: [{ names: ['a'] }] } }, '8.14.0');
  t.deepEqual(updateCrossClusterApiKey(s, admin, r.id, { access: { replication: [{ names: ['b'] }] } }, '8.14.0'), {
    updated: true,
  });
  t.deepEqual(updateCrossClusterApiKey(s, admin, r.id, { access: { replication: [{ names: ['b'] }] } }, '8.14.0'), {
    updated: false,
  });
  t.deepEqual(s.apiKeys[0]!.role_descriptors.cross_cluster!.cluster, ['cross_cluster_replication']);
  t.regex(
    t.throws(() => updateCrossClusterApiKey(s, admin, r.id, {}, '8.14.0'))!.message,
    /must update either \[access\] or \[metadata\]/,
  );
  const inv = invalidateApiKeys(s, admin, { ids: [r.id] }, true);
  t.deepEqual(inv, { invalidated_api_keys: [r.id], previously_invalidated_api_keys: [], error_count: 0 });
  t.deepEqual(invalidateApiKeys(s, admin, { ids: [r.id] }, true).previously_invalidated_api_keys, [r.id]);
  t.regex(t.throws(() => updateCrossClusterApiKey(s, admin, r.id, { metadata: {} }, '8.14.0'))!.message, /invalidated/);
  t.is((verifyEncodedKey(s, r.encoded) as any).reason, 'invalidated');
});

test('find keys: name wildcard, active_only, owner', (t) => {
  const s = fresh();
  createCrossClusterApiKey(s, admin, { name: 'eck-a', access: { search: [{ names: ['a'] }] } }, '8.15.0');
  const b = createCrossClusterApiKey(s, admin, { name: 'eck-b', access: { search: [{ names: ['a'] }] } }, '8.15.0');
  createRestApiKey(s, bob, { name: 'bobs' });
  invalidateApiKeys(s, admin, { ids: [b.id] }, true);
  t.deepEqual(
    findApiKeys(s, admin, { name: 'eck-*' }).map((k) => k.name),
    ['eck-a', 'eck-b'],
  );
  t.deepEqual(
    findApiKeys(s, admin, { name: 'eck-*', active_only: true }).map((k) => k.name),
    ['eck-a'],
  );
  t.deepEqual(
    findApiKeys(s, bob, { owner: true }).map((k) => k.name),
    ['bobs'],
  );
});

test('REST key keeps the privileges of its creation (limited_by snapshot) until updated', (t) => {
  const s = fresh();
  const r = createRestApiKey(s, bob, { name: 'task-key' });
  const key = s.apiKeys.find((k) => k.id === r.id)!;
  t.true(grantsIndex(permissionOfApiKey(key), 'logs-1', 'indices:data/read/search'));
  // the owner's role changes: the key does not see it
  s.roles.reader!.indices = [];
  t.true(grantsIndex(permissionOfApiKey(key), 'logs-1', 'indices:data/read/search'));
  updateRestApiKey(s, bob, r.id, {});
  t.false(grantsIndex(permissionOfApiKey(key), 'logs-1', 'indices:data/read/search'));
  // explicit role_descriptors intersect with the owner snapshot
  const r2 = createRestApiKey(s, admin, {
    name: 'narrow',
    role_descriptors: { only: { indices: [{ names: ['x'], privileges: ['read'] }] } },
  });
  const k2 = s.apiKeys.find((k) => k.id === r2.id)!;
  t.true(grantsIndex(permissionOfApiKey(k2), 'x', 'indices:data/read/search'));
  t.false(grantsIndex(permissionOfApiKey(k2), 'y', 'indices:data/read/search'));
});

test('privileges: patterns, implication, remote_indices by alias, missing roles', (t) => {
  const s = fresh();
  t.true(patternMatches('logs-*', 'logs-1'));
  t.false(patternMatches('logs-*', 'metrics'));
  t.true(patternMatches('/le.*r/', 'leader'));
  const p = permissionOf(s, bob);
  t.deepEqual(p.missingRoles, ['ghost']);
  t.true(grantsCluster(p, 'monitor_ml'));
  t.false(grantsCluster(p, 'manage'));
  t.true(grantsRemoteIndex(p, 'my_remote', 'leader-1', 'indices:data/read/search'));
  t.false(grantsRemoteIndex(p, 'other', 'leader-1', 'indices:data/read/search'));
  t.true(grantsRemoteIndex(p, 'my_remote', 'leader-1', 'indices:data/read/xpack/ccr/shard_changes'));
  t.false(grantsRemoteIndex(p, 'my_remote', 'other-1', 'indices:data/read/search'));
  t.true(hasRemoteIndicesFor(p, 'my_remote'));
  t.false(hasRemoteIndicesFor(p, 'other'));
  const sent = remoteDescriptorsFor(p, 'my_remote');
  t.deepEqual(sent[0]![0]!.indices, [{ names: ['leader-*'], privileges: ['read', 'read_cross_cluster'] }]);
  const superP = permissionOf(s, admin);
  t.true(grantsRemoteIndex(superP, 'anything', 'x', 'indices:data/read/search'));
  const hp = hasPrivileges(p, {
    cluster: ['monitor', 'manage_security'],
    index: [{ names: ['logs-1'], privileges: ['read'] }],
  });
  t.false(hp.has_all_requested);
  t.deepEqual(hp.cluster, { monitor: true, manage_security: false });
  t.deepEqual(hp.index, { 'logs-1': { read: true } });
});

test('roles: strict parsing, version gates, reserved names', (t) => {
  t.regex(
    t.throws(() =>
      parseRoleBody('r', { remote_cluster: [{ clusters: ['a'], privileges: ['monitor_enrich'] }] }, '8.14.0'),
    )!.message,
    /unexpected field \[remote_cluster\]/,
  );
  const r = parseRoleBody('r', { remote_cluster: [{ clusters: ['a'], privileges: ['monitor_enrich'] }] }, '8.15.0');
  t.deepEqual(r.remote_cluster, [{ clusters: ['a'], privileges: ['monitor_enrich'] }]);
  t.regex(
    t.throws(() =>
      parseRoleBody('r', { remote_cluster: [{ clusters: ['a'], privileges: ['monitor_stats'] }] }, '8.15.0'),
    )!.message,
    /Only \[monitor_enrich\] are allowed/,
  );
  t.regex(t.throws(() => parseRoleBody('superuser', {}, '8.15.0'))!.message, /reserved/);
  t.regex(
    t.throws(() => parseRoleBody('r', { remote_indices: [{ names: ['a'], privileges: ['read'] }] }, '8.15.0'))!.message,
    /clusters/,
  );
  t.is(parseTimeValueMs('90d'), 90 * 86_400_000);
});
