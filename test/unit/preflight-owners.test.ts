// es_preflight's rule for tasks whose roles are all reserved (they cannot get remote_indices, so API keys would cut
// their remote access): named with their roles; superuser and API-key tasks pass; one writable role suffices.
import test from 'ava';
import { reservedOwnerProblems } from '../../controller/modules/es/es_preflight.js';

const roles = {
  transform_admin: { metadata: { _reserved: true } },
  machine_learning_admin: { metadata: { _reserved: true } },
  superuser: { metadata: { _reserved: true } },
  remote_search: { metadata: {} },
};

test('a task that runs with reserved roles only is a problem, named with its roles', (t) => {
  const problems = reservedOwnerProblems(
    'eu',
    [
      { kind: 'transform', id: 'only-reserved', roles: ['transform_admin'] },
      { kind: 'datafeed', id: 'mixed', roles: ['machine_learning_admin', 'remote_search'] },
      { kind: 'transform', id: 'admin', roles: ['superuser', 'transform_admin'] },
      { kind: 'datafeed', id: 'two-reserved', roles: ['machine_learning_admin', 'transform_admin'] },
    ],
    roles,
  );
  t.is(problems.length, 2);
  t.regex(
    problems[0]!,
    /^local: transform only-reserved runs with reserved role\(s\) transform_admin only: .* remote_indices for eu/,
  );
  t.regex(
    problems[1]!,
    /^local: datafeed two-reserved runs with reserved role\(s\) machine_learning_admin, transform_admin only/,
  );
});

test('a role the cluster does not know is not taken for reserved', (t) => {
  t.deepEqual(reservedOwnerProblems('eu', [{ kind: 'transform', id: 'x', roles: ['gone'] }], roles), []);
});
