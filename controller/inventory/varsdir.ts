// group_vars/ and host_vars/ next to an inventory or a playbook, as Ansible's host_group_vars plugin:
// `<dir>/<name>`, `<name>.yml|.yaml|.json`, or a folder `<name>/` whose files (recursively, sorted)
// are merged in order. Hidden files and other extensions are skipped.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { ConfigError } from '../input/errors.js';
import { readYamlFile } from '../input/yaml.js';
import type { Vault } from '../input/vault.js';

const EXTS = ['', '.yml', '.yaml', '.json'];

export class VarsDir {
  readonly #cache = new Map<string, Record<string, unknown>>();
  constructor(
    readonly base: string,
    readonly vault?: Vault,
  ) {}

  /** Vars for `kind/name` (kind = group_vars | host_vars); {} when nothing exists. */
  get(kind: 'group_vars' | 'host_vars', name: string): Record<string, unknown> {
    const key = `${kind}/${name}`;
    const hit = this.#cache.get(key);
    if (hit) return hit;
    const out: Record<string, unknown> = {};
    const dir = join(this.base, kind);
    if (existsSync(dir)) {
      for (const ext of EXTS) {
        const p = join(dir, name + ext);
        if (!existsSync(p)) continue;
        if (statSync(p).isDirectory()) {
          if (ext === '') for (const f of walk(p)) Object.assign(out, loadVarsFile(f, this.vault));
        } else {
          Object.assign(out, loadVarsFile(p, this.vault));
        }
      }
    }
    this.#cache.set(key, out);
    return out;
  }
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (EXTS.includes(extname(e.name))) out.push(p);
  }
  return out;
}

/** A vars file must be a mapping (or empty). Vault-encrypted files and values become Secrets. */
export function loadVarsFile(file: string, vault?: Vault): Record<string, unknown> {
  const doc = readYamlFile(file, { vault });
  if (doc.value === null || doc.value === undefined) return {};
  if (typeof doc.value !== 'object' || Array.isArray(doc.value)) {
    throw new ConfigError(
      file,
      doc.pos.line,
      `a vars file must be a mapping of variable names to values, got ${Array.isArray(doc.value) ? 'a list' : typeof doc.value}`,
    );
  }
  for (const k of Object.keys(doc.value)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) {
      throw new ConfigError(
        file,
        doc.pos.keys?.get(k)?.keyLine ?? doc.pos.line,
        `invalid variable name '${k}' (letters, digits and '_', not starting with a digit)`,
      );
    }
  }
  return doc.value as Record<string, unknown>;
}
