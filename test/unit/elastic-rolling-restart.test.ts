// Gate logic of the rolling restart against a recorded-behaviour cluster: a small in-test model of the REST
// answers ES gives during a restart (_cat/nodes, _cat/master, _cluster/health with wait_for_*, settings, flush).
// The real thing runs in test/integration/rolling-restart.test.ts against the lab.
import test from 'ava';
import {
  runRollingRestart,
  planRestart,
  HealthSampler,
  RollingRestartError,
  type HostOps,
  type RestartProgress,
  type RestartTarget,
} from '../../controller/elastic/rolling-restart.js';
import { formatWait } from '../../controller/elastic/gates.js';
import {
  esRollingRestart,
  parseWindowEnd,
  type RestartOp,
  type RollingRestartArgs,
} from '../../controller/modules/es/es_rolling_restart.js';
import type { TaskContext } from '../../controller/modules/contract.js';
import type { EsApi, EsRequest, EsResponse } from '../../controller/elastic/types.js';

interface SimNode {
  id: string;
  name: string;
  roles: string;
  up: boolean;
}

class SimCluster implements EsApi {
  readonly label = 'sim';
  readonly url = 'https://sim:9200';
  nodes: SimNode[];
  elected: string;
  allocation: string | null = null;
  status: 'green' | 'yellow' | 'red' = 'green';
  log: string[] = [];
  failStart = new Set<string>();
  constructor(nodes: SimNode[], elected: string) {
    this.nodes = nodes;
    this.elected = elected;
  }
  live() {
    return this.nodes.filter((n) => n.up);
  }
  async request<T>(req: EsRequest): Promise<EsResponse<T>> {
    const ok = (body: unknown, status = 200) => ({ status, body: body as T });
    const q = req.query ?? {};
    switch (`${req.method} ${req.path}`) {
      case 'GET /_cat/nodes':
        return ok(
          this.live().map((n) => ({
            id: n.id,
            name: n.name,
            ip: '127.0.0.1',
            version: '8.15.0',
            'node.role': n.roles,
            master: n.id === this.elected ? '*' : '-',
          })),
        );
      case 'GET /_cat/master': {
        const m = this.nodes.find((n) => n.id === this.elected)!;
        return ok([{ id: m.id, host: '127.0.0.1', ip: '127.0.0.1', node: m.name }]);
      }
      case 'GET /_cluster/health': {
        const live = this.live().length;
        const want = q.wait_for_nodes ? String(q.wait_for_nodes) : undefined;
        const nodesOk =
          !want || (want.startsWith('<=') ? live <= Number(want.slice(2)) : live >= Number(want.slice(2)));
        const statusOk =
          !q.wait_for_status || this.status === 'green' || (q.wait_for_status === 'yellow' && this.status === 'yellow');
        const timedOut = !(nodesOk && statusOk);
        return ok(
          {
            cluster_name: 'sim',
            status: this.status,
            timed_out: timedOut,
            number_of_nodes: live,
            number_of_data_nodes: live,
            relocating_shards: 0,
            initializing_shards: 0,
            unassigned_shards: this.status === 'green' ? 0 : 2,
          },
          timedOut ? 408 : 200,
        );
      }
      case 'GET /_cluster/settings':
        return ok({
          persistent: this.allocation === null ? {} : { 'cluster.routing.allocation.enable': this.allocation },
          transient: {},
        });
      case 'PUT /_cluster/settings': {
        const v = (req.body as { persistent: Record<string, string | null> }).persistent[
          'cluster.routing.allocation.enable'
        ];
        this.allocation = v;
        this.log.push(`allocation ${v}`);
        // With replicas held back the cluster is yellow while a node is away; re-enabling lets it heal.
        if (v === null && this.live().length === this.nodes.length) this.status = 'green';
        return ok({ acknowledged: true, persistent: {}, transient: {} });
      }
      case 'POST /_flush':
        return ok({ _shards: { total: 2, successful: 2, failed: 0 } });
    }
    throw new Error(`unexpected ${req.method} ${req.path}`);
  }
  ops(): HostOps & { restored: string[] } {
    const restored: string[] = [];
    return {
      restored,
      stop: async (host) => {
        const n = this.nodes.find((x) => x.name === host)!;
        n.up = false;
        this.status = 'yellow';
        this.log.push(`stop ${host}`);
        if (this.elected === n.id) this.elected = this.live().find((x) => x.roles.includes('m'))!.id;
      },
      start: async (host) => {
        this.log.push(`start ${host}`);
        if (this.failStart.has(host)) {
          this.failStart.delete(host);
          throw new Error(`${host}: service start elasticsearch failed (rc 1)`);
        }
        this.nodes.find((x) => x.name === host)!.up = true;
      },
      restoreFiles: async (host, files) => {
        restored.push(host, ...files.map((f) => f.path));
        return files.map((f) => f.path);
      },
    };
  }
}

