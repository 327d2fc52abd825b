// The CLI's extension point: every subcommand is a CliCommand in commands/index.ts (one line each).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { didYouMean } from '../names.js';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface CliCommand {
  name: string;
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
  // `--forks -1`: parseArgs takes "-1" for an option and says "ambiguous"; joined, the value reaches the
  // command's own check, which names the flag and the range.
  const opts = (config.options ?? {}) as Record<string, { type: string; short?: string }>;
  const takesValue = new Set<string>();
  for (const [name, o] of Object.entries(opts)) {
    if (o.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (o.short) takesValue.add(`-${o.short}`);
  }
  const given = config.args ?? process.argv.slice(2);
  const args: string[] = [];
  for (let i = 0; i < given.length; i++) {
    const a = given[i]!;
    const next = given[i + 1];
    if (takesValue.has(a) && next !== undefined && /^-\d/.test(next)) {
      args.push(a.startsWith('--') ? `${a}=${next}` : `${a}${next}`);
      i++;
    } else args.push(a);
  }
  try {
    return parseArgs<T & { strict: true }>({ ...config, args, strict: true });
  } catch (e) {
    // "Unknown option '--chek'": name the nearest option this command has.
    const msg = (e as Error).message.split('\n')[0]!;
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(msg)?.[1];
    if (unknown) {
      const names = Object.entries(opts).flatMap(([n, o]) => [`--${n}`, ...(o.short ? [`-${o.short}`] : [])]);
      throw new UsageError(`unknown option '${unknown}'${didYouMean(unknown, names)}`);
    }
    throw new UsageError(msg);
  }
}
