// Health-gated rolling restart (docs/procedure.md §3.1), one node at a time: non-master-eligible nodes first, the
// elected master last (re-checked before every node, since restarts move the master). Per node:
//   G0 green, no relocating/initializing shards, all nodes present, allocation at default
//   G1 allocation "primaries" + flush         G2 stop; node id gone from _cat/nodes
//   G3 start (the host's service command)     G4 the same node id back
//   G5 node-level check (optional, e.g. the remote cluster server port answers on that node)
//   G6 allocation restored (null)             G7 green by server-side wait_for_status
// A node that does not come back: its changed files are restored from their backups, it is started again,
// allocation is restored, and the run stops with the cluster's state and how to continue.
import { EsError } from './errors.js';
import {
  catMaster,
  catNodes,
  clusterHealth,
  flush,
  setAllocation,
  isMasterEligible,
  type CatNode,
  type ClusterHealth,
  type HealthStatus,
} from './api/cluster.js';
import {
  GateError,
  formatWait,
  gatePreflight,
  shardCounts,
  statusAtLeast,
  waitNodeBack,
  waitNodeGone,
  waitRecovered,
  type GateName,
  type ShardCounts,
  type WaitProgress,
} from './gates.js';
import type { EsApi } from './types.js';

export type { ShardCounts, WaitProgress } from './gates.js';

/** What a progress line is about: the node being restarted (its inventory host) and, while waiting, the wait. */
export interface RestartProgress {
  node: string;
  wait?: WaitProgress;
}

/**
 * The cluster's health as sampled while one node restarts (G1 → G7): the worst status, the most shards not
 * started, and how long the samples say it was yellow or red (each sample counts until the next one).
 */
export interface HealthSeen {
  worst: HealthStatus;
  samples: number;
  yellowMs: number;
  redMs: number;
  maxRelocating: number;
  maxInitializing: number;
  maxUnassigned: number;
}

/** The data of a `rolling_restart.gate` journal event (the journal adds host/task; `at` is the engine's clock). */
export interface GateEvent {
  gate: GateName;
  host?: string;
  node?: string;
  at: string;
  /** Health when the gate passed (G0, G2 node gone, G4 node back, G7). */
  status?: HealthStatus;
  nodes?: number;
  relocating?: number;
  initializing?: number;
  unassigned?: number;
  allocation?: 'primaries' | null;
  nodeId?: string;
  checked?: string;
  /** G6 written while recovering a node that failed. */
  recovery?: boolean;
  /** G7: the health seen while the node restarted. */
  healthSeen?: HealthSeen;
}

const RANK: Record<HealthStatus, number> = { red: 0, yellow: 1, green: 2 };

/** Collects health answers during one node's restart (see HealthSeen). */
export class HealthSampler {
  #samples: Array<{ at: number; h: ShardCounts }> = [];
  add(h: ShardCounts, at: number): void {
    this.#samples.push({ at, h });
  }
  /** The summary up to `end` (the last sample counts until then). */
  summary(end: number): HealthSeen | undefined {
    const s = this.#samples;
    if (!s.length) return undefined;
    const out: HealthSeen = {
      worst: 'green',
      samples: s.length,
      yellowMs: 0,
      redMs: 0,
      maxRelocating: 0,
      maxInitializing: 0,
      maxUnassigned: 0,
    };
    s.forEach(({ at, h }, i) => {
      if (RANK[h.status] < RANK[out.worst]) out.worst = h.status;
      out.maxRelocating = Math.max(out.maxRelocating, h.relocating);
      out.maxInitializing = Math.max(out.maxInitializing, h.initializing);
      out.maxUnassigned = Math.max(out.maxUnassigned, h.unassigned);
      const span = Math.max(0, (s[i + 1]?.at ?? end) - at);
      if (h.status === 'yellow') out.yellowMs += span;
      else if (h.status === 'red') out.redMs += span;
    });
    return out;
  }
}

/** How to continue after a stop: the journaled run resumes where it stopped. */
export const RESUME_HINT = '`crosskey resume` continues the run from where it stopped';

