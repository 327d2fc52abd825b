// The tasks that read through an alias, shared by es_tasks and `crosskey inspect`: filtered per alias (wildcards
// count for transforms and datafeeds, CCR names the alias literally) and the aliases the tasks name literally.
import test from 'ava';
import { aliasesNamedBy, tasksOfAlias, type LocalTasks } from '../../controller/elastic/alias-tasks.js';

const tasks: LocalTasks = {
  transforms: [
    { id: 't1', source: { index: ['my_remote:logs-*'] }, state: 'started' },
    { id: 't2', source: { index: ['*:metrics', 'local'] }, state: 'stopped' },
    { id: 't3', source: { index: ['other:x,-my_remote:y'] }, state: 'indexing' },
  ],
  datafeeds: [
    { datafeed_id: 'd1', job_id: 'j1', indices: ['my_remote:a'], state: 'started', job_state: 'opened' },
    { datafeed_id: 'd2', job_id: 'j2', indices: ['local'], state: 'stopped', job_state: 'missing' },
  ],
  autoFollowPatterns: [
    { name: 'p1', active: true, remote_cluster: 'my_remote', leader_index_patterns: ['l-*'] },
    { name: 'p2', active: false, remote_cluster: 'ccr_only', leader_index_patterns: [] },
  ],
  followers: [{ follower_index: 'f1', remote_cluster: 'my_remote', leader_index: 'l1', status: 'active' }],
};

test('tasksOfAlias keeps what reads through the alias, wildcards included', (t) => {
  const mine = tasksOfAlias(tasks, 'my_remote');
  t.deepEqual(
    mine.transforms.map((x) => x.id),
    ['t1', 't2'],
  );
  t.deepEqual(
    mine.datafeeds.map((x) => x.datafeed_id),
    ['d1'],
  );
  t.deepEqual(
    mine.autoFollowPatterns.map((x) => x.name),
    ['p1'],
  );
  t.deepEqual(
    mine.followers.map((x) => x.follower_index),
    ['f1'],
  );
  const other = tasksOfAlias(tasks, 'other');
  t.deepEqual(
    other.transforms.map((x) => x.id),
    ['t2', 't3'],
  );
  t.deepEqual(other.autoFollowPatterns, []);
});

test('aliasesNamedBy lists literal aliases only (no wildcard, no exclusion)', (t) => {
  t.deepEqual([...aliasesNamedBy(tasks)].sort(), ['ccr_only', 'my_remote', 'other']);
});
