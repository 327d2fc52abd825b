// Host names as written in inventories: ranges ("es-data[01:20].dc1", "node-[a:f]", "[1:9:2]")
// and an optional ":port" suffix (INI and YAML inventories alike, as Ansible's _expand_hostpattern).

export class HostPatternError extends Error {
  override name = 'HostPatternError';
}

/** Splits "host:port" (the last ':' outside brackets, followed by digits only). */
export function splitPort(pattern: string): { name: string; port?: number } {
  let depth = 0;
  let lastColon = -1;
  let colons = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === ':' && depth === 0) {
      lastColon = i;
      colons++;
    }
  }
  if (lastColon < 0) return { name: pattern };
  const portText = pattern.slice(lastColon + 1);
  const name = pattern.slice(0, lastColon);
  // An IPv6 address without brackets has several colons and no port.
  if (colons > 1) return { name: pattern };
  if (!/^\d+$/.test(portText)) {
    throw new HostPatternError(`invalid port '${portText}' in host '${pattern}'`);
  }
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new HostPatternError(`port ${port} out of range in host '${pattern}'`);
  return { name, port };
}

/** Expands every [a:b(:step)] range; names without ranges come back as [name]. */
export function expandHostRange(name: string): string[] {
  const m = /^(.*?)\[([^\]]*)\](.*)$/.exec(name);
  if (!m) {
    if (/[[\]]/.test(name)) throw new HostPatternError(`unbalanced '[' or ']' in host '${name}'`);
    return [name];
  }
  const [, head, range, tail] = m as unknown as [string, string, string, string];
  const parts = range.split(':');
  if (parts.length < 2 || parts.length > 3)
    throw new HostPatternError(`invalid range [${range}] in host '${name}' (expected [start:end] or [start:end:step])`);
  const [start, end, stepText] = parts as [string, string, string?];
  const step = stepText === undefined || stepText === '' ? 1 : Number(stepText);
  if (!Number.isInteger(step) || step < 1) throw new HostPatternError(`invalid step '${stepText}' in host '${name}'`);
  const items: string[] = [];
  if (/^\d+$/.test(start) && /^\d+$/.test(end)) {
    const a = Number(start);
    const b = Number(end);
    if (a > b) throw new HostPatternError(`range start ${start} is after end ${end} in host '${name}'`);
    const width = start.length > 1 && start.startsWith('0') ? start.length : 0;
    for (let i = a; i <= b; i += step) items.push(String(i).padStart(width, '0'));
  } else if (/^[a-zA-Z]$/.test(start) && /^[a-zA-Z]$/.test(end)) {
    const a = start.charCodeAt(0);
    const b = end.charCodeAt(0);
    if (a > b) throw new HostPatternError(`range start ${start} is after end ${end} in host '${name}'`);
    for (let i = a; i <= b; i += step) items.push(String.fromCharCode(i));
  } else if (start === '' || end === '') {
    throw new HostPatternError(`range [${range}] in host '${name}' needs both a start and an end`);
  } else {
    throw new HostPatternError(`invalid range [${range}] in host '${name}' (numbers or single letters)`);
  }
  const rest = expandHostRange(tail);
  return items.flatMap((it) => rest.map((r) => head + it + r));
}
