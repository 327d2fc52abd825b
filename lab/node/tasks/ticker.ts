// Runs the local cluster's cross-cluster tasks on the elected master, about every 0.5 s: each running task reads
// through its alias with its owner's privileges (RCS1: role names evaluated by the remote; RCS2: local
// remote_indices ∩ the key's access, evaluated by the remote). A failed read fails the task the way ES does and
// counts a disruption for this cluster (counters.disruptions + counters.disruption_log).
import type { NodePlugin, NodeRuntime } from '../runtime.js';
import type { ClusterState } from '../cluster/state.js';
import { remoteConnections, type RemoteConnectionManager } from '../remote/manager.js';
import { SEARCH, SHARD_CHANGES } from '../remote/fulfil.js';
import { remoteTargets, splitIndexExpression } from '../remote/index-expr.js';
import { subjectFor, type Identity } from '../remote/subject.js';
import { RemoteError } from '../remote/wire.js';
import { patternMatches } from '../security/privileges.js';
import { DEFAULT_FOLLOW_PARAMETERS, addFollower, countersOf, recordDisruption, tasksOf } from './model.js';
import type { Disruption, TaskOwner, TasksState } from './types.js';

export const TICK_MS = 500;

/** ES prints the exception class in task failure reasons. */
function javaClassOf(type: string): string {
  const known: Record<string, string> = {
    security_exception: 'org.elasticsearch.ElasticsearchSecurityException',
    no_such_remote_cluster_exception: 'org.elasticsearch.transport.NoSuchRemoteClusterException',
    index_not_found_exception: 'org.elasticsearch.index.IndexNotFoundException',
    connect_transport_exception: 'org.elasticsearch.transport.ConnectTransportException',
  };
  return known[type] ?? `org.elasticsearch.ElasticsearchException[${type}]`;
}
const DEFAULT_TRANSFORM_RETRIES = 10;

export function identityOf(o: TaskOwner): Identity {
  return o.kind === 'roles'
    ? { kind: 'roles', username: o.username, roles: o.roles }
    : {
        kind: 'api_key',
        username: o.username,
        id: o.id,
        role_descriptors: o.role_descriptors,
        limited_by: o.limited_by,
      };
}

type ReadOutcome =
  | { ok: true; docs: number; indices: string[] }
  | { ok: false; type: string; reason: string; status: number };

/** Irrecoverable for a transform (ES: 4xx root causes fail the task at once; others are retried). */
function irrecoverable(o: { status: number }): boolean {
  return [400, 401, 403, 404].includes(o.status);
}

/** Reads `exprs` (local and remote) as `owner` through the node's connections. */
/** `background`: a periodic task read (a failing remote is retried at most once a second); else an API call. */
export async function readThrough(
  mgr: RemoteConnectionManager,
  state: ClusterState,
  owner: TaskOwner,
  exprs: string[],
  action: string,
  background = true,
): Promise<ReadOutcome> {
  const aliases = mgr.configuredAliases(state).map((a) => a.alias);
  const targets = remoteTargets(exprs, aliases);
  // A concrete alias that is not configured (any more): ES's NoSuchRemoteClusterException.
  for (const e of exprs) {
    const s = splitIndexExpression(e);
    if (s.exclusion || s.cluster === null) continue;
    if (!s.cluster.includes('*') && !aliases.includes(s.cluster))
      return {
        ok: false,
        type: 'no_such_remote_cluster_exception',
        reason: `no such remote cluster: [${s.cluster}]`,
        status: 404,
      };
    if (s.cluster.includes('*') && !aliases.some((a) => patternMatches(s.cluster!, a)))
      return { ok: false, type: 'index_not_found_exception', reason: `no such index [${e}]`, status: 404 };
  }
  let docs = 0;
  const indices: string[] = [];
  for (const [alias, idx] of targets) {
    try {
      const subject = subjectFor(state.security, identityOf(owner), alias, mgr.modelOf(alias), action);
      const ans = (await mgr.request(alias, action, { subject, indices: idx }, { background })) as {
        docs: number;
        indices: string[];
      };
      docs += ans.docs;
      indices.push(...ans.indices.map((i) => `${alias}:${i}`));
    } catch (e) {
      if (e instanceof RemoteError) return { ok: false, type: e.type, reason: e.reason, status: e.status };
      return { ok: false, type: 'exception', reason: (e as Error).message, status: 500 };
    }
  }
  return { ok: true, docs, indices };
}