export interface RestartTarget {
  host: string;
  /** ES node name to find in _cat/nodes (default: the host name). */
  nodeName: string;
  /** Fallback match when no node has that name. */
  ip?: string;
  /** Files changed in this play (restored on failure). */
  files: Array<{ path: string; backupPath?: string }>;
}

export interface PlannedNode {
  host: string;
  /** '' when the node was not in the cluster at planning time (allowed only with `absentOk`). */
  nodeId: string;
  nodeName: string;
  masterEligible: boolean;
  elected: boolean;
  files: RestartTarget['files'];
}

/** What the restart does on a host (the agent's service and file ops in the module; recorded in tests). */
export interface HostOps {
  stop(host: string): Promise<void>;
  start(host: string): Promise<void>;
  /** Puts back the files changed in this play; returns what was restored. */
  restoreFiles(host: string, files: RestartTarget['files']): Promise<string[]>;
}

export interface RestartTimeouts {
  preflightMs: number;
  leaveMs: number;
  joinMs: number;
  greenMs: number;
}
export const DEFAULT_TIMEOUTS: RestartTimeouts = {
  preflightMs: 30_000,
  leaveMs: 120_000,
  joinMs: 300_000,
  greenMs: 900_000,
};

export interface RollingRestartParams {
  /** Cluster API that is not served by `host` (another node's URL, or the cluster URL). */
  apiAvoiding(host: string): EsApi;
  nodes: PlannedNode[];
  ops: HostOps;
  journal(kind: string, data: Record<string, unknown>): void;
  /** A progress line; `info` names the node it is about and, while waiting, what for (rendered by the CLI). */
  progress(message: string, fraction?: number, info?: RestartProgress): void;
  signal?: AbortSignal;
  minStatus?: HealthStatus;
  timeouts?: Partial<RestartTimeouts>;
  /** Epoch ms; no node restart starts that the measured durations say cannot finish before it. */
  windowEnd?: number;
  /** Estimate for the first node when nothing was measured yet (ms). */
  firstEstimateMs?: number;
  /** A previous (interrupted) run of ours left allocation at "primaries": accept it at G0. */
  allocationSetByUs?: boolean;
  /** Called whenever this run changes allocation (saved so a resumed run recognises its own setting). */
  onAllocation?(value: 'primaries' | null): Promise<void> | void;
  /** G5: the node itself works as changed (throws when not: the node is then treated as one that did not start). */
  verifyNode?(node: PlannedNode): Promise<string | undefined>;
  /** After each node is green (clears saved "pending" state). */
  onNodeDone?(node: PlannedNode): Promise<void> | void;
  now?: () => number;
}

export interface NodeReport {
  host: string;
  node: string;
  nodeId: string;
  stopAt: string;
  greenAt: string;
  durationMs: number;
}
export interface RollingRestartReport {
  restarted: NodeReport[];
  /** Set when the window end stopped the run before every node was restarted. */
  stoppedForWindow?: { remaining: string[]; estimateMs: number; windowEnd: string };
}

export class RollingRestartError extends Error {
  constructor(
    message: string,
    public report: RollingRestartReport,
    public gate?: GateName,
    /** The host whose node failed (unset when the cluster itself was not ready: G0). */
    public host?: string,
  ) {
    super(message);
    this.name = 'RollingRestartError';
  }
}

/**
 * Maps targets to nodes of the cluster and orders them: non-master-eligible, master-eligible, elected master.
 * `absentOk`: a target not in the cluster is planned without a node id instead of failing (a node an interrupted
 * run of ours left stopped: the restart starts it first, then plans again).
 */
