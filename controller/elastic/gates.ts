// Health gates of a rolling restart (docs/procedure.md §3.1). No fixed sleeps: every wait is a server-side wait
// (_cluster/health wait_for_*) or, when the server answers at once, a short jittered backoff before asking again.
// A node restart makes the cluster briefly unreachable or masterless: such answers mean "not yet", not failure.
import { sleep } from '../sleep.js';
import { EsError } from './errors.js';

import {
  ALLOCATION_ENABLE,
  allocationEnable,
  catNodes,
  clusterHealth,
  getClusterSettings,
  type CatNode,
  type ClusterHealth,
  type HealthStatus,
} from './api/cluster.js';
import type { EsApi } from './types.js';

export type GateName = 'G0' | 'G1' | 'G2' | 'G3' | 'G4' | 'G5' | 'G6' | 'G7';

export class GateError extends Error {
  constructor(
    public gate: GateName,
    message: string,
    public health?: ClusterHealth,
  ) {
    super(message);
    this.name = 'GateError';
  }
}

export interface WaitOptions {
  deadline: number;
  signal?: AbortSignal;
  /** Called on every poll with a short status line and, when the poll asked for it, the cluster's health answer. */
  onPoll?: (status: string, health?: ClusterHealth) => void;
  now?: () => number;
}

/** The shard counts of one health answer, as wait lines and the journal show them. */
export interface ShardCounts {
  status: HealthStatus;
  nodes: number;
  relocating: number;
  initializing: number;
  unassigned: number;
}

export function shardCounts(h: ClusterHealth): ShardCounts {
  return {
    status: h.status,
    nodes: h.number_of_nodes,
    relocating: h.relocating_shards,
    initializing: h.initializing_shards,
    unassigned: h.unassigned_shards,
  };
}

/**
 * A wait in progress, for a progress line: what it waits for ("green", "local-3 to leave"), how long so far, its
 * timeout, the last health answer's shard counts, and a note when the cluster answered with an error.
 */
export interface WaitProgress {
  for: string;
  elapsedMs: number;
  timeoutMs: number;
  /** Nodes the cluster should have again (shown as "2/3 nodes" while a node is away). */
  expectedNodes?: number;
  health?: ShardCounts;
  note?: string;
}

/** `waiting for green: 12 s / 300 s, cluster yellow, 2 relocating, 4 initializing, 3 unassigned` */
export function formatWait(w: WaitProgress): string {
  const s = (ms: number) => `${Math.max(0, Math.floor(ms / 1000))} s`;
  const parts = [`${s(w.elapsedMs)} / ${s(w.timeoutMs)}`];
  const h = w.health;
  if (h) {
    if (w.expectedNodes !== undefined) parts.push(`${h.nodes}/${w.expectedNodes} nodes`);
    if (h.status !== w.for) parts.push(`cluster ${h.status}`);
    parts.push(`${h.relocating} relocating`, `${h.initializing} initializing`, `${h.unassigned} unassigned`);
  }
  if (w.note) parts.push(w.note);
  return `waiting for ${w.for}: ${parts.join(', ')}`;
}

/** Errors that a restarting cluster produces for a moment: retry within the gate's deadline. */
export function isTransient(e: unknown): boolean {
  if (!(e instanceof EsError)) return false;
  return (
    e.status === 0 || e.status === 503 || e.status === 429 || e.status === 408 || e.status === 502 || e.status === 504
  );
}

/** Server-side wait time for one poll: at most `cap` seconds, never beyond the deadline. */
function waitSeconds(opts: WaitOptions, cap = 10): string {
  const left = Math.floor((opts.deadline - (opts.now ?? Date.now)()) / 1000);
  return `${Math.max(1, Math.min(cap, left))}s`;
}

/**
 * Repeats `probe` until it returns a value (not undefined) or the deadline passes. A probe that answers fast
 * (the server did not wait) is followed by a short jittered pause so the loop never spins.
 */
export async function pollUntil<T>(what: string, opts: WaitOptions, probe: () => Promise<T | undefined>): Promise<T> {
  const now = opts.now ?? Date.now;
  let pause = 50;
  let last = '';
  for (;;) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
    const t0 = now();
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      if (!isTransient(e)) throw e;
      last = (e as Error).message;
      opts.onPoll?.(`cluster busy (${(e as EsError).code ?? (e as EsError).status})`);
    }
    if (now() >= opts.deadline)
      throw new Error(`${what}: not reached before the deadline${last ? ` (last error: ${last})` : ''}`);
    if (now() - t0 < 1000) {
      await sleep(Math.round(pause / 2 + Math.random() * (pause / 2)), opts.signal);
      pause = Math.min(pause * 2, 1000);
    } else pause = 50;
  }
}

const rank: Record<HealthStatus, number> = { red: 0, yellow: 1, green: 2 };
export function statusAtLeast(s: HealthStatus, min: HealthStatus): boolean {
  return rank[s] >= rank[min];
}

