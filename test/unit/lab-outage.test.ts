import test from 'ava';
import { outageWindows } from '../../lab/outage.js';
import type { ConnectionEvent } from '../../lab/node/remote/manager.js';

const ev = (
  at: number,
  node: string,
  model: 'rcs1' | 'rcs2',
  connected: boolean,
  alias = 'my_remote',
): ConnectionEvent => ({ at, cluster: 'local', node, alias, model, connected });

test('the outage of a node runs from losing RCS1 to connecting with the key', (t) => {
  const events = [
    ev(1000, 'local-1', 'rcs1', true),
    ev(1000, 'local-2', 'rcs1', true),
    ev(5000, 'local-1', 'rcs1', false),
    ev(5100, 'local-2', 'rcs1', false),
    ev(5900, 'local-2', 'rcs2', true),
    ev(6200, 'local-1', 'rcs2', true),
    ev(6300, 'local-1', 'rcs1', true, 'other_alias'),
  ];
  t.deepEqual(
    outageWindows(events, 'my_remote').map((o) => [o.node, o.ms]),
    [
      ['local-1', 1200],
      ['local-2', 800],
    ],
  );
});

test('a node never connected with the key has no window; a restart without a lost event counts from its last RCS1 connection', (t) => {
  const events = [
    ev(1000, 'local-1', 'rcs1', true),
    ev(1000, 'local-2', 'rcs1', true),
    ev(9000, 'local-2', 'rcs2', true),
  ];
  t.deepEqual(
    outageWindows(events, 'my_remote').map((o) => [o.node, o.ms]),
    [['local-2', 8000]],
  );
});
