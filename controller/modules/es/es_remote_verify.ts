// es_remote_verify: is the alias connected the expected way on EVERY local node? (docs/procedure.md §2.4, §1.2 #5)
// `_remote/info` is node-local, so each host's own URL (hostvars es_node_url) is asked. Per node: connected,
// cluster_credentials present (rcs2) or absent (rcs1), sniff num_nodes_connected / proxy sockets > 0, the port of
// seeds/proxy_address, and (≥ 8.13) a `_resolve/cluster/<alias>:*` round trip, because ES does not reconnect a
// dropped connection by itself. Retries until `timeout` seconds, then fails with per-node detail.
// Never changes anything; in check mode it reports one pass without waiting or failing.
import { sleep } from '../../sleep.js';
import type { TaskContext } from '../contract.js';
import { ModuleError, readOnly } from '../contract.js';
import { getRemoteInfo, resolveCluster, portOf } from '../../elastic/api/remote.js';
import { getInfo } from '../../elastic/api/cluster.js';

import { esFor, esForNode, groupHosts, MIN_VERSIONS } from './common.js';
import { rcs2SinceKey } from './es_cert_trust_evidence.js';
import { versionAtLeast } from '../../version.js';
import { errorText } from '../../values.js';
import type { EsApi } from '../../elastic/types.js';

export interface VerifyArgs {
  alias: string;
  expect: 'rcs2' | 'rcs1';
  timeout: number;
  port?: number;
  expected_nodes?: number;
  resolve: boolean;
  hosts?: string[];
  cluster_group?: string;
  /** An index expression on the remote cluster: a cross-cluster `_search` (size 0) through the alias from each node. */
  search?: string;
}

export interface NodeVerdict {
  host: string;
  url: string;
  ok: boolean;
  problems: string[];
  info?: unknown;
  /** When this node's answers first passed in this task (ISO): the end of its outage during a switch. */
  ok_at?: string;
}
export interface VerifyCurrent {
  ok: boolean;
  nodes: NodeVerdict[];
  attempts: number;
  elapsedMs: number;
}

/** The search a user would run, from this node: the alias's cluster must answer it (`_clusters`, 8.11+ per cluster
 *  in `details`; before, the totals), or its failure is the problem. */
async function searchProblem(es: EsApi, alias: string, expr: string): Promise<string | undefined> {
  const path = `/${encodeURIComponent(`${alias}:${expr}`)}/_search`;
  const res = await es.request<SearchAnswer>({
    method: 'GET',
    path,
    query: { size: 0 },
    okStatuses: [400, 401, 403, 404, 500, 503],
    retry: false,
  });
  const body = res.body ?? {};
  if (res.status !== 200) return `_search ${alias}:${expr}: ${res.status} ${errorReason(body)}`;
  const c = body._clusters;
  const detail = c?.details?.[alias];
  if (detail) {
    if (detail.status !== 'successful')
      return `_search ${alias}:${expr}: cluster ${alias} ${detail.status}${detail.failures?.length ? `: ${detail.failures.map((f) => f.reason?.reason ?? f.reason?.type ?? '').join('; ')}` : ''}`;
    return undefined;
  }
  if (c && (c.successful ?? 0) < (c.total ?? 0))
    return `_search ${alias}:${expr}: ${c.successful}/${c.total} cluster(s) answered`;
  return undefined;
}

interface SearchAnswer {
  _clusters?: {
    total?: number;
    successful?: number;
    details?: Record<string, { status: string; failures?: Array<{ reason?: { type?: string; reason?: string } }> }>;
  };
  error?: { type?: string; reason?: string } | string;
}

const errorReason = (b: SearchAnswer) =>
  typeof b.error === 'string' ? b.error : `${b.error?.type ?? ''}: ${b.error?.reason ?? ''}`;

