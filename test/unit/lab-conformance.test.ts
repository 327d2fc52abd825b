// Lab conformance, the pure parts (no lab): DLS query normalisation, the Lucene regex of reserved roles, DLS/FLS
// evaluation across permission layers, the user-privileges collation and the fulfilling side's refusal of legacy
// cross-cluster keys. The request → answer tests are in test/integration/lab-conformance*.test.ts.
import test from 'ava';
import { normalizeIndicesEntry, normalizeQuery, parseRoleBody, roleView } from '../../lab/node/security/roles.js';
import { createCrossClusterApiKey } from '../../lab/node/security/api-keys.js';
import { patternMatches, permissionOfRoles, type Permission } from '../../lab/node/security/privileges.js';
import { applyAccess, indexAccess } from '../../lab/node/security/access-control.js';
import { userPrivileges } from '../../lab/node/security/user-privileges.js';
import { RESERVED_ROLES, type Principal, type SecurityState } from '../../lab/node/security/model.js';
import { matchesQuery, filterSource } from '../../lab/node/search/query.js';
import { handleRead, SEARCH, type FulfilContext } from '../../lab/node/remote/fulfil.js';
import type { ClusterState } from '../../lab/node/cluster/state.js';

const SEARCH_ACTION = 'indices:data/read/search';
const admin: Principal = {
  kind: 'user',
  username: 'admin',
  roles: ['superuser'],
  realm: 'default_native',
  realmType: 'native',
};

// RoleDescriptor.java, QUERY branch (docs/es-behaviour.md §1).
test('DLS query: object → compact JSON in sent order, string verbatim, "" and null → none, others refused', (t) => {
  t.is(
    normalizeQuery('r', { bool: { must: [{ term: { b: 1 } }], filter: { term: { a: 'x' } } } }),
    '{"bool":{"must":[{"term":{"b":1}}],"filter":{"term":{"a":"x"}}}}',
  );
  t.is(normalizeQuery('r', ' {"term": {"a": 1}} '), ' {"term": {"a": 1}} ');
  t.is(normalizeQuery('r', ''), undefined);
  t.is(normalizeQuery('r', null), undefined);
  t.regex(t.throws(() => normalizeQuery('r', [1]))!.message, /but found \[START_ARRAY\] instead/);
  t.regex(t.throws(() => normalizeQuery('r', true))!.message, /but found \[VALUE_BOOLEAN\] instead/);
  t.deepEqual(
    Object.keys(
      normalizeIndicesEntry(
        'r',
        { clusters: ['c'], query: { match_all: {} }, privileges: ['read'], names: ['a'] },
        true,
      ),
    ),
    ['names', 'privileges', 'query', 'allow_restricted_indices', 'clusters'],
  );
  // A role stored by an older lab (object query) is shown with a string.
  const old = { ...parseRoleBody('r', { indices: [{ names: ['a'], privileges: ['read'] }] }, '8.15.0') };
  (old.indices[0] as { query?: unknown }).query = { term: { a: 1 } };
  t.is(roleView(old, '8.15.0').indices[0]!.query, '{"term":{"a":1}}');
});

// ReservedRolesStore.java: viewer/editor read `/~(([.]|ilm-history-).*)/`.
test('Lucene regex index patterns: complement and intersection', (t) => {
  const notDot = '/~(([.]|ilm-history-).*)/';
  t.true(patternMatches(notDot, 'logs-1'));
  t.false(patternMatches(notDot, '.security-7'));
  t.false(patternMatches(notDot, 'ilm-history-5'));
  t.true(patternMatches('/metrics-.*&~(metrics-endpoint.*)/', 'metrics-system'));
  t.false(patternMatches('/metrics-.*&~(metrics-endpoint.*)/', 'metrics-endpoint.x'));
  const viewer = permissionOfRoles({ users: {}, roles: {}, apiKeys: [] }, ['viewer']);
  t.truthy(indexAccess(viewer, 'logs-1', SEARCH_ACTION));
  t.is(indexAccess(viewer, '.kibana', SEARCH_ACTION), undefined);
});

