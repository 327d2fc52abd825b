// The CLI's extension point: every subcommand is a CliCommand in commands/index.ts (one line each).
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
