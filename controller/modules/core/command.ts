// `command`: run a program on the host without a shell (cmd is split like shlex, or argv given as a list).
// Always "changed" (a command's effect is unknown) unless `creates` exists — or the task's changed_when says otherwise.
import type { Resource } from '../contract.js';
import { ModuleError } from '../contract.js';
import { lines, plain, splitCommand } from './util.js';

export interface CommandArgs {
  cmd?: string;
  argv?: unknown[];
  chdir?: string;
  stdin?: unknown;
  creates?: string;
  env?: Record<string, unknown>;
  timeout?: number;
}

interface CommandCurrent {
  argv: string[];
  createsExists: boolean;
}

/** The one operation of a command task: run this argv. */
interface RunOp {
  argv: string[];
}

export const commandModule: Resource<CommandArgs, CommandCurrent, RunOp> = {
  name: 'command',
  description: 'Run a command on the host (no shell); changed unless `creates` exists.',
  runsOn: 'host',
  changeNoun: ['command', 'commands'],
  rules: { requiredOneOf: [['cmd', 'argv']], mutuallyExclusive: [['cmd', 'argv']] },
  schema: {
    cmd: { type: 'string', noSecret: true, description: 'command line, split like a shell would (no shell features)' },
    argv: {
      type: 'list',
      elements: 'string',
      noSecret: true,
      description: 'program and arguments (exclusive with cmd)',
    },
    chdir: { type: 'string' },
    stdin: { type: 'any', description: "text written to the command's stdin (secrets travel only here)" },
    creates: { type: 'string', description: 'skip when this path exists on the host' },
    env: { type: 'dict' },
    timeout: { type: 'number', description: 'seconds' },
  },
  async read(ctx, args) {
    const argv = args.argv !== undefined ? args.argv.map((a) => plain(a)) : splitCommand(plain(args.cmd));
    if (argv.length === 0) throw new ModuleError('command is empty');
    let createsExists = false;
    if (args.creates) createsExists = (await (await ctx.agent()).call('file.stat', { path: args.creates })).exists;
    return { argv, createsExists };
  },
  diff(cur, args) {
    if (cur.createsExists) return [];
    // The command line is shown as the args were written (templates rendered); secrets are masked by the sinks.
    const target = args.cmd !== undefined ? String(args.cmd) : (args.argv ?? []).map(String).join(' ');
    return [{ target, action: 'run', op: { argv: cur.argv } }];
  },
  async apply(ctx, args, plan) {
    const [run] = plan;
    const argv = run!.op!.argv;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(args.env ?? {})) env[k] = plain(v);
    const r = await (await ctx.agent()).call('command', {
      argv,
      ...(Object.keys(env).length ? { env } : {}),
      ...(args.stdin !== undefined ? { stdin: plain(args.stdin) } : {}),
      ...(args.chdir ? { cwd: args.chdir } : {}),
      ...(args.timeout ? { timeoutMs: args.timeout * 1000 } : {}),
    });
    const data = {
      cmd: argv,
      rc: r.rc,
      stdout: r.stdout,
      stderr: r.stderr,
      stdout_lines: lines(r.stdout),
      stderr_lines: lines(r.stderr),
      delta_ms: r.durationMs,
    };
    if (r.timedOut) throw new ModuleError(`command timed out after ${args.timeout}s`, data);
    if (r.rc !== 0) {
      const tail = r.stderr ? `: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` : '';
      throw new ModuleError(`non-zero return code ${r.rc}${tail}`, data);
    }
    return { applied: plan, data };
  },
  report(cur) {
    return cur.createsExists
      ? {
          cmd: cur.argv,
          rc: 0,
          stdout: '',
          stderr: '',
          stdout_lines: [],
          stderr_lines: [],
          msg: 'skipped, since creates exists',
        }
      : {};
  },
};
