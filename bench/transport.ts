// Transport micro-benchmark: per-call agent RPC round trip vs a bare ssh2 exec round trip, on 3 real sshd hosts
// (all hosts in parallel, calls sequential per host). Run: npm run bench -- transport  [--hosts=N] [--calls=N]
import ssh2 from 'ssh2';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startHosts, type TestHosts } from '../test/helpers/sshd-hosts.js';
import {
  Transport,
  formatTiming,
  hostSpecFromVars,
  verifyHostKey,
  type HostSpec,
} from '../controller/transport/index.js';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(2)} ms  p95 ${pct(xs, 95).toFixed(2)} ms  (n=${xs.length})`;

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function perHost(
  specs: HostSpec[],
  calls: number,
  fn: (s: HostSpec) => Promise<unknown>,
): Promise<{ lat: number[]; wall: number }> {
  const lat: number[] = [];
  const wall = await timed(() =>
    Promise.all(
      specs.map(async (s) => {
        for (let i = 0; i < calls; i++) lat.push(await timed(() => fn(s)));
      }),
    ),
  );
  return { lat, wall };
}

function rawClient(hosts: TestHosts, i: number): Promise<ssh2.Client> {
  const h = hosts.hosts[i];
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    c.once('ready', () => {
      c.setNoDelay(true);
      resolve(c);
    });
    c.once('error', reject);
    // Same host key check as the transport, so both sides pay for it.
    c.connect({
      host: h.address,
      port: h.port,
      username: 'root',
      privateKey: readFileSync(hosts.clientKeyFile),
      hostVerifier: (key: Buffer) => verifyHostKey([hosts.knownHostsFile], h.address, h.port, key).status === 'match',
    });
  });
}
function rawExec(c: ssh2.Client, cmd: string): Promise<void> {
  return new Promise((resolve, reject) =>
    c.exec(cmd, (err, st) => {
      if (err) return reject(err);
      st.on('data', () => {}).on('close', () => resolve());
      st.stderr.on('data', () => {});
    }),
  );
}

/** Hosts without node (PATH: only the tools the bootstrap needs): agent_runtime auto ships the runtime (gzip) on
 * first contact; bytes on the wire and time, then a second contact (nothing sent). */
async function noNode(n: number): Promise<void> {
  const bin = mkdtempSync(join(tmpdir(), 'crosskey-bench-nonode-'));
  chmodSync(bin, 0o755);
  for (const tool of ['sh', 'mkdir', 'cat', 'mv', 'uname', 'id', 'chmod', 'rm', 'gzip', 'sha256sum', 'stat'])
    symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
  const hosts = await startHosts(n, { kind: 'openssh', env: () => ({ PATH: bin }) });
  try {
    const specs = hosts.hosts.map((h) =>
      hostSpecFromVars(h.name, {
        ansible_host: h.address,
        ansible_user: 'root',
        ansible_ssh_private_key_file: hosts.clientKeyFile,
        crosskey_known_hosts: hosts.knownHostsFile,
      }),
    );
    for (const contact of ['first', 'second']) {
      const tr = new Transport({ knownHostsFiles: [], log: () => {} });
      const ms = await timed(() => Promise.all(specs.map((s) => tr.agent(s))));
      console.log(
        `${n} hosts without node, ${contact} contact (agent_runtime auto): ${ms.toFixed(0)} ms, runtime ${tr.stats.runtimeBytes} B + agent ${tr.stats.agentBytes} B sent in all`,
      );
      for (const s of specs) console.log(`  ${s.name}: ${formatTiming(tr.timings.get(s.name)!)}`);
      await tr.closeAll();
    }
  } finally {
    await hosts.stop();
    rmSync(bin, { recursive: true, force: true });
  }
}

export async function main(args: string[] = []): Promise<void> {
  const opt = (k: string, d: number) => Number(args.find((a) => a.startsWith(`--${k}=`))?.split('=')[1] ?? d);
  const n = opt('hosts', 3);
  const calls = opt('calls', 100);
  const hosts = await startHosts(n, { kind: 'openssh' });
  try {
    const specs = hosts.hosts.map((h) =>
      hostSpecFromVars(h.name, {
        ansible_host: h.address,
        ansible_user: 'root',
        ansible_ssh_private_key_file: hosts.clientKeyFile,
        crosskey_known_hosts: hosts.knownHostsFile,
      }),
    );
    const cold = new Transport({ knownHostsFiles: [], log: () => {} });
    const coldMs = await timed(() => Promise.all(specs.map((s) => cold.agent(s))));
    await cold.closeAll();
    const tr = new Transport({ knownHostsFiles: [], log: () => {} });
    const warmMs = await timed(() => Promise.all(specs.map((s) => tr.agent(s))));
    console.log(
      `${n} hosts: connect + agent start, cold (upload) ${coldMs.toFixed(0)} ms, warm (cached) ${warmMs.toFixed(0)} ms`,
    );
    for (const s of specs) console.log(`  warm ${s.name}: ${formatTiming(tr.timings.get(s.name)!)}`);
    await noNode(n);

    const raws = await Promise.all(specs.map((_, i) => rawClient(hosts, i)));
    const byName = new Map(specs.map((s, i) => [s.name, raws[i]]));
    // Warm-up, then measure.
    await perHost(specs, 5, async (s) => (await tr.agent(s)).call('hello', {}));
    await perHost(specs, 5, (s) => rawExec(byName.get(s.name)!, 'true'));
    const rpcHello = await perHost(specs, calls, async (s) => (await tr.agent(s)).call('hello', {}));
    const rpcStat = await perHost(specs, calls, async (s) =>
      (await tr.agent(s)).call('file.stat', { path: '/etc/hosts', checksum: true }),
    );
    const rpcCmd = await perHost(specs, Math.ceil(calls / 2), async (s) =>
      (await tr.agent(s)).call('command', { argv: ['true'] }),
    );
    const bare = await perHost(specs, Math.ceil(calls / 2), (s) => rawExec(byName.get(s.name)!, 'true'));
    const viaTransport = await perHost(specs, Math.ceil(calls / 2), (s) => tr.exec(s, ['true']));
    console.log(`agent RPC hello          ${fmt(rpcHello.lat)}`);
    console.log(`agent RPC file.stat+sha  ${fmt(rpcStat.lat)}`);
    console.log(`agent RPC command true   ${fmt(rpcCmd.lat)}`);
    console.log(`bare ssh2 exec true      ${fmt(bare.lat)}`);
    console.log(`transport.exec true      ${fmt(viaTransport.lat)}`);
    console.log(
      `ratio agent RPC (file.stat) / bare ssh2 exec: ${(pct(rpcStat.lat, 50) / pct(bare.lat, 50)).toFixed(2)} (p50)`,
    );
    for (const c of raws) c.end();
    await tr.closeAll();
  } finally {
    await hosts.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
