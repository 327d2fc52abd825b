// es_rolling_restart against the lab: a 3-node cluster of real node processes (TLS HTTP, heartbeats, shard
// recovery) restarted through the real agent's `service` op (the lab's bin/elasticsearch-service) and the real
// @elastic/elasticsearch client. The agent runs as a local process per host over its JSON-lines pipes (the SSH
// channel is the transport's concern, tested elsewhere).
import test from 'ava';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { TaskContext, Change } from '../../controller/modules/contract.js';
import { runTask } from '../helpers/run-task.js';
import type { AgentClient } from '../../agent/protocol.js';
import { AgentRpcClient } from '../../controller/transport/rpc.js';
import { loadInventory } from '../../controller/inventory/index.js';
import { inventoryView } from '../../controller/playbook/exec-inventory.js';
import type { InventoryView } from '../../controller/playbook/exec-types.js';
import { FileStateStore } from '../../controller/state/store.js';
import { closeAllClients, esForVars } from '../../controller/elastic/client.js';
import { secrets } from '../../controller/secrets.js';
import { labCommand } from '../../lab/cli.js';
import { esRollingRestart, type RestartOp } from '../../controller/modules/es/es_rolling_restart.js';
import {
  catMaster,
  catNodes,
  clusterHealth,
  getClusterSettings,
  allocationEnable,
} from '../../controller/elastic/api/cluster.js';

const ROOT = resolve(import.meta.dirname, '../..');
let labDir = '';
let stateDir = '';
let inv: InventoryView;
const agents = new Map<string, { proc: ChildProcess; client: AgentClient }>();

