#!/usr/bin/env node
// crosskey CLI entry (bundled to dist/crosskey.mjs). Dispatches to the command table in commands/index.ts.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { commands } from './commands/index.js';
import { UsageError, type CliIO } from './command.js';
import { secrets } from '../secrets.js';
import { ConfigError } from '../input/errors.js';

const VERSION = '0.1.0';

/** Errors about the operator's input: printed as their message (which names the file, host or flag), exit 1. */
const EXPECTED_ERRORS = [
  'ConfigError',
  'TemplateError',
  'PatternError',
  'HostPatternError',
  'VaultError',
  'LockedError',
  'SecretFileError',
  'EsConfigError',
  'CertError',
  'DnError',
  'RunNotFoundError',
  'StateDirError',
];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return (
    [
      'crosskey — migrate Elasticsearch remote clusters from certificate trust to API keys, over SSH',
      '',
      'usage: crosskey <command> [options]',
      '',
      'commands:',
      ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
      '',
      "Run `crosskey <command> --help` for a command's options.",
    ].join('\n') + '\n'
  );
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(help());
    return name ? 0 : 1;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`crosskey ${VERSION}\n`);
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    io.stderr.write(`crosskey: unknown command '${name}'\n\n${help()}`);
    return 1;
  }
  const cmd = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(cmd.usage.endsWith('\n') ? cmd.usage : cmd.usage + '\n');
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    // Config errors carry file:line in toString(); everything printed is redacted.
    const err = e as Error;
    if (err instanceof UsageError) {
      io.stderr.write(secrets.redact(`crosskey ${name}: ${err.message}\n(see: crosskey ${name} --help)\n`));
      return 1;
    }
    if (err instanceof ConfigError || (err && EXPECTED_ERRORS.includes(err.name))) {
      // A ConfigError prints as file:line: message; the others' messages name the flag, host or path.
      io.stderr.write(
        secrets.redact(
          `ERROR: ${err instanceof ConfigError || err.name === 'TemplateError' ? String(err) : err.message}\n`,
        ),
      );
      return 1;
    }
    // A file system error on a path the operator gave (--state-dir /etc/passwd, an unreadable file): its message
    // names the path and the reason; a stack trace would add nothing.
    const sys = err as NodeJS.ErrnoException;
    if (sys && typeof sys.code === 'string' && typeof sys.syscall === 'string') {
      io.stderr.write(secrets.redact(`ERROR: ${sys.message}\n`));
      return 1;
    }
    io.stderr.write(secrets.redact(`ERROR: ${err?.stack ?? String(e)}\n`));
    return 1;
  }
}

// Run only when this file (or the bundle made from it) is the process entry, not when imported by tests.
const isEntry = (() => {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();

if (isEntry) {
  // `crosskey runs --json | head -1`: the reader went away; stop quietly as other Unix tools do, no stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
  const io: CliIO = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      // Let stdout drain before exiting (piped output would otherwise be cut).
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(secrets.redact(String((e as Error)?.stack ?? e)) + '\n');
      process.exitCode = 1;
    },
  );
}
