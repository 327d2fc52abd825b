// `crosskey demo` (npm run demo): the main job on the built-in lab, start to finish.
// lab up (OpenSSH hosts when sshd is installed, else the embedded SSH server) → playbooks/migrate.yml with the
// normal human output → a per-node verification table read from each local node's own _remote/info → lab down.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliCommand } from '../command.js';
import { UsageError } from '../command.js';
import { executeRun, parseRunFlags } from './run.js';
import { loadInventory } from '../../inventory/index.js';
import { esForNode, closeAllClients } from '../../elastic/client.js';
import { labUp } from '../../../lab/up.js';
import { labDown, labStatus } from '../../../lab/ops.js';
import { REMOTE_ALIAS } from '../../../lab/setup/initial-state.js';
import { outageWindows } from '../../../lab/outage.js';
import { readState } from '../../../lab/node/cluster/state.js';
import type { ConnectionEvent } from '../../../lab/node/remote/manager.js';

const USAGE = `usage: crosskey demo [--dir DIR] [--nodes N] [--es-version V] [--ssh openssh|embedded] [--keep]
  Brings up the lab (two simulated Elasticsearch clusters behind SSH hosts), runs playbooks/migrate.yml against
  it, prints a per-node verification table and takes the lab down again (--keep leaves it running).`;

/** The repository root: the bundle lives in dist/, the sources in controller/cli/commands/. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'playbooks', 'migrate.yml'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('crosskey demo: playbooks/migrate.yml not found next to the crosskey installation');
}

interface Row {
  node: string;
  model: string;
  connected: string;
  credentials: string;
  remoteNodes: string;
  outage: string;
}

function table(rows: Row[]): string {
  const head: Row = {
    node: 'node',
    model: 'model',
    connected: 'connected',
    credentials: 'cluster_credentials',
    remoteNodes: 'remote nodes',
    outage: 'alias outage',
  };
  const all = [head, ...rows];
  const keys = Object.keys(head) as Array<keyof Row>;
  const width = Object.fromEntries(keys.map((k) => [k, Math.max(...all.map((r) => r[k].length))])) as Record<
    keyof Row,
    number
  >;
  const line = (r: Row) =>
    keys
      .map((k) => r[k].padEnd(width[k]))
      .join('  ')
      .trimEnd();
  return [line(head), keys.map((k) => '-'.repeat(width[k])).join('  '), ...rows.map(line)].join('\n') + '\n';
}

export const demoCommand: CliCommand = {
  name: 'demo',
  usage: USAGE,
  async run(argv, io) {
    const opt = (name: string): string | undefined => {
      const i = argv.indexOf(name);
      if (i < 0) return undefined;
      const v = argv[i + 1];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    const keep = argv.includes('--keep');
    const ssh = (opt('--ssh') ?? (existsSync('/usr/sbin/sshd') ? 'openssh' : 'embedded')) as 'openssh' | 'embedded';
    if (ssh !== 'openssh' && ssh !== 'embedded') throw new UsageError('--ssh must be openssh or embedded');
    const dir = resolve(io.cwd, opt('--dir') ?? mkdtempSync(join(tmpdir(), 'crosskey-demo-')));
    const t0 = Date.now();
    const say = (s: string) => io.stdout.write(s + '\n');
    say(`crosskey demo — lab in ${dir} (simulated Elasticsearch, ${ssh} SSH hosts)`);
    let code = 1;
    try {
      const nodes = opt('--nodes');
      const { lab, seconds } = await labUp({
        dir,
        ...(nodes ? { nodes: Number(nodes) } : {}),
        ...(opt('--es-version') ? { esVersion: opt('--es-version') } : {}),
        ssh,
        log: (l) => say(`  ${l}`),
      });
      say(`lab up in ${seconds.toFixed(1)} s\n`);

      const flags = parseRunFlags([join(repoRoot(), 'playbooks', 'migrate.yml'), '-i', lab.inventory], io.cwd);
      const tRun = Date.now();
      code = await executeRun(flags, io, ['demo', 'run', 'playbooks/migrate.yml', '-i', lab.inventory]);
      const runSeconds = (Date.now() - tRun) / 1000;

      // Per-node verification, each local node answering for itself.
      const inv = loadInventory(lab.inventory);
      const local = lab.clusters.find((c) => c.name === 'local')!;
      const events = readState(local.dir).events as unknown as ConnectionEvent[];
      const outages = new Map(outageWindows(events, REMOTE_ALIAS).map((o) => [o.node, o.ms]));
      const rows: Row[] = [];
      for (const host of inv.groupHosts('local') ?? []) {
        const vars = inv.hostVars(host);
        try {
          const res = await esForNode(vars, String(vars.es_node_url)).request<Record<string, Record<string, unknown>>>({
            method: 'GET',
            path: '/_remote/info',
          });
          const info = res.body[REMOTE_ALIAS] ?? {};
          const creds = info.cluster_credentials;
          rows.push({
            node: host,
            model: creds === '::es_redacted::' ? 'API key (RCS2)' : 'certificate (RCS1)',
            connected: String(info.connected ?? false),
            credentials: creds === undefined ? '-' : String(creds),
            remoteNodes: String(info.num_nodes_connected ?? info.num_proxy_sockets_connected ?? '-'),
            outage: outages.has(host) ? `${(outages.get(host)! / 1000).toFixed(2)} s` : '-',
          });
        } catch (e) {
          rows.push({
            node: host,
            model: 'error',
            connected: 'false',
            credentials: (e as Error).message.slice(0, 60),
            remoteNodes: '-',
            outage: '-',
          });
        }
      }
      const status = labStatus(lab.dir);
      const disruptions = status.clusters.map((c) => `${c.name} ${c.counters.disruptions}`).join(', ');
      say(`\nVerification (each local node's own GET /_remote/info, alias ${REMOTE_ALIAS}):\n`);
      io.stdout.write(table(rows));
      say(
        `\ntask disruptions: ${disruptions}; migration ${runSeconds.toFixed(1)} s; demo ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
      const allGood = rows.every((r) => r.model === 'API key (RCS2)' && r.connected === 'true');
      if (code === 0 && !allGood) code = 2;
      say(
        code === 0
          ? 'result: every local node is connected with the cross-cluster API key'
          : `result: FAILED (exit ${code})`,
      );
    } finally {
      await closeAllClients().catch(() => undefined);
      if (!keep && existsSync(join(dir, 'lab.json'))) {
        const { stillOpen } = await labDown(dir);
        say(
          stillOpen.length
            ? `lab down: ports still open: ${stillOpen.join(', ')}`
            : 'lab down: no process and no port left',
        );
        if (!opt('--dir')) rmSync(dir, { recursive: true, force: true });
      } else if (keep) {
        say(`lab kept running in ${dir} (crosskey lab down --dir ${dir})`);
      }
    }
    return code;
  },
};