function leaderIndexFromPattern(pattern: string, leader: string): string {
  return pattern.replace(/\{\{\s*leader_index\s*\}\}/g, leader);
}

export class TaskTicker implements NodePlugin {
  readonly name = 'task-ticker';
  private rt!: NodeRuntime;
  private timer?: NodeJS.Timeout;
  private running = false;
  private stopped = false;

  start(rt: NodeRuntime): void {
    this.rt = rt;
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        void this.tick().finally(loop);
      }, TICK_MS);
      this.timer.unref();
    };
    loop();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** One round over every running task; only the elected master runs tasks (ES: persistent task executor). */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const mgr = remoteConnections();
      if (!mgr) return;
      const state = this.rt.state();
      if (state.masterNodeId !== this.rt.nodeId) return;
      const t = tasksOf(state);
      const work: Array<
        Promise<(t: TasksState, s: ClusterState, disrupt: (d: Omit<Disruption, 'at' | 'cluster'>) => void) => void>
      > = [];

      for (const tr of Object.values(t.transforms)) {
        if (tr.state !== 'started' && tr.state !== 'indexing') continue;
        work.push(
          readThrough(mgr, state, tr.owner, tr.config.source.index as string[], SEARCH).then(
            (o) => (tt, _s, disrupt) => {
              const x = tt.transforms[tr.id];
              if (!x || (x.state !== 'started' && x.state !== 'indexing')) return;
              if (o.ok) {
                x.checkpoint += 1;
                x.lastCheckpointMs = Date.now();
                x.failureStreak = 0;
                return;
              }
              if (x.failureStreak === 0) disrupt({ task_type: 'transform', task_id: x.id, reason: o.reason });
              x.failureStreak += 1;
              const retries = Number(
                (x.config.settings as Record<string, unknown> | undefined)?.num_failure_retries ??
                  DEFAULT_TRANSFORM_RETRIES,
              );
              if (irrecoverable(o)) {
                x.state = 'failed';
                x.reason = `task encountered irrecoverable failure: ${javaClassOf(o.type)}: ${o.reason}`;
              } else if (retries >= 0 && x.failureStreak > retries) {
                x.state = 'failed';
                x.reason = `task encountered more than ${retries} failures; latest failure: ${o.reason}`;
              }
            },
          ),
        );
      }

      for (const df of Object.values(t.datafeeds)) {
        if (df.state !== 'started') continue;
        work.push(
          readThrough(mgr, state, df.owner, df.config.indices, SEARCH).then((o) => (tt, _s, disrupt) => {
            const d = tt.datafeeds[df.datafeed_id];
            if (d?.state !== 'started') return;
            if (o.ok) {
              d.searchCount += 1;
              return;
            }
            disrupt({ task_type: 'datafeed', task_id: d.datafeed_id, reason: o.reason });
            d.state = 'stopped';
            delete d.node;
            d.lastError = `[${d.datafeed_id}] failed to search: ${o.reason}`;
          }),
        );
      }

      for (const f of Object.values(t.followers)) {
        if (f.status !== 'active' || f.fatal_exception) continue;
        work.push(
          readThrough(mgr, state, f.owner, [`${f.remote_cluster}:${f.leader_index}`], SHARD_CHANGES).then(
            (o) => (tt, _s, disrupt) => {
              const x = tt.followers[f.follower_index];
              if (x?.status !== 'active' || x.fatal_exception) return;
              if (o.ok) {
                x.operations_read += o.docs;
                x.successful_read_requests += 1;
                x.lastReadMs = Date.now();
                x.read_exceptions = [];
                return;
              }
              if (x.read_exceptions.length === 0)
                disrupt({ task_type: 'follower', task_id: x.follower_index, reason: o.reason });
              x.failed_read_requests += 1;
              if (irrecoverable(o) && o.type !== 'no_such_remote_cluster_exception')
                x.fatal_exception = { type: o.type, reason: o.reason };
              else {
                const prev = x.read_exceptions[0];
                x.read_exceptions = [
                  {
                    from_seq_no: Math.max(0, x.operations_read),
                    retries: (prev?.retries ?? 0) + 1,
                    exception: { type: o.type, reason: o.reason },
                  },
                ];
              }
            },
          ),
        );
      }

      for (const p of Object.values(t.autoFollowPatterns)) {
        if (!p.active) continue;
        const exprs = p.leader_index_patterns.map((lp) => `${p.remote_cluster}:${lp}`);
        work.push(
          readThrough(mgr, state, p.owner, exprs, SHARD_CHANGES).then((o) => (tt, s, disrupt) => {
            const x = tt.autoFollowPatterns[p.name];
            if (!x?.active) return;
            if (!o.ok) {
              if (tt.autoFollowStats.recentErrors.every((e) => e.leader_index !== x.remote_cluster))
                disrupt({ task_type: 'auto_follow', task_id: x.name, reason: o.reason });
              tt.autoFollowStats.failedRemoteClusterStateRequests += 1;
              tt.autoFollowStats.recentErrors = [
                {
                  leader_index: x.remote_cluster,
                  timestamp: Date.now(),
                  auto_follow_exception: { type: o.type, reason: o.reason },
                },
              ];
              return;
            }
            tt.autoFollowStats.recentErrors = tt.autoFollowStats.recentErrors.filter(
              (e) => e.leader_index !== x.remote_cluster,
            );
            for (const qualified of o.indices) {
              const leader = qualified.slice(qualified.indexOf(':') + 1);
              if (x.leader_index_exclusion_patterns.some((ex) => patternMatches(ex, leader))) continue;
              if (
                Object.values(tt.followers).some(
                  (f) => f.remote_cluster === x.remote_cluster && f.leader_index === leader,
                )
              )
                continue;
              const name = leaderIndexFromPattern(x.follow_index_pattern ?? '{{leader_index}}', leader);
              if (tt.followers[name] || s.indices[name]) continue;
              addFollower(tt, s, {
                follower_index: name,
                remote_cluster: x.remote_cluster,
                leader_index: leader,
                // The pattern's own follow parameters, ES's defaults for the others (docs/es-behaviour.md §6).
                parameters: { ...DEFAULT_FOLLOW_PARAMETERS, ...(x.parameters ?? {}) },
                owner: x.owner,
                pattern: x.name,
              });
              tt.autoFollowStats.successful += 1;
            }
          }),
        );
      }

      if (work.length === 0) return;
      const appliers = await Promise.all(work);
      // The node began stopping while these reads were in flight (its remote connections closed under them): ES
      // cancels a stopping node's persistent tasks and another node takes them over, so nothing failed.
      if (this.stopped) return;
      await this.rt.updateState((s) => {
        if (this.stopped) return;
        const tt = tasksOf(s);
        const counters = countersOf(s);
        const now = Date.now();
        const disrupt = (d: Omit<Disruption, 'at' | 'cluster'>) => {
          recordDisruption(counters, { at: now, cluster: s.clusterName, ...d });
          this.rt.log(
            'WARN',
            d.task_type === 'transform'
              ? 'o.e.x.t.t.TransformTask'
              : d.task_type === 'datafeed'
                ? 'o.e.x.m.d.DatafeedJob'
                : 'o.e.x.c.a.ShardFollowNodeTask',
            `[${d.task_id}] ${d.task_type} failed to read through the remote cluster: ${d.reason}`,
          );
        };
        for (const apply of appliers) apply(tt, s, disrupt);
      });
    } catch (e) {
      this.rt.log('WARN', 'o.e.x.c.TaskTicker', `task tick failed: ${(e as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
