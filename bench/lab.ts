// Lab benchmark: wall time of `lab up` with 2 × 3 nodes (target < 10 s on the 2-core machine), RSS of every node
// process after start and after some REST load (target < 80 MB), and `lab down`. Prints the load average too:
// the machine is shared, so numbers taken under load say so.
// Usage: node --import=tsx bench/lab.ts [--runs N] [--nodes N]   (or: npm run bench -- lab)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { labUp } from '../lab/up.js';
import { labDown } from '../lab/ops.js';
import { labHttp } from '../lab/http-client.js';
import { runningPid } from '../lab/node/process/service.js';

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

const fmt = (xs: number[]) =>
  `min ${Math.min(...xs).toFixed(1)} / median ${[...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(1)} / max ${Math.max(...xs).toFixed(1)}`;

export async function main(args: string[] = []): Promise<void> {
  const runs = arg(args, '--runs', 1);
  const nodes = arg(args, '--nodes', 3);
  const upTimes: number[] = [];
  const downTimes: number[] = [];
  const rssStart: number[] = [];
  const rssLoaded: number[] = [];
  for (let run = 1; run <= runs; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-lab-'));
    try {
      const load0 = loadavg()[0]!.toFixed(2);
      const t0 = performance.now();
      const { lab } = await labUp({ dir, nodes });
      const up = (performance.now() - t0) / 1000;
      upTimes.push(up);
      const pids = lab.clusters.flatMap((c) => c.nodes.map((n) => runningPid(n.home)!));
      pids.forEach((p) => rssStart.push(rssMb(p)));
      // some REST load on every node: health, nodes info, settings
      for (const c of lab.clusters) {
        for (const n of c.nodes) {
          const target = {
            url: `https://${n.address}:9200`,
            user: c.user,
            passwordFile: c.passwordFile,
            caCert: lab.caCert,
          };
          for (let i = 0; i < 20; i++) {
            await labHttp(
              target,
              'GET',
              i % 3 === 0 ? '/_nodes' : i % 3 === 1 ? '/_cluster/health' : '/_cluster/settings?include_defaults=true',
            );
          }
        }
      }
      pids.forEach((p) => rssLoaded.push(rssMb(p)));
      const t1 = performance.now();
      const { stillOpen } = await labDown(dir);
      downTimes.push((performance.now() - t1) / 1000);
      console.log(
        `run ${run}: lab up ${up.toFixed(1)} s (load average before: ${load0}), ` +
          `node RSS after start ${fmt(rssStart.slice(-pids.length))} MB, ` +
          `after 60 requests each ${fmt(rssLoaded.slice(-pids.length))} MB, lab down ${downTimes.at(-1)!.toFixed(1)} s` +
          (stillOpen.length ? `, PORTS LEFT OPEN: ${stillOpen.join(',')}` : ''),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`lab up (2 × ${nodes} nodes): ${fmt(upTimes)} s (target < 10 s)`);
  console.log(`node RSS: after start ${fmt(rssStart)} MB, after load ${fmt(rssLoaded)} MB (target < 80 MB)`);
  console.log(
    `lab down: ${fmt(downTimes)} s; load average now ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
