// Small helpers shared by the core modules.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { isSecret, reveal } from '../../secrets.js';
import { ModuleError } from '../contract.js';

/** The plain string of an argument (Secrets revealed: only for stdin / file contents sent to the agent). */
export function plain(v: unknown): string {
  const r = reveal(v);
  return typeof r === 'string' ? r : String(r);
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Ansible-style mode → 4-digit octal string ('0644'). Symbolic modes are not supported. */
export function normalizeMode(mode: unknown): string | undefined {
  if (mode === undefined || mode === null) return undefined;
  // Playbooks are read as YAML 1.1 (as Ansible does), so an unquoted `0640` arrives as the number 416: a number is
  // permission bits. (An unquoted `644` is decimal, as in Ansible: quote modes.)
  const s = typeof mode === 'number' ? mode.toString(8) : String(reveal(mode)).trim();
  if (!/^0?[0-7]{3,4}$/.test(s)) throw new ModuleError(`mode must be octal like '0644', got '${s}'`);
  return s.replace(/^0?/, '').padStart(4, '0');
}

/** Finds a file named by `src` the way Ansible does: absolute, else <playbook_dir>/<subdir>/src, else <playbook_dir>/src. */
export function resolveLocalFile(src: string, vars: Record<string, unknown>, subdir: 'files' | 'templates'): string {
  if (isAbsolute(src)) {
    if (!existsSync(src)) throw new ModuleError(`src file not found: ${src}`);
    return src;
  }
  const base = typeof vars.playbook_dir === 'string' ? vars.playbook_dir : process.cwd();
  const candidates = [join(base, subdir, src), join(base, src)];
  for (const c of candidates) if (existsSync(c)) return resolve(c);
  throw new ModuleError(`src file not found: ${src} (looked in ${candidates.join(', ')})`);
}

export { isSecret };

/** Splits a command line like Python's shlex (quotes, backslash escapes), no shell features. */
export function splitCommand(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < cmd.length && '"\\$`'.includes(cmd[i + 1]!)) cur += cmd[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < cmd.length) {
      cur += cmd[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has) {
        out.push(cur);
        cur = '';
        has = false;
      }
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote) throw new ModuleError(`unterminated ${quote} quote in command: ${cmd}`);
  if (has) out.push(cur);
  return out;
}

export function lines(text: string): string[] {
  if (!text) return [];
  const l = text.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}
