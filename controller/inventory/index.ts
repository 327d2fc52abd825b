// Ansible-compatible inventory: INI or YAML files, or a folder of them, plus group_vars/ and host_vars/
// next to the inventory and next to the playbook. See docs/variables.md for the precedence.
//
// Variable precedence inside the inventory (low → high), as Ansible 2.14 computes it (VariableManager with
// the default VARIABLE_PRECEDENCE), so `crosskey inventory --list` equals `ansible-inventory --list`:
//   1. vars of group `all` written in the inventory file
//   2. vars of other groups written in the inventory file, by depth (parents before children), then name
//   3. group_vars/all            (inventory folder, then playbook folder)
//   4. group_vars/<group>        same group order as 2; all of the inventory folder, then all of the playbook folder
//   5. host vars written in the inventory file (inline INI vars, YAML host vars, host:port → ansible_port)
//   6. host_vars/<host>          (inventory folder, then playbook folder)
// Top-level keys replace (no deep merge), as Ansible's default hash_behaviour=replace.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { ConfigError } from '../input/errors.js';
import { secretsByName } from '../secrets.js';
import { parseYaml } from '../input/yaml.js';
import { MAX_YAML_BYTES } from '../../agent/yaml-bounds.js';
import type { Vault } from '../input/vault.js';
import { InventoryData, type GroupData } from './data.js';
import { parseIni } from './ini.js';
import { PatternError, selectHosts, type Selection } from './pattern.js';
import { VarsDir } from './varsdir.js';
import { parseYamlInventory } from './yamlinv.js';

export { loadVarsFile } from './varsdir.js';
export { PatternError } from './pattern.js';

export interface LoadInventoryOptions {
  /** Folder of the playbook: its group_vars/ and host_vars/ win over the inventory's. */
  playbookDir?: string;
  /** Decrypts vault-encrypted vars files and `!vault` values. */
  vault?: Vault;
}

/** How to reach a host (behavioural vars). Undefined fields: let ssh config / defaults decide. */
export interface HostConnection {
  host: string;
  address: string; // ansible_host, else the inventory name
  port?: number;
  user?: string;
  privateKeyFile?: string;
  become: boolean;
  becomeUser?: string;
}

export interface GroupView {
  hosts: string[];
  children: string[];
  vars: Record<string, unknown>;
}

// Ansible skips these in inventory folders (INVENTORY_IGNORE_EXTS + REJECT_EXTS; note: '.ini' too).
const IGNORED_EXTS = ['.pyc', '.pyo', '.swp', '.bak', '.rpm', '.md', '.txt', '.rst', '.orig', '.ini', '.cfg', '.retry'];
const YAML_EXTS = ['.yml', '.yaml', '.json'];

export function loadInventory(path: string, opts: LoadInventoryOptions = {}): Inventory {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new ConfigError(abs, 0, 'inventory not found');
  const data = new InventoryData();
  let base: string;
  if (statSync(abs).isDirectory()) {
    base = abs;
    const files = readdirSync(abs, { withFileTypes: true })
      .filter(
        (e) =>
          e.isFile() && !e.name.startsWith('.') && !e.name.endsWith('~') && !IGNORED_EXTS.includes(extname(e.name)),
      )
      .map((e) => e.name)
      .sort();
    if (files.length === 0)
      throw new ConfigError(
        abs,
        0,
        'inventory folder has no inventory files (.yml, .yaml, .json or INI files without extension)',
      );
    for (const f of files) parseSource(join(abs, f), data, opts.vault);
  } else {
    base = dirname(abs);
    parseSource(abs, data, opts.vault);
  }
  data.reconcile();
  const dirs = [new VarsDir(base, opts.vault)];
  if (opts.playbookDir && resolve(opts.playbookDir) !== base)
    dirs.push(new VarsDir(resolve(opts.playbookDir), opts.vault));
  return new Inventory(abs, data, dirs);
}

function parseSource(file: string, data: InventoryData, vault?: Vault): void {
  // An inventory is small: one too large even for a vault envelope of the YAML limit is not read into memory.
  const size = statSync(file).size;
  if (size > 4 * MAX_YAML_BYTES)
    throw new ConfigError(file, 0, `inventory file is ${size} bytes; the limit is ${4 * MAX_YAML_BYTES}`);
  const text = readFileSync(file, 'utf8');
  if (YAML_EXTS.includes(extname(file)) || text.trimStart().startsWith('$ANSIBLE_VAULT;')) {
    const doc = parseYaml(text, file, { vault });
    parseYamlInventory(doc.value, doc.pos, file, data);
  } else {
    parseIni(text, file, data);
  }
}

export class Inventory {
  readonly #varsCache = new Map<string, Record<string, unknown>>();
  readonly #groupHostsCache = new Map<string, string[]>();
  constructor(
    readonly path: string,
    readonly data: InventoryData,
    readonly varsDirs: VarsDir[],
  ) {}

  /** Every host, in Ansible's order for `all` (see groupHosts). */
  hosts(): string[] {
    return this.groupHosts('all')!;
  }

  /** Host names in the order they were first defined. */
  definedHosts(): string[] {
    return [...this.data.hosts.keys()];
  }

