// Variables for the CLI and the executor: extra vars (-e), vars_files, and the documented merge order
// (docs/variables.md). Inventory-level precedence lives in controller/inventory/index.ts.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { loadVarsFile } from '../inventory/varsdir.js';
import { isSecret } from '../secrets.js';
import { ConfigError } from '../input/errors.js';
import { renderString } from '../lang/template.js';
import { parseYaml } from '../input/yaml.js';
import type { Vault } from '../input/vault.js';

type Vars = Record<string, unknown>;

/** Splits `a=1 b="x y" c='z'` (Ansible's k=v form; values stay strings, quotes removed). */
export function splitKeyValues(text: string): { pairs: Record<string, string> } | { bad: string } {
  const pairs: Record<string, string> = {};
  for (const part of text.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? []) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { bad: part };
    pairs[part.slice(0, eq)] = part.slice(eq + 1).replace(/^(["'])(.*)\1$/s, '$2');
  }
  return { pairs };
}

/**
 * Parses the -e/--extra-vars arguments in order (later ones win), as Ansible does:
 *   -e @vars.yml          a YAML/JSON file (vault allowed)
 *   -e '{"a": 1}'         inline JSON or YAML mapping (typed)
 *   -e 'a=1 b="x y"'      key=value pairs (values stay strings)
 */
export function parseExtraVars(args: string[], opts: { vault?: Vault; cwd?: string } = {}): Vars {
  const out: Vars = {};
  args.forEach((arg, i) => {
    const label = `-e #${i + 1}`;
    const text = arg.trim();
    if (text.startsWith('@')) {
      const f = text.slice(1);
      const abs = isAbsolute(f) ? f : resolve(opts.cwd ?? process.cwd(), f);
      if (!existsSync(abs)) throw new ConfigError(label, 0, `extra vars file not found: ${f}`);
      Object.assign(out, loadVarsFile(abs, opts.vault));
      return;
    }
    if (text.startsWith('{') || text.startsWith('[') || text.startsWith('---')) {
      const doc = parseYaml(text, label, { vault: opts.vault });
      if (!doc.value || typeof doc.value !== 'object' || Array.isArray(doc.value)) {
        throw new ConfigError(label, 0, 'inline extra vars must be a mapping, e.g. \'{"es_version": "8.15.0"}\'');
      }
      Object.assign(out, doc.value);
      return;
    }
    if (!text) throw new ConfigError(label, 0, 'empty extra vars');
    const kv = splitKeyValues(text);
    if ('bad' in kv)
      throw new ConfigError(label, 0, `expected key=value, @file or a JSON/YAML mapping; got '${kv.bad}'`);
    for (const key of Object.keys(kv.pairs)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new ConfigError(label, 0, `invalid variable name '${key}'`);
    }
    Object.assign(out, kv.pairs);
  });
  return out;
}

/**
 * Loads a play's vars_files in order (later files win). Paths holding `{{ }}` are rendered with `vars`
 * (play vars + inventory vars of the host, as in Ansible); a missing file is a ConfigError.
 */
export function loadVarsFiles(paths: string[], opts: { vault?: Vault; vars?: Vars; baseDir?: string } = {}): Vars {
  const out: Vars = {};
  for (const p of paths) {
    let file = p;
    if (p.includes('{{')) {
      const rendered = renderString(p, opts.vars ?? {}, { file: p, line: 0 });
      if (isSecret(rendered) || typeof rendered !== 'string')
        throw new ConfigError(p, 0, 'a vars_files path must render to a plain string');
      file = rendered;
    }
    if (!isAbsolute(file)) file = resolve(opts.baseDir ?? process.cwd(), file);
    if (!existsSync(file)) throw new ConfigError(file, 0, 'vars file not found');
    Object.assign(out, loadVarsFile(file, opts.vault));
  }
  return out;
}

/** The layers of one task's variables, low → high precedence (docs/variables.md). */
export interface VarLayers {
  /** inventory.hostVars(host): groups, group_vars, host vars, host_vars (already merged). */
  inventory: Vars;
  play?: Vars;
  varsFiles?: Vars;
  /** Vars of enclosing blocks, outermost first. */
  blocks?: Vars[];
  task?: Vars;
  /** Registered results and facts set during the run. */
  registered?: Vars;
  extra?: Vars;
  /** inventory.magicVars(host) plus hostvars/play_hosts from the executor: reserved, nothing overrides them. */
  magic?: Vars;
}

/** Merges the layers (top-level keys replace, no deep merge — like Ansible's default). */
export function mergeVarLayers(l: VarLayers): Vars {
  return Object.assign(
    {},
    l.inventory,
    l.play,
    l.varsFiles,
    ...(l.blocks ?? []),
    l.task,
    l.registered,
    l.extra,
    l.magic,
  );
}
