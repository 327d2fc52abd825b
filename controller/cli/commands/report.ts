// `crosskey report [RUN] [--html FILE] [--json] [--state-dir D | -i INV]`: a run's steps, restart timeline,
// changes and verification from its journal; the HTML is one self-contained file for change records.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CliCommand } from '../command.js';
import { parseCliArgs, UsageError } from '../command.js';
import { stateDirFrom } from './runs.js';
import { loadRunReport, renderReportHtml, renderReportText } from '../../report/index.js';
import { secrets } from '../../secrets.js';

const usage = `usage: crosskey report [RUN] [options]
  RUN                     run id or a unique prefix (default: the latest run)
  --html FILE             also write the report as one self-contained HTML file
  --json                  print the report model as one JSON document
  --state-dir D           where the journals are (default: .crosskey/ next to -i INVENTORY, else ./.crosskey)
  -i, --inventory INV     locate the state dir from the inventory`;

export const reportCommand: CliCommand = {
  name: 'report',
  usage,
  async run(argv, io) {
    const parsed = parseCliArgs({
      args: argv,
      allowPositionals: true,
      options: {
        html: { type: 'string' },
        json: { type: 'boolean' },
        'state-dir': { type: 'string' },
        inventory: { type: 'string', short: 'i' },
      },
    });
    if (parsed.positionals.length > 1) throw new UsageError(`one RUN expected, got ${parsed.positionals.join(' ')}`);
    const v = parsed.values;
    const stateDir = stateDirFrom(v, io.cwd);
    let report;
    try {
      report = loadRunReport(stateDir, parsed.positionals[0]);
    } catch (e) {
      io.stderr.write(secrets.redact(`ERROR: ${(e as Error).message}\n`));
      return 1;
    }
    if (v.html) {
      const file = resolve(io.cwd, v.html);
      writeFileSync(file, renderReportHtml(report), { mode: 0o600 });
      if (!v.json) io.stderr.write(`report written to ${file}\n`);
    }
    io.stdout.write(
      v.json ? secrets.redact(JSON.stringify(secrets.redactValue(report), null, 2)) + '\n' : renderReportText(report),
    );
    return 0;
  },
};