export async function planRestart(
  es: EsApi,
  targets: RestartTarget[],
  opts: { absentOk?: boolean } = {},
): Promise<PlannedNode[]> {
  const nodes = await catNodes(es);
  let electedId: string | undefined = nodes.find((n) => n.elected)?.id;
  if (!electedId) electedId = (await catMaster(es)).id;
  const planned = targets.map((t): PlannedNode => {
    let n: CatNode | undefined = nodes.find((x) => x.name === t.nodeName);
    if (!n && t.ip) {
      const byIp = nodes.filter((x) => x.ip === t.ip);
      if (byIp.length === 1) n = byIp[0];
    }
    if (!n?.id && opts.absentOk)
      return { host: t.host, nodeId: '', nodeName: t.nodeName, masterEligible: false, elected: false, files: t.files };
    if (!n?.id) {
      throw new Error(
        `${t.host}: no node named "${t.nodeName}"${t.ip ? ` or with ip ${t.ip}` : ''} in GET /_cat/nodes of ${es.label} ` +
          `(nodes: ${nodes.map((x) => x.name).join(', ')}); is it running? if its node.name differs from the host name, set es_node_name`,
      );
    }
    return {
      host: t.host,
      nodeId: n.id,
      nodeName: n.name,
      masterEligible: isMasterEligible(n.roles),
      elected: n.id === electedId,
      files: t.files,
    };
  });
  const rank = (p: PlannedNode) => (p.elected ? 2 : p.masterEligible ? 1 : 0);
  return planned
    .map((p, i) => ({ p, i }))
    .sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i)
    .map((x) => x.p);
}

/** The next node: non-master-eligible first, then master-eligible ones that are not the elected master. */
function pickNext(remaining: PlannedNode[], electedId: string | undefined): PlannedNode {
  const rank = (p: PlannedNode) => (p.nodeId === electedId ? 2 : p.masterEligible ? 1 : 0);
  return remaining.reduce((best, p) => (rank(p) < rank(best) ? p : best), remaining[0]!);
}

