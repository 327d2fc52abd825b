// Log lines in Elasticsearch's default pattern:
// [2026-11-28T04:10:00,123][INFO ][o.e.n.Node               ] [local-1] started
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LogLevel } from '../runtime.js';

export function formatLogLine(
  level: LogLevel,
  logger: string,
  nodeName: string,
  message: string,
  at = new Date(),
): string {
  const ts = at.toISOString().replace('.', ',').replace('Z', '');
  return `[${ts}][${level.padEnd(5)}][${logger.padEnd(25)}] [${nodeName}] ${message}\n`;
}

export class NodeLogger {
  constructor(
    readonly file: string,
    public nodeName: string,
  ) {
    mkdirSync(dirname(file), { recursive: true });
  }
  log(level: LogLevel, logger: string, message: string): void {
    // Synchronous append: a fatal start error must be in the file before the process exits.
    appendFileSync(this.file, formatLogLine(level, logger, this.nodeName, message));
  }
}

/**
 * One line of an ECS JSON log (ES's `ECSJsonLayout`, used by the deprecation log): a JSON object per line, appended
 * synchronously like the text log. Readers parse the fields; their order is not significant (docs/es-9x.md §2.2).
 */
export function appendJsonLogLine(file: string, fields: Record<string, unknown>): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, JSON.stringify(fields) + '\n');
}
