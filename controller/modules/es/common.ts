// Helpers shared by the Elasticsearch cluster modules: which cluster a task talks to, version gates, saved-state
// keys. Cluster modules run on the controller; a task is attributed to a host whose vars name its cluster
// (es_url, credentials). Another cluster is reached through a group name: the first host of that group.
import type { TaskContext } from '../contract.js';
import { ModuleError } from '../contract.js';
import type { EsApi } from '../../elastic/types.js';
import { esForNode as processEsForNode, esForVars as processEsForVars } from '../../elastic/client.js';

/** Hosts of an inventory group, from the magic var `groups`. */
export function groupHosts(ctx: TaskContext, group: string): string[] {
  const groups = ctx.vars.groups as Record<string, unknown> | undefined;
  const hosts = groups?.[group];
  if (!Array.isArray(hosts) || hosts.length === 0) {
    throw new ModuleError(`${ctx.host}: inventory group "${group}" has no hosts (needed to reach that cluster)`);
  }
  return hosts.map(String);
}

/** The cluster of this task's host, or of `group` when given. */
export function esFor(ctx: TaskContext, group?: string): EsApi {
  if (!group) return esForVars(ctx, ctx.vars);
  const [first] = groupHosts(ctx, group);
  return esForVars(ctx, first === ctx.host ? ctx.vars : ctx.hostVars(first!));
}

/** The cluster these vars name, through the run's clients (its abort signal reaches every wait and retry). */
export function esForVars(ctx: Pick<TaskContext, 'es'>, vars: Record<string, unknown>): EsApi {
  return ctx.es ? ctx.es.forVars(vars) : processEsForVars(vars);
}

/** One node of that cluster, at its own URL. */
export function esForNode(ctx: Pick<TaskContext, 'es'>, vars: Record<string, unknown>, nodeUrl: string): EsApi {
  return ctx.es ? ctx.es.forNode(vars, nodeUrl) : processEsForNode(vars, nodeUrl);
}

/** The versions the migration's steps need (docs/procedure.md §0). */
export const MIN_VERSIONS = {
  rcs2: '8.10.0',
  recommended: '8.14.0',
  reloadableCredentials: '8.13.0',
  resolveCluster: '8.13.0',
  remoteClusterPrivileges: '8.15.0',
  /** RCS1 connections written to the deprecation log (docs/es-9x.md §2). */
  deprecationLog: '9.0.0',
  /** secure_setting_names and keystore_digest in the reload answer (docs/es-9x.md §3). */
  keystoreDetails: '9.3.0',
  /** certificate_identity and signed cross-cluster requests, both clusters (docs/es-9x.md §4). */
  strongIdentity: '9.3.0',
} as const;

/** Saved-state keys are namespaced by cluster uuid and alias so several clusters/aliases never collide. */
export function stateKey(kind: string, clusterUuid: string, alias: string, ...rest: string[]): string {
  return [kind, clusterUuid, alias, ...rest].join('/');
}

/** Reads a string arg that may have come through templating as a number. */
export function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return String(v);
}

/**
 * Addresses of the remote cluster server on every host of `group`, with `port`: the host's
 * `crosskey_rcs_publish_host` (what remote_cluster.publish_host is set to), else the host name of its
 * `es_node_url`, else `ansible_host`. Used to point an alias at the remote cluster server port.
 */
export function remoteServerAddresses(ctx: TaskContext, group: string, port: number): string[] {
  return groupHosts(ctx, group).map((h) => {
    const v = h === ctx.host ? ctx.vars : ctx.hostVars(h);
    let host = plainVar(v, 'crosskey_rcs_publish_host');
    const url = plainVar(v, 'es_node_url');
    if (!host && url) host = new URL(url).hostname;
    if (!host) host = plainVar(v, 'ansible_host') ?? h;
    const bare = host.replace(/^\[|\]$/g, '');
    return bare.includes(':') ? `[${bare}]:${port}` : `${bare}:${port}`;
  });
}

/** `host:port` with the port replaced (IPv6 brackets kept). */
export function withPort(address: string, port: number): string {
  const m = /^(.*):(\d+)$/.exec(address.trim());
  return `${m ? m[1] : address.trim()}:${port}`;
}

/**
 * A string var of another host as a value: other hosts' vars come unrendered, so a plain reference like
 * `{{ ansible_host }}` is resolved against the same host's vars (one level); other templates are not guessed at.
 */
export function plainVar(vars: Record<string, unknown>, name: string, depth = 0): string | undefined {
  const v = vars[name];
  if (typeof v !== 'string' || v === '') return undefined;
  if (!v.includes('{{')) return v;
  const m = /^\{\{\s*([A-Za-z_]\w*)\s*\}\}$/.exec(v.trim());
  return m && depth < 3 ? plainVar(vars, m[1]!, depth + 1) : undefined;
}
