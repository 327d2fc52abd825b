// Cluster coordination, simulated through the cluster folder: each running node writes a heartbeat file
// members/<node-id>.json (every 500 ms; removed at clean shutdown); a member is live while its file is fresh and
// its process exists. `reconcile()` is ES's master work reduced to what the lab needs: elect a master among live
// master-eligible nodes (kept until it leaves), fail shard copies of departed nodes (promoting a started replica),
// allocate unassigned copies as `cluster.routing.allocation.enable` allows (replicas of a departed node wait for it
// for index.unassigned.node_left.delayed_timeout), and finish recoveries after the configured duration.
// Health (green/yellow/red) is derived from the shard copies, as ES does.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterState, FlatSettings, IndexState, ShardCopy } from './state.js';
import { esUuid } from './state.js';
import { isAlive } from '../../hosts/process.js';

export const HEARTBEAT_MS = 500;
// A live process whose heartbeat is older than this is treated as hung and leaves the cluster (ES's follower
// checks drop an unresponsive node after about 3 × 10 s; a dead process leaves at once).
const STALE_MS = 10_000;

export interface MemberInfo {
  id: string;
  name: string;
  pid: number;
  /** Loopback address of the node (host and ip). */
  address: string;
  version: string;
  roles: string[];
  attributes: Record<string, string>;
  httpPort: number;
  transportPort: number;
  remoteClusterPort: number | null;
  /** elasticsearch.yml settings (flat, no secure settings) for GET /_nodes/settings. */
  settings: FlatSettings;
  startedAt: number;
  heartbeatAt: number;
  /** Fault: recoveries onto this node do not finish while set. */
  stallRecovery: boolean;
}

function membersDir(clusterDir: string): string {
  return join(clusterDir, 'members');
}

