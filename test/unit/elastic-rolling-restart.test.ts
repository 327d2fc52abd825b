// Gate logic of the rolling restart against a recorded-behaviour cluster: a small in-test model of the REST
// answers ES gives during a restart (_cat/nodes, _cat/master, _cluster/health with wait_for_*, settings, flush).
// The real thing runs in test/integration/rolling-restart.test.ts against the lab.
import test from 'ava';
import {
  runRollingRestart,
  planRestart,
  RollingRestartError,
  type HostOps,
  type RestartTarget,
} from '../../controller/elastic/rolling-restart.js';
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
  t.is(e!.gate, 'G4');
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
  t.deepEqual(sim.log, []);
  sim.status = 'green';
  sim.allocation = 'none';
  const e2 = await t.throwsAsync(
    runRollingRestart({ apiAvoiding: () => sim, nodes: plan, ops: sim.ops(), journal: () => {}, progress: () => {} }),
  );
  t.regex(e2!.message, /cluster\.routing\.allocation\.enable is "none": another maintenance seems to be in progress/);
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
