// `lab up --cluster/--connect/--yml/--es-version`: parsing and validation of the layout, done before anything is
// written or started, so a bad flag costs nothing (exit 1 naming the flag and the reason).
import { loadBounded } from '../agent/yaml-bounds.js';
import { flattenYaml } from './node/config/elasticsearch-yml.js';
import { validateSettings, StartupError } from './node/config/validate.js';
import { parseVersion } from '../controller/version.js';
import type { FlatSettings } from './node/cluster/state.js';
import { DEFAULT_CONNECTION, type LabConnection } from './layout.js';

/** A bad flag value: the message starts with the flag as given. */
export class LayoutError extends Error {}

export interface ClusterSpec {
  name: string;
  /** Absent: `--nodes` (default 3). */
  nodes?: number;
}

export interface YmlSpec {
  cluster: string;
  key: string;
  /** The value as YAML gives it (scalar, list or map). */
  value: unknown;
  /** The flag's text, for messages. */
  text?: string;
}

export interface LayoutInput {
  nodes?: number;
  clusters?: ClusterSpec[];
  connections?: LabConnection[];
  yml?: YmlSpec[];
  esVersion: string;
  staticRemote?: boolean;
}

export interface LayoutCluster {
  name: string;
  nodes: number;
  /** Third octet of the nodes' addresses 127.L.<octet>.N (1 for the first cluster: `local` keeps 127.L.1.N). */
  octet: number;
}

export interface Layout {
  clusters: LayoutCluster[];
  connections: LabConnection[];
  /** Extra elasticsearch.yml settings per cluster (flat keys). */
  yml: Record<string, Record<string, unknown>>;
}

export const DEFAULT_CLUSTERS: readonly string[] = [DEFAULT_CONNECTION.local, DEFAULT_CONNECTION.remote];
const MAX_CLUSTERS = 9;
// Group names in the inventory and path segments: Ansible group names are letters, digits and `_`.
const CLUSTER_NAME = /^[a-z][a-z0-9_]{0,19}$/;
// An alias is one segment of `cluster.remote.<alias>.*` (no `.`), the prefix of `<alias>:<index>` (no `:`) and
// not a pattern (no `*`); the lab also names the tasks reading through it after it, hence lowercase.
const ALIAS_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const RESERVED_GROUPS = new Set(['all', 'ungrouped']);
// elasticsearch.yml keys the lab writes to build the layout (addresses, paths, discovery).
const LAB_KEYS = new Set([
  'cluster.name',
  'node.name',
  'network.host',
  'http.port',
  'transport.port',
  'path.data',
  'path.logs',
  'discovery.seed_hosts',
  'cluster.initial_master_nodes',
]);

/**
 * The versions the lab simulates. `olderEight` also admits 8.0–8.9 for the lab's own tests of pre-8.10 behaviour
 * (no remote cluster server, no cross-cluster API keys); the CLI refuses them.
 */
export function checkEsVersion(v: string, opts: { olderEight?: boolean } = {}): void {
  if (!/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.test(v))
    throw new LayoutError(`--es-version ${v}: expected MAJOR.MINOR.PATCH`);
  const [major, minor] = parseVersion(v);
  const ok = (major === 8 && minor <= 19 && (minor >= 10 || !!opts.olderEight)) || (major === 9 && minor <= 3);
  if (!ok)
    throw new LayoutError(
      `--es-version ${v}: the lab simulates Elasticsearch 8.10.0 to 8.19.x and 9.0.0 to 9.3.x, not ${v}`,
    );
}

function checkNodes(flag: string, n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 9) throw new LayoutError(`${flag}: NODES must be 1..9`);
}

/** `NAME[:NODES]` */
export function parseClusterFlag(v: string): ClusterSpec {
  const i = v.indexOf(':');
  const name = i < 0 ? v : v.slice(0, i);
  const flag = `--cluster ${v}`;
  checkClusterName(flag, name);
  if (i < 0) return { name };
  const count = v.slice(i + 1);
  if (!/^\d+$/.test(count)) throw new LayoutError(`${flag}: NODES must be a number 1..9, not [${count}]`);
  checkNodes(flag, Number(count));
  return { name, nodes: Number(count) };
}

function checkClusterName(flag: string, name: string): void {
  if (!CLUSTER_NAME.test(name))
    throw new LayoutError(
      `${flag}: bad cluster name [${name}] (a lowercase letter, then lowercase letters, digits or _; at most 20)`,
    );
  if (RESERVED_GROUPS.has(name))
    throw new LayoutError(`${flag}: [${name}] is reserved for an inventory group of Ansible`);
}

/** `LOCAL:REMOTE[:ALIAS]` (ALIAS defaults to my_remote). */
export function parseConnectFlag(v: string): LabConnection {
  const parts = v.split(':');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === ''))
    throw new LayoutError(`--connect ${v}: expected LOCAL:REMOTE[:ALIAS]`);
  return { local: parts[0]!, remote: parts[1]!, alias: parts[2] ?? DEFAULT_CONNECTION.alias };
}

