// es_rolling_restart: restarts, one at a time and health-gated, the nodes whose files changed in this play
// (ctx.changedFiles), plus `hosts` and every play host with `force`, plus nodes a previous run left pending.
// Order: non-master-eligible first, the elected master last. Check mode lists the nodes in order.
// Use with run_once: true; a second call in the same play finds nothing left to restart.
import type { AgentClient } from '../../../agent/protocol.js';
import type { Change, Resource, TaskContext } from '../contract.js';
import { FAILED_HOST, ModuleError, PartialApplyError, pendingRestartKey } from '../contract.js';
import { lazyVars } from '../core/lang.js';
import { esForNode, esForVars } from '../../elastic/client.js';
import { clusterHealth, setAllocation } from '../../elastic/api/cluster.js';
import type { EsApi } from '../../elastic/types.js';
import {
  planRestart,
  runRollingRestart,
  RollingRestartError,
  resolveTimeouts,
  type RollingRestartReport,
  type HostOps,
  type RestartTimeouts,
  type PlannedNode,
  type RestartTarget,
} from '../../elastic/rolling-restart.js';
import { scratchOf } from './run-secrets.js';

export interface RollingRestartArgs {
  hosts?: string[];
  force: boolean;
  min_status: 'green' | 'yellow';
  window_end?: string;
  first_estimate?: number;
  leave_timeout?: number;
  join_timeout?: number;
  green_timeout?: number;
  verify_port?: number;
  verify_host_var: string;
  verify_timeout: number;
}

export interface RollingRestartCurrent {
  plan: PlannedNode[];
  targets: RestartTarget[];
  pendingKey: string;
  windowEnd?: number;
}

/**
 * One planned node restart, in plan order (non-master-eligible first, the elected master last; the engine still
 * re-checks the elected master before every node): the host, the node as planned (node id '' when an interrupted
 * run of ours left it stopped: apply starts it and finds it again by name or `ip`) with the files it is restarted
 * for (restored when it does not come back).
 */
export interface RestartOp {
  kind: 'restart';
  host: string;
  node: PlannedNode;
  /** Fallback match in _cat/nodes when the node was not in the cluster at planning time. */
  ip?: string;
}

type Files = RestartTarget['files'];

/** Files by path, the first backup of each kept (it holds the content from before this change). */
function mergeFiles(a: Files, b: Files): Files {
  const byPath = new Map<string, Files[number]>();
  for (const f of [...b, ...a])
    if (!byPath.has(f.path) || (!byPath.get(f.path)!.backupPath && f.backupPath)) byPath.set(f.path, f);
  return [...byPath.values()];
}

function pendingKeyOf(vars: Record<string, unknown>): string {
  return `rolling_restart/pending/${String(vars.es_url ?? 'cluster')}`;
}
function allocationKeyOf(vars: Record<string, unknown>): string {
  return `rolling_restart/allocation/${String(vars.es_url ?? 'cluster')}`;
}

/** "2026-11-28T06:30:00Z", epoch ms, or "HH:MM" (UTC, today or tomorrow). */
export function parseWindowEnd(v: string | number, now = Date.now()): number {
  if (typeof v === 'number' || /^\d{10,}$/.test(String(v))) return Number(v);
  const hm = /^(\d{1,2}):(\d{2})$/.exec(String(v).trim());
  if (hm) {
    const d = new Date(now);
    d.setUTCHours(Number(hm[1]), Number(hm[2]), 0, 0);
    if (d.getTime() <= now) d.setUTCDate(d.getUTCDate() + 1);
    return d.getTime();
  }
  const t = Date.parse(String(v));
  if (Number.isNaN(t))
    throw new ModuleError(
      `es_rolling_restart: window_end "${v}" is not a time (use an ISO date-time like 2026-11-28T06:30:00Z, or HH:MM in UTC)`,
    );
  return t;
}

function serviceArgv(vars: Record<string, unknown>): string[] | undefined {
  const c = vars.es_service_command;
  if (c === undefined || c === null || c === '') return undefined;
  if (Array.isArray(c)) return c.map(String);
  return [String(c)];
}

