// Benchmark: the host part of `crosskey inspect` (no es_url: no cluster part) on N real OpenSSH hosts, against its
// floor: bench/floor.mjs in inspect mode (connect + 1 exec reading the same files: elasticsearch.yml and the
// certificate files it names, plus the hostname), same forks. Prints wall times (median of 3, first run apart),
// crosskey/floor, the controller's peak RSS (from /proc of the CLI process) and the per-host agent start breakdown.
// Usage: npm run bench -- inspect [--hosts=10] [--forks=50]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCa } from '../controller/certs/index.js';
import { startHosts } from '../test/helpers/sshd-hosts.js';
import { breakdown, parseAgentStarts, runFloor } from './playbook.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
}
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

/** The CLI as its own process; its peak RSS sampled from /proc (VmHWM) just before it exits. */
function runInspect(args: string[]): Promise<{ wallMs: number; code: number; rssMb: number; stderr: string }> {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(process.execPath, [join(ROOT, 'dist/crosskey.mjs'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CROSSKEY_VERBOSE: '1' },
    });
    let stderr = '';
    let hwm = 0;
    const sample = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]) / 1024);
      } catch {
        /* exited */
      }
    }, 20);
    p.stdout.resume();
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', rej);
    p.on('close', (code) => {
      clearInterval(sample);
      res({ wallMs: Number(process.hrtime.bigint() - t0) / 1e6, code: code ?? -1, rssMb: hwm, stderr });
    });
  });
}

export async function main(args: string[]): Promise<void> {
  const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const sizes = (opt('hosts') ?? '10').split(',').map(Number);
  const forks = Number(opt('forks') ?? 50);
  console.log(
    `${new Date().toISOString()}: load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  for (const n of sizes) {
    const scratch = mkdtempSync(join(tmpdir(), `ck-bench-inspect-${n}-`));
    const hosts = await startHosts(n, { kind: 'openssh' });
    try {
      // One ES config folder (all hosts are this machine): elasticsearch.yml naming a certificate and a key.
      const conf = join(scratch, 'es-config');
      mkdirSync(join(conf, 'certs'), { recursive: true });
      const ca = createCa();
      writeFileSync(join(conf, 'certs/node.crt'), ca.certPem);
      writeFileSync(join(conf, 'certs/node.key'), ca.keyPem);
      writeFileSync(join(conf, 'certs/ca.crt'), ca.certPem);
      writeFileSync(
        join(conf, 'elasticsearch.yml'),
        [
          'cluster.name: bench',
          'node.roles: [master, data]',
          'xpack.security.transport.ssl.enabled: true',
          'xpack.security.transport.ssl.certificate: certs/node.crt',
          'xpack.security.transport.ssl.key: certs/node.key',
          'xpack.security.transport.ssl.certificate_authorities: [certs/ca.crt]',
          'remote_cluster_server.enabled: true',
          '',
        ].join('\n'),
      );
      const inv = join(scratch, 'inventory.yml');
      writeFileSync(inv, hosts.inventoryYaml({ vars: { es_config: conf } }));
      const cli = ['inspect', '-i', inv, '--json', '-f', String(forks)];
      const first = await runInspect(cli);
      if (first.code !== 0) throw new Error(`crosskey inspect failed (${first.code}): ${first.stderr.slice(-2000)}`);
      const again = [];
      for (let i = 0; i < 3; i++) again.push(await runInspect(cli));
      const warm = median(again.map((r) => r.wallMs));
      const spec = {
        mode: 'inspect',
        hosts: hosts.hosts.map((h) => ({ name: h.name, address: h.address, port: h.port })),
        keyFile: hosts.clientKeyFile,
        knownHostsFile: hosts.knownHostsFile,
        forks,
        files: ['elasticsearch.yml', 'certs/node.crt', 'certs/node.key', 'certs/ca.crt'].map((f) => join(conf, f)),
      };
      const floor = median([0, 1, 2].map(() => runFloor(spec, scratch).wallMs));
      console.log(
        `| ${n} | ${forks} | ${fmt(first.wallMs)} | ${fmt(warm)} | ${fmt(floor)} | ${(warm / floor).toFixed(2)} | ${Math.max(...again.map((r) => r.rssMb)).toFixed(0)} MB |`,
      );
      console.log(`${n} hosts: agent start, first run: ${breakdown(parseAgentStarts(first.stderr))}`);
      console.log(`${n} hosts: agent start, warm runs: ${breakdown(again.flatMap((r) => parseAgentStarts(r.stderr)))}`);
    } finally {
      await hosts.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  console.log(
    '(columns: hosts | forks | inspect first run | inspect median of 3 | bare ssh2 floor median of 3 | crosskey/floor | peak RSS)',
  );
  console.log(
    `${new Date().toISOString()}: load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  await main(process.argv.slice(2));
}
