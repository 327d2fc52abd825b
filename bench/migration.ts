// bench migration: the whole migration on a fresh 8.15 lab (3 nodes per cluster), measured two ways:
// - the alias outage per local node, as the lab observes it (lab/outage.ts: RCS1 lost → connected with the key);
// - the total migration time against the time the unavoidable restarts took (the rolling restarts' G1 → G7 spans
//   from the journal), i.e. how much the rest of the procedure adds.
// Run: npm run bench -- migration   (or node --import=tsx bench/migration.ts)
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { labUp } from '../lab/up.js';
import { labDown, labStatus } from '../lab/ops.js';
import { outageWindows } from '../lab/outage.js';
import { readState } from '../lab/node/cluster/state.js';
import { REMOTE_ALIAS } from '../lab/setup/initial-state.js';
import type { ConnectionEvent } from '../lab/node/remote/manager.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

interface GateEvent {
  kind: string;
  gate?: string;
  host?: string;
  at?: string;
  ts?: string;
  task?: string;
  play?: number;
  durationMs?: number;
  module?: string;
}

// The lab starts a node in about its start delay (1 s by default); a real Elasticsearch node takes tens of seconds
// (JVM, plugins, joining, local shard recovery). The ratio "overhead / restart time" depends on that, so the bench
// runs twice: with the lab's default and with a 20 s start delay (--start-delay-ms=N runs one given value:
// `npm run bench -- migration --start-delay-ms=1000`).
export async function main(args: string[] = []): Promise<void> {
  const given = args.find((a) => a.startsWith('--start-delay-ms='));
  const delays = given ? [Number(given.slice('--start-delay-ms='.length))] : [1000, 20_000];
  if (delays.some((d) => !Number.isFinite(d) || d < 0))
    throw new Error('--start-delay-ms needs a number of milliseconds');
  for (const d of delays) await once(d);
}

async function once(startDelayMs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ck-bench-migration-'));
  try {
    const { lab, seconds } = await labUp({ dir, nodes: 3, startDelayMs });
    console.log(`\n--- lab node start delay ${(startDelayMs / 1000).toFixed(0)} s ---`);
    console.log(`lab up (2 × 3 nodes, 8.15.0): ${seconds.toFixed(1)} s`);
    const t0 = Date.now();
    const r = spawnSync(
      process.execPath,
      [
        join(ROOT, 'dist', 'crosskey.mjs'),
        'run',
        join(ROOT, 'playbooks', 'migrate.yml'),
        '-i',
        lab.inventory,
        '--json',
      ],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    const totalMs = Date.now() - t0;
    if (r.status !== 0) throw new Error(`migration failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);

    const runs = join(dir, '.crosskey', 'runs');
    const events = readdirSync(runs).flatMap((f) =>
      readFileSync(join(runs, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as GateEvent),
    );
    const spans: Array<{ host: string; ms: number }> = [];
    const open = new Map<string, number>();
    for (const e of events) {
      if (e.kind !== 'rolling_restart.gate' || !e.host || !e.at) continue;
      if (e.gate === 'G1') open.set(e.host, Date.parse(e.at));
      if (e.gate === 'G7' && open.has(e.host)) spans.push({ host: e.host, ms: Date.parse(e.at) - open.get(e.host)! });
    }
    const restartMs = spans.reduce((n, s) => n + s.ms, 0);
    const local = lab.clusters.find((c) => c.name === 'local')!;
    const outages = outageWindows(readState(local.dir).events as unknown as ConnectionEvent[], REMOTE_ALIAS);
    const status = labStatus(dir);
    const disruptions = status.clusters.map((c) => `${c.name} ${c.counters.disruptions}`).join(', ');
    const disruptionLog = status.clusters.flatMap((c) =>
      c.counters.disruption_log.map(
        (d) => `  ${c.name} ${new Date(d.at).toISOString()} ${d.task_type} ${d.task_id}: ${d.reason}`,
      ),
    );

    console.log('\nalias outage per local node (RCS1 lost → connected with the key; target ≤ 2 s):');
    for (const o of outages) console.log(`  ${o.node.padEnd(8)} ${(o.ms / 1000).toFixed(2)} s`);
    console.log(
      `\nrestarts (G1 → G7 per node): ${spans.map((s) => `${s.host} ${(s.ms / 1000).toFixed(1)} s`).join(', ')}`,
    );
    console.log(`sum of restarts and recoveries: ${(restartMs / 1000).toFixed(1)} s`);
    console.log(`total migration (crosskey run, all phases): ${(totalMs / 1000).toFixed(1)} s`);
    console.log(
      `overhead beyond the restarts: ${((totalMs - restartMs) / 1000).toFixed(1)} s = ${(((totalMs - restartMs) / restartMs) * 100).toFixed(0)} % of the restart time (target ≤ 10 %)`,
    );
    console.log(`task disruptions: ${disruptions}`);
    if (disruptionLog.length) console.log(disruptionLog.join('\n'));
    // Where the rest of the time goes: the slowest tasks other than the restarts, and the time outside any task.
    const ends = events.filter((e) => e.kind === 'task_end' && typeof e.durationMs === 'number');
    const modules = new Map(
      events.filter((e) => e.kind === 'task_start').map((e) => [`${e.play}/${e.task}`, e.module]),
    );
    const other = ends.filter((e) => modules.get(`${e.play}/${e.task}`) !== 'es_rolling_restart');
    const inTasks = ends.reduce((n, e) => n + e.durationMs!, 0);
    console.log(
      `\ntime in tasks other than the restarts: ${(other.reduce((n, e) => n + e.durationMs!, 0) / 1000).toFixed(1)} s; ` +
        `outside any task (start-up, connections, play set-up): ${((totalMs - inTasks) / 1000).toFixed(1)} s; slowest:`,
    );
    for (const e of [...other].sort((a, b) => b.durationMs! - a.durationMs!).slice(0, 12)) {
      console.log(`  ${(e.durationMs! / 1000).toFixed(2).padStart(6)} s  play ${e.play}  ${e.task}`);
    }
  } finally {
    await labDown(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