async function agentOf(host: string): Promise<AgentClient> {
  let a = agents.get(host);
  if (!a) {
    const proc = spawn(process.execPath, ['--import=tsx', join(ROOT, 'agent/main.ts')], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    a = { proc, client: new AgentRpcClient(host, proc.stdin!, proc.stdout!, proc.stderr!) };
    agents.set(host, a);
  }
  return a.client;
}

interface Play {
  ctx: TaskContext;
  events: Array<{ kind: string; data: Record<string, unknown> }>;
  progress: string[];
}
function play(changedFiles: Map<string, Array<{ path: string; backupPath?: string }>>, check = false): Play {
  const host = inv.select('local')[0]!;
  const events: Play['events'] = [];
  const progress: string[] = [];
  const ctx: TaskContext = {
    host,
    vars: { ...inv.hostVars(host), groups: inv.groupMembers(), inventory_hostname: host },
    check,
    diff: true,
    agent: () => agentOf(host),
    agentFor: (h) => agentOf(h),
    hostVars: (h) => inv.hostVars(h),
    playHosts: inv.select('local'),
    secrets,
    state: new FileStateStore(stateDir),
    journal: { event: (kind, data) => void events.push({ kind, data }) },
    progress: (m) => void progress.push(m),
    changedFiles,
    signal: new AbortController().signal,
  };
  return { ctx, events, progress };
}

/** The task as the executor runs it (exec-module's runModuleOnce): changes are the plan in check mode, else the
 *  planned node restarts performed (also when the run stops part-way). */
const runModule = (p: Play, raw: Record<string, unknown> = {}) => runTask(esRollingRestart, p.ctx, raw);
/** The host each planned (or performed) restart acts on, from its op, in order. */
const opHosts = (changes: Change[]) => changes.map((c) => (c.op as RestartOp).host);

/** Changes a node's elasticsearch.yml through the agent (with backup), as an earlier task of the play would. */
async function changeYml(host: string, marker: string) {
  const hv = inv.hostVars(host);
  const path = join(String(hv.es_config), 'elasticsearch.yml');
  const agent = await agentOf(host);
  const before = await agent.call('file.read', { path, encoding: 'utf8' });
  const r = await agent.call('file.put', { path, content: `${before.content}# ${marker}\n`, backup: true });
  return { path, backupPath: r.backupPath, original: before.content! };
}

const es = () => esForVars(inv.hostVars(inv.select('local')[0]!));
const pidOf = (host: string) =>
  readFileSync(join(String(inv.hostVars(host).es_home), 'elasticsearch.pid'), 'utf8').trim();

test.before(async () => {
  labDir = mkdtempSync(join(tmpdir(), 'ck-rr-'));
  stateDir = mkdtempSync(join(tmpdir(), 'ck-rr-state-'));
  const rc = await labCommand(['up', '--dir', labDir, '--nodes', '3'], { out: () => {} });
  if (rc !== 0) throw new Error(`lab up failed (${rc})`);
  inv = inventoryView(loadInventory(join(labDir, 'inventory.yml')));
  await clusterHealth(es(), { waitForStatus: 'green', timeout: '60s' });
});

test.after.always(async () => {
  for (const { proc } of agents.values()) {
    proc.stdin?.end();
    if (proc.exitCode === null) proc.kill();
  }
  await closeAllClients();
  if (labDir && existsSync(join(labDir, 'lab.json'))) await labCommand(['down', '--dir', labDir], { out: () => {} });
  if (labDir) rmSync(labDir, { recursive: true, force: true });
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

test.serial(
  '3-node rolling restart: check mode lists the order; apply restarts one at a time, elected master last, green',
  async (t) => {
    const hosts = inv.select('local');
    t.is(hosts.length, 3);
    const changed = new Map<string, Array<{ path: string; backupPath?: string }>>();
    for (const h of hosts) {
      const c = await changeYml(h, 'rolling restart test');
      changed.set(h, [{ path: c.path, backupPath: c.backupPath }]);
    }
    const elected = (await catMaster(es())).node;
    const pids = Object.fromEntries(hosts.map((h) => [h, pidOf(h)]));

    const dry = await runModule(play(changed, true));
    t.is(dry.status, 'changed');
    t.is(dry.changes.length, 3);
    t.is((dry.data.order as string[]).at(-1), elected, 'elected master last');
    // The plan: one restart op per node, in the order shown, each naming its host and node; the elected master last.
    t.deepEqual(opHosts(dry.changes), dry.data.order as string[]);
    const planned = dry.changes.map((c) => c.op as RestartOp);
    t.deepEqual(
      planned.map((o) => o.kind),
      ['restart', 'restart', 'restart'],
    );
    for (const [i, o] of planned.entries()) {
      t.is(o.node.host, o.host);
      t.truthy(o.node.nodeId, `${o.host}: its node id is planned`);
      t.is(dry.changes[i]!.target, `${o.host} (node ${o.node.nodeName})`);
      t.deepEqual(
        o.node.files.map((f) => f.path),
        changed.get(o.host)!.map((f) => f.path),
      );
    }
    t.is(planned.at(-1)!.node.nodeName, elected);
    t.true(planned.at(-1)!.node.elected);
    t.deepEqual(
      planned.map((o) => o.node.elected),
      [false, false, true],
    );
    t.deepEqual(Object.fromEntries(hosts.map((h) => [h, pidOf(h)])), pids, 'check mode restarted nothing');

    const p = play(changed);
    const r = await runModule(p);
    t.is(r.status, 'changed', r.msg);
    const restarted = r.data.restarted as string[];
    t.deepEqual([...restarted].sort(), [...hosts].sort());
    t.is(restarted.at(-1), elected);
    t.deepEqual(opHosts(r.changes), opHosts(dry.changes), 'every planned restart applied, in plan order');
    t.deepEqual(r.warnings, []);
    for (const h of hosts) t.not(pidOf(h), pids[h], `${h} was restarted`);
    t.is(allocationEnable(await getClusterSettings(es())), 'all');
    const health = await clusterHealth(es());
    t.is(health.status, 'green');
    t.is(health.number_of_nodes, 3);

    // Every gate journaled in order per node, one node at a time.
    const gates = p.events.filter((e) => e.kind === 'rolling_restart.gate' && !e.data.recovery);
    t.deepEqual(
      gates.map((g) => `${g.data.host}:${g.data.gate}`),
      restarted.flatMap((h) => ['G0', 'G1', 'G2', 'G3', 'G4', 'G6', 'G7'].map((g) => `${h}:${g}`)),
    );
    const at = (h: string, g: string) =>
      Date.parse(gates.find((e) => e.data.host === h && e.data.gate === g)!.data.at as string);
    const latencies = restarted.slice(1).map((h, i) => at(h, 'G1') - at(restarted[i]!, 'G7'));
    const durations = restarted.map((h) => at(h, 'G7') - at(h, 'G1'));
    t.log(
      `green → next node's restart (G7 → G1): ${latencies.map((x) => `${x} ms`).join(', ')}; per node G1→G7: ${durations.map((x) => `${(x / 1000).toFixed(1)} s`).join(', ')}`,
    );
    t.true(p.progress.some((m) => /waiting for green/.test(m)));

    // Same play again: nothing left to restart.
    const again = await runModule(play(changed));
    t.is(again.status, 'ok');
  },
);

test.serial(
  'a node that fails to start: files restored, started again, allocation restored, run stops, health not red',
  async (t) => {
    const host = inv.select('local')[1]!;
    const c = await changeYml(host, 'this start will fail');
    t.is(await labCommand(['fault', '--dir', labDir, host, 'fail-start', '--count', '1'], { out: () => {} }), 0);
    const changed = new Map([[host, [{ path: c.path, backupPath: c.backupPath }]]]);
    const p = play(changed);
    const r = await runModule(p, { join_timeout: 60 });
    t.is(r.status, 'failed');
    t.deepEqual(r.changes, [], 'the one planned restart was not performed');
    t.regex(r.msg ?? '', new RegExp(`${host}: node ${host} did not come back after the restart`));
    t.regex(r.msg ?? '', /restored from backups: .*elasticsearch\.yml/);
    t.regex(r.msg ?? '', /the node is running again with its previous configuration/);
    t.regex(r.msg ?? '', /to continue:/);
    t.is(readFileSync(c.path, 'utf8'), c.original, 'elasticsearch.yml is back to its backup');
    t.true(
      (await catNodes(es())).some((n) => n.name === host),
      'the node rejoined',
    );
    t.is(allocationEnable(await getClusterSettings(es())), 'all');
    const h = await clusterHealth(es(), { waitForStatus: 'green', timeout: '60s' });
    t.not(h.status, 'red');
    t.true(p.events.some((e) => e.kind === 'rolling_restart.node_failed' && e.data.host === host));
    t.true(p.events.some((e) => e.kind === 'rolling_restart.restored' && (e.data.files as string[]).includes(c.path)));
    // The host stays pending for the next run; the failure names it (the executor counts it there).
    t.deepEqual(r.data.pending, [host]);
    t.is(r.data.failed_host, host);
  },
);

test.serial(
  'window end: after the first node, the measured duration says the next cannot finish: stop, cluster green, rest pending',
  async (t) => {
    const hosts = inv.select('local');
    const changed = new Map<string, Array<{ path: string; backupPath?: string }>>();
    for (const h of hosts) {
      const c = await changeYml(h, 'window test');
      changed.set(h, [{ path: c.path, backupPath: c.backupPath }]);
    }
    // The first restart is allowed by the 1 s estimate; it takes several seconds, so the window (3 s) is over.
    const p = play(changed);
    const r = await runModule(p, { window_end: new Date(Date.now() + 3000).toISOString(), first_estimate: 1 });
    t.is(r.status, 'failed');
    t.is((r.data.restarted as string[]).length, 1);
    t.is((r.data.pending as string[]).length, 2);
    t.deepEqual(opHosts(r.changes), r.data.restarted as string[], 'applied: the node restarted before the stop');
    t.is(r.data.stopped_for_window, true);
    t.regex(
      r.msg ?? '',
      /stopped before the window end .* the next node restart takes about \d+ s \(longest measured so far\); the cluster is green/,
    );
    t.is(allocationEnable(await getClusterSettings(es())), 'all');
    t.is((await clusterHealth(es())).status, 'green');
    t.true(p.events.some((e) => e.kind === 'rolling_restart.window_stop'));
    // The next run (a new window, no files changed any more) restarts exactly the pending nodes.
    const next = await runModule(play(new Map()));
    t.is(next.status, 'changed', next.msg);
    t.deepEqual([...(next.data.restarted as string[])].sort(), [...(r.data.pending as string[])].sort());
    t.deepEqual([...opHosts(next.changes)].sort(), [...(r.data.pending as string[])].sort());
  },
);