function hostOps(ctx: TaskContext, t: RestartTimeouts): HostOps {
  const service = async (host: string, action: 'start' | 'stop', timeoutMs: number) => {
    const vars = ctx.hostVars(host);
    const agent: AgentClient = await ctx.agentFor(host);
    const name = String(vars.es_service_name ?? 'elasticsearch');
    const command = serviceArgv(vars);
    const r = await agent.call('service', { name, action, ...(command ? { command } : {}), timeoutMs });
    if (r.rc !== 0) {
      const out = (r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n    ');
      throw new Error(`${host}: service ${action} ${name} failed (rc ${r.rc})${out ? `:\n    ${out}` : ''}`);
    }
  };
  return {
    stop: (host) => service(host, 'stop', t.leaveMs),
    start: (host) => service(host, 'start', t.joinMs),
    async restoreFiles(host: string, files: Files) {
      const agent = await ctx.agentFor(host);
      const done: string[] = [];
      // Newest change first, so a file changed twice ends at its oldest backup.
      for (const f of [...files].reverse()) {
        if (f.backupPath) {
          await agent.call('file.restore', { path: f.path, backupPath: f.backupPath });
          done.push(f.path);
        } else {
          // Created in this play: it did not exist before.
          const r = await agent.call('file.remove', { path: f.path, backup: false });
          if (r.changed) done.push(`${f.path} (removed, it was new)`);
        }
      }
      return done;
    },
  };
}

/**
 * A run of ours killed in the middle of a restart can leave a node stopped and allocation at "primaries". Before
 * the gates ask for green: start every planned node that is not running (a no-op for the others), then put
 * allocation back and wait for green, so the restart continues from a healthy cluster. The hosts it starts are
 * added to `started` as it goes (so a failure after some of them still says which).
 */
async function recoverInterruptedRestart(
  ctx: TaskContext,
  hosts: string[],
  pendingKey: string,
  started: Set<string>,
): Promise<void> {
  const ours = ctx.state.get(allocationKeyOf(ctx.vars)) === 'primaries';
  if (!ours && !ctx.state.get<string[]>(pendingKey)?.length) return;
  for (const host of hosts) {
    const vars = ctx.hostVars(host);
    const agent = await ctx.agentFor(host);
    const name = String(vars.es_service_name ?? 'elasticsearch');
    const command = serviceArgv(vars);
    const st = await agent.call('service', { name, action: 'status', ...(command ? { command } : {}) });
    if (st.active) continue;
    ctx.journal.event('rolling_restart.recover_start', { host, reason: 'stopped by an interrupted run' });
    const r = await agent.call('service', {
      name,
      action: 'start',
      ...(command ? { command } : {}),
      timeoutMs: 300_000,
    });
    if (r.rc !== 0)
      throw new ModuleError(
        `${host}: a previous run left this node stopped and it does not start (rc ${r.rc}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}`,
      );
    started.add(host);
  }
  if (ours) {
    const es = clusterApi(ctx);
    await setAllocation(es, null);
    await ctx.state.delete(allocationKeyOf(ctx.vars));
    const h = await clusterHealth(es, { waitForStatus: 'green', waitForNoInitializingShards: true, timeout: '300s' });
    ctx.journal.event('rolling_restart.recovered', { allocation: null, status: h.status });
  }
}

/** A cluster API not served by `host`: another play host's own URL, else the cluster URL (es_url). */
/** Every node URL of this task's cluster (hosts sharing its es_url), play hosts first: failed or unreachable
 *  hosts leave the play but their nodes usually still answer HTTP. */
function clusterNodes(ctx: TaskContext): Array<{ host: string; vars: Record<string, unknown>; url: string }> {
  const groups = (ctx.vars.groups ?? {}) as Record<string, string[]>;
  const hosts = [...new Set([...ctx.playHosts, ...Object.values(groups).flat()])];
  const out: Array<{ host: string; vars: Record<string, unknown>; url: string }> = [];
  for (const h of hosts) {
    let hv: Record<string, unknown>;
    try {
      hv = h === ctx.host ? ctx.vars : ctx.hostVars(h);
    } catch {
      continue;
    }
    if (hv.es_url !== ctx.vars.es_url) continue;
    if (typeof hv.es_node_url === 'string' && hv.es_node_url) out.push({ host: h, vars: hv, url: hv.es_node_url });
  }
  return out;
}

/** A node that does not answer at all (refused, reset, timed out): try another one. */
function unreachableNode(e: unknown): boolean {
  const x = e as { status?: number; code?: string; message?: string };
  return (
    !x.status &&
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|socket hang up|timed? ?out/i.test(
      `${x.code ?? ''} ${x.message ?? ''}`,
    )
  );
}

/** The cluster API through the first node (other than `avoid`) that answers, then es_url. */
function clusterApi(ctx: TaskContext, avoid?: string): EsApi {
  const base = esForVars(ctx.vars);
  const candidates = [
    ...clusterNodes(ctx)
      .filter((n) => n.host !== avoid)
      .map((n) => esForNode(n.vars, n.url)),
    base,
  ];
  return {
    label: base.label,
    url: base.url,
    async request(req) {
      let last: unknown;
      for (const es of candidates) {
        try {
          return await es.request(req);
        } catch (e) {
          if (!unreachableNode(e)) throw e;
          last = e;
        }
      }
      throw last;
    },
  };
}

/** A cluster API not served by `host`: another node of the cluster that answers, else the cluster URL (es_url). */
function apiAvoiding(ctx: TaskContext): (host: string) => EsApi {
  return (host) => clusterApi(ctx, host);
}

/** G5 check: `port` answers on the node's address, asked from the node's own agent (no firewall in between). */
function portAnswers(
  ctx: TaskContext,
  port: number,
  hostVar: string,
  timeoutMs: number,
): (node: PlannedNode) => Promise<string> {
  return async (node) => {
    // Rendered: the variable may itself be a template (crosskey_rcs_publish_host: "{{ ansible_host }}").
    const hv = lazyVars(node.host === ctx.host ? ctx.vars : ctx.hostVars(node.host));
    const address = String(hv[hostVar] ?? hv.ansible_host ?? node.host);
    const agent = await ctx.agentFor(node.host);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ((await agent.call('port.check', { host: address, port, timeoutMs: 2000 })).open)
        return `${address}:${port} answers`;
      if (Date.now() >= deadline || ctx.signal.aborted)
        throw new Error(
          `${address}:${port} does not answer on ${node.host} ${Math.round(timeoutMs / 1000)} s after the node rejoined`,
        );
      await new Promise((r) => setTimeout(r, 500));
    }
  };
}