  hasHost(host: string): boolean {
    return this.data.hosts.has(host);
  }

  groups(): Record<string, GroupView> {
    const out: Record<string, GroupView> = {};
    for (const g of this.data.groups.values()) {
      out[g.name] = {
        hosts: g.name === 'all' ? this.hosts() : [...g.hosts],
        children: [...g.children],
        vars: { ...g.vars },
      };
    }
    return out;
  }

  /**
   * Hosts of a group including its descendants, in Ansible's order: the group's own hosts, then its
   * children's, level by level (children in the order written); undefined for an unknown group.
   */
  groupHosts(group: string): string[] | undefined {
    const hit = this.#groupHostsCache.get(group);
    if (hit) return [...hit];
    if (!this.data.groups.has(group)) return undefined;
    const out = new Set<string>();
    const seen = new Set<string>([group]);
    let level = [group];
    while (level.length) {
      const next: string[] = [];
      for (const g of level) {
        const gd = this.data.groups.get(g)!;
        for (const h of gd.hosts) out.add(h);
        for (const c of gd.children)
          if (!seen.has(c)) {
            seen.add(c);
            next.push(c);
          }
      }
      level = next;
    }
    // Hosts written directly under `all:` in YAML have only 'ungrouped' as group; keep every host.
    if (group === 'all') for (const h of this.data.hosts.keys()) out.add(h);
    const list = [...out];
    this.#groupHostsCache.set(group, list);
    return [...list];
  }

  /** Ansible's `group_names`: every group of the host (with ancestors), sorted, without 'all'. */
  groupNames(host: string): string[] {
    return this.#allGroupsOf(host)
      .filter((g) => g !== 'all')
      .sort();
  }

  #allGroupsOf(host: string): string[] {
    const h = this.data.hosts.get(host);
    if (!h) throw new Error(`unknown host '${host}'`);
    const out = new Set<string>(['all']);
    for (const g of h.groups) {
      out.add(g);
      for (const a of this.#ancestorsOf(g)) out.add(a);
    }
    return [...out];
  }