const three = () =>
  new SimCluster(
    [
      { id: 'id-1', name: 'local-1', roles: 'cdfhilmrstw', up: true },
      { id: 'id-2', name: 'local-2', roles: 'cdfhilmrstw', up: true },
      { id: 'id-3', name: 'local-3', roles: 'cdfhilmrstw', up: true },
    ],
    'id-1',
  );
const targets = (names: string[]): RestartTarget[] =>
  names.map((h) => ({
    host: h,
    nodeName: h,
    files: [{ path: `/es/${h}/config/elasticsearch.yml`, backupPath: `/es/${h}/config/elasticsearch.yml.bak` }],
  }));

test('plan: non-master-eligible first, elected master last; unknown node names are a clear error', async (t) => {
  const sim = new SimCluster(
    [
      { id: 'a', name: 'm1', roles: 'm', up: true },
      { id: 'b', name: 'd1', roles: 'dil', up: true },
      { id: 'c', name: 'm2', roles: 'dm', up: true },
    ],
    'a',
  );
  const plan = await planRestart(sim, targets(['m1', 'm2', 'd1']));
  t.deepEqual(
    plan.map((p) => [p.host, p.masterEligible, p.elected]),
    [
      ['d1', false, false],
      ['m2', true, false],
      ['m1', true, true],
    ],
  );
  await t.throwsAsync(planRestart(sim, targets(['nope'])), {
    message:
      /nope: no node named "nope" in GET \/_cat\/nodes of sim \(nodes: m1, d1, m2\); is it running\? .*set es_node_name/,
  });
  // A node an interrupted run left stopped: planned without an id when the caller allows it.
  sim.nodes.find((n) => n.name === 'd1')!.up = false;
  await t.throwsAsync(planRestart(sim, targets(['m1', 'd1'])), { message: /d1: no node named "d1"/ });
  const withAbsent = await planRestart(sim, targets(['m1', 'd1']), { absentOk: true });
  t.deepEqual(
    withAbsent.map((p) => [p.host, p.nodeId]),
    [
      ['d1', ''],
      ['m1', 'a'],
    ],
  );
});

