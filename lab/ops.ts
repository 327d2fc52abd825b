// `lab status`, `lab down`, `lab fault`: act on a lab described by DIR/lab.json, processes by recorded pid only.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { readLabFile, writeLabFile, allNodes, findNode, type LabFile, type LabNodeEntry } from './layout.js';
import { stop as serviceStop, runningPid } from './node/process/service.js';
import { readyFile } from './node/process/node.js';
import { stopPid, isAlive } from './hosts/process.js';
import { startOpenSshHost } from './hosts/openssh.js';
import { readState } from './node/cluster/state.js';
import { readMembers, computeHealth } from './node/cluster/coordination.js';
import { readFaults, writeFaults, FAULT_KINDS, type FaultKind } from './node/process/faults.js';
import { releaseNet } from './up.js';

export interface NodeStatus {
  name: string;
  address: string;
  running: boolean;
  pid: number | null;
  ssh: boolean;
  master: boolean;
  faults: string[];
  /** Process starts since `lab up` (restarts by the lab itself or by a migration included). */
  starts: number;
}

export interface ClusterStatus {
  name: string;
  health: string;
  master: string | null;
  nodes: NodeStatus[];
  indices: number;
  /** Failed reads of cross-cluster tasks (what failed, when). */
  counters: {
    disruptions: number;
    disruption_log: Array<{ at: number; task_type: string; task_id: string; reason: string }>;
  };
  settings: { persistent: number; transient: number };
}

export interface LabStatus {
  dir: string;
  net: number;
  esVersion: string;
  ssh: string;
  up: boolean;
  clusters: ClusterStatus[];
}

/** Starts of a node: its `started {…}` lines (lab/node/process/node.ts), logged once per successful process start. */
export function startsOf(n: Pick<LabNodeEntry, 'home' | 'cluster'>): number {
  try {
    return (readFileSync(join(n.home, 'logs', `${n.cluster}.log`), 'utf8').match(/\] started \{/g) ?? []).length;
  } catch {
    return 0;
  }
}

export function labStatus(dir: string): LabStatus {
  const lab = readLabFile(dir);
  const clusters = lab.clusters.map((c): ClusterStatus => {
    const state = readState(c.dir);
    const members = readMembers(c.dir);
    const master = members.find((m) => m.id === state.masterNodeId);
    const nodes = c.nodes.map((n): NodeStatus => {
      const pid = runningPid(n.home) ?? null;
      const ready =
        pid !== null && existsSync(readyFile(n.home)) && Number(readFileSync(readyFile(n.home), 'utf8')) === pid;
      const sshAlive =
        lab.ssh === 'openssh'
          ? !!n.ssh.pid && isAlive(n.ssh.pid) && !readFaults(n.home)['drop-ssh']
          : !!lab.sshDaemonPid && isAlive(lab.sshDaemonPid) && !readFaults(n.home)['drop-ssh'];
      return {
        name: n.name,
        address: n.address,
        running: ready,
        pid,
        ssh: sshAlive,
        master: master?.name === n.name,
        faults: Object.keys(readFaults(n.home)),
        starts: startsOf(n),
      };
    });
    return {
      name: c.name,
      health: members.length ? computeHealth(state, members).status : 'unavailable',
      master: master?.name ?? null,
      nodes,
      indices: Object.keys(state.indices).length,
      counters: { disruptions: state.counters.disruptions ?? 0, disruption_log: state.counters.disruption_log ?? [] },
      settings: { persistent: Object.keys(state.persistent).length, transient: Object.keys(state.transient).length },
    };
  });
  const up = clusters.some((c) => c.nodes.some((n) => n.running));
  return { dir: lab.dir, net: lab.net, esVersion: lab.esVersion, ssh: lab.ssh, up, clusters };
}

