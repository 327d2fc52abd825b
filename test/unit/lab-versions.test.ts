// The versions a lab node derives from its release (lab/node/cluster/versions.ts): minimum wire/index compatibility
// versions (Version.java computeMinCompatVersion, docs/es-9x.md §1.1) and the transport version of GET /_nodes
// (server/src/main/resources/org/elasticsearch/TransportVersions.csv @0093f1c5; 9.2/9.3 from transport/ resources).
import test from 'ava';
import { compatibilityVersions, transportVersion } from '../../lab/node/cluster/versions.js';
import { buildInfo } from '../../lab/node/cluster/routes.js';

test('minimum compatibility versions follow the release: 8.x → 7.17.0/7.0.0, 9.0 → 8.18.0, 9.1+ → 8.19.0', (t) => {
  const pick = (v: string) => {
    const c = compatibilityVersions(v);
    return [c.minimum_wire_compatibility_version, c.minimum_index_compatibility_version];
  };
  for (const v of ['8.0.0', '8.10.0', '8.15.3', '8.19.4']) t.deepEqual(pick(v), ['7.17.0', '7.0.0'], v);
  t.deepEqual(pick('9.0.0'), ['8.18.0', '8.0.0']);
  t.deepEqual(pick('9.0.8'), ['8.18.0', '8.0.0']);
  for (const v of ['9.1.0', '9.2.4', '9.3.0']) t.deepEqual(pick(v), ['8.19.0', '8.0.0'], v);
});

test('GET / uses the same compatibility versions', (t) => {
  for (const v of ['8.10.0', '8.19.0', '9.0.0', '9.1.0', '9.3.0']) t.like(buildInfo(v), compatibilityVersions(v), v);
});

test('transport versions per release, from TransportVersions.csv', (t) => {
  const want: Record<string, number> = {
    '8.10.0': 8500061,
    '8.11.0': 8512001,
    '8.12.0': 8560000,
    '8.12.1': 8560001,
    '8.13.0': 8595000,
    '8.13.4': 8595001,
    '8.14.0': 8636001,
    '8.15.0': 8702002,
    '8.15.2': 8702003,
    '8.16.0': 8772001,
    '8.16.1': 8772004,
    '8.17.0': 8797002,
    '8.17.3': 8797003,
    '8.18.0': 8840002,
    '8.18.2': 8840004,
    '8.19.0': 8841064,
    '9.0.0': 9000009,
    '9.0.1': 9000010,
    '9.1.0': 9112003,
    '9.1.4': 9112007,
  };
  for (const [v, id] of Object.entries(want)) t.is(transportVersion(v), id, v);
});

test('transport versions not established exactly: the nearest established lower bound, never an 8.15 id', (t) => {
  t.is(transportVersion('9.2.0'), 9185000); // initial_9.2.0
  t.is(transportVersion('9.2.1'), 9185003); // initial_9.2.1
  t.is(transportVersion('9.2.4'), 9185003); // unknown patch: the last one held for 9.2
  t.is(transportVersion('9.3.0'), 9225000); // keystore_details_in_reload_secure_settings_response
  t.is(transportVersion('9.3.1'), 9250006); // initial_9.3.1
  t.is(transportVersion('8.19.9'), 8841068); // the CSV's 8.19.5 row (8841030) is out of order and not used
  // ids grow with the release
  const order = ['8.10.0', '8.15.0', '8.16.0', '8.17.0', '8.18.0', '8.19.0', '9.0.0', '9.1.0', '9.2.0', '9.3.0'];
  const ids = order.map(transportVersion);
  t.deepEqual(
    ids,
    [...ids].sort((a, b) => a - b),
  );
});