test('es_rolling_restart plan: one restart op per node in restart order, naming its host and node (id, files, ip)', async (t) => {
  const sim = new SimCluster(
    [
      { id: 'a', name: 'm1', roles: 'm', up: true },
      { id: 'b', name: 'd1', roles: 'dil', up: true },
      { id: 'c', name: 'm2', roles: 'dm', up: true },
    ],
    'a',
  );
  const tg = targets(['m1', 'm2', 'd1']).map((x, i) => ({ ...x, ip: `10.0.0.${i + 1}` }));
  const current = { plan: await planRestart(sim, tg), targets: tg, pendingKey: 'rolling_restart/pending/x' };
  const plan = await esRollingRestart.diff(current, {} as RollingRestartArgs, {} as TaskContext);
  t.deepEqual(
    plan.map((c) => [c.target, c.action, (c.after as { order: number }).order]),
    [
      ['d1 (node d1)', 'restart', 1],
      ['m2 (node m2)', 'restart', 2],
      ['m1 (node m1)', 'restart', 3],
    ],
  );
  const ops = plan.map((c) => c.op as RestartOp);
  t.deepEqual(
    ops.map((o) => [o.kind, o.host, o.node.nodeName, o.node.nodeId, o.node.elected, o.ip]),
    [
      ['restart', 'd1', 'd1', 'b', false, '10.0.0.3'],
      ['restart', 'm2', 'm2', 'c', false, '10.0.0.2'],
      ['restart', 'm1', 'm1', 'a', true, '10.0.0.1'],
    ],
  );
  t.deepEqual(ops[0]!.node.files, tg[2]!.files, 'the files it is restarted for (restored if it does not come back)');
  t.deepEqual(await esRollingRestart.diff({ ...current, plan: [] }, {} as RollingRestartArgs, {} as TaskContext), []);
});

test('3 nodes: one at a time, allocation primaries→null around each, elected master last, green at the end, all gates journaled', async (t) => {
  const sim = three();
  const journal: Array<{ kind: string; data: Record<string, unknown> }> = [];
  const plan = await planRestart(sim, targets(['local-1', 'local-2', 'local-3']));
  const report = await runRollingRestart({
    apiAvoiding: () => sim,
    nodes: plan,
    ops: sim.ops(),
    journal: (kind, data) => journal.push({ kind, data }),
    progress: () => {},
  });
  t.deepEqual(
    report.restarted.map((r) => r.host),
    ['local-2', 'local-3', 'local-1'],
  );
  t.deepEqual(sim.log, [
    'allocation primaries',
    'stop local-2',
    'start local-2',
    'allocation null',
    'allocation primaries',
    'stop local-3',
    'start local-3',
    'allocation null',
    'allocation primaries',
    'stop local-1',
    'start local-1',
    'allocation null',
  ]);
  t.is(sim.allocation, null);
  t.is(sim.status, 'green');
  const gates = journal.filter((j) => j.kind === 'rolling_restart.gate').map((j) => `${j.data.host}:${j.data.gate}`);
  for (const h of ['local-1', 'local-2', 'local-3'])
    t.deepEqual(
      gates.filter((g) => g.startsWith(h + ':')).map((g) => g.split(':')[1]),
      ['G0', 'G1', 'G2', 'G3', 'G4', 'G6', 'G7'],
    );
  // The next node's G0 follows its predecessor's G7 closely (no fixed sleeps).
  const at = (host: string, gate: string) =>
    Date.parse(journal.find((j) => j.data.host === host && j.data.gate === gate)!.data.at as string);
  t.true(at('local-3', 'G0') - at('local-2', 'G7') < 1000);
  t.true(at('local-1', 'G0') - at('local-3', 'G7') < 1000);
});

