// elasticsearch.yml → a flat settings map, as ES's Settings loader does: nested maps and dotted keys both become
// `a.b.c`, lists stay lists, scalars become strings. A broken file is reported with its path and line.
import { readFileSync } from 'node:fs';
import { loadBounded as load } from '../../../agent/yaml-bounds.js';
import type { FlatSettings } from '../cluster/state.js';

export class ConfigError extends Error {}

export function flattenYaml(value: unknown, prefix: string, out: FlatSettings, file: string): void {
  if (value === null || value === undefined) return; // `key:` with no value: ES ignores null settings
  if (Array.isArray(value)) {
    out[prefix] = value.map((v) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v)));
    return;
  }
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) flattenYaml(v, key, out, file);
      else {
        if (key in out) throw new ConfigError(`duplicate settings key [${key}] found in [${file}]`);
        flattenYaml(v, key, out, file);
      }
    }
    return;
  }
  out[prefix] = String(value);
}

/** ES replaces `${VAR}` in setting values with environment variables (PropertyPlaceholder). */
function resolvePlaceholders(settings: FlatSettings, env: NodeJS.ProcessEnv): FlatSettings {
  const one = (v: string) =>
    v.replace(/\$\{([^}:]+)\}/g, (_m, name: string) => {
      const value = env[name];
      if (value === undefined) throw new ConfigError(`Could not resolve placeholder '${name}'`);
      return value;
    });
  for (const [k, v] of Object.entries(settings)) settings[k] = Array.isArray(v) ? v.map(one) : one(v);
  return settings;
}

export function parseElasticsearchYml(text: string, file: string, env: NodeJS.ProcessEnv = process.env): FlatSettings {
  let doc: unknown;
  try {
    doc = load(text, { filename: file });
  } catch (e) {
    const err = e as { mark?: { line: number }; reason?: string; message: string };
    const where = err.mark ? `${file}:${err.mark.line + 1}` : file;
    throw new ConfigError(`Failed to load settings from [${file}] (${where}): ${err.reason ?? err.message}`);
  }
  if (doc === undefined || doc === null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError(`Failed to load settings from [${file}]: not a map of settings`);
  const out: FlatSettings = {};
  flattenYaml(doc, '', out, file);
  return resolvePlaceholders(out, env);
}

export function loadElasticsearchYml(file: string): FlatSettings {
  return parseElasticsearchYml(readFileSync(file, 'utf8'), file);
}
