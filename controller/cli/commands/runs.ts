// `crosskey runs [--state-dir D | -i INV] [--json]`: the runs recorded in the state directory.
import { basename, join, resolve } from 'node:path';
import type { CliCommand } from '../command.js';
import { parseCliArgs } from '../command.js';
import { listRuns } from '../../state/journal.js';
import { defaultStateDir } from '../../state/dir.js';

const usage = 'usage: crosskey runs [--state-dir D | -i INVENTORY] [--json]';

/** 83 s → "1m23s"; undefined → "-". */
function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function stateDirFrom(v: { 'state-dir'?: string; inventory?: string }, cwd: string): string {
  if (v['state-dir']) return resolve(cwd, v['state-dir']);
  if (v.inventory) return defaultStateDir(resolve(cwd, v.inventory));
  return resolve(cwd, '.crosskey');
}

export const runsCommand: CliCommand = {
  name: 'runs',
  usage,
  async run(argv, io) {
    const v = parseCliArgs({
      args: argv,
      options: {
        'state-dir': { type: 'string' },
        inventory: { type: 'string', short: 'i' },
        json: { type: 'boolean' },
      },
    }).values;
    const stateDir = stateDirFrom(v, io.cwd);
    const runs = listRuns(stateDir);
    if (v.json) {
      for (const r of runs) io.stdout.write(JSON.stringify(r) + '\n');
      return 0;
    }
    if (!runs.length) {
      const why = v['state-dir']
        ? 'given with --state-dir'
        : v.inventory
          ? 'next to the inventory'
          : 'in the current folder; give -i INVENTORY to look next to it';
      io.stdout.write(`no runs recorded in ${join(stateDir, 'runs')} (${why})\n`);
      return 0;
    }
    const rows = runs.map((r) => [
      r.id,
      r.status,
      r.exitCode === undefined ? '-' : String(r.exitCode),
      r.check ? 'dry run' : 'apply',
      duration(r.durationMs),
      r.tags.length ? r.tags.join(',') : 'all',
      `${r.playbook ? basename(r.playbook) : '?'}${r.resumedFrom ? ` (resumes ${r.resumedFrom})` : ''}`,
    ]);
    const head = ['RUN', 'STATUS', 'EXIT', 'MODE', 'DURATION', 'TAGS', 'PLAYBOOK'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    for (const row of [head, ...rows])
      io.stdout.write(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ') + '\n');
    return 0;
  },
};