test('a node that fails to start: files restored, started again, allocation restored, run stops with state and how to continue', async (t) => {
  const sim = three();
  sim.failStart.add('local-3');
  const ops = sim.ops();
  const plan = await planRestart(sim, targets(['local-1', 'local-2', 'local-3']));
  const e = await t.throwsAsync(
    runRollingRestart({
      apiAvoiding: () => sim,
      nodes: plan,
      ops,
      journal: () => {},
      progress: () => {},
      timeouts: { joinMs: 2000 },
    }),
    { instanceOf: RollingRestartError },
  );
  t.deepEqual(
    e!.report.restarted.map((r) => r.host),
    ['local-2'],
  );
  t.deepEqual(ops.restored, ['local-3', '/es/local-3/config/elasticsearch.yml']);
  t.deepEqual(sim.log.slice(-5), ['stop local-3', 'start local-3', 'stop local-3', 'start local-3', 'allocation null']);
  t.is(sim.allocation, null);
  t.not(sim.status, 'red');
  t.true(
    sim.nodes.every((n) => n.up),
    'node 3 runs again with its old files',
  );
  t.false(sim.log.includes('stop local-1'), 'the run stopped: local-1 was not touched');
  t.regex(
    e!.message,
    /local-3: node local-3 did not come back after the restart: local-3: service start elasticsearch failed \(rc 1\)/,
  );
  t.regex(e!.message, /restored from backups: \/es\/local-3\/config\/elasticsearch\.yml/);
  t.regex(e!.message, /the node is running again with its previous configuration/);
  t.regex(e!.message, /allocation restored/);
  t.regex(e!.message, /cluster sim: status \w+, 3 nodes/);
  t.regex(e!.message, /to continue: read local-3's log/);
  t.regex(e!.message, /then `crosskey resume` continues the run from where it stopped \(the nodes still pending/);
  t.regex(e!.message, /playbooks\/rollback\.yml/);
  t.notRegex(e!.message, /re-run/);
  t.is(e!.gate, 'G4');
  t.is(e!.host, 'local-3', 'the host whose node failed (the recap counts the failure there)');
});

test('G5: each rejoined node is verified before the next; a node failing its check is restored like one that did not start', async (t) => {
  const sim = three();
  const ops = sim.ops();
  const checked: string[] = [];
  const journal: Array<{ kind: string; data: Record<string, unknown> }> = [];
  const plan = await planRestart(sim, targets(['local-1', 'local-2', 'local-3']));
  const e = await t.throwsAsync(
    runRollingRestart({
      apiAvoiding: () => sim,
      nodes: plan,
      ops,
      journal: (kind, data) => journal.push({ kind, data }),
      progress: () => {},
      verifyNode: async (n) => {
        checked.push(n.host);
        // The check runs after the node rejoined (it is up) and before allocation goes back to null.
        t.true(sim.nodes.find((x) => x.name === n.host)!.up);
        t.is(sim.allocation, 'primaries');
        if (n.host === 'local-3') throw new Error('10.0.0.3:9443 does not answer');
        return `${n.host}:9443 answers`;
      },
    }),
    { instanceOf: RollingRestartError },
  );
  t.deepEqual(checked, ['local-2', 'local-3']);
  t.is(e!.gate, 'G5');
  t.deepEqual(
    e!.report.restarted.map((r) => r.host),
    ['local-2'],
  );
  t.deepEqual(ops.restored, ['local-3', '/es/local-3/config/elasticsearch.yml']);
  t.deepEqual(sim.log.slice(-5), ['stop local-3', 'start local-3', 'stop local-3', 'start local-3', 'allocation null']);
  t.false(sim.log.includes('stop local-1'), 'the run stopped: local-1 was not touched');
  t.regex(
    e!.message,
    /local-3: node local-3 came back but failed its check after the restart: 10\.0\.0\.3:9443 does not answer/,
  );
  t.regex(e!.message, /the node is running again with its previous configuration/);
  const g5 = journal.filter((j) => j.kind === 'rolling_restart.gate' && j.data.gate === 'G5');
  t.deepEqual(
    g5.map((j) => [j.data.host, j.data.checked]),
    [['local-2', 'local-2:9443 answers']],
  );
  t.like(journal.find((j) => j.kind === 'rolling_restart.node_failed')!.data, { host: 'local-3', gate: 'G5' });
});

test('G0: a yellow cluster or allocation already changed by someone else: nothing is stopped', async (t) => {
  const sim = three();
  sim.status = 'yellow';
  const plan = await planRestart(sim, targets(['local-2']));
  const e = await t.throwsAsync(
    runRollingRestart({
      apiAvoiding: () => sim,
      nodes: plan,
      ops: sim.ops(),
      journal: () => {},
      progress: () => {},
      timeouts: { preflightMs: 1000 },
    }),
    { instanceOf: RollingRestartError },
  );
  t.regex(e!.message, /not safe to restart a node: status is yellow \(need green; 2 unassigned shards\)/);
  t.regex(e!.message, /fix the cluster first .*; then `crosskey resume` continues the run/);
  t.deepEqual(sim.log, []);
  sim.status = 'green';
  sim.allocation = 'none';
  const e2 = await t.throwsAsync(
    runRollingRestart({ apiAvoiding: () => sim, nodes: plan, ops: sim.ops(), journal: () => {}, progress: () => {} }),
  );
  t.regex(e2!.message, /cluster\.routing\.allocation\.enable is "none": another maintenance seems to be in progress/);
  t.regex(e2!.message, /"cluster\.routing\.allocation\.enable":null\}\}; then `crosskey resume`/);
  t.notRegex(e2!.message, /re-run/);
  t.deepEqual(sim.log, []);
});

