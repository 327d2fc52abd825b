// YAML loading that keeps source lines (for file:line errors) and understands ansible-vault:
// a whole-file vault envelope, and inline `!vault |` values. Vault values become Secrets.
// js-yaml 5 gives a positioned event stream (parseEvents), parsed once: the events are checked against the
// bounds of agent/yaml-bounds.ts (document size, alias expansion: "billion laughs" files), then built into the
// value (constructFromEvents) and walked into a PosNode tree that mirrors the value's shape.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import {
  YAML11_SCHEMA,
  EVENT_ID,
  YAMLException,
  constructFromEvents,
  defineScalarTag,
  getScalarValue,
  parseEvents,
  type Event,
} from 'js-yaml';
import { MAX_YAML_BYTES, checkAliasExpansion, checkYamlSize } from '../../agent/yaml-bounds.js';
import { Secret } from '../secrets.js';
import { ConfigError } from './errors.js';
import { type Vault, VaultError, isVaultText } from './vault.js';

/**
 * Largest vault envelope accepted: the hex of (salt, HMAC, hex of the ciphertext) is about 4 times the
 * plaintext, plus a newline every 80 characters; the plaintext itself is then held to MAX_YAML_BYTES.
 */
export const MAX_VAULT_ENVELOPE_BYTES = 4 * MAX_YAML_BYTES + MAX_YAML_BYTES / 8;

/** Where a YAML node sits: its line, and (for collections) where its children sit. */
export interface PosNode {
  line: number; // 1-based
  keys?: Map<string, { keyLine: number; value: PosNode }>;
  items?: PosNode[];
}

export interface YamlDoc {
  file: string;
  value: unknown;
  pos: PosNode;
}

export interface YamlOptions {
  vault?: Vault;
}

/** Marker for an inline `!vault |` scalar until it is decrypted with its position known. */
class VaultText {
  constructor(readonly text: string) {}
}

const vaultTag = defineScalarTag<VaultText>('!vault', {
  resolve: (source) => new VaultText(source),
  identify: () => false, // load-only
});
// YAML 1.1 like Ansible (PyYAML): `yes`/`no`/`on`/`off` are booleans, so `gather_facts: no` means false.
const schema = YAML11_SCHEMA.withTags(vaultTag);

function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

function buildPositions(text: string, events: Event[]): PosNode {
  const lineOf = lineIndex(text);
  let i = 0;
  const startOf = (ev: Event): number => {
    switch (ev.type) {
      case EVENT_ID.SCALAR:
        return ev.tagStart >= 0 ? ev.tagStart : ev.anchorStart >= 0 ? ev.anchorStart : ev.valueStart;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE:
        return ev.start;
      case EVENT_ID.ALIAS:
        return ev.anchorStart;
      default:
        return 0;
    }
  };
  const node = (): PosNode => {
    const ev = events[i++]!;
    const here: PosNode = { line: lineOf(Math.max(0, startOf(ev))) };
    if (ev.type === EVENT_ID.SEQUENCE) {
      here.items = [];
      while (events[i] && events[i]!.type !== EVENT_ID.POP) here.items.push(node());
      i++;
    } else if (ev.type === EVENT_ID.MAPPING) {
      here.keys = new Map();
      while (events[i] && events[i]!.type !== EVENT_ID.POP) {
        const kev = events[i]!;
        const key = node();
        const value = node();
        if (kev.type === EVENT_ID.SCALAR) here.keys.set(getScalarValue(text, kev), { keyLine: key.line, value });
      }
      i++;
    }
    return here;
  };
  while (i < events.length && events[i]!.type !== EVENT_ID.DOCUMENT) i++;
  i++;
  if (i >= events.length || events[i]!.type === EVENT_ID.POP) return { line: 1 };
  return node();
}

/** Child position by key or index; falls back to the parent so a line is always available. */
export function posOf(pos: PosNode | undefined, ...path: Array<string | number>): PosNode {
  let cur: PosNode = pos ?? { line: 1 };
  for (const p of path) {
    const next = typeof p === 'number' ? cur.items?.[p] : cur.keys?.get(p)?.value;
    if (!next) return cur;
    cur = next;
  }
  return cur;
}

/** Line of a mapping key (where "unknown key" errors should point). */
export function keyLine(pos: PosNode | undefined, key: string): number {
  return pos?.keys?.get(key)?.keyLine ?? pos?.line ?? 1;
}

