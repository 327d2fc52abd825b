// Fault injection for tests, per node, in ES_HOME/lab-faults.json (written by `lab fault`, read by the node
// process, its service script and the lab's SSH hosts).
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// block-rcs: from the next start until cleared, the remote cluster server port takes no connections although the
// node reports it bound (a firewall that was not opened for 9443, the classic miss of this migration).
export const FAULT_KINDS = [
  'fail-start',
  'slow-start',
  'drop-ssh',
  'http-429',
  'http-503',
  'stall-recovery',
  'block-rcs',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultEntry {
  /** Remaining occurrences (fail-start, slow-start: starts; http-*: requests); absent = until cleared. */
  count?: number;
  /** slow-start: extra start time. */
  ms?: number;
}
export type Faults = Partial<Record<FaultKind, FaultEntry>>;

export function faultsFile(home: string): string {
  return join(home, 'lab-faults.json');
}

export function readFaults(home: string): Faults {
  const f = faultsFile(home);
  if (!existsSync(f)) return {};
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as Faults;
  } catch {
    return {};
  }
}

export function writeFaults(home: string, faults: Faults): void {
  const f = faultsFile(home);
  const tmp = `${f}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(faults, null, 1));
  renameSync(tmp, f);
}

/** Uses one occurrence of a counted fault; true when the fault applies now. */
export function consumeFault(home: string, kind: FaultKind): FaultEntry | undefined {
  const faults = readFaults(home);
  const entry = faults[kind];
  if (!entry) return undefined;
  if (entry.count !== undefined) {
    if (entry.count <= 0) return undefined;
    entry.count -= 1;
    if (entry.count === 0) delete faults[kind];
    writeFaults(home, faults);
  }
  return entry;
}