test('DLS/FLS: entries OR within a layer (one without query lifts DLS), layers AND', (t) => {
  const layer = (query?: string, fs?: { grant?: string[]; except?: string[] }) => [
    {
      ...RESERVED_ROLES.transport_client!,
      indices: [
        { names: ['d*'], privileges: ['read'], ...(query ? { query } : {}), ...(fs ? { field_security: fs } : {}) },
      ],
    },
  ];
  const doc = (id: string, cat: string) => ({ _id: id, _source: { cat, secret: 's', pub: { a: 1, b: 2 } } });
  const p: Permission = {
    layers: [
      layer('{"term":{"cat":"x"}}', { grant: ['*'], except: ['secret', 'pub.b'] }),
      layer('{"terms":{"cat":["x","y"]}}'),
    ],
    effectiveRoles: [],
    missingRoles: [],
  };
  const access = indexAccess(p, 'docs', SEARCH_ACTION)!;
  t.deepEqual(applyAccess(access, doc('1', 'x')), { _id: '1', _source: { cat: 'x', pub: { a: 1 } } });
  t.is(applyAccess(access, doc('2', 'y')), undefined);
  const lifted: Permission = {
    layers: [[...layer('{"term":{"cat":"x"}}'), ...layer()]],
    effectiveRoles: [],
    missingRoles: [],
  };
  t.deepEqual(indexAccess(lifted, 'docs', SEARCH_ACTION), [{ queries: null, fields: null }]);
});

test('query subset: bool/should, range, match, exists, ids; unsupported types refused', (t) => {
  const d = { _id: 'a1', _source: { msg: 'Hello World', n: 5, tags: ['x', 'y'], o: { k: 'v' } } };
  t.true(matchesQuery({ bool: { should: [{ term: { tags: 'y' } }, { term: { n: 1 } }] } }, d));
  t.false(
    matchesQuery({ bool: { should: [{ term: { n: 1 } }], filter: { match_all: {} }, minimum_should_match: 1 } }, d),
  );
  t.true(matchesQuery({ range: { n: { gte: 5, lt: 6 } } }, d));
  t.true(matchesQuery({ match: { msg: 'world' } }, d));
  t.true(matchesQuery({ term: { 'o.k': 'v' } }, d));
  t.true(matchesQuery({ exists: { field: 'o.k' } }, d));
  t.true(matchesQuery({ ids: { values: ['a1'] } }, d));
  t.regex(t.throws(() => matchesQuery({ script: {} }, d))!.message, /query \[script\] is not simulated/);
  t.deepEqual(filterSource(d._source, [{ grant: ['o.*', 'n'] }]), { n: 5, o: { k: 'v' } });
});

// GetUserPrivilegesResponse.java / 40_get_user_privs.yml (docs/es-behaviour.md §4).
test('user privileges: same names collated, sorted sets; remote_* only when non-empty', (t) => {
  const s: SecurityState = {
    users: {},
    roles: {
      a: parseRoleBody(
        'a',
        { cluster: ['monitor'], indices: [{ names: ['x', 'b'], privileges: ['write'] }] },
        '8.15.0',
      ),
      b: parseRoleBody(
        'b',
        { cluster: ['manage'], indices: [{ names: ['b', 'x'], privileges: ['read'], query: { match_all: {} } }] },
        '8.15.0',
      ),
    },
    apiKeys: [],
  };
  const p: Principal = { kind: 'user', username: 'u', roles: ['a', 'b'], realm: 'default_native', realmType: 'native' };
  const out = userPrivileges(s, p, '8.15.0');
  t.deepEqual(out, {
    cluster: ['manage', 'monitor'],
    global: [],
    indices: [{ names: ['b', 'x'], privileges: ['read', 'write'], allow_restricted_indices: false }],
    applications: [],
    run_as: [],
  });
});

// RemoteClusterSecurityLegacyCrossClusterApiKeysWithDlsFlsIT.java (docs/es-behaviour.md §5): a key made before
// 8.14 with search DLS + replication is refused when used on an 8.14+ fulfilling cluster.
test('fulfilling side: a legacy key mixing search DLS and replication is invalid from 8.14', (t) => {
  const security: SecurityState = { users: {}, roles: {}, apiKeys: [] };
  const k = createCrossClusterApiKey(
    security,
    admin,
    {
      name: 'old',
      access: { search: [{ names: ['d*'], query: { match_all: {} } }], replication: [{ names: ['l*'] }] },
    },
    '8.13.0',
  );
  const state = {
    esVersion: '8.14.0',
    license: { type: 'trial', status: 'active' },
    security,
    indices: {},
  } as unknown as ClusterState;
  const ctx: FulfilContext = { state, members: [], profile: '_remote_cluster' };
  const body = {
    credentials: `ApiKey ${k.encoded}`,
    subject: { model: 'rcs2' as const, username: 'u', roles: [], layers: [] },
    indices: ['d*'],
  };
  const e = t.throws(() => handleRead(ctx, SEARCH, body)) as unknown as { reason: string; status: number };
  t.is(e.status, 400);
  t.is(
    e.reason,
    `Cross cluster API key [${k.id}] is invalid: search does not support document or field level security if replication is assigned`,
  );
  t.notThrows(() => handleRead({ ...ctx, state: { ...state, esVersion: '8.13.0' } }, SEARCH, body));
});