export function writeHeartbeat(clusterDir: string, info: MemberInfo): void {
  const dir = membersDir(clusterDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${info.id}.json`);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...info, heartbeatAt: Date.now() }));
  renameSync(tmp, file);
}

export function removeHeartbeat(clusterDir: string, nodeId: string): void {
  rmSync(join(membersDir(clusterDir), `${nodeId}.json`), { force: true });
}

/** Live members, sorted by node name. */
export function readMembers(clusterDir: string, now = Date.now()): MemberInfo[] {
  const dir = membersDir(clusterDir);
  if (!existsSync(dir)) return [];
  const out: MemberInfo[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json')) continue;
    try {
      const m = JSON.parse(readFileSync(join(dir, f), 'utf8')) as MemberInfo;
      if (now - m.heartbeatAt < STALE_MS && isAlive(m.pid)) out.push(m);
    } catch {
      /* being rewritten or removed */
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export function isMasterEligible(m: Pick<MemberInfo, 'roles'>): boolean {
  return m.roles.includes('master');
}
export function isDataNode(m: Pick<MemberInfo, 'roles'>): boolean {
  return m.roles.some((r) => r === 'data' || r.startsWith('data_'));
}

export type AllocationEnable = 'all' | 'primaries' | 'new_primaries' | 'none';

export function allocationEnable(state: ClusterState): AllocationEnable {
  const key = 'cluster.routing.allocation.enable';
  const v = state.transient[key] ?? state.persistent[key] ?? 'all';
  return (typeof v === 'string' ? v.toLowerCase() : 'all') as AllocationEnable;
}

/** A new index: primaries INDEX_CREATED, allocated by the next reconcile. */
export function createIndex(
  state: ClusterState,
  name: string,
  shards: number,
  replicas: number,
  now = Date.now(),
): IndexState {
  const copies: ShardCopy[] = [];
  for (let s = 0; s < shards; s++) {
    for (let r = 0; r <= replicas; r++) {
      copies.push({
        shard: s,
        primary: r === 0,
        state: 'UNASSIGNED',
        node: null,
        dataNode: null,
        unassignedAt: now,
        unassignedReason: 'INDEX_CREATED',
      });
    }
  }
  const index: IndexState = {
    uuid: esUuid(),
    numberOfShards: shards,
    numberOfReplicas: replicas,
    creationDate: now,
    shards: copies,
  };
  state.indices[name] = index;
  return index;
}

/**
 * One round of master work over the live members; mutates `state`. Deterministic given (state, members, now),
 * so any node may run it under the state lock.
 */
export function reconcile(state: ClusterState, members: MemberInfo[], now = Date.now()): void {
  const live = new Map(members.map((m) => [m.id, m]));
  // Master: stable while alive; else the live master-eligible node that started first (ties: id).
  if (!state.masterNodeId || !live.has(state.masterNodeId)) {
    const eligible = members
      .filter(isMasterEligible)
      .sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id));
    // A majority of the master-eligible nodes seen in the state must be present; the lab keeps it simple and
    // elects as soon as one is live (3-node clusters lose at most one node at a time in rolling restarts).
    state.masterNodeId = eligible[0]?.id ?? null;
  }
  if (!state.masterNodeId) return; // no master: nothing is allocated (ES: master_not_discovered)

  const enable = allocationEnable(state);
  const dataNodes = members.filter(isDataNode);
  const recoveryMs = state.lab?.recoveryMs ?? 1000;
  const delayedMs = state.lab?.nodeLeftDelayedTimeoutMs ?? 60_000;

  for (const index of Object.values(state.indices)) {
    // 1. copies on departed nodes fail; relocations towards departed nodes are cancelled
    for (const c of index.shards) {
      if (c.state === 'RELOCATING' && c.relocatingTo && !live.has(c.relocatingTo)) {
        c.state = 'STARTED';
        c.relocatingTo = undefined;
        c.readyAt = undefined;
      }
      if (c.node && !live.has(c.node)) {
        c.relocatingTo = undefined;
        c.state = 'UNASSIGNED';
        c.node = null;
        c.readyAt = undefined;
        c.unassignedAt = now;
        c.unassignedReason = 'NODE_LEFT';
      }
    }
    for (let s = 0; s < index.numberOfShards; s++) {
      const copies = index.shards.filter((c) => c.shard === s);
      let primary = copies.find((c) => c.primary)!;
      // 2. promote a started replica when the primary is gone
      if (primary.state === 'UNASSIGNED' && primary.dataNode !== null) {
        const started = copies.find((c) => !c.primary && c.state === 'STARTED');
        if (started) {
          primary.primary = false;
          started.primary = true;
          primary = started;
        }
      }
      // 3. allocate
      for (const c of copies) {
        if (c.state !== 'UNASSIGNED') continue;
        const isNew = c.unassignedReason === 'INDEX_CREATED';
        if (c.primary) {
          if (!(enable === 'all' || enable === 'primaries' || (enable === 'new_primaries' && isNew))) continue;
          // An existing primary can only come back where its data is; a new one goes to the least loaded node.
          const target = c.dataNode ? live.get(c.dataNode) : leastLoaded(state, dataNodes, copies);
          if (!target || !isDataNode(target)) continue;
          assign(c, target, now, isNew ? 0 : Math.min(recoveryMs, 200));
        } else {
          if (enable !== 'all') continue;
          if (primary.state !== 'STARTED') continue; // replicas recover from an active primary
          const holders = new Set(copies.flatMap((x) => [x.node, x.relocatingTo]).filter(Boolean));
          let target = c.dataNode && !holders.has(c.dataNode) ? live.get(c.dataNode) : undefined;
          if (!target) {
            // delayed allocation: wait for the departed node before copying the data elsewhere
            if (c.unassignedReason === 'NODE_LEFT' && c.dataNode && now - (c.unassignedAt ?? now) < delayedMs) continue;
            target = leastLoaded(
              state,
              dataNodes.filter((m) => !holders.has(m.id)),
              copies,
            );
          }
          if (!target) continue;
          assign(c, target, now, recoveryMs);
        }
      }
      // 4. recoveries and relocations finish (unless the target node stalls recoveries)
      for (const c of copies) {
        if (c.state === 'RELOCATING') {
          if (live.get(c.relocatingTo!)?.stallRecovery) continue;
          if (c.readyAt === undefined) c.readyAt = now + recoveryMs;
          if (c.readyAt <= now) {
            c.node = c.relocatingTo!;
            c.dataNode = c.node;
            c.relocatingTo = undefined;
            c.state = 'STARTED';
            c.readyAt = undefined;
          }
          continue;
        }
        if (c.state !== 'INITIALIZING') continue;
        const node = c.node ? live.get(c.node) : undefined;
        if (node?.stallRecovery) {
          c.readyAt = undefined;
          continue;
        }
        if (c.readyAt === undefined) c.readyAt = now + recoveryMs;
        if (c.readyAt <= now) {
          c.state = 'STARTED';
          c.readyAt = undefined;
          c.dataNode = c.node;
          c.unassignedAt = undefined;
          c.unassignedReason = undefined;
        }
      }
    }
  }
  rebalance(state, dataNodes, now, recoveryMs);
}

/**
 * Rebalancing, as ES's balanced allocator does it in spirit: once every shard is active, and allocation and
 * rebalancing are enabled, move one copy at a time from the most to the least loaded data node (relocation:
 * the source copy stays active, `relocating_shards` counts it, health stays green).
 */
function rebalance(state: ClusterState, dataNodes: MemberInfo[], now: number, recoveryMs: number): void {
  const rebalanceSetting = String(
    state.transient['cluster.routing.rebalance.enable'] ??
      state.persistent['cluster.routing.rebalance.enable'] ??
      'all',
  );
  if (rebalanceSetting === 'none' || allocationEnable(state) !== 'all' || dataNodes.length < 2) return;
  const copies = Object.values(state.indices).flatMap((idx) => idx.shards.map((c) => ({ idx, c })));
  if (copies.some(({ c }) => c.state !== 'STARTED')) return; // allow_rebalance: indices_all_active
  const load = new Map(dataNodes.map((m) => [m.id, 0]));
  for (const { c } of copies) if (c.node && load.has(c.node)) load.set(c.node, load.get(c.node)! + 1);
  const sorted = [...load.entries()].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  const [minNode, min] = sorted[0]!;
  const [maxNode, max] = sorted[sorted.length - 1]!;
  if (max - min < 2) return;
  const candidate = copies
    .filter(({ c }) => c.node === maxNode)
    .sort((a, b) => Number(a.c.primary) - Number(b.c.primary))
    .find(({ idx, c }) => !idx.shards.some((o) => o.shard === c.shard && o.node === minNode));
  if (!candidate) return;
  candidate.c.state = 'RELOCATING';
  candidate.c.relocatingTo = minNode;
  candidate.c.readyAt = now + recoveryMs;
}

function assign(c: ShardCopy, node: MemberInfo, now: number, recoveryMs: number): void {
  c.state = 'INITIALIZING';
  c.node = node.id;
  c.readyAt = node.stallRecovery ? undefined : now + recoveryMs;
}

function leastLoaded(state: ClusterState, candidates: MemberInfo[], exclude: ShardCopy[]): MemberInfo | undefined {
  const holders = new Set(exclude.map((c) => c.node).filter(Boolean));
  const load = new Map<string, number>();
  for (const idx of Object.values(state.indices))
    for (const c of idx.shards) if (c.node) load.set(c.node, (load.get(c.node) ?? 0) + 1);
  return candidates
    .filter((m) => !holders.has(m.id))
    .sort((a, b) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0) || a.name.localeCompare(b.name))[0];
}

/** The next time a recovery or delayed allocation changes the state (for waits without polling too often). */
export function nextStateChangeAt(state: ClusterState): number | undefined {
  let next: number | undefined;
  const delayedMs = state.lab?.nodeLeftDelayedTimeoutMs ?? 60_000;
  for (const idx of Object.values(state.indices)) {
    for (const c of idx.shards) {
      const t =
        c.state === 'INITIALIZING' || c.state === 'RELOCATING'
          ? c.readyAt
          : c.state === 'UNASSIGNED' && c.unassignedReason === 'NODE_LEFT'
            ? (c.unassignedAt ?? 0) + delayedMs
            : undefined;
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
  }
  return next;
}

export type HealthStatus = 'green' | 'yellow' | 'red';

export interface ClusterHealth {
  cluster_name: string;
  status: HealthStatus;
  timed_out: boolean;
  number_of_nodes: number;
  number_of_data_nodes: number;
  active_primary_shards: number;
  active_shards: number;
  relocating_shards: number;
  initializing_shards: number;
  unassigned_shards: number;
  delayed_unassigned_shards: number;
  number_of_pending_tasks: number;
  number_of_in_flight_fetch: number;
  task_max_waiting_in_queue_millis: number;
  active_shards_percent_as_number: number;
}

export function computeHealth(state: ClusterState, members: MemberInfo[], now = Date.now()): ClusterHealth {
  let activePrimaries = 0;
  let active = 0;
  let initializing = 0;
  let unassigned = 0;
  let delayed = 0;
  let relocating = 0;
  let total = 0;
  let status: HealthStatus = 'green';
  const delayedMs = state.lab?.nodeLeftDelayedTimeoutMs ?? 60_000;
  for (const idx of Object.values(state.indices)) {
    for (const c of idx.shards) {
      total++;
      if (c.state === 'STARTED' || c.state === 'RELOCATING') {
        active++;
        if (c.primary) activePrimaries++;
        if (c.state === 'RELOCATING') relocating++;
      } else {
        if (c.state === 'INITIALIZING') initializing++;
        else {
          unassigned++;
          if (!c.primary && c.unassignedReason === 'NODE_LEFT' && now - (c.unassignedAt ?? now) < delayedMs) delayed++;
        }
        if (c.primary) status = 'red';
        else if (status === 'green') status = 'yellow';
      }
    }
  }
  return {
    cluster_name: state.clusterName,
    status,
    timed_out: false,
    number_of_nodes: members.length,
    number_of_data_nodes: members.filter(isDataNode).length,
    active_primary_shards: activePrimaries,
    active_shards: active,
    relocating_shards: relocating,
    initializing_shards: initializing,
    unassigned_shards: unassigned,
    delayed_unassigned_shards: delayed,
    number_of_pending_tasks: 0,
    number_of_in_flight_fetch: 0,
    task_max_waiting_in_queue_millis: 0,
    active_shards_percent_as_number: total === 0 ? 100.0 : (active / total) * 100,
  };
}
