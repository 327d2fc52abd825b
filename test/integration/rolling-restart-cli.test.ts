// End to end through the CLI (`crosskey run`, in-process main()) over real SSH to the lab hosts: a play changes a
// static setting in every node's elasticsearch.yml, then `es_rolling_restart` (run_once) restarts exactly those
// nodes, health-gated, elected master last; --check first shows the plan and changes nothing.
import test from 'ava';
import { mkdtempSync, rmSync, existsSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { main } from '../../controller/cli/main.js';
import { labCommand } from '../../lab/cli.js';
import { closeAllClients, esForVars } from '../../controller/elastic/client.js';
import {
  catMaster,
  clusterHealth,
  getNodesSettings,
  getClusterSettings,
  allocationEnable,
} from '../../controller/elastic/api/cluster.js';
import { loadInventory } from '../../controller/inventory/index.js';
import { inventoryView } from '../../controller/playbook/exec-inventory.js';

const ROOT = resolve(import.meta.dirname, '../..');
let labDir = '';
let work = '';

async function crosskey(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '',
    stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _e, cb) {
        append(String(chunk));
        cb();
      },
    });
  const code = await main(args, {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    stdin: Readable.from([]),
    env: process.env,
    cwd: ROOT,
  });
  return { code, stdout, stderr };
}

test.before(async () => {
  labDir = mkdtempSync(join(tmpdir(), 'ck-rrcli-'));
  work = mkdtempSync(join(tmpdir(), 'ck-rrcli-work-'));
  let err = '';
  if ((await labCommand(['up', '--dir', labDir, '--nodes', '3'], { out: () => {}, err: (s) => (err += s) })) !== 0)
    throw new Error(`lab up failed: ${err}`);
});
test.after.always(async () => {
  await closeAllClients();
  if (labDir && existsSync(join(labDir, 'lab.json'))) await labCommand(['down', '--dir', labDir], { out: () => {} });
  if (labDir) rmSync(labDir, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

test.serial(
  'crosskey run: changed elasticsearch.yml on 3 nodes → health-gated rolling restart, elected master last',
  async (t) => {
    const inventory = join(labDir, 'inventory.yml');
    const inv = inventoryView(loadInventory(inventory));
    const hosts = inv.select('local');
    const es = esForVars(inv.hostVars(hosts[0]!));
    await clusterHealth(es, { waitForStatus: 'green', timeout: '60s' });
    const elected = (await catMaster(es)).node;
    const playbook = join(work, 'restart.yml');
    writeFileSync(
      playbook,
      `
- name: a static setting that needs a restart
  hosts: local
  gather_facts: false
  tasks:
    - name: node attribute in elasticsearch.yml
      elasticsearch_yml:
        path: "{{ es_config }}/elasticsearch.yml"
        settings:
          node.attr.crosskey_rr: "on"
    - name: rolling restart of the changed nodes
      es_rolling_restart: {}
      run_once: true
`,
    );
    const stateDir = join(work, 'state');
    const check = await crosskey(['run', playbook, '-i', inventory, '--check', '--state-dir', stateDir]);
    t.is(check.code, 0, check.stdout + check.stderr);
    t.false(
      (await getNodesSettings(es)).some((n) => n.settings['node.attr.crosskey_rr'] === 'on'),
      'check mode changed nothing',
    );

    const run = await crosskey(['run', playbook, '-i', inventory, '--json', '--state-dir', stateDir]);
    t.is(run.code, 0, run.stdout.slice(-3000) + run.stderr);
    // Every node runs with the new setting: it was restarted.
    const settings = await getNodesSettings(es);
    t.is(settings.length, 3);
    t.true(settings.every((n) => n.settings['node.attr.crosskey_rr'] === 'on'));
    t.is(allocationEnable(await getClusterSettings(es)), 'all');
    t.is((await clusterHealth(es)).status, 'green');

    // The journal has the gates; the elected master was restarted last.
    // The applying run's journal (run ids sort by second only: the check run may sort after it).
    const seen = new Set(readdirSync(join(stateDir, 'runs')));
    const journals = [...seen]
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) =>
        readFileSync(join(stateDir, 'runs', f), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      );
    const applied = journals.filter((ev) => ev[0]?.kind === 'run_start' && ev[0]?.check === false);
    t.is(applied.length, 1);
    const events = applied[0]!;
    const g7 = events.filter((e) => e.kind === 'rolling_restart.gate' && e.gate === 'G7').map((e) => String(e.host));
    t.is(g7.length, 3);
    t.is(g7.at(-1), elected);
    const g1 = events.filter((e) => e.kind === 'rolling_restart.gate' && e.gate === 'G1');
    const g7at = events
      .filter((e) => e.kind === 'rolling_restart.gate' && e.gate === 'G7')
      .map((e) => Date.parse(String(e.at)));
    t.log(
      `G7 → next G1: ${g1
        .slice(1)
        .map((e, i) => Date.parse(String(e.at)) - g7at[i]!)
        .join(' ms, ')} ms`,
    );

    // Re-run: the file is unchanged, so nothing restarts.
    const again = await crosskey(['run', playbook, '-i', inventory, '--json', '--state-dir', stateDir]);
    t.is(again.code, 0);
    const journals2 = readdirSync(join(stateDir, 'runs')).filter((f) => f.endsWith('.jsonl') && !seen.has(f));
    t.is(journals2.length, 1, 'the re-run has its own journal');
    const ev2 = readFileSync(join(stateDir, 'runs', journals2[0]!), 'utf8');
    t.regex(ev2, /"kind":"task_start"[^\n]*"module":"es_rolling_restart"/, 'the restart task ran');
    t.false(ev2.includes('rolling_restart.gate'));
  },
);