function targetFor(ctx: TaskContext, host: string, files: Files): RestartTarget {
  const hv = host === ctx.host ? ctx.vars : ctx.hostVars(host);
  let ip: string | undefined;
  if (typeof hv.es_node_url === 'string') {
    try {
      ip = new URL(hv.es_node_url).hostname;
    } catch {
      /* not a URL: no fallback */
    }
  }
  ip ??= typeof hv.ansible_host === 'string' ? hv.ansible_host : undefined;
  return { host, nodeName: String(hv.es_node_name ?? host), ip, files };
}

export const esRollingRestart: Resource<RollingRestartArgs, RollingRestartCurrent, RestartOp> = {
  name: 'es_rolling_restart',
  description: 'Health-gated rolling restart of the nodes whose files changed (elected master last)',
  runsOn: 'controller',
  changeNoun: ['restart', 'restarts'],
  schema: {
    hosts: { type: 'list', elements: 'string', description: 'also restart these hosts' },
    force: { type: 'boolean', default: false, description: 'restart every host of the play' },
    min_status: {
      type: 'string',
      choices: ['green', 'yellow'],
      default: 'green',
      description: 'health required before and after each node',
    },
    window_end: {
      type: 'string',
      description: 'no node restart starts that cannot finish before this time (default: var crosskey_window_end)',
    },
    first_estimate: {
      type: 'number',
      description: 'seconds one node restart takes, for the window check before anything was measured',
    },
    leave_timeout: { type: 'number', description: 'seconds for a node to leave after stop (default 120)' },
    join_timeout: { type: 'number', description: 'seconds for a node to rejoin after start (default 300)' },
    green_timeout: { type: 'number', description: 'seconds for the cluster to recover after a node (default 900)' },
    verify_port: {
      type: 'number',
      description:
        'G5: after each node rejoins, this port must answer on it (e.g. 9443) before the next node; else the node is restored like one that did not start',
    },
    verify_host_var: {
      type: 'string',
      default: 'ansible_host',
      description: 'host variable with the address to check verify_port on (default ansible_host, then the host name)',
    },
    verify_timeout: {
      type: 'number',
      default: 15,
      description: 'seconds for verify_port to answer (ES binds it before the node joins, so this is slack)',
    },
  },

  async read(ctx, args) {
    const pendingKey = pendingKeyOf(ctx.vars);
    // Checked before anything else, so a typo fails in check mode too.
    const windowRaw = args.window_end ?? (ctx.vars.crosskey_window_end as string | number | undefined);
    const windowEnd = windowRaw === undefined || windowRaw === '' ? undefined : parseWindowEnd(windowRaw);
    // Hosts restarted earlier in this play (the run's scratch): a repeated call is a no-op.
    const already = scratchOf(ctx).restartedInPlay.get(ctx.changedFiles) ?? new Set<string>();
    const known = new Set(ctx.playHosts);
    for (const h of args.hosts ?? []) {
      if (!known.has(h)) {
        try {
          ctx.hostVars(h);
        } catch {
          throw new ModuleError(`es_rolling_restart: hosts: "${h}" is not an inventory host of this play`);
        }
      }
    }
    const wanted = new Map<string, Files>();
    for (const [h, files] of ctx.changedFiles) if (files.length && known.has(h)) wanted.set(h, files);
    for (const h of args.hosts ?? []) if (!wanted.has(h)) wanted.set(h, ctx.changedFiles.get(h) ?? []);
    for (const h of ctx.state.get<string[]>(pendingKey) ?? [])
      if (!wanted.has(h) && known.has(h)) wanted.set(h, ctx.changedFiles.get(h) ?? []);
    // Files changed in earlier plays or runs that no restart has picked up yet (recorded by the executor).
    for (const h of ctx.playHosts) {
      const saved = ctx.state.get<Files>(pendingRestartKey(h));
      if (saved?.length) wanted.set(h, mergeFiles(wanted.get(h) ?? [], saved));
    }
    if (args.force) for (const h of ctx.playHosts) if (!wanted.has(h)) wanted.set(h, ctx.changedFiles.get(h) ?? []);
    for (const h of already) wanted.delete(h);
    if (wanted.size === 0) return { plan: [], targets: [], pendingKey, windowEnd };
    const order = ctx.playHosts.filter((h) => wanted.has(h)).concat([...wanted.keys()].filter((h) => !known.has(h)));
    const targets = order.map((h) => targetFor(ctx, h, wanted.get(h)!));
    // A run of ours killed mid-restart may have left a node stopped: plan it anyway (apply starts it first).
    const interrupted =
      ctx.state.get(allocationKeyOf(ctx.vars)) === 'primaries' || !!ctx.state.get<string[]>(pendingKey)?.length;
    const plan = await planRestart(clusterApi(ctx), targets, { absentOk: interrupted });
    return { plan, targets, pendingKey, windowEnd };
  },

  diff(current): Change<RestartOp>[] {
    const ipOf = new Map(current.targets.map((t) => [t.host, t.ip]));
    return current.plan.map((n, i) => {
      const ip = ipOf.get(n.host);
      return {
        target: `${n.host} (node ${n.nodeName})`,
        action: 'restart',
        after: {
          order: i + 1,
          master_eligible: n.masterEligible,
          elected_master: n.elected,
          files: n.files.map((f) => f.path),
        },
        op: { kind: 'restart', host: n.host, node: n, ...(ip !== undefined ? { ip } : {}) },
      };
    });
  },

  report(current) {
    return {
      order: current.plan.map((n) => n.host),
      msg: current.plan.length
        ? `would restart in order: ${current.plan.map((n) => n.host).join(', ')}`
        : 'no node needs a restart',
    };
  },

  async apply(ctx, args, plan, current) {
    const ops = plan.map((c) => c.op!);
    // The planned changes performed, in plan order: the nodes restarted, and those the recovery started.
    const performed = new Set<string>();
    const applied = () => plan.filter((c) => performed.has(c.op!.host));
    // Stopping: part-way when some planned changes were performed, else a plain failure (same message and data).
    const stopped = (message: string, data?: Record<string, unknown>) =>
      performed.size ? new PartialApplyError(message, applied(), data) : new ModuleError(message, data);
    // Any other error after some nodes were restarted or started: they are reported with it (an unreachable host
    // stays what it is).
    const failed = (e: unknown) =>
      performed.size && (e as Error)?.name !== 'UnreachableError'
        ? stopped(e instanceof Error ? e.message : String(e), e instanceof ModuleError ? e.data : undefined)
        : e;
    // A node started by the recovery has just loaded its new files: it needs no second restart.
    const started = new Set<string>();
    try {
      await recoverInterruptedRestart(
        ctx,
        ops.map((o) => o.host),
        current.pendingKey,
        started,
      );
    } catch (e) {
      for (const h of started) performed.add(h);
      throw failed(e);
    }
    for (const h of started) {
      performed.add(h);
      await ctx.state.delete(pendingRestartKey(h));
    }
    let nodes = ops.filter((o) => !started.has(o.host)).map((o) => o.node);
    // Nodes that were not in the cluster when planned are back now (or this says which is not).
    if (nodes.some((n) => !n.nodeId)) {
      const ipOf = new Map(ops.map((o) => [o.host, o.ip]));
      const targets = nodes.map((n) => ({ host: n.host, nodeName: n.nodeName, ip: ipOf.get(n.host), files: n.files }));
      let found: PlannedNode[];
      try {
        found = await planRestart(clusterApi(ctx), targets);
      } catch (e) {
        throw failed(e);
      }
      const byHost = new Map(found.map((n) => [n.host, n]));
      nodes = nodes.map((n) => byHost.get(n.host)!);
    }
    const { restartedInPlay } = scratchOf(ctx);
    const done = restartedInPlay.get(ctx.changedFiles) ?? new Set<string>();
    restartedInPlay.set(ctx.changedFiles, done);
    const pending = new Set([...(ctx.state.get<string[]>(current.pendingKey) ?? []), ...nodes.map((n) => n.host)]);
    await ctx.state.set(current.pendingKey, [...pending]);
    const windowEnd = current.windowEnd;
    const sec = (v: number | undefined) => (v === undefined ? undefined : v * 1000);
    const timeouts = resolveTimeouts({
      leaveMs: sec(args.leave_timeout),
      joinMs: sec(args.join_timeout),
      greenMs: sec(args.green_timeout),
    });
    let report: RollingRestartReport;
    try {
      report = await runRollingRestart({
        apiAvoiding: apiAvoiding(ctx),
        nodes,
        ops: hostOps(ctx, timeouts),
        journal: (kind, data) => ctx.journal.event(kind, data),
        progress: (m, f, info) => ctx.progress(m, f, info),
        signal: ctx.signal,
        minStatus: args.min_status,
        timeouts,
        windowEnd,
        firstEstimateMs: sec(args.first_estimate),
        // An interrupted run of ours left allocation at "primaries": this run may continue from there.
        allocationSetByUs: ctx.state.get(allocationKeyOf(ctx.vars)) === 'primaries',
        onAllocation: async (v) => {
          if (v === null) await ctx.state.delete(allocationKeyOf(ctx.vars));
          else await ctx.state.set(allocationKeyOf(ctx.vars), v);
        },
        ...(args.verify_port !== undefined
          ? { verifyNode: portAnswers(ctx, args.verify_port, args.verify_host_var, args.verify_timeout * 1000) }
          : {}),
        onNodeDone: async (n) => {
          performed.add(n.host);
          done.add(n.host);
          pending.delete(n.host);
          await ctx.state.delete(pendingRestartKey(n.host));
          if (pending.size) await ctx.state.set(current.pendingKey, [...pending]);
          else await ctx.state.delete(current.pendingKey);
        },
      });
    } catch (e) {
      if (e instanceof RollingRestartError) {
        throw stopped(e.message, {
          restarted: e.report.restarted.map((r) => r.host),
          failed_gate: e.gate,
          pending: [...pending],
          ...(e.host ? { [FAILED_HOST]: e.host } : {}),
        });
      }
      throw failed(e);
    }
    const restarted = report.restarted.map((r) => r.host);
    const data = { restarted, durations_ms: Object.fromEntries(report.restarted.map((r) => [r.host, r.durationMs])) };
    if (report.stoppedForWindow) {
      const w = report.stoppedForWindow;
      throw stopped(
        `stopped before the window end (${w.windowEnd}): the next node restart takes about ${Math.ceil(w.estimateMs / 1000)} s ` +
          `(longest measured so far); the cluster is ${args.min_status}. Not restarted: ${w.remaining.join(', ')} — they stay pending; ` +
          'in the next window, `crosskey resume --window-end TIME` restarts them.',
        { ...data, pending: w.remaining, stopped_for_window: true },
      );
    }
    return { applied: applied(), msg: `restarted ${restarted.join(', ')}`, data };
  },
};