test('window end: no restart starts that the measured durations say cannot finish; the cluster stays green', async (t) => {
  const sim = three();
  let clock = 1_000_000;
  // Every request advances the clock by 1 s: one node restart "takes" a measurable time.
  const timed: EsApi = {
    label: 'sim',
    url: sim.url,
    request: async (r) => {
      clock += 1000;
      return sim.request(r);
    },
  };
  const plan = await planRestart(sim, targets(['local-1', 'local-2', 'local-3']));
  const report = await runRollingRestart({
    apiAvoiding: () => timed,
    nodes: plan,
    ops: sim.ops(),
    journal: () => {},
    progress: () => {},
    now: () => clock,
    windowEnd: clock + 15_000,
  });
  t.is(report.restarted.length, 1);
  const d = report.restarted[0].durationMs;
  t.true(d > 5000 && d < 15_000, `measured ${d}`);
  t.deepEqual(report.stoppedForWindow?.remaining, ['local-3', 'local-1']);
  t.is(report.stoppedForWindow?.estimateMs, d);
  t.is(sim.allocation, null);
  t.is(sim.status, 'green');
  t.is(parseWindowEnd('2026-11-28T06:30:00Z'), Date.parse('2026-11-28T06:30:00Z'));
  t.is(parseWindowEnd('06:30', Date.parse('2026-11-28T05:00:00Z')), Date.parse('2026-11-28T06:30:00Z'));
  t.is(parseWindowEnd('04:00', Date.parse('2026-11-28T05:00:00Z')), Date.parse('2026-11-29T04:00:00Z'));
  t.throws(() => parseWindowEnd('later'), { message: /window_end "later" is not a time/ });
});

test('resume: allocation "primaries" left by an interrupted run of ours is accepted; every change is reported for saving', async (t) => {
  const sim = three();
  sim.allocation = 'primaries';
  const saved: Array<string | null> = [];
  const plan = await planRestart(sim, targets(['local-2']));
  const report = await runRollingRestart({
    apiAvoiding: () => sim,
    nodes: plan,
    ops: sim.ops(),
    journal: () => {},
    progress: () => {},
    allocationSetByUs: true,
    onAllocation: (v) => void saved.push(v),
  });
  t.deepEqual(
    report.restarted.map((r) => r.host),
    ['local-2'],
  );
  t.deepEqual(saved, ['primaries', null]);
  t.true(sim.allocation === null);
});

