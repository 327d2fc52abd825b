// What a run does around its tasks besides scheduling them, as hooks (the executor calls them; the CLI chooses
// which): the maintenance window refuses a play that cannot finish in time, and restart bookkeeping remembers the
// files a host module changed so a later es_rolling_restart (or a resumed run) restarts those nodes.
import { pendingRestartKey, type StateStore } from '../modules/contract.js';
import type { Play } from './types.js';

export type ChangedFile = { path: string; backupPath?: string };

export interface RunHook {
  /** Before each play: why the run must stop here (resumable), with the journal event recording it. */
  beforePlay?(p: {
    play: Play;
    index: number;
    check: boolean;
  }): { reason: string; event: Record<string, unknown> } | undefined;
  /** A play starts. */
  playStart?(): void;
  /** A host's task changed files (not in check mode unless said). */
  filesChanged?(p: { host: string; files: ChangedFile[]; check: boolean }): Promise<void>;
}

/**
 * The maintenance window: a play is not started when the longest duration measured for it in earlier runs says
 * it cannot finish before `end` (es_rolling_restart checks each node restart the same way).
 */
export function maintenanceWindow(end: number, playDurations: Record<string, number> = {}, now = Date.now): RunHook {
  return {
    beforePlay({ play, index, check }) {
      if (check) return undefined;
      const name = play.name ?? play.hosts;
      const estimate = playDurations[name] ?? 0;
      const t = now();
      if (t + estimate <= end) return undefined;
      const why =
        t >= end
          ? `the maintenance window ended at ${new Date(end).toISOString()}`
          : `play '${name}' took ${(estimate / 1000).toFixed(0)} s before and the maintenance window ends at ${new Date(end).toISOString()}`;
      return {
        reason: `${why}: play '${name}' not started; continue in the next window with crosskey resume`,
        event: { kind: 'window_stop', play: index, name, estimateMs: estimate, windowEnd: new Date(end).toISOString() },
      };
    },
  };
}

/**
 * Files changed on each host in this play (handed to modules as ctx.changedFiles) and, for real runs, in saved
 * state until a restart picks them up (pendingRestartKey): a crash between the change and the restart still
 * restarts that node on resume.
 */
export function restartBookkeeping(state: StateStore): RunHook & { changedFiles: Map<string, ChangedFile[]> } {
  const changedFiles = new Map<string, ChangedFile[]>();
  return {
    changedFiles,
    playStart() {
      changedFiles.clear();
    },
    async filesChanged({ host, files, check }) {
      changedFiles.set(host, [...(changedFiles.get(host) ?? []), ...files]);
      if (check) return;
      const key = pendingRestartKey(host);
      await state.set(key, [...(state.get<ChangedFile[]>(key) ?? []), ...files]);
    },
  };
}
