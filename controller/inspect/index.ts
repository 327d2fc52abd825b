// `crosskey inspect`: a read-only picture of every host and every cluster of an inventory.
// The host part needs SSH (agent); the cluster part needs only HTTP, so it still prints when SSH fails or is off.
import PQueue from 'p-queue';
import type { AgentClient } from '../../agent/protocol.js';
import type { Inventory } from '../inventory/index.js';
import type { EsClientOptions } from '../elastic/client.js';
import { secrets } from '../secrets.js';
import { renderValue } from '../lang/template.js';
import { inspectCluster, type ClusterTarget } from './cluster.js';
import { inspectHostOverSsh, inspectNodeOverHttp } from './host.js';
import { keystoreDivergence } from '../elastic/keystore-convergence.js';
import type { ClusterReport, HostReport, InspectReport } from './types.js';
import { errorText } from '../values.js';

export type { InspectReport } from './types.js';

/** How inspect reaches a host's agent; undefined = SSH not used (`--no-ssh`). */
export type AgentOpener = (host: string, vars: Record<string, unknown>) => Promise<AgentClient>;

export interface InspectOptions {
  inventory: Inventory;
  /** Host pattern (--limit): restricts the host part and the per-node answers; clusters are kept when any host matches. */
  limit?: string;
  openAgent?: AgentOpener;
  es?: EsClientOptions;
  forks?: number;
  now?: Date;
}

/** The vars that hold passwords inspect may use; they may be templates (e.g. `{{ secret_file "…" }}`). */
export const PASSWORD_VARS = ['es_cert_passwords', 'es_keystore_password', 'crosskey_rcs_cert_password'] as const;

/** Renders the password vars (only those: inspect runs no playbook, so other vars stay as written). */
export function renderPasswordVars(
  inv: Inventory,
  host: string,
  vars: Record<string, unknown>,
  warn: (m: string) => void,
): Record<string, unknown> {
  const out = { ...vars };
  const scope = { ...vars, ...inv.magicVars(host) };
  for (const k of PASSWORD_VARS) {
    if (out[k] === undefined) continue;
    try {
      out[k] = renderValue(out[k], scope, { file: inv.path, line: 0 });
    } catch (e) {
      warn(`${host}: ${k}: ${errorText(e)} (certificates that need it show as protected)`);
      delete out[k];
    }
  }
  return out;
}

/** Groups that define es_url in their own vars (inline or group_vars/<group>), with their cluster-level vars. */
export function clusterGroups(
  inv: Inventory,
): Array<{ group: string; vars: Record<string, unknown>; hosts: string[] }> {
  const groups = inv.groups();
  const out: Array<{ group: string; vars: Record<string, unknown>; hosts: string[] }> = [];
  for (const [name, g] of Object.entries(groups)) {
    if (name === 'all' || name === 'ungrouped') continue;
    const own: Record<string, unknown> = { ...g.vars };
    for (const d of inv.varsDirs) Object.assign(own, d.get('group_vars', name));
    if (own.es_url === undefined) continue;
    const vars: Record<string, unknown> = { ...groups.all?.vars };
    for (const d of inv.varsDirs) Object.assign(vars, d.get('group_vars', 'all'));
    Object.assign(vars, own, { group_names: [name] });
    out.push({ group: name, vars, hosts: inv.groupHosts(name) ?? [] });
  }
  return out;
}

/**
 * `cluster.remote.<alias>.credentials` in a node's keystore: the node will use the API key for that alias once the
 * keystore is (re)loaded. Listed per alias, and an alias known only from keystores is added (mode unknown).
 */
