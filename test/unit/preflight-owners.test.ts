// es_preflight's rule for tasks whose remote read access comes only from reserved local roles (they cannot get
// remote_indices, so API keys would cut that access): named with those roles; superuser tasks pass; a custom role
// granting the same access suffices; roles the remote cluster does not grant with do not count.
import test from 'ava';
import { reservedOwnerProblems } from '../../controller/modules/es/es_preflight.js';

const local = {
  viewer: { metadata: { _reserved: true } },
  transform_admin: { metadata: { _reserved: true } },
  superuser: { metadata: { _reserved: true } },
  remote_search: { metadata: {} },
};
const remote = {
  viewer: { indices: [{ names: ['*'], privileges: ['read'] }] },
  remote_search: { indices: [{ names: ['logs-*'], privileges: ['read'] }] },
  transform_admin: { indices: [] },
};

test('a task whose remote access comes only from reserved roles is a problem, named with those roles', (t) => {
  const problems = reservedOwnerProblems(
    'eu',
    [
      { kind: 'transform', id: 'via-viewer', roles: ['viewer', 'transform_admin'] },
      { kind: 'datafeed', id: 'also-custom', roles: ['viewer', 'remote_search'] },
      { kind: 'transform', id: 'admin', roles: ['superuser', 'viewer'] },
      { kind: 'transform', id: 'no-remote-grant', roles: ['transform_admin'] },
    ],
    local,
    remote,
  );
  t.is(problems.length, 1);
  t.regex(problems[0]!, /^local: transform via-viewer reads eu only through reserved role\(s\) viewer /);
  t.regex(problems[0]!, /Fix: have its owner hold a custom role/);
});

test('a role the local cluster does not know is not taken for reserved', (t) => {
  t.deepEqual(
    reservedOwnerProblems('eu', [{ kind: 'transform', id: 'x', roles: ['gone'] }], local, { gone: { indices: [{}] } }),
    [],
  );
});