test('wait lines: what for, elapsed / timeout, shard counts; `cluster <status>` only when it is not the awaited one', (t) => {
  const health = { status: 'yellow' as const, nodes: 3, relocating: 2, initializing: 4, unassigned: 3 };
  t.is(
    formatWait({ for: 'green', elapsedMs: 12_400, timeoutMs: 300_000, health }),
    'waiting for green: 12 s / 300 s, cluster yellow, 2 relocating, 4 initializing, 3 unassigned',
  );
  t.is(
    formatWait({ for: 'yellow', elapsedMs: 1000, timeoutMs: 900_000, health }),
    'waiting for yellow: 1 s / 900 s, 2 relocating, 4 initializing, 3 unassigned',
  );
  t.is(
    formatWait({
      for: 'the node to rejoin',
      elapsedMs: 40_000,
      timeoutMs: 300_000,
      expectedNodes: 3,
      health: { ...health, nodes: 2 },
    }),
    'waiting for the node to rejoin: 40 s / 300 s, 2/3 nodes, cluster yellow, 2 relocating, 4 initializing, 3 unassigned',
  );
  t.is(
    formatWait({ for: 'the node to leave', elapsedMs: 0, timeoutMs: 120_000, note: 'cluster busy (503)' }),
    'waiting for the node to leave: 0 s / 120 s, cluster busy (503)',
  );
});

test('health sampler: worst status, most shards not started, time yellow/red from one sample to the next', (t) => {
  const s = new HealthSampler();
  t.is(s.summary(0), undefined);
  const h = (status: 'green' | 'yellow' | 'red', unassigned: number, initializing = 0) => ({
    status,
    nodes: 3,
    relocating: 0,
    initializing,
    unassigned,
  });
  s.add(h('green', 0), 0);
  s.add(h('yellow', 5), 1000);
  s.add(h('red', 7), 4000);
  s.add(h('yellow', 2, 3), 5000);
  s.add(h('green', 0), 9000);
  t.deepEqual(s.summary(9500), {
    worst: 'red',
    samples: 5,
    yellowMs: 7000,
    redMs: 1000,
    maxRelocating: 0,
    maxInitializing: 3,
    maxUnassigned: 7,
  });
});

test('a restart waits with lines naming the node, what for, elapsed/timeout and shard counts; the health seen is journaled', async (t) => {
  const sim = three();
  let clock = 1_000_000;
  let rejoinPolls = 0;
  let recoveryPolls = 0;
  // Every request takes 1 s; the node rejoins after two polls; the shards need three polls to recover.
  const slow: EsApi = {
    label: 'sim',
    url: sim.url,
    request: async <T>(r: EsRequest): Promise<EsResponse<T>> => {
      clock += 1000;
      const q = r.query ?? {};
      if (r.path === '/_cluster/health' && String(q.wait_for_nodes ?? '').startsWith('>=')) {
        if (++rejoinPolls === 2) sim.nodes.find((n) => n.name === 'local-2')!.up = true;
      }
      if (
        r.path === '/_cluster/health' &&
        q.wait_for_status &&
        q.wait_for_no_initializing_shards &&
        sim.allocation === null &&
        sim.log.includes('start local-2')
      ) {
        if (++recoveryPolls <= 3) {
          const body = {
            cluster_name: 'sim',
            status: recoveryPolls === 3 ? 'green' : 'yellow',
            timed_out: true,
            number_of_nodes: 3,
            number_of_data_nodes: 3,
            relocating_shards: 2,
            initializing_shards: 4,
            unassigned_shards: recoveryPolls === 3 ? 0 : 3,
          };
          return { status: 408, body: body as T };
        }
      }
      return sim.request<T>(r);
    },
  };
  const ops = sim.ops();
  const start = ops.start;
  ops.start = async (host) => {
    await start(host);
    sim.nodes.find((n) => n.name === host)!.up = false; // comes up a little later (see the health polls above)
  };
  const plan = await planRestart(sim, targets(['local-2']));
  const progress: Array<{ message: string; info?: RestartProgress }> = [];
  const journal: Array<{ kind: string; data: Record<string, unknown> }> = [];
  await runRollingRestart({
    apiAvoiding: () => slow,
    nodes: plan,
    ops,
    journal: (kind, data) => journal.push({ kind, data }),
    progress: (message, _f, info) => progress.push({ message, ...(info ? { info } : {}) }),
    now: () => clock,
  });
  t.true(
    progress.every((p) => p.info?.node === 'local-2'),
    'every line names the node being restarted',
  );
  const waits = progress.filter((p) => p.info?.wait).map((p) => p.message);
  t.true(waits.includes('waiting for the node to rejoin: 0 s / 300 s'), waits.join('\n'));
  t.true(
    waits.some((m) =>
      /^waiting for the node to rejoin: \d+ s \/ 300 s, 2\/3 nodes, cluster yellow, 0 relocating, 0 initializing, 2 unassigned$/.test(
        m,
      ),
    ),
    waits.join('\n'),
  );
  t.true(waits.includes('waiting for green: 0 s / 900 s'));
  t.true(
    waits.some((m) =>
      /^waiting for green: [1-9]\d* s \/ 900 s, cluster yellow, 2 relocating, 4 initializing, 3 unassigned$/.test(m),
    ),
    waits.join('\n'),
  );
  t.true(
    waits.some((m) =>
      /^waiting for shard recovery \(green\): \d+ s \/ 900 s, cluster green, 2 relocating, 4 initializing, 0 unassigned$/.test(
        m,
      ),
    ),
    waits.join('\n'),
  );
  const green = progress.find((p) => p.info?.wait?.health?.initializing === 4)!.info!.wait!;
  t.like(green, { for: 'green', timeoutMs: 900_000, health: { status: 'yellow', relocating: 2, unassigned: 3 } });
  t.regex(progress.at(-1)!.message, /^restarted in \d+\.\d s \(node 1 of 1\)$/);

  const gate = (g: string) => journal.find((j) => j.kind === 'rolling_restart.gate' && j.data.gate === g)!.data;
  t.like(gate('G2'), { status: 'yellow', nodes: 2, unassigned: 2 }, 'the health while the node is away');
  t.like(gate('G7'), {
    status: 'green',
    healthSeen: { worst: 'yellow', maxInitializing: 4, maxRelocating: 2, maxUnassigned: 3 },
  });
  const seen = gate('G7').healthSeen as { yellowMs: number; samples: number };
  t.true(seen.yellowMs >= 5000, `yellow for ${seen.yellowMs} ms`);
  t.true(seen.samples >= 5);
});

