// ES's IP filtering of inbound connections (xpack.security.<profile>.filter.allow|deny), for the connections other
// clusters open: the transport profile and the remote cluster server profile, whose settings default to the
// transport ones (docs/procedure.md §1.2 #9, §2.11 — a bare `transport.filter.deny: _all` closes 9443 too).
// Rules: allow rules first, then deny rules, the first match decides; no match → allowed. `_all` matches any.
import { isIPv4 } from 'node:net';

type Get = (key: string) => string | string[] | undefined;

function list(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : String(v).split(',')).map((s) => s.trim()).filter(Boolean);
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
}

export function ruleMatches(rule: string, ip: string): boolean {
  const addr = ip.replace(/^::ffff:/, '');
  if (rule === '_all') return true;
  const slash = rule.indexOf('/');
  if (slash > 0 && isIPv4(rule.slice(0, slash)) && isIPv4(addr)) {
    const bits = Number(rule.slice(slash + 1));
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return (ipv4ToInt(rule.slice(0, slash)) & mask) === (ipv4ToInt(addr) & mask);
  }
  if (rule.includes('*'))
    return new RegExp(
      '^' +
        rule
          .split('*')
          .map((p) => p.replace(/[.]/g, '\\.'))
          .join('.*') +
        '$',
    ).test(addr);
  return rule === addr;
}

export function ipFilterAllows(
  get: Get,
  profile: 'default' | '_remote_cluster',
  ip: string,
): { allowed: boolean; rule?: string } {
  if (String(get('xpack.security.transport.filter.enabled') ?? 'true') === 'false') return { allowed: true };
  const key = (k: 'allow' | 'deny') => {
    if (profile === 'default') return list(get(`xpack.security.transport.filter.${k}`));
    const own = get(`xpack.security.remote_cluster.filter.${k}`);
    return list(own !== undefined ? own : get(`xpack.security.transport.filter.${k}`));
  };
  for (const r of key('allow')) if (ruleMatches(r, ip)) return { allowed: true, rule: `allow ${r}` };
  for (const r of key('deny')) if (ruleMatches(r, ip)) return { allowed: false, rule: `deny ${r}` };
  return { allowed: true };
}
