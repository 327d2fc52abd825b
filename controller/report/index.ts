// `crosskey report`: pick a run from the state directory (default: the latest) and build its report.
import { readRun, resolveRunId } from '../state/journal.js';
import { buildRunReport, type RunReport } from './model.js';

export { buildRunReport } from './model.js';
export { resolveRunId } from '../state/journal.js';
export type { RunReport } from './model.js';
export { renderReportText } from './text.js';
export { renderReportHtml } from './html.js';

/** The report of `run` (an id or a unique prefix), by default of the latest applying (non --check) run. */
export function loadRunReport(stateDir: string, run?: string): RunReport {
  return buildRunReport(readRun(stateDir, resolveRunId(stateDir, run, { realOnly: true })));
}