  // The data does not change after loading: depth and ancestors are computed once per group.
  readonly #depth = new Map<string, number>();
  readonly #ancestors = new Map<string, Set<string>>();
  #depthOf(g: string): number {
    let d = this.#depth.get(g);
    if (d === undefined) this.#depth.set(g, (d = this.data.depth(g)));
    return d;
  }
  #ancestorsOf(g: string): Set<string> {
    let a = this.#ancestors.get(g);
    if (!a) this.#ancestors.set(g, (a = this.data.ancestors(g)));
    return a;
  }

  /** Groups of a host in merge order: all first, then (depth, name). */
  #sortedGroups(host: string): GroupData[] {
    return this.#allGroupsOf(host)
      .filter((g) => g !== 'all')
      .map((g) => ({ g: this.data.groups.get(g)!, d: this.#depthOf(g) }))
      .sort((a, b) => a.d - b.d || (a.g.name < b.g.name ? -1 : a.g.name > b.g.name ? 1 : 0))
      .map((x) => x.g);
  }

  /** Fully merged variables of a host (the precedence in the header comment). */
  hostVars(host: string): Record<string, unknown> {
    const hit = this.#varsCache.get(host);
    if (hit) return { ...hit };
    const h = this.data.hosts.get(host);
    if (!h) throw new Error(`unknown host '${host}'`);
    const groups = this.#sortedGroups(host);
    const out: Record<string, unknown> = {};
    Object.assign(out, this.data.groups.get('all')!.vars);
    for (const g of groups) Object.assign(out, g.vars);
    for (const d of this.varsDirs) Object.assign(out, d.get('group_vars', 'all'));
    for (const d of this.varsDirs) for (const g of groups) Object.assign(out, d.get('group_vars', g.name));
    Object.assign(out, h.vars);
    for (const d of this.varsDirs) Object.assign(out, d.get('host_vars', host));
    const masked = secretsByName(out);
    this.#varsCache.set(host, masked);
    return { ...masked };
  }

  /**
   * A host belongs to one Elasticsearch cluster: groups that set `es_url` (in the inventory or group_vars) are
   * cluster groups, and a host in two of them with different URLs would silently take one group's cluster.
   * Throws a ConfigError naming the host (where it is defined) and both groups. A group nested in another may
   * override its parent's es_url: that is precedence, not a conflict.
   */
  checkClusterGroups(): void {
    const urlOf = (g: string): unknown => {
      let url: unknown = this.data.groups.get(g)?.vars.es_url;
      for (const d of this.varsDirs) {
        const v = d.get('group_vars', g);
        if (v && 'es_url' in v) url = v.es_url;
      }
      return url;
    };
    const clusterGroups = [...this.data.groups.keys()].filter((g) => g !== 'all' && urlOf(g) !== undefined);
    for (const host of this.definedHosts()) {
      const mine = this.#allGroupsOf(host).filter((g) => clusterGroups.includes(g));
      for (const a of mine) {
        for (const b of mine) {
          if (a >= b || this.#ancestorsOf(a).has(b) || this.#ancestorsOf(b).has(a)) continue;
          if (JSON.stringify(urlOf(a)) === JSON.stringify(urlOf(b))) continue;
          const src = this.data.hosts.get(host)!.source;
          throw new ConfigError(
            src.file,
            src.line,
            `host ${host} is in two cluster groups, "${a}" (es_url ${String(urlOf(a))}) and "${b}" (es_url ${String(urlOf(b))}): ` +
              'a node belongs to one cluster — remove it from one of them',
          );
        }
      }
    }
  }

  /** Ansible's magic variables for a host (the executor adds hostvars and play vars). */
  magicVars(host: string): Record<string, unknown> {
    const groups: Record<string, string[]> = {};
    for (const g of this.data.groups.keys()) groups[g] = this.groupHosts(g) ?? [];
    return {
      inventory_hostname: host,
      inventory_hostname_short: host.split('.')[0],
      group_names: this.groupNames(host),
      groups,
      inventory_dir: statSync(this.path).isDirectory() ? this.path : dirname(this.path),
      inventory_file: this.path,
    };
  }

  /** Computes every host's vars and connection now, so bad vars files fail before any host is contacted. */
  validate(): void {
    for (const h of this.hosts()) this.connection(h);
  }

  /** Behavioural connection vars, type-checked (errors name the host and the variable). */
  connection(host: string): HostConnection {
    const v = this.hostVars(host);
    const src = this.data.hosts.get(host)!.source;
    const fail = (msg: string): never => {
      throw new ConfigError(src.file, src.line, `host ${host}: ${msg}`);
    };
    const str = (k: string): string | undefined => {
      const x = v[k];
      if (x === undefined || x === null) return undefined;
      if (typeof x !== 'string' && typeof x !== 'number') fail(`${k} must be a string, got ${JSON.stringify(x)}`);
      return String(x);
    };
    let port: number | undefined;
    if (v.ansible_port !== undefined && v.ansible_port !== null) {
      port = Number(v.ansible_port);
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        fail(`ansible_port must be a port number (1-65535), got ${JSON.stringify(v.ansible_port)}`);
    }
    const become = v.ansible_become;
    const becomeBool = become === undefined || become === null ? false : toBool(become);
    if (becomeBool === undefined) return fail(`ansible_become must be a boolean, got ${JSON.stringify(become)}`);
    return {
      host,
      address: str('ansible_host') ?? host,
      port,
      user: str('ansible_user'),
      privateKeyFile: str('ansible_ssh_private_key_file'),
      become: becomeBool,
      becomeUser: str('ansible_become_user'),
    };
  }

  /** Hosts matching a play `hosts:` or --limit pattern, in inventory order. */
  select(pattern: string): string[] {
    return this.selectDetailed(pattern).hosts;
  }

  selectDetailed(pattern: string): Selection {
    return selectHosts(pattern, {
      allHosts: () => this.hosts(),
      definedHosts: () => this.definedHosts(),
      groupHosts: (g) => this.groupHosts(g),
      groupNames: () => [...this.data.groups.keys()],
      hasHost: (h) => this.data.hosts.has(h),
    });
  }

  /** The JSON shape of `ansible-inventory --list` (compare after JSON.parse; Ansible sorts keys). */
  toAnsibleList(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    const format = (g: GroupData): void => {
      const entry: Record<string, string[]> = {};
      if (g.name !== 'all' && g.hosts.length) entry.hosts = [...g.hosts];
      if (g.children.length) entry.children = [...g.children];
      if (Object.keys(entry).length) out[g.name] = entry;
      for (const c of g.children) {
        if (!seen.has(c)) {
          seen.add(c);
          format(this.data.groups.get(c)!);
        }
      }
    };
    format(this.data.groups.get('all')!);
    const hostvars: Record<string, unknown> = {};
    for (const h of this.definedHosts()) {
      const v = this.hostVars(h);
      if (Object.keys(v).length) hostvars[h] = v;
    }
    return { _meta: { hostvars }, ...out };
  }

  /** The text of `ansible-inventory --graph [group]`. */
  toGraph(group = 'all'): string {
    const g = this.data.groups.get(group);
    if (!g) throw new PatternError(`unknown group '${group}'`);
    const lines: string[] = [];
    const name = (n: string, depth: number): string => (depth ? '  |'.repeat(depth) + '--' + n : n);
    const walk = (gd: GroupData, depth: number): void => {
      lines.push(name(`@${gd.name}:`, depth));
      for (const c of gd.children) walk(this.data.groups.get(c)!, depth + 1);
      if (gd.name !== 'all') for (const h of gd.hosts) lines.push(name(h, depth + 1));
    };
    walk(g, 0);
    return lines.join('\n') + '\n';
  }
}

/** Ansible's boolean conversion (yes/no/true/false/on/off/1/0). */
export function toBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : undefined;
  if (typeof v === 'string') {
    const s = v.toLowerCase().trim();
    if (['yes', 'on', '1', 'true', 't', 'y'].includes(s)) return true;
    if (['no', 'off', '0', 'false', 'f', 'n'].includes(s)) return false;
  }
  return undefined;
}