/**
 * G0: the cluster is at least `minStatus`, no relocating/initializing shards, at least `expectedNodes` nodes,
 * and allocation is at its default (or was set by us: `ourAllocation`). Waits up to `timeout` server-side.
 */
export async function gatePreflight(
  es: EsApi,
  o: { minStatus: HealthStatus; expectedNodes?: number; timeout: string; ourAllocation?: string },
): Promise<ClusterHealth> {
  const h = await clusterHealth(es, {
    waitForStatus: o.minStatus,
    waitForNoRelocatingShards: true,
    waitForNoInitializingShards: true,
    waitForNodes: o.expectedNodes ? `>=${o.expectedNodes}` : undefined,
    timeout: o.timeout,
  });
  const problems: string[] = [];
  if (!statusAtLeast(h.status, o.minStatus))
    problems.push(`status is ${h.status} (need ${o.minStatus}; ${h.unassigned_shards} unassigned shards)`);
  if (h.relocating_shards > 0) problems.push(`${h.relocating_shards} shards relocating`);
  if (h.initializing_shards > 0) problems.push(`${h.initializing_shards} shards initializing`);
  if (o.expectedNodes && h.number_of_nodes < o.expectedNodes)
    problems.push(`${h.number_of_nodes} of ${o.expectedNodes} nodes present`);
  if (problems.length) {
    throw new GateError(
      'G0',
      `[${es.label}] not safe to restart a node: ${problems.join(', ')}; fix the cluster first (GET /_cluster/allocation/explain)`,
      h,
    );
  }
  const alloc = allocationEnable(await getClusterSettings(es));
  if (alloc !== 'all' && alloc !== o.ourAllocation) {
    throw new GateError(
      'G0',
      `[${es.label}] ${ALLOCATION_ENABLE} is "${alloc}": another maintenance seems to be in progress; ` +
        `if not, reset it with PUT /_cluster/settings {"persistent":{"${ALLOCATION_ENABLE}":null}}`,
      h,
    );
  }
  return h;
}

/** G2: the node id is gone from _cat/nodes (asked through another node). */
export async function waitNodeGone(es: EsApi, nodeId: string, expectedNodes: number, opts: WaitOptions): Promise<void> {
  await pollUntil(`node ${nodeId} leaving the cluster`, opts, async () => {
    const nodes = await catNodes(es);
    if (!nodes.some((n) => n.id === nodeId)) return true;
    // Server-side wait until the node count drops, then look again.
    const h = await clusterHealth(es, { waitForNodes: `<=${expectedNodes - 1}`, timeout: waitSeconds(opts, 5) });
    opts.onPoll?.(`waiting for the node to leave (${h.number_of_nodes} nodes)`, h);
    return undefined;
  });
}

/** G4: a node with the same id (and name) is back in _cat/nodes. A new id means the data path changed. */
export async function waitNodeBack(
  es: EsApi,
  nodeId: string,
  nodeName: string,
  expectedNodes: number,
  opts: WaitOptions,
): Promise<CatNode> {
  return pollUntil(`node ${nodeName} (${nodeId}) rejoining`, opts, async () => {
    const nodes = await catNodes(es);
    const same = nodes.find((n) => n.id === nodeId);
    if (same) return same;
    const renamed = nodes.find((n) => n.name === nodeName);
    if (renamed) {
      throw new GateError(
        'G4',
        `[${es.label}] node ${nodeName} came back with a different id (${renamed.id}, was ${nodeId}): ` +
          'its data path changed; check path.data in its elasticsearch.yml',
      );
    }
    const h = await clusterHealth(es, { waitForNodes: `>=${expectedNodes}`, timeout: waitSeconds(opts, 5) });
    opts.onPoll?.(`waiting for ${nodeName} to rejoin (${h.number_of_nodes}/${expectedNodes} nodes)`, h);
    return undefined;
  });
}

/** G7: at least `minStatus` with no relocating or initializing shards, by server-side wait_for_status. */
export async function waitRecovered(es: EsApi, minStatus: HealthStatus, opts: WaitOptions): Promise<ClusterHealth> {
  return pollUntil(`cluster ${minStatus}`, opts, async () => {
    const h = await clusterHealth(es, {
      waitForStatus: minStatus,
      waitForNoRelocatingShards: true,
      waitForNoInitializingShards: true,
      // 10 s server-side waits: a wait line every 10 s while the shards recover.
      timeout: waitSeconds(opts, 10),
    });
    if (!h.timed_out && statusAtLeast(h.status, minStatus) && h.relocating_shards === 0 && h.initializing_shards === 0)
      return h;
    opts.onPoll?.(
      `${h.status}, ${h.initializing_shards} initializing, ${h.relocating_shards} relocating, ${h.unassigned_shards} unassigned`,
      h,
    );
    return undefined;
  });
}
