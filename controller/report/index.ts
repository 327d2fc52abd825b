// `crosskey report`: pick a run from the state directory (default: the latest) and build its report.
import { listRuns, readRun } from '../state/journal.js';
import { buildRunReport, type RunReport } from './model.js';

export { buildRunReport } from './model.js';
export type { RunReport } from './model.js';
export { renderReportText } from './text.js';
export { renderReportHtml } from './html.js';

/** The run's id: `run` as given (a full id or a unique prefix), or the latest run when undefined. */
export function resolveRunId(stateDir: string, run?: string): string {
  const runs = listRuns(stateDir);
  if (!runs.length) throw new Error(`no runs recorded in ${stateDir}/runs (run a playbook first, or pass --state-dir)`);
  if (run === undefined || run === 'latest') {
    // Run ids start with a UTC timestamp: the last in sort order is the latest.
    return runs[runs.length - 1]!.id;
  }
  const exact = runs.find((r) => r.id === run);
  if (exact) return exact.id;
  const prefixed = runs.filter((r) => r.id.startsWith(run));
  if (prefixed.length === 1) return prefixed[0]!.id;
  if (prefixed.length > 1) throw new Error(`run '${run}' is ambiguous: ${prefixed.map((r) => r.id).join(', ')}`);
  throw new Error(`no run '${run}' in ${stateDir}/runs (see \`crosskey runs\`)`);
}

export function loadRunReport(stateDir: string, run?: string): RunReport {
  return buildRunReport(readRun(stateDir, resolveRunId(stateDir, run)));
}
