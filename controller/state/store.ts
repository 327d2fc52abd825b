// Saved state shared across runs (rollback, resume): `<state-dir>/state.json`, written atomically
// (temp file + fsync + rename) so a crash never leaves half a file. Values pass through
// secrets.redactValue() on the way in: a Secret handed to set() is stored as the mask, never in clear.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { StateStore } from '../modules/contract.js';
import { secrets as defaultSecrets, type SecretRegistry } from '../secrets.js';

export class FileStateStore implements StateStore {
  readonly file: string;
  #data: Record<string, unknown>;
  #secrets: SecretRegistry;
  // Writes are serialised so concurrent set() calls from parallel hosts cannot interleave renames.
  #chain: Promise<void> = Promise.resolve();

  constructor(stateDir: string, registry: SecretRegistry = defaultSecrets) {
    this.file = join(stateDir, 'state.json');
    this.#secrets = registry;
    this.#data = FileStateStore.#load(this.file);
  }

  static #load(file: string): Record<string, unknown> {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      return parsed as Record<string, unknown>;
    } catch (e) {
      throw new Error(`${file}: saved state is not valid JSON (${(e as Error).message})`);
    }
  }

  get<T = unknown>(key: string): T | undefined {
    const v = this.#data[key];
    return v === undefined ? undefined : (structuredClone(v) as T);
  }

  set(key: string, value: unknown): Promise<void> {
    this.#data[key] = this.#secrets.redactValue(JSON.parse(JSON.stringify(value ?? null)) as unknown);
    return this.#persist();
  }

  delete(key: string): Promise<void> {
    if (!(key in this.#data)) return Promise.resolve();
    delete this.#data[key];
    return this.#persist();
  }

  keys(prefix = ''): string[] {
    return Object.keys(this.#data)
      .filter((k) => k.startsWith(prefix))
      .sort();
  }

  #persist(): Promise<void> {
    const snapshot = JSON.stringify(this.#data, null, 2) + '\n';
    this.#chain = this.#chain.then(() => writeAtomic(this.file, snapshot));
    return this.#chain;
  }
}

export function writeAtomic(file: string, text: string, mode = 0o600): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
