// The inventory's groups and hosts, built by the INI and YAML parsers in Ansible's order
// (insertion order matters: it is the order of `ansible-inventory --list` and of play hosts).

export interface GroupData {
  name: string;
  hosts: string[];
  children: string[];
  parents: string[];
  vars: Record<string, unknown>;
}

export interface HostData {
  name: string;
  vars: Record<string, unknown>;
  /** Direct groups in the order the host joined them (without 'all'). */
  groups: string[];
  /** Where the host was first defined (for errors). */
  source: { file: string; line: number };
}

export class InventoryData {
  readonly groups = new Map<string, GroupData>();
  readonly hosts = new Map<string, HostData>();

  constructor() {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.addChild('all', 'ungrouped');
  }

  addGroup(name: string): GroupData {
    let g = this.groups.get(name);
    if (!g) {
      g = { name, hosts: [], children: [], parents: [], vars: {} };
      this.groups.set(name, g);
    }
    return g;
  }

  addHost(name: string, group: string | undefined, source: { file: string; line: number }): HostData {
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, vars: {}, groups: [], source };
      this.hosts.set(name, h);
    }
    if (group && group !== 'all') {
      const g = this.addGroup(group);
      if (!g.hosts.includes(name)) g.hosts.push(name);
      if (!h.groups.includes(group)) h.groups.push(group);
    }
    return h;
  }

  /** Returns false when the edge would make a cycle. */
  addChild(parent: string, child: string): boolean {
    const p = this.addGroup(parent);
    const c = this.addGroup(child);
    if (parent === child || this.ancestors(parent).has(child)) return false;
    if (!p.children.includes(child)) p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
    return true;
  }

  ancestors(name: string): Set<string> {
    const out = new Set<string>();
    const walk = (n: string): void => {
      for (const p of this.groups.get(n)?.parents ?? []) {
        if (!out.has(p)) {
          out.add(p);
          walk(p);
        }
      }
    };
    walk(name);
    return out;
  }

  /** Ansible's reconcile_inventory: top-level groups become children of all; lone hosts go to ungrouped. */
  reconcile(): void {
    for (const g of this.groups.values()) {
      if (g.name !== 'all' && g.parents.length === 0) this.addChild('all', g.name);
    }
    const ungrouped = this.groups.get('ungrouped')!;
    for (const h of this.hosts.values()) {
      const others = h.groups.filter((g) => g !== 'ungrouped');
      if (others.length === 0 && !ungrouped.hosts.includes(h.name)) {
        ungrouped.hosts.push(h.name);
        h.groups.push('ungrouped');
      } else if (others.length > 0 && h.groups.includes('ungrouped')) {
        ungrouped.hosts.splice(ungrouped.hosts.indexOf(h.name), 1);
        h.groups.splice(h.groups.indexOf('ungrouped'), 1);
      }
    }
  }

  /** Depth as Ansible computes it: all = 0, a child is one deeper than its deepest parent. */
  depth(name: string): number {
    const parents = this.groups.get(name)?.parents ?? [];
    if (name === 'all') return 0;
    return parents.length ? 1 + Math.max(...parents.map((p) => this.depth(p))) : 1;
  }
}
