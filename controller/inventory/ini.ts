// Ansible INI inventory: [group], [group:vars], [group:children], host lines with inline
// key=value vars (typed like Python's literal_eval), host ranges, host:port.
import { ConfigError } from '../input/errors.js';
import { HostPatternError, expandHostRange, splitPort } from './hostpattern.js';
import { iniValue } from './literal.js';
import type { InventoryData } from './data.js';

/** POSIX shlex.split with comments=True: quotes, backslash escapes, '#' starts a comment at a token start. */
export function shlexSplit(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inToken = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      if (inToken) {
        out.push(cur);
        cur = '';
        inToken = false;
      }
      i++;
    } else if (c === '#') {
      // Python's shlex (posix, comments=True): '#' outside quotes ends the line, even inside a word.
      break;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('no closing quotation');
      cur += line.slice(i + 1, end);
      inToken = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inToken = true;
      for (;;) {
        if (i >= line.length) throw new Error('no closing quotation');
        const d = line[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\' && i + 1 < line.length && '\\"$`\n'.includes(line[i + 1]!)) {
          cur += line[i + 1];
          i += 2;
          continue;
        }
        cur += d;
        i++;
      }
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[i + 1];
      inToken = true;
      i += 2;
    } else {
      cur += c;
      inToken = true;
      i++;
    }
  }
  if (inToken) out.push(cur);
  return out;
}

export function parseIni(text: string, file: string, inv: InventoryData): void {
  type Kind = 'hosts' | 'vars' | 'children';
  let group = 'ungrouped';
  let kind: Kind = 'hosts';
  // [g:vars] may come before [g]; Ansible requires g to be defined somewhere in the file.
  const pendingVarsSections = new Map<string, number>();
  // A group named under [p:children] must get its own [g] or [g:children] section somewhere.
  const pendingChildren = new Map<string, { parent: string; line: number }>();
  const defined = new Set<string>(['all', 'ungrouped']);
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, idx) => {
    const lineNo = idx + 1;
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    const err = (msg: string): never => {
      throw new ConfigError(file, lineNo, msg);
    };
    const section = /^\[([^\]]+)\]\s*(?:[#;].*)?$/.exec(line);
    if (section) {
      const [name, type, extra] = section[1]!.trim().split(':');
      if (extra !== undefined || !name) err(`invalid section header '${line}'`);
      if (type === undefined) kind = 'hosts';
      else if (type === 'vars' || type === 'children') kind = type;
      else
        err(
          `section [${section[1]}] has unknown type '${type}' (expected [${name}], [${name}:vars] or [${name}:children])`,
        );
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name!))
        err(`invalid group name '${name}' (letters, digits, '_' and '-'; not starting with a digit)`);
      group = name!;
      if (kind === 'vars') {
        if (!defined.has(group)) pendingVarsSections.set(group, lineNo);
      } else {
        defined.add(group);
        pendingVarsSections.delete(group);
        pendingChildren.delete(group);
        inv.addGroup(group);
      }
      return;
    }
    if (line.startsWith('[')) err(`invalid section header '${line}'`);
    if (kind === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) err(`expected key=value in [${group}:vars], got '${line}'`);
      const key = line.slice(0, eq).trim();
      if (!key) err(`missing variable name before '=' in [${group}:vars]`);
      inv.addGroup(group).vars[key] = iniValue(line.slice(eq + 1).trim());
      return;
    }
    if (kind === 'children') {
      const child = shlexSafe(line, err)[0]!;
      if (!inv.addChild(group, child))
        err(`group '${child}' cannot be a child of '${group}' (that would make a cycle)`);
      if (!defined.has(child) && !pendingChildren.has(child))
        pendingChildren.set(child, { parent: group, line: lineNo });
      return;
    }
    const tokens = shlexSafe(line, err);
    let names: string[];
    let port: number | undefined;
    try {
      const p = splitPort(tokens[0]!);
      port = p.port;
      names = expandHostRange(p.name);
    } catch (e) {
      if (e instanceof HostPatternError) err(e.message);
      throw e;
    }
    // host:port first, so an explicit ansible_port=… on the line wins (Ansible's order).
    const vars: Record<string, unknown> = port !== undefined ? { ansible_port: port } : {};
    for (const t of tokens.slice(1)) {
      const eq = t.indexOf('=');
      if (eq <= 0) err(`expected key=value host variable assignment, got '${t}'`);
      vars[t.slice(0, eq)] = iniValue(t.slice(eq + 1));
    }
    for (const n of names!) Object.assign(inv.addHost(n, group, { file, line: lineNo }).vars, vars);
  });
  for (const [g, { parent, line }] of pendingChildren) {
    throw new ConfigError(
      file,
      line,
      `section [${parent}:children] includes group '${g}', which has no [${g}] or [${g}:children] section`,
    );
  }
  for (const [g, lineNo] of pendingVarsSections) {
    throw new ConfigError(
      file,
      lineNo,
      `section [${g}:vars] is for group '${g}', which is not defined in this inventory`,
    );
  }
}

function shlexSafe(line: string, err: (msg: string) => never): string[] {
  try {
    const t = shlexSplit(line);
    if (t.length === 0) err('empty line');
    return t;
  } catch (e) {
    return err(`unbalanced quotes: ${(e as Error).message}`);
  }
}
