// The report's alias outage per node: from the end of the task that removed the alias (es_remote_cluster state
// absent, changed) to each node's first passing verification after it (es_remote_verify nodes[].ok_at).
import test from 'ava';
import { aliasOutageFrom } from '../../controller/report/model.js';
import type { JournalEvent } from '../../controller/state/journal.js';

let seq = 0;
const ev = (ts: string, module: string, status: string, result: Record<string, unknown>): JournalEvent => ({
  seq: ++seq,
  ts,
  kind: 'host_result',
  module,
  status,
  host: 'local-1',
  result,
});

test('outage per node runs from the removal of the alias to each node first passing the next verification', (t) => {
  const evs = [
    ev('2026-12-03T10:00:00.000Z', 'es_remote_cluster', 'changed', { alias: 'eu', state: 'saved' }),
    ev('2026-12-03T10:00:10.000Z', 'es_remote_verify', 'ok', {
      nodes: [{ host: 'local-1', ok_at: '2026-12-03T10:00:09.000Z' }],
    }),
    ev('2026-12-03T10:01:00.000Z', 'es_remote_cluster', 'changed', { alias: 'eu', state: 'absent' }),
    ev('2026-12-03T10:01:01.000Z', 'es_remote_cluster', 'changed', { alias: 'eu', state: 'present' }),
    ev('2026-12-03T10:01:02.000Z', 'es_remote_verify', 'ok', {
      nodes: [
        { host: 'local-1', ok_at: '2026-12-03T10:01:01.250Z' },
        { host: 'local-2', ok_at: '2026-12-03T10:01:01.900Z' },
        { host: 'local-3', problems: ['connected: false'] },
      ],
    }),
  ];
  t.deepEqual(aliasOutageFrom(evs), {
    alias: 'eu',
    nodes: [
      { host: 'local-1', seconds: 1.25 },
      { host: 'local-2', seconds: 1.9 },
    ],
  });
});

test('no outage without a removal, or without a verification after it', (t) => {
  t.is(aliasOutageFrom([ev('2026-12-03T10:00:00.000Z', 'es_remote_verify', 'ok', { nodes: [] })]), undefined);
  t.is(
    aliasOutageFrom([ev('2026-12-03T10:00:00.000Z', 'es_remote_cluster', 'changed', { alias: 'eu', state: 'absent' })]),
    undefined,
  );
});