export function formatStatus(s: LabStatus): string {
  const lines = [
    `lab ${s.dir} — simulated Elasticsearch ${s.esVersion}, network 127.${s.net}.0.0/16, ssh ${s.ssh}${s.up ? '' : ' (down)'}`,
  ];
  for (const c of s.clusters) {
    lines.push(
      `  cluster ${c.name}: ${c.health}, master ${c.master ?? '-'}, ${c.indices} indices, disruptions ${c.counters.disruptions ?? 0}`,
    );
    for (const n of c.nodes) {
      lines.push(
        `    ${n.master ? '*' : ' '} ${n.name.padEnd(10)} ${n.address.padEnd(14)} ${n.running ? `running (pid ${n.pid})` : n.pid ? `starting (pid ${n.pid})` : 'stopped'}  ssh ${n.ssh ? 'up' : 'down'}  starts ${n.starts}${n.faults.length ? `  faults: ${n.faults.join(',')}` : ''}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createConnection({ host, port });
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
    s.setTimeout(1000, () => {
      s.destroy();
      res(false);
    });
  });
}

/** Stops every node and SSH host of the lab by recorded pid; returns the ports still open (should be none). */
export async function labDown(dir: string): Promise<{ stillOpen: string[] }> {
  const lab = readLabFile(dir);
  const nodes = allNodes(lab);
  const failed: string[] = [];
  await Promise.all(
    nodes.map(async (n) => {
      if ((await serviceStop(n.home)) !== 0) failed.push(n.name);
    }),
  );
  await Promise.all(nodes.map((n) => (n.ssh.pid ? stopPid(n.ssh.pid) : undefined)));
  if (lab.sshDaemonPid) await stopPid(lab.sshDaemonPid);
  const stillOpen: string[] = [];
  await Promise.all(
    nodes.flatMap((n) =>
      [22, 9200, 9300, 9443].map(async (p) => {
        if (await portOpen(n.address, p)) stillOpen.push(`${n.address}:${p}`);
      }),
    ),
  );
  releaseNet(lab);
  if (failed.length) throw new Error(`nodes did not stop: ${failed.join(', ')}`);
  return { stillOpen: stillOpen.sort() };
}

export interface FaultOptions {
  count?: number;
  ms?: number;
  clear?: boolean;
}

export async function labFault(dir: string, nodeName: string, kind: string, opts: FaultOptions): Promise<string> {
  const lab: LabFile = readLabFile(dir);
  const node = findNode(lab, nodeName);
  if (!(FAULT_KINDS as readonly string[]).includes(kind))
    throw new Error(`unknown fault [${kind}]; one of: ${FAULT_KINDS.join(', ')}`);
  const k = kind as FaultKind;
  const faults = readFaults(node.home);
  if (opts.clear) delete faults[k];
  else
    faults[k] = {
      ...(opts.count !== undefined
        ? { count: opts.count }
        : k === 'fail-start' || k === 'slow-start'
          ? { count: 1 }
          : {}),
      ...(opts.ms !== undefined ? { ms: opts.ms } : {}),
    };
  writeFaults(node.home, faults);
  if (k === 'drop-ssh' && lab.ssh === 'openssh') {
    // OpenSSH hosts are separate daemons: drop = stop it; clear = start it again with the same host key.
    if (!opts.clear && node.ssh.pid) {
      await stopPid(node.ssh.pid);
    } else if (opts.clear && !(node.ssh.pid && isAlive(node.ssh.pid))) {
      const client = readFileSync(`${lab.clientKey}.pub`, 'utf8');
      const host = await startOpenSshHost({
        dir: node.ssh.dir,
        address: node.address,
        port: node.ssh.port,
        authorizedKeys: client,
        maxSessions: 20,
        env: { ES_HOME: node.home, ES_PATH_CONF: node.configDir, LAB_NODE: node.name, LAB_DIR: lab.dir },
      });
      node.ssh.pid = host.pid;
      writeLabFile(lab);
    }
  }
  return opts.clear
    ? `fault ${k} cleared on ${node.name}`
    : `fault ${k} set on ${node.name}${faults[k]?.count !== undefined ? ` (${faults[k]!.count}×)` : ''}`;
}
