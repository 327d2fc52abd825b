// Secrets produced during a run and consumed by a later task of the same run (e.g. the encoded cross-cluster key
// created by es_cross_cluster_api_key and written by the keystore module with `value_from`). Kept only in memory:
// one controller run = one process, and nothing here is ever persisted. A resumed run that needs a secret it no
// longer has must re-create it (see es_cross_cluster_api_key).
import type { Secret } from '../../secrets.js';
import type { CertAndKey } from '../../certs/index.js';

export interface NamedSecret {
  secret: Secret;
  /** Identifies the value without revealing it (e.g. the API key id): the keystore module records it per host. */
  version: string;
  /** Saved-state key whose `staged_hosts` list the keystore module extends after writing the value to a host. */
  stagedStateKey?: string;
}

class RunSecrets {
  #byName = new Map<string, NamedSecret>();
  set(name: string, entry: NamedSecret): void {
    this.#byName.set(name, entry);
  }
  get(name: string): NamedSecret | undefined {
    return this.#byName.get(name);
  }
  delete(name: string): void {
    this.#byName.delete(name);
  }
  /** For tests: forget everything (simulates a new controller process). */
  clear(): void {
    this.#byName.clear();
  }
}

/** What one run keeps in memory between its tasks (never persisted). */
export interface RunScratch {
  secrets: RunSecrets;
  /** Hosts whose keystore a check-mode run would change: lets es_reload_secure_settings show in check mode the
   *  reload the real run would do. */
  plannedKeystoreChanges: Set<string>;
  /** Hosts es_rolling_restart restarted, per play (keyed by the play's `ctx.changedFiles` map): a repeated call in
   *  the same play restarts none of them again. */
  restartedInPlay: WeakMap<object, Set<string>>;
  /** es_certificate: one CA load (or creation) per CA directory, even with hosts in parallel. */
  certificateAuthorities: Map<string, Promise<CertAndKey>>;
  /** es_certificate: one wildcard certificate per CA directory and SANs. */
  wildcardCertificates: Map<string, Promise<{ p12: Buffer; warnings: string[] }>>;
}

export function newRunScratch(): RunScratch {
  return {
    secrets: new RunSecrets(),
    plannedKeystoreChanges: new Set(),
    restartedInPlay: new WeakMap(),
    certificateAuthorities: new Map(),
    wildcardCertificates: new Map(),
  };
}

/** For code that runs modules outside a playbook run (tests' harnesses): one per process. */
const processScratch = newRunScratch();
export const runSecrets = processScratch.secrets;
export const plannedKeystoreChanges = processScratch.plannedKeystoreChanges;

/** The run's scratch: on the task's context in a run, else the process's. */
export function scratchOf(ctx: { scratch?: RunScratch }): RunScratch {
  return ctx.scratch ?? processScratch;
}