/** Checks one node's answers; returns the problems (empty = ok). */
export async function verifyNode(ctx: TaskContext, host: string, args: VerifyArgs): Promise<NodeVerdict> {
  const vars = ctx.hostVars(host);
  const url = String(vars.es_node_url ?? '');
  if (!url) return { host, url, ok: false, problems: ['es_node_url is not set for this host'] };
  const es = esForNode(ctx, vars, url);
  const problems: string[] = [];
  let entry;
  try {
    const [info, remote] = await Promise.all([getInfo(es), getRemoteInfo(es)]);
    entry = remote[args.alias];
    if (!entry) return { host, url, ok: false, problems: [`alias ${args.alias} is not configured on this node`] };
    if (!entry.connected) problems.push('connected: false');
    const hasCreds = entry.cluster_credentials !== undefined;
    if (args.expect === 'rcs2' && entry.cluster_credentials !== '::es_redacted::')
      problems.push(
        'no cluster_credentials: this node still uses certificate trust (is cluster.remote.' +
          args.alias +
          '.credentials in its keystore and reloaded?)',
      );
    if (args.expect === 'rcs1' && hasCreds)
      problems.push(
        'cluster_credentials present: this node still uses the API key (credentials still in its keystore?)',
      );
    if (entry.mode === 'sniff') {
      if (!(entry.num_nodes_connected! > 0)) problems.push(`num_nodes_connected: ${entry.num_nodes_connected ?? 0}`);
      if (args.expected_nodes !== undefined && entry.num_nodes_connected !== args.expected_nodes)
        problems.push(`num_nodes_connected ${entry.num_nodes_connected} ≠ expected ${args.expected_nodes}`);
    } else if (!(entry.num_proxy_sockets_connected! > 0)) {
      problems.push(`num_proxy_sockets_connected: ${entry.num_proxy_sockets_connected ?? 0}`);
    }
    const wantPort = args.port ?? (args.expect === 'rcs2' ? 9443 : undefined);
    if (wantPort !== undefined) {
      const addrs = entry.mode === 'sniff' ? (entry.seeds ?? []) : entry.proxy_address ? [entry.proxy_address] : [];
      const wrong = addrs.filter((a) => portOf(a) !== wantPort);
      if (wrong.length)
        problems.push(
          `${entry.mode === 'sniff' ? 'seeds' : 'proxy_address'} ${wrong.join(', ')} not on port ${wantPort}`,
        );
    }
    if (args.resolve && versionAtLeast(info.version.number, MIN_VERSIONS.resolveCluster)) {
      const rc = (await resolveCluster(es, args.alias))[args.alias];
      if (!rc) problems.push('_resolve/cluster: no answer for the alias');
      else if (!rc.connected || rc.error) problems.push(`_resolve/cluster: ${rc.error ?? 'not connected'}`);
    }
    if (args.search) {
      const p = await searchProblem(es, args.alias, args.search);
      if (p) problems.push(p);
    }
  } catch (e) {
    problems.push(errorText(e));
  }
  return { host, url, ok: problems.length === 0, problems, ...(entry ? { info: entry } : {}) };
}

export const esRemoteVerify = readOnly<VerifyArgs, VerifyCurrent>({
  name: 'es_remote_verify',
  description:
    'Verify on every local node that the alias is connected with (rcs2) or without (rcs1) API-key credentials',
  runsOn: 'controller',
  schema: {
    alias: { type: 'string', required: true },
    expect: { type: 'string', choices: ['rcs2', 'rcs1'], default: 'rcs2' },
    timeout: { type: 'number', default: 60, description: 'seconds to keep retrying' },
    port: { type: 'number', description: 'expected port in seeds/proxy_address (default 9443 for rcs2)' },
    expected_nodes: { type: 'number', description: 'sniff: expected num_nodes_connected' },
    resolve: { type: 'boolean', default: true },
    hosts: { type: 'list', elements: 'string' },
    cluster_group: { type: 'string' },
    search: {
      type: 'string',
      description: "remote index expression: a cross-cluster _search (size 0) from every node must succeed ('' skips)",
    },
  },

  async read(ctx, args) {
    const hosts = args.hosts ?? (args.cluster_group ? groupHosts(ctx, args.cluster_group) : ctx.playHosts);
    if (hosts.length === 0) throw new ModuleError('es_remote_verify: no hosts to verify');
    const start = Date.now();
    const deadline = start + args.timeout * 1000;
    let attempts = 0;
    let delay = 250;
    const firstOk = new Map<string, string>();
    for (;;) {
      attempts++;
      const nodes = await Promise.all(hosts.map((h) => verifyNode(ctx, h, args)));
      for (const n of nodes) {
        if (n.ok && !firstOk.has(n.host)) firstOk.set(n.host, new Date().toISOString());
        const at = firstOk.get(n.host);
        if (n.ok && at) n.ok_at = at;
      }
      const ok = nodes.every((n) => n.ok);
      const bad = nodes.filter((n) => !n.ok).length;
      ctx.progress(
        `${args.alias}: ${nodes.length - bad}/${nodes.length} node(s) ${args.expect}`,
        (nodes.length - bad) / nodes.length,
      );
      if (ok || ctx.check || Date.now() + delay > deadline) {
        const current = { ok, nodes, attempts, elapsedMs: Date.now() - start };
        if (!ok && !ctx.check) {
          const detail = nodes
            .filter((n) => !n.ok)
            .map((n) => `${n.host}: ${n.problems.join('; ')}`)
            .join(' | ');
          throw new ModuleError(
            `alias ${args.alias} not ${args.expect} on ${bad}/${nodes.length} node(s) after ${Math.round((Date.now() - start) / 1000)}s: ${detail}`,
            { nodes },
          );
        }
        if (ok && !ctx.check) await recordModel(ctx, args);
        return current;
      }
      await sleep(delay, ctx.signal);
      delay = Math.min(delay * 2, 2000);
    }
  },

  report(current) {
    return { verified: current.ok, attempts: current.attempts, elapsed_ms: current.elapsedMs, nodes: current.nodes };
  },
});

/** Bookkeeping on the controller, not a change to the cluster: since when the alias has been on API keys on every
 *  node (es_cert_trust_evidence compares deprecation lines with it); a verified rollback clears it. */
async function recordModel(ctx: TaskContext, args: VerifyArgs): Promise<void> {
  const info = await getInfo(esFor(ctx, args.cluster_group));
  const key = rcs2SinceKey(info.cluster_uuid, args.alias);
  if (args.expect === 'rcs2') {
    if (!ctx.state.get(key)) await ctx.state.set(key, { at: new Date().toISOString() });
  } else if (ctx.state.get(key)) await ctx.state.delete(key);
}
