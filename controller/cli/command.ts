// The CLI's extension point: every subcommand is a CliCommand in commands/index.ts (one line each).
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  /** Returns the exit code: 0 ok, 1 usage/config error, 2 failed hosts, 4 unreachable hosts, 130 interrupted. */
  run(argv: string[], io: CliIO): Promise<number>;
}

/** Bad command-line usage: printed with the command's usage, exit 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * node:util parseArgs with `strict: true`; a bad option or argument becomes a UsageError (printed with the command's
 * usage, exit 1). The result keeps parseArgs' inferred types for `values` and `positionals`.
 */
export function parseCliArgs<T extends Omit<ParseArgsConfig, 'strict'> & { strict?: never }>(
  config: T,
): ReturnType<typeof parseArgs<T & { strict: true }>> {
  try {
    return parseArgs<T & { strict: true }>({ ...config, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