function fmtMs(ms: number): string {
  return ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`;
}

function describeHealth(h?: ClusterHealth): string {
  if (!h) return 'health unknown';
  return `status ${h.status}, ${h.number_of_nodes} nodes, ${h.unassigned_shards} unassigned, ${h.initializing_shards} initializing, ${h.relocating_shards} relocating shards`;
}

export async function runRollingRestart(p: RollingRestartParams): Promise<RollingRestartReport> {
  const now = p.now ?? Date.now;
  const t = resolveTimeouts(p.timeouts);
  const minStatus = p.minStatus ?? 'green';
  const report: RollingRestartReport = { restarted: [] };
  const remaining = [...p.nodes];
  const total = remaining.length;
  const gate = (g: GateName, node: PlannedNode | undefined, data: Omit<GateEvent, 'gate' | 'at'> = {}) => {
    const ev: GateEvent = {
      gate: g,
      host: node?.host,
      node: node?.nodeName,
      at: new Date(now()).toISOString(),
      ...data,
    };
    p.journal('rolling_restart.gate', { ...ev });
  };
  /** One health answer without waiting, for the journal and the samples (undefined when the cluster is busy). */
  const sampleHealth = async (es: EsApi, sampler: HealthSampler): Promise<ShardCounts | undefined> => {
    try {
      const c = shardCounts(await clusterHealth(es));
      sampler.add(c, now());
      return c;
    } catch (e) {
      if (e instanceof EsError) return undefined;
      throw e;
    }
  };
  const healthFields = (c: ShardCounts | undefined): Omit<GateEvent, 'gate' | 'at'> =>
    c
      ? {
          status: c.status,
          nodes: c.nodes,
          relocating: c.relocating,
          initializing: c.initializing,
          unassigned: c.unassigned,
        }
      : {};
  let expectedNodes: number | undefined;
  let allocationOurs = p.allocationSetByUs ?? false;

  while (remaining.length > 0) {
    const done = total - remaining.length;
    const coordinatorForPick = p.apiAvoiding(remaining[0]!.host);
    let electedId: string | undefined;
    try {
      electedId = (await catMaster(coordinatorForPick)).id;
    } catch (e) {
      if (!(e instanceof EsError)) throw e;
    }
    const node = pickNext(remaining, electedId);
    const es = p.apiAvoiding(node.host);
    const about: RestartProgress = { node: node.host };
    const sampler = new HealthSampler();
    const say = (message: string, fraction: number) => p.progress(message, fraction, about);
    /** Wait lines: what for, elapsed / timeout, and the shard counts of the last health answer. */
    const waitLines = (
      what: string,
      timeoutMs: number,
      fraction: number,
      opts: { nodes?: boolean; min?: HealthStatus } = {},
    ) => {
      const t0 = now();
      const show = (status: string, h?: ClusterHealth) => {
        if (h) sampler.add(shardCounts(h), now());
        const forWhat = opts.min && h && statusAtLeast(h.status, opts.min) ? `shard recovery (${opts.min})` : what;
        const wait: WaitProgress = {
          for: forWhat,
          elapsedMs: now() - t0,
          timeoutMs,
          ...(opts.nodes ? { expectedNodes } : {}),
          ...(h ? { health: shardCounts(h) } : status ? { note: status } : {}),
        };
        p.progress(formatWait(wait), fraction, { ...about, wait });
      };
      show('', undefined);
      return show;
    };

    // G0: healthy and nothing else going on.
    say(`checking cluster health (node ${done + 1} of ${total})`, done / total);
    let h: ClusterHealth;
    try {
      h = await gatePreflight(es, {
        minStatus,
        expectedNodes,
        timeout: `${Math.ceil(t.preflightMs / 1000)}s`,
        ourAllocation: allocationOurs ? 'primaries' : undefined,
      });
    } catch (e) {
      if (e instanceof GateError)
        throw new RollingRestartError(
          `${e.message}; then ${RESUME_HINT}. Restarted so far: ${names(report)}.`,
          report,
          'G0',
        );
      throw e;
    }
    expectedNodes ??= h.number_of_nodes;
    gate('G0', node, { status: h.status, nodes: h.number_of_nodes });
    const nodesBefore = expectedNodes;

    // Window: refuse a restart that cannot finish in time (measured durations; the cluster is green here).
    if (p.windowEnd !== undefined) {
      const measured = report.restarted.map((r) => r.durationMs);
      const estimate = measured.length ? Math.max(...measured) : (p.firstEstimateMs ?? 0);
      if (now() + estimate > p.windowEnd) {
        report.stoppedForWindow = {
          remaining: remaining.map((r) => r.host),
          estimateMs: estimate,
          windowEnd: new Date(p.windowEnd).toISOString(),
        };
        p.journal('rolling_restart.window_stop', { at: new Date(now()).toISOString(), ...report.stoppedForWindow });
        return report;
      }
    }

    // G1: replicas stay where they are while the node is away; flush speeds up its recovery.
    const stopAt = now();
    sampler.add(shardCounts(h), stopAt);
    say('allocation primaries, flush', done / total);
    await setAllocation(es, 'primaries');
    allocationOurs = true;
    await p.onAllocation?.('primaries');
    try {
      await flush(es);
    } catch (e) {
      p.journal('rolling_restart.warning', {
        host: node.host,
        message: `flush failed (continuing): ${(e as Error).message}`,
      });
    }
    gate('G1', node, { allocation: 'primaries' });

    // G2: stop and see the node leave.
    say('stopping', done / total);
    try {
      await p.ops.stop(node.host);
      const onPoll = waitLines('the node to leave', t.leaveMs, done / total, { nodes: true });
      await waitNodeGone(es, node.nodeId, nodesBefore, {
        deadline: now() + t.leaveMs,
        signal: p.signal,
        now,
        onPoll,
      });
    } catch (e) {
      await restoreAllocation(es, p, node);
      throw new RollingRestartError(
        `${node.host}: node ${node.nodeName} did not stop: ${(e as Error).message}. Allocation restored; the node may still be running ` +
          `with its old configuration. Check the service on ${node.host}, then ${RESUME_HINT} ` +
          `(restarted so far: ${names(report)}).`,
        report,
        'G2',
        node.host,
      );
    }
    // The health while the node is away (replicas held back: usually yellow).
    gate('G2', node, { nodeId: node.nodeId, ...healthFields(await sampleHealth(es, sampler)) });

    // G3 + G4: start and wait for the same node id.
    say('starting', done / total);
    let startError: unknown;
    try {
      await p.ops.start(node.host);
      gate('G3', node);
      const onPoll = waitLines('the node to rejoin', t.joinMs, done / total, { nodes: true });
      await waitNodeBack(es, node.nodeId, node.nodeName, nodesBefore, {
        deadline: now() + t.joinMs,
        signal: p.signal,
        now,
        onPoll,
      });
    } catch (e) {
      startError = e;
    }
    if (startError !== undefined)
      await recoverNode(es, p, node, startError, report, nodesBefore, t.joinMs, now, 'G4', sampler);
    gate('G4', node, { nodeId: node.nodeId, ...healthFields(await sampleHealth(es, sampler)) });

    // G5: back in the cluster is not enough when the change is meant to open something on the node.
    if (p.verifyNode) {
      say('verifying the node', done / total);
      let checked: string | undefined;
      try {
        checked = (await p.verifyNode(node)) ?? undefined;
      } catch (e) {
        await recoverNode(es, p, node, e, report, nodesBefore, t.joinMs, now, 'G5', sampler);
      }
      gate('G5', node, checked ? { checked } : {});
    }

    // G6 + G7: allocation back, then green.
    await setAllocation(es, null);
    allocationOurs = false;
    await p.onAllocation?.(null);
    gate('G6', node, { allocation: null });
    let green: ClusterHealth;
    try {
      const onPoll = waitLines(minStatus, t.greenMs, (done + 0.5) / total, { min: minStatus });
      green = await waitRecovered(es, minStatus, {
        deadline: now() + t.greenMs,
        signal: p.signal,
        now,
        onPoll,
      });
    } catch (e) {
      let state = '';
      try {
        const last = await clusterHealth(es);
        sampler.add(shardCounts(last), now());
        state = describeHealth(last);
      } catch {
        /* unreachable: say so below */
      }
      p.journal('rolling_restart.node_failed', {
        host: node.host,
        node: node.nodeName,
        gate: 'G7',
        reason: `the cluster did not reach ${minStatus} within ${fmtMs(t.greenMs)}`,
        at: new Date(now()).toISOString(),
        ...seen(sampler, now()),
      });
      throw new RollingRestartError(
        `${node.host}: node ${node.nodeName} is back but the cluster did not reach ${minStatus} within ${fmtMs(t.greenMs)} ` +
          `(${state || (e as Error).message}). Allocation is restored. Check GET /_cluster/allocation/explain; once the ` +
          `cluster is ${minStatus}, ${RESUME_HINT} (nodes still to restart: ${
            remaining
              .filter((r) => r !== node)
              .map((r) => r.host)
              .join(', ') || 'none'
          }).`,
        report,
        'G7',
        node.host,
      );
    }
    const greenAt = now();
    sampler.add(shardCounts(green), greenAt);
    gate('G7', node, { ...healthFields(shardCounts(green)), ...seen(sampler, greenAt) });
    report.restarted.push({
      host: node.host,
      node: node.nodeName,
      nodeId: node.nodeId,
      stopAt: new Date(stopAt).toISOString(),
      greenAt: new Date(greenAt).toISOString(),
      durationMs: greenAt - stopAt,
    });
    remaining.splice(remaining.indexOf(node), 1);
    await p.onNodeDone?.(node);
    say(`restarted in ${fmtMs(greenAt - stopAt)} (node ${done + 1} of ${total})`, (done + 1) / total);
  }
  return report;
}

/** Defaults for every timeout not given (undefined never overrides a default). */
export function resolveTimeouts(given: Partial<RestartTimeouts> = {}): RestartTimeouts {
  const out = { ...DEFAULT_TIMEOUTS };
  for (const k of Object.keys(out) as Array<keyof RestartTimeouts>)
    if (typeof given[k] === 'number') out[k] = given[k]!;
  return out;
}

/** The health seen so far, for a journal event (nothing when nothing was sampled). */
function seen(sampler: HealthSampler, end: number): { healthSeen?: HealthSeen } {
  const s = sampler.summary(end);
  return s ? { healthSeen: s } : {};
}

function names(r: RollingRestartReport): string {
  return r.restarted.map((x) => x.host).join(', ') || 'none';
}

async function restoreAllocation(es: EsApi, p: RollingRestartParams, node: PlannedNode): Promise<boolean> {
  try {
    await setAllocation(es, null);
    await p.onAllocation?.(null);
    p.journal('rolling_restart.gate', {
      gate: 'G6',
      host: node.host,
      node: node.nodeName,
      allocation: null,
      recovery: true,
      at: new Date().toISOString(),
    });
    return true;
  } catch (e) {
    p.journal('rolling_restart.error', {
      host: node.host,
      message: `restoring allocation failed: ${(e as Error).message}`,
    });
    return false;
  }
}

/** The node did not come back (G4) or failed its check (G5): restore its files, start it again, restore allocation, stop the run. Always throws. */
async function recoverNode(
  es: EsApi,
  p: RollingRestartParams,
  node: PlannedNode,
  cause: unknown,
  report: RollingRestartReport,
  expectedNodes: number,
  joinMs: number,
  now: () => number,
  failedGate: 'G4' | 'G5',
  sampler: HealthSampler,
): Promise<never> {
  const why = (cause as Error).message ?? String(cause);
  p.journal('rolling_restart.node_failed', {
    host: node.host,
    node: node.nodeName,
    gate: failedGate,
    reason: why,
    at: new Date(now()).toISOString(),
    ...seen(sampler, now()),
  });
  p.progress(`${failedGate === 'G4' ? 'did not come back' : 'failed its check'}; restoring its files`, undefined, {
    node: node.host,
  });
  let restored: string[] = [];
  let restoreError = '';
  try {
    restored = await p.ops.restoreFiles(node.host, node.files);
  } catch (e) {
    restoreError = (e as Error).message;
  }
  p.journal('rolling_restart.restored', { host: node.host, files: restored, error: restoreError || undefined });
  let back = false;
  let backError = '';
  try {
    try {
      await p.ops.stop(node.host);
    } catch {
      /* it is not running: that is the point */
    }
    await p.ops.start(node.host);
    await waitNodeBack(es, node.nodeId, node.nodeName, expectedNodes, {
      deadline: now() + joinMs,
      signal: p.signal,
      now,
    });
    back = true;
  } catch (e) {
    backError = (e as Error).message;
  }
  p.journal('rolling_restart.recovery', {
    host: node.host,
    back,
    error: backError || undefined,
    at: new Date(now()).toISOString(),
  });
  const allocOk = await restoreAllocation(es, p, node);
  let health: ClusterHealth | undefined;
  let nodesNow: CatNode[] = [];
  try {
    // Stop with the cluster green when the restored node recovers (server-side wait; no fixed sleep).
    health = await clusterHealth(es, {
      waitForStatus: back ? 'green' : 'yellow',
      waitForNoInitializingShards: back,
      timeout: back ? '120s' : '30s',
    });
    nodesNow = await catNodes(es);
  } catch {
    /* reported as unknown */
  }
  const lines = [
    failedGate === 'G4'
      ? `${node.host}: node ${node.nodeName} did not come back after the restart: ${why}`
      : `${node.host}: node ${node.nodeName} came back but failed its check after the restart: ${why}`,
    restoreError
      ? `restoring its files failed: ${restoreError}`
      : restored.length
        ? `restored from backups: ${restored.join(', ')}`
        : 'no changed files to restore',
    back
      ? `the node is running again with its previous configuration`
      : `the node is STILL DOWN after restoring (${backError}); start it by hand`,
    allocOk
      ? 'allocation restored (cluster.routing.allocation.enable: null)'
      : 'restoring allocation FAILED: run PUT /_cluster/settings {"persistent":{"cluster.routing.allocation.enable":null}}',
    `cluster ${es.label}: ${describeHealth(health)}; nodes: ${nodesNow.map((n) => n.name + (n.elected ? '*' : '')).join(', ') || 'unknown'}`,
    `restarted before the failure: ${names(report)}`,
    `to continue: read ${node.nodeName}'s log (es_home/logs), fix the cause, then ${RESUME_HINT} (the nodes still pending ` +
      `are restarted then); to go back instead, run the rollback playbook (playbooks/rollback.yml for the migration)`,
  ];
  throw new RollingRestartError(lines.join('\n  '), report, failedGate, node.host);
}
