// facts: what the controller needs to know about a host, in one round trip.
import { readFileSync } from 'node:fs';
import { hostname, release, userInfo, machine } from 'node:os';
import type { OpArgs, OpResult } from '../protocol.js';
import { statPath } from './fsutil.js';

function osName(): string {
  try {
    const m = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)"?$/m);
    if (m) return m[1];
  } catch {
    /* not Linux-like */
  }
  return process.platform;
}

function hexToIp(hex: string): string {
  if (hex.length === 8) return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  // IPv6: four little-endian 32-bit words.
  const words = [0, 1, 2, 3].map((w) =>
    hex
      .slice(w * 8, w * 8 + 8)
      .match(/../g)!
      .reverse()
      .join(''),
  );
  const groups = words
    .join('')
    .match(/..../g)!
    .map((g) => parseInt(g, 16).toString(16));
  const v4mapped = groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff';
  if (v4mapped) return hexToIp(words[3].match(/../g)!.reverse().join(''));
  return groups
    .join(':')
    .replace(/\b(?:0:){2,}/, ':')
    .replace(/^0::/, '::');
}

/** Listening TCP sockets from /proc/net/tcp{,6} (state 0A = LISTEN). */
export function listeningSockets(): Array<{ address: string; port: number }> {
  const seen = new Set<string>();
  const out: Array<{ address: string; port: number }> = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue;
      const [ipHex, portHex] = cols[1].split(':');
      const entry = { address: hexToIp(ipHex), port: parseInt(portHex, 16) };
      const key = `${entry.address}:${entry.port}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(entry);
      }
    }
  }
  return out.sort((a, b) => a.port - b.port || a.address.localeCompare(b.address));
}

export async function facts(args: OpArgs<'facts'>): Promise<OpResult<'facts'>> {
  const u = userInfo();
  const paths: Record<string, Awaited<ReturnType<typeof statPath>>> = {};
  for (const [name, p] of Object.entries(args.paths ?? {})) paths[name] = await statPath(p);
  return {
    hostname: hostname(),
    os: osName(),
    platform: process.platform,
    arch: machine(),
    kernel: release(),
    user: u.username,
    uid: u.uid,
    node: process.version,
    listening: listeningSockets(),
    paths,
  };
}
