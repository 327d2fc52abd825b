// `crosskey resume [RUN] [--state-dir D | -i INV]`: run again what a stopped run was running, from the
// play where it stopped, with the same arguments (from the journal header). Every module is idempotent,
// so re-running a partly done play converges to the same end state.
import type { CliCommand } from '../command.js';
import { parseCliArgs, UsageError } from '../command.js';
import { listRuns, readRun, resolveRunId } from '../../state/journal.js';
import { executeRun, type RunFlags } from './run.js';
import { stateDirFrom } from './runs.js';
import { MASK } from '../../secrets.js';

const usage =
  "usage: crosskey resume [RUN] (an id or a unique prefix) [--state-dir D | -i INVENTORY] [--json] [--vault-password-file F] [--window-end TIME] [-e V …]\n  -e adds extra vars after the recorded ones (secret values are masked in the journal: give them again)\n  --window-end sets the new maintenance window (the stopped run's window is not reused)";

export const resumeCommand: CliCommand = {
  name: 'resume',
  usage,
  async run(argv, io) {
    const parsed = parseCliArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'state-dir': { type: 'string' },
        inventory: { type: 'string', short: 'i' },
        json: { type: 'boolean' },
        'vault-password-file': { type: 'string' },
        'extra-vars': { type: 'string', short: 'e', multiple: true },
        'window-end': { type: 'string' },
      },
    });
    const v = parsed.values;
    const stateDir = stateDirFrom(v, io.cwd);
    let id = parsed.positionals[0];
    if (!id) {
      // The most recent applying run, if it did not end well (a later successful resume supersedes it).
      const latest = listRuns(stateDir)
        .filter((r) => !r.check)
        .at(-1);
      if (!latest || latest.status === 'ok')
        throw new UsageError(
          `no unfinished run in ${stateDir}${latest ? ` (the last run, ${latest.id}, ended ok)` : ''}`,
        );
      id = latest.id;
    }
    const run = readRun(stateDir, resolveRunId(stateDir, id));
    id = run.id;
    if (!run.header) throw new UsageError(`run ${id} has no header (journal ${run.file} is empty or corrupt)`);
    if (run.resumePlay === undefined) throw new UsageError(`run ${id} completed every play; nothing to resume`);
    const recorded = run.header.options as unknown as RunFlags;
    const given = v['extra-vars'] ?? [];
    if ((recorded.extraVars ?? []).some((e) => e.includes(MASK)) && !given.length) {
      throw new UsageError(
        `run ${id} was started with secret extra vars, which the journal stores masked; give them again with -e`,
      );
    }
    const flags: RunFlags = {
      ...recorded,
      playbook: run.header.playbook,
      inventory: run.header.inventory,
      extraVars: [...(recorded.extraVars ?? []).filter((e) => !e.includes(MASK)), ...given],
      json: !!v.json,
      step: false,
      stateDir,
      ...(v['vault-password-file'] ? { vaultPasswordFile: v['vault-password-file'] } : {}),
    };
    delete flags.startAtTask; // the run already got past it
    delete flags.windowEnd; // a window belongs to the run that was given it
    if (v['window-end']) flags.windowEnd = v['window-end'];
    return executeRun(flags, io, ['resume', ...argv], { from: id, startPlay: run.resumePlay });
  },
};