test('a cluster that does not recover after a node: the stop names `crosskey resume` and journals the health seen', async (t) => {
  const sim = three();
  let clock = 1_000_000;
  const stuck: EsApi = {
    label: 'sim',
    url: sim.url,
    request: async <T>(r: EsRequest): Promise<EsResponse<T>> => {
      clock += 1000;
      const res = await sim.request<T>(r);
      if (r.path === '/_cluster/health' && sim.allocation === null && sim.log.includes('start local-2')) {
        const body = {
          ...(res.body as object),
          status: 'yellow',
          unassigned_shards: 1,
          timed_out: !!r.query?.wait_for_status,
        };
        return { status: r.query?.wait_for_status ? 408 : 200, body: body as T };
      }
      return res;
    },
  };
  const plan = await planRestart(sim, targets(['local-2', 'local-3']));
  const journal: Array<{ kind: string; data: Record<string, unknown> }> = [];
  const e = await t.throwsAsync(
    runRollingRestart({
      apiAvoiding: () => stuck,
      nodes: plan,
      ops: sim.ops(),
      journal: (kind, data) => journal.push({ kind, data }),
      progress: () => {},
      now: () => clock,
      timeouts: { greenMs: 20_000 },
    }),
    { instanceOf: RollingRestartError },
  );
  t.is(e!.gate, 'G7');
  t.regex(
    e!.message,
    /did not reach green within 20\.0 s .* once the cluster is green, `crosskey resume` continues the run from where it stopped \(nodes still to restart: local-3\)/,
  );
  t.notRegex(e!.message, /re-run/);
  const failed = journal.find((j) => j.kind === 'rolling_restart.node_failed')!.data;
  t.like(failed, { host: 'local-2', gate: 'G7', healthSeen: { worst: 'yellow', maxUnassigned: 2 } });
});
