// A reader for the OpenSSH client config (~/.ssh/config): Host blocks with patterns and negation, the keywords
// crosskey honours (HostName, User, Port, IdentityFile, ProxyJump, UserKnownHostsFile), first value wins
// (IdentityFile accumulates), `Match` blocks are skipped, `Include` is followed (relative to ~/.ssh).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { matchPatternList, sshPattern } from './glob.js';

export interface SshConfigEntry {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  proxyJump?: string; // comma-separated chain, or undefined; "none" is turned into undefined
  userKnownHostsFiles?: string[];
}

interface Line {
  keyword: string;
  args: string[];
  file: string;
  line: number;
}
interface Block {
  patterns: string[] | null;
  lines: Line[];
} // patterns null = Match block (ignored)

function tokenize(s: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m;
  while ((m = re.exec(s))) out.push(m[1] ?? m[2]);
  return out;
}

export function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}

function parseFile(file: string, blocks: Block[], depth = 0): void {
  if (depth > 8 || !existsSync(file)) return;
  let current: Block = blocks.length ? blocks[blocks.length - 1] : { patterns: ['*'], lines: [] };
  if (!blocks.length) blocks.push(current);
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      const text = raw.trim();
      if (!text || text.startsWith('#')) return;
      const m = text.match(/^(\S+?)(?:\s*=\s*|\s+)(.*)$/);
      if (!m) return;
      const keyword = m[1].toLowerCase();
      const args = tokenize(m[2]);
      if (keyword === 'host') {
        current = { patterns: args, lines: [] };
        blocks.push(current);
        return;
      }
      if (keyword === 'match') {
        current = { patterns: null, lines: [] };
        blocks.push(current);
        return;
      }
      if (keyword === 'include') {
        for (const a of args) {
          const p = expandHome(a);
          const abs = isAbsolute(p) ? p : join(homedir(), '.ssh', p);
          for (const f of globFiles(abs)) parseFile(f, blocks, depth + 1);
        }
        current = blocks[blocks.length - 1];
        return;
      }
      current.lines.push({ keyword, args, file, line: i + 1 });
    });
}

function globFiles(pattern: string): string[] {
  if (!/[*?]/.test(basename(pattern))) return [pattern];
  const dir = dirname(pattern);
  if (!existsSync(dir)) return [];
  const re = sshPattern(basename(pattern));
  return readdirSync(dir)
    .filter((f) => re.test(f))
    .sort()
    .map((f) => join(dir, f));
}

export class SshConfig {
  private blocks: Block[] = [];
  constructor(readonly file: string) {
    parseFile(file, this.blocks);
  }

  /** Settings for `host` (the name given to ssh, i.e. ansible_host). */
  lookup(host: string): SshConfigEntry {
    const e: SshConfigEntry = { identityFiles: [] };
    for (const b of this.blocks) {
      if (!b.patterns || !matchPatternList(b.patterns, host)) continue;
      for (const l of b.lines) {
        const v = l.args[0];
        if (v === undefined) continue;
        switch (l.keyword) {
          case 'hostname':
            e.hostName ??= v.replace(/%h/g, host);
            break;
          case 'user':
            e.user ??= v;
            break;
          case 'port':
            if (e.port === undefined) {
              const n = Number(v);
              if (!Number.isInteger(n) || n < 1 || n > 65535)
                throw new Error(`${l.file}:${l.line}: bad Port ${JSON.stringify(v)}`);
              e.port = n;
            }
            break;
          case 'identityfile':
            e.identityFiles.push(expandHome(v.replace(/%h/g, host)));
            break;
          case 'proxyjump':
            if (!('proxyJump' in e)) e.proxyJump = v.toLowerCase() === 'none' ? undefined : v;
            break;
          case 'userknownhostsfile':
            e.userKnownHostsFiles ??= l.args.map(expandHome);
            break;
        }
      }
    }
    return e;
  }
}

/** Parses one ProxyJump hop: [user@]host[:port] (or ssh://user@host:port). */
export function parseJump(hop: string): { user?: string; host: string; port?: number } {
  const m = hop.replace(/^ssh:\/\//, '').match(/^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/);
  if (!m) throw new Error(`bad ProxyJump hop ${JSON.stringify(hop)}`);
  return { user: m[1], host: m[2].replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : undefined };
}
