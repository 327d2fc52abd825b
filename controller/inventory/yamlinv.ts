// Ansible YAML inventory: top-level groups (usually `all`), each with `hosts`, `vars`, `children`.
import { ConfigError } from '../input/errors.js';
import { didYouMean } from '../names.js';
import { keyLine, posOf, type PosNode } from '../input/yaml.js';
import { HostPatternError, expandHostRange, splitPort } from './hostpattern.js';
import type { InventoryData } from './data.js';

const GROUP_KEYS = ['hosts', 'vars', 'children'];

function isDict(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}

export function parseYamlInventory(value: unknown, pos: PosNode, file: string, inv: InventoryData): void {
  if (value === null || value === undefined) return;
  if (!isDict(value))
    throw new ConfigError(
      file,
      pos.line,
      'a YAML inventory must be a mapping of groups (e.g. `all:` with `hosts:`/`children:`)',
    );
  for (const [name, data] of Object.entries(value))
    parseGroup(name, data, posOf(pos, name), keyLine(pos, name), file, inv);
}

function parseGroup(name: string, data: unknown, pos: PosNode, line: number, file: string, inv: InventoryData): void {
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) {
    throw new ConfigError(
      file,
      line,
      `invalid group name '${name}' (letters, digits, '_' and '-'; not starting with a digit)`,
    );
  }
  inv.addGroup(name);
  if (data === null || data === undefined) return;
  if (!isDict(data))
    throw new ConfigError(
      file,
      pos.line,
      `group '${name}' must be a mapping with hosts/vars/children, got ${describe(data)}`,
    );
  for (const key of Object.keys(data)) {
    if (!GROUP_KEYS.includes(key)) {
      throw new ConfigError(
        file,
        keyLine(pos, key),
        `unexpected key '${key}' in group '${name}'${didYouMean(key, GROUP_KEYS)}; a group has: ${GROUP_KEYS.join(', ')}`,
      );
    }
  }
  const { hosts, vars, children } = data;
  if (vars !== undefined && vars !== null) {
    if (!isDict(vars))
      throw new ConfigError(
        file,
        posOf(pos, 'vars').line,
        `vars of group '${name}' must be a mapping, got ${describe(vars)}`,
      );
    Object.assign(inv.addGroup(name).vars, vars);
  }
  if (hosts !== undefined && hosts !== null) {
    if (!isDict(hosts))
      throw new ConfigError(
        file,
        posOf(pos, 'hosts').line,
        `hosts of group '${name}' must be a mapping of host names (each with its vars or empty), got ${describe(hosts)}`,
      );
    const hpos = posOf(pos, 'hosts');
    for (const [pattern, hvars] of Object.entries(hosts)) {
      const hline = keyLine(hpos, pattern);
      if (hvars !== null && hvars !== undefined && !isDict(hvars)) {
        throw new ConfigError(file, hline, `vars of host '${pattern}' must be a mapping, got ${describe(hvars)}`);
      }
      let names: string[];
      let port: number | undefined;
      try {
        const p = splitPort(pattern);
        port = p.port;
        names = expandHostRange(p.name);
      } catch (e) {
        if (e instanceof HostPatternError) throw new ConfigError(file, hline, e.message);
        throw e;
      }
      for (const n of names) {
        const h = inv.addHost(n, name, { file, line: hline });
        if (port !== undefined) h.vars.ansible_port = port;
        if (hvars) Object.assign(h.vars, hvars);
      }
    }
  }
  if (children !== undefined && children !== null) {
    const cpos = posOf(pos, 'children');
    if (!isDict(children))
      throw new ConfigError(
        file,
        cpos.line,
        `children of group '${name}' must be a mapping of groups, got ${describe(children)}`,
      );
    for (const [child, cdata] of Object.entries(children)) {
      const cline = keyLine(cpos, child);
      inv.addGroup(child);
      if (!inv.addChild(name, child))
        throw new ConfigError(file, cline, `group '${child}' cannot be a child of '${name}' (that would make a cycle)`);
      parseGroup(child, cdata, posOf(cpos, child), cline, file, inv);
    }
  }
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return `${typeof v} ${JSON.stringify(v)}`;
}
