import test from 'ava';
import { readFileSync } from 'node:fs';
import { EXAMPLES } from '../helpers/shape.js';
import {
  closeJob,
  emptyTasks,
  followInfoView,
  followStatsView,
  openJob,
  pauseFollow,
  resumeFollow,
  startDatafeed,
  startTransform,
  stopTransform,
  DEFAULT_FOLLOW_PARAMETERS,
  followParameters,
  recordDisruption,
} from '../../lab/node/tasks/model.js';
import type { Follower, Transform, TasksState } from '../../lab/node/tasks/types.js';

const EX = EXAMPLES;
const owner = { kind: 'roles' as const, username: 'u', roles: ['r'] };

function transform(state: Transform['state'] = 'stopped'): Transform {
  return {
    id: 't1',
    config: { source: { index: ['my_remote:idx'] }, dest: { index: 'd' } },
    owner,
    create_time: 1,
    version: '8.15.0',
    state,
    checkpoint: 0,
    failureStreak: 0,
  };
}

test('transform: 409 when already started; failed needs force stop; start after force stop', (t) => {
  const tr = transform();
  startTransform(tr);
  t.is(tr.state, 'started');
  const e = t.throws(() => startTransform(tr)) as any;
  t.is(e.status, 409);
  t.is(e.reason, 'Cannot start transform [t1] as it is already started.');
  tr.state = 'failed';
  tr.reason = 'boom';
  t.is((t.throws(() => stopTransform(tr, false)) as any).status, 409);
  t.is((t.throws(() => startTransform(tr)) as any).status, 409);
  stopTransform(tr, true);
  t.is(tr.state as string, 'stopped');
  t.is(tr.reason as string | undefined, undefined);
  stopTransform(tr, false); // stopping a stopped transform is acknowledged
  t.is(tr.state as string, 'stopped');
});

test('ML: datafeed needs an open job; closing the job stops its datafeed', (t) => {
  const s: TasksState = emptyTasks();
  s.jobs.j = { job_id: 'j', config: {}, create_time: 1, state: 'closed' };
  s.datafeeds.d = {
    datafeed_id: 'd',
    job_id: 'j',
    config: { indices: ['my_remote:x'] },
    owner,
    state: 'stopped',
    realTimeConfigured: false,
    searchCount: 0,
  };
  const e = t.throws(() => startDatafeed(s, s.datafeeds.d!, 'n1', false)) as any;
  t.is(e.status, 409);
  t.is(e.reason, 'cannot start datafeed [d] because job [j] is closed');
  openJob(s.jobs.j!, 'n1');
  startDatafeed(s, s.datafeeds.d!, 'n1', false);
  t.is(s.datafeeds.d!.state, 'started');
  t.true(s.datafeeds.d!.realTimeConfigured);
  t.is((t.throws(() => startDatafeed(s, s.datafeeds.d!, 'n1', false)) as any).status, 409);
  closeJob(s, s.jobs.j!, false);
  t.is(s.jobs.j!.state, 'closed');
  t.is(s.datafeeds.d!.state, 'stopped');
});

test('CCR: resume with {} resets parameters; info omits parameters while paused; shapes match examples', (t) => {
  const custom = followParameters({ max_read_request_operation_count: 1024, max_outstanding_read_requests: 16 });
  const f: Follower = {
    follower_index: 'f',
    remote_cluster: 'my_remote',
    leader_index: 'l',
    status: 'active',
    parameters: custom,
    owner,
    read_exceptions: [],
    operations_read: 5,
    successful_read_requests: 1,
    failed_read_requests: 0,
  };
  const infoEx = JSON.parse(readFileSync(`${EX}/ccr.follow_info/response.spec.FollowInfoResponseExample1.json`, 'utf8'))
    .follower_indices[0];
  t.deepEqual(Object.keys(followInfoView(f)).sort(), Object.keys(infoEx).sort());
  t.deepEqual(Object.keys((followInfoView(f) as any).parameters).sort(), Object.keys(infoEx.parameters).sort());
  pauseFollow(f);
  t.false('parameters' in followInfoView(f));
  t.is((t.throws(() => pauseFollow(f)) as any).status, 400);
  resumeFollow(f, {});
  t.deepEqual(f.parameters, DEFAULT_FOLLOW_PARAMETERS);
  t.is(f.parameters.max_read_request_operation_count, 5120);
  t.regex((t.throws(() => followParameters({ bogus: 1 })) as any).reason, /unknown field \[bogus\]/);
  const statsEx = JSON.parse(
    readFileSync(`${EX}/ccr.follow_stats/response.spec.FollowIndexStatsResponseExample1.json`, 'utf8'),
  ).indices[0];
  const mine = followStatsView(f, Date.now()) as any;
  t.deepEqual(Object.keys(mine).sort(), Object.keys(statsEx).sort());
  t.deepEqual(Object.keys(mine.shards[0]).sort(), Object.keys(statsEx.shards[0]).sort());
});

test('disruptions are counted and logged', (t) => {
  const c = { disruptions: 0, disruption_log: [] };
  recordDisruption(c, {
    at: 1,
    cluster: 'local',
    task_type: 'transform',
    task_id: 't1',
    reason: 'no such remote cluster: [my_remote]',
  });
  t.is(c.disruptions, 1);
  t.is(c.disruption_log.length, 1);
});