export function addKeystoreCredentials(clusters: ClusterReport[], hosts: HostReport[]): void {
  for (const c of clusters) {
    if (!c.aliases) continue;
    const byAlias = new Map<string, string[]>();
    for (const h of hosts) {
      if (h.cluster !== c.group) continue;
      for (const e of h.ssh.keystore?.entries ?? []) {
        const m = /^cluster\.remote\.([^.]+)\.credentials$/.exec(e);
        if (m) byAlias.set(m[1]!, [...(byAlias.get(m[1]!) ?? []), h.host]);
      }
    }
    for (const [alias, onHosts] of byAlias) {
      let a = c.aliases.find((x) => x.alias === alias);
      if (!a) {
        a = { alias, configuredAs: [], mode: 'sniff', addresses: [], ymlNodes: [], undefinedMode: true };
        c.aliases.push(a);
        c.aliases.sort((x, y) => (x.alias < y.alias ? -1 : 1));
      }
      a.credentialsOn = onHosts.sort();
    }
  }
}

/** Per cluster: do its nodes' keystores hold the same names (names only; unreadable keystores are left out)? */
export function addKeystoreConsistency(clusters: ClusterReport[], hosts: HostReport[]): void {
  for (const c of clusters) {
    const views = hosts
      .filter((h) => h.cluster === c.group && h.ssh.keystore?.entries)
      .map((h) => ({ node: h.node.name ?? h.host, names: h.ssh.keystore!.entries! }));
    if (views.length < 2) continue;
    const problems = keystoreDivergence(views, []);
    c.keystores = { consistent: problems.length === 0, problems };
  }
}

export async function runInspect(o: InspectOptions): Promise<InspectReport> {
  const inv = o.inventory;
  const warnings: string[] = [];
  const esOpts: EsClientOptions = {
    retry: { attempts: 2 },
    requestTimeoutMs: 15_000,
    ...o.es,
    warn: (m) => warnings.push(m),
  };
  const selected = new Set(o.limit ? inv.select(o.limit) : inv.hosts());
  const clusters = clusterGroups(inv);
  const clusterOf = new Map<string, string>();
  for (const c of clusters) for (const h of c.hosts) if (!clusterOf.has(h)) clusterOf.set(h, c.group);

  const targets: ClusterTarget[] = clusters
    .filter((c) => !o.limit || c.hosts.some((h) => selected.has(h)))
    .map((c) => ({
      group: c.group,
      vars: c.vars,
      hosts: c.hosts.filter((h) => selected.has(h)).map((h) => ({ host: h, vars: inv.hostVars(h) })),
    }));
  // The cluster part (HTTP only) runs while the hosts are inspected over SSH.
  const clustersP = Promise.all(targets.map((t) => inspectCluster(t, esOpts)));
  clustersP.catch(() => undefined); // handled when awaited below; no unhandled rejection meanwhile
  const queue = new PQueue({ concurrency: Math.max(1, o.forks ?? 10) });
  const hostReports = await Promise.all(
    inv
      .hosts()
      .filter((h) => selected.has(h))
      .map(
        (host) =>
          queue.add(async (): Promise<HostReport> => {
            const vars = renderPasswordVars(inv, host, inv.hostVars(host), (m) => warnings.push(m));
            const cluster = clusterOf.get(host);
            // A host's node answers with its cluster's credentials (group vars) at its own URL.
            const nodeP = inspectNodeOverHttp(vars, { ...esOpts, label: host });
            let ssh: HostReport['ssh'];
            if (!o.openAgent) ssh = { reachable: false, error: 'SSH not used (--no-ssh)' };
            else {
              try {
                const agent = await o.openAgent(host, vars);
                ssh = await inspectHostOverSsh(
                  agent,
                  host,
                  vars,
                  nodeP.then((n) => n.version),
                );
              } catch (e) {
                ssh = { reachable: false, error: errorText(e) };
              }
            }
            return { host, groups: inv.groupNames(host), ...(cluster ? { cluster } : {}), node: await nodeP, ssh };
          }) as Promise<HostReport>,
      ),
  );

  const clusterReports = await clustersP;
  addKeystoreCredentials(clusterReports, hostReports);
  addKeystoreConsistency(clusterReports, hostReports);

  // Belt and braces: nothing read from hosts or clusters may carry a registered secret into the output.
  return secrets.redactValue({
    inventory: inv.path,
    generatedAt: (o.now ?? new Date()).toISOString(),
    hosts: hostReports,
    clusters: clusterReports,
    warnings: [...new Set(warnings)],
  });
}