/** `CLUSTER:KEY=VALUE` (VALUE is YAML: `[a, b]` is a list). */
export function parseYmlFlag(v: string): YmlSpec {
  const flag = `--yml ${v}`;
  const m = /^([^:=]+):([^=\s]+)=(.+)$/s.exec(v);
  if (!m) throw new LayoutError(`${flag}: expected CLUSTER:KEY=VALUE`);
  let value: unknown;
  try {
    value = loadBounded(m[3]!);
  } catch (e) {
    throw new LayoutError(`${flag}: VALUE is not YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (value === null || value === undefined) throw new LayoutError(`${flag}: expected CLUSTER:KEY=VALUE`);
  return { cluster: m[1]!, key: m[2]!, value, text: v };
}

/** The validated layout; throws LayoutError naming the flag. Nothing is written here. */
export function resolveLayout(input: LayoutInput): Layout {
  const defaultNodes = input.nodes ?? 3;
  if (!Number.isInteger(defaultNodes) || defaultNodes < 1 || defaultNodes > 9)
    throw new LayoutError(`--nodes ${defaultNodes}: must be 1..9`);

  const specs: ClusterSpec[] = input.clusters?.length ? input.clusters : DEFAULT_CLUSTERS.map((name) => ({ name }));
  if (specs.length > MAX_CLUSTERS)
    throw new LayoutError(`--cluster: at most ${MAX_CLUSTERS} clusters, not ${specs.length}`);
  const clusters: LayoutCluster[] = [];
  for (const [i, s] of specs.entries()) {
    const flag = `--cluster ${s.name}${s.nodes !== undefined ? `:${s.nodes}` : ''}`;
    checkClusterName(flag, s.name);
    if (s.nodes !== undefined) checkNodes(flag, s.nodes);
    if (clusters.some((c) => c.name === s.name)) throw new LayoutError(`${flag}: cluster [${s.name}] is given twice`);
    clusters.push({ name: s.name, nodes: s.nodes ?? defaultNodes, octet: i + 1 });
  }
  const known = (name: string) => clusters.some((c) => c.name === name);
  const names = clusters.map((c) => c.name).join(', ');

  let connections = input.connections ?? [];
  if (!connections.length) {
    if (!known(DEFAULT_CONNECTION.local) || !known(DEFAULT_CONNECTION.remote))
      throw new LayoutError(
        `--connect: none given, and the default ${DEFAULT_CONNECTION.local}:${DEFAULT_CONNECTION.remote}:${DEFAULT_CONNECTION.alias} names clusters this layout does not have (${names})`,
      );
    connections = [DEFAULT_CONNECTION];
  }
  const out: LabConnection[] = [];
  for (const c of connections) {
    const flag = `--connect ${c.local}:${c.remote}:${c.alias}`;
    for (const name of [c.local, c.remote])
      if (!known(name)) throw new LayoutError(`${flag}: unknown cluster [${name}] (clusters: ${names})`);
    if (!ALIAS_NAME.test(c.alias))
      throw new LayoutError(
        `${flag}: bad alias [${c.alias}] (lowercase letters, digits, _ or -, starting with a letter or digit; no '.', ':' or '*')`,
      );
    if (out.some((o) => o.local === c.local && o.alias === c.alias))
      throw new LayoutError(`${flag}: cluster [${c.local}] already has an alias [${c.alias}]`);
    out.push({ local: c.local, remote: c.remote, alias: c.alias });
  }

  const yml: Record<string, Record<string, unknown>> = {};
  for (const y of input.yml ?? []) {
    const flag = `--yml ${y.text ?? `${y.cluster}:${y.key}=${String(y.value)}`}`;
    if (!known(y.cluster)) throw new LayoutError(`${flag}: unknown cluster [${y.cluster}] (clusters: ${names})`);
    const flat: FlatSettings = {};
    try {
      flattenYaml(y.value, y.key, flat, flag);
    } catch (e) {
      throw new LayoutError(`${flag}: ${(e as Error).message}`);
    }
    const mine = (yml[y.cluster] ??= {});
    for (const key of Object.keys(flat)) {
      if (LAB_KEYS.has(key)) throw new LayoutError(`${flag}: [${key}] is set by the lab (it builds the layout)`);
      if (input.staticRemote) {
        const m = /^cluster\.remote\.([^.]+)\.(mode|seeds|skip_unavailable)$/.exec(key);
        if (m && out.some((c) => c.local === y.cluster && c.alias === m[1]))
          throw new LayoutError(`${flag}: [${key}] is written by the lab for --static-remote`);
      }
      if (key in mine) throw new LayoutError(`${flag}: [${key}] is given twice for cluster [${y.cluster}]`);
    }
    // The node's own start-up validation (settings registry of that version: unknown, secure, bad values).
    try {
      validateSettings(flat, new Map(), input.esVersion);
    } catch (e) {
      if (e instanceof StartupError) throw new LayoutError(`${flag}: ${e.message}`);
      throw e;
    }
    for (const [key, value] of Object.entries(flat)) mine[key] = value;
  }
  return { clusters, connections: out, yml };
}

/**
 * Start order for `--static-remote`: a cluster starts once the clusters its aliases point to have started (their
 * transport ports answer when its nodes connect at start-up), unless they point back to it (a cycle, or an alias
 * to itself): those start together.
 */
export function startDependencies(layout: Pick<Layout, 'connections'>, staticRemote: boolean): Map<string, string[]> {
  const edges = new Map<string, Set<string>>();
  for (const c of layout.connections) {
    if (!edges.has(c.local)) edges.set(c.local, new Set());
    if (c.local !== c.remote) edges.get(c.local)!.add(c.remote);
  }
  const reaches = (from: string, to: string): boolean => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length) {
      const x = stack.pop()!;
      if (x === to) return true;
      if (seen.has(x)) continue;
      seen.add(x);
      stack.push(...(edges.get(x) ?? []));
    }
    return false;
  };
  const deps = new Map<string, string[]>();
  if (!staticRemote) return deps;
  for (const [local, remotes] of edges)
    deps.set(
      local,
      [...remotes].filter((r) => !reaches(r, local)),
    );
  return deps;
}