function wrapSecrets(v: unknown): unknown {
  if (typeof v === 'string') return new Secret(v);
  if (Array.isArray(v)) return v.map(wrapSecrets);
  if (v && typeof v === 'object' && !(v instanceof Secret)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, wrapSecrets(x)]));
  }
  return v;
}

/** A VaultError as the operator should read it: a corrupted file is not a wrong password. */
function vaultMessage(e: VaultError, what: string): string {
  return e.kind === 'corrupted' ? `${what} is corrupted: ${e.reason}` : e.message;
}

function decryptInline(file: string, value: unknown, pos: PosNode, vault: Vault | undefined): unknown {
  if (value instanceof VaultText) {
    if (!vault)
      throw new ConfigError(
        file,
        pos.line,
        'value is encrypted with ansible-vault: give --vault-password-file (or set CROSSKEY_VAULT_PASSWORD_FILE)',
      );
    try {
      return new Secret(vault.decrypt(value.text));
    } catch (e) {
      if (e instanceof VaultError) throw new ConfigError(file, pos.line, vaultMessage(e, 'vault-encrypted value'));
      throw e;
    }
  }
  if (Array.isArray(value)) return value.map((x, idx) => decryptInline(file, x, posOf(pos, idx), vault));
  if (value && typeof value === 'object' && !(value instanceof Secret)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(value)) out[k] = decryptInline(file, x, posOf(pos, k), vault);
    return out;
  }
  return value;
}

/** Parses YAML text. Errors are ConfigErrors naming file:line. */
export function parseYaml(text: string, file: string, opts: YamlOptions = {}): YamlDoc {
  let wholeFileSecret = false;
  if (isVaultText(text)) {
    if (!opts.vault)
      throw new ConfigError(
        file,
        1,
        'file is encrypted with ansible-vault: give --vault-password-file (or set CROSSKEY_VAULT_PASSWORD_FILE)',
      );
    const big = checkYamlSize(text, MAX_VAULT_ENVELOPE_BYTES);
    if (big) throw new ConfigError(file, 0, `vault file ${big.reason.replace(/^document/, 'envelope')}`);
    try {
      text = opts.vault.decrypt(text);
    } catch (e) {
      if (e instanceof VaultError) {
        // The header is on the first line that is not blank; a bad character is pointed at on its own line.
        const header = text.length - text.trimStart().length;
        const line = lineIndex(text)(header) + (e.envelopeLine ?? 0);
        throw new ConfigError(file, line, vaultMessage(e, `vault file ${file}`));
      }
      throw e;
    }
    wholeFileSecret = true;
  }
  const big = checkYamlSize(text);
  if (big) throw new ConfigError(file, 0, big.reason);
  let value: unknown = null;
  let pos: PosNode = { line: 1 };
  try {
    if (text.trim() !== '') {
      const events = parseEvents(text, { filename: file });
      const alias = checkAliasExpansion(text, events);
      if (alias) throw new ConfigError(file, lineIndex(text)(alias.offset), alias.reason);
      const docs = constructFromEvents(events, { source: text, filename: file, schema });
      if (docs.length === 0) throw new YAMLException('expected a document, but the input is empty');
      if (docs.length > 1) throw new YAMLException('expected a single document in the stream, but found more');
      value = docs[0];
      pos = buildPositions(text, events);
    }
  } catch (e) {
    if (e instanceof YAMLException) {
      const line = (e.mark?.line ?? 0) + 1;
      throw new ConfigError(file, line, `YAML syntax error: ${e.reason}`);
    }
    throw e;
  }
  value = decryptInline(file, value, pos, opts.vault);
  if (wholeFileSecret) value = wrapSecrets(value);
  return { file, value, pos };
}

export function readYamlFile(file: string, opts: YamlOptions = {}): YamlDoc {
  let text: string;
  let size: number;
  try {
    // The size first: a file too large even for a vault envelope is not read into memory at all.
    const fd = openSync(file, 'r');
    try {
      size = fstatSync(fd).size;
      text = size > MAX_VAULT_ENVELOPE_BYTES ? '' : readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new ConfigError(file, 0, `cannot read file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (size > MAX_VAULT_ENVELOPE_BYTES) {
    throw new ConfigError(
      file,
      0,
      `file is ${size} bytes, more than the ${MAX_YAML_BYTES / (1024 * 1024)} MiB limit for YAML input`,
    );
  }
  return parseYaml(text, file, opts);
}
