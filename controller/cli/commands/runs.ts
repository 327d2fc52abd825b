// `crosskey runs [--state-dir D | -i INV] [--json]`: the runs recorded in the state directory.
import { resolve } from 'node:path';
import type { CliCommand } from '../command.js';
import { parseCliArgs } from '../command.js';
import { listRuns } from '../../state/journal.js';
import { defaultStateDir } from '../../state/dir.js';

const usage = 'usage: crosskey runs [--state-dir D | -i INVENTORY] [--json]';

export function stateDirFrom(v: { 'state-dir'?: string; inventory?: string }, cwd: string): string {
  if (v['state-dir']) return resolve(cwd, v['state-dir']);
  if (v.inventory) return defaultStateDir(resolve(cwd, v.inventory));
  return resolve(cwd, '.crosskey');
}

export const runsCommand: CliCommand = {
  name: 'runs',
  summary: 'list recorded runs (journal files) and how they ended',
  usage,
  async run(argv, io) {
    const v = parseCliArgs({
      args: argv,
      options: { 'state-dir': { type: 'string' }, inventory: { type: 'string', short: 'i' }, json: { type: 'boolean' } },
    }).values;
    const runs = listRuns(stateDirFrom(v, io.cwd));
    if (v.json) {
      for (const r of runs) io.stdout.write(JSON.stringify(r) + '\n');
      return 0;
    }
    if (!runs.length) {
      io.stdout.write('no runs recorded\n');
      return 0;
    }
    io.stdout.write(`${'RUN'.padEnd(26)} ${'STATUS'.padEnd(12)} ${'MODE'.padEnd(6)} PLAYBOOK\n`);
    for (const r of runs) {
      io.stdout.write(`${r.id.padEnd(26)} ${r.status.padEnd(12)} ${(r.check ? 'check' : 'apply').padEnd(6)} ${r.playbook ?? '?'}${r.resumedFrom ? ` (resumes ${r.resumedFrom})` : ''}\n`);
    }
    return 0;
  },
};
