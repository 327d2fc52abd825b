// command and service: run a program (argv, no shell unless asked) with env, stdin, cwd, timeout, as a file's owner.
// Secrets reach commands through stdin or env, never through argv (visible in /proc/*/cmdline).
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import type { OpArgs, OpResult } from '../protocol.js';
import { AgentOpError, invalid } from './errors.js';
import { statPath } from './fsutil.js';

const MAX_OUTPUT = 32 * 1024 * 1024;
const running = new Set<number>();

/** Kills the process groups of commands still running (agent shutdown). */
export function killRunningCommands(): void {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

export async function command(args: OpArgs<'command'>): Promise<OpResult<'command'>> {
  const hasArgv = Array.isArray(args.argv) && args.argv.length > 0;
  const hasShell = typeof args.shell === 'string' && args.shell !== '';
  if (hasArgv === hasShell) throw invalid('command: give exactly one of "argv" (a non-empty list) or "shell"');
  if (hasArgv && !args.argv!.every((a) => typeof a === 'string'))
    throw invalid('command: argv must be a list of strings');
  if (args.creates && (await statPath(args.creates)).exists) {
    return { rc: 0, stdout: '', stderr: '', timedOut: false, durationMs: 0, skipped: true };
  }
  let uid: number | undefined;
  let gid: number | undefined;
  if (args.runAsOwnerOf) {
    const st = await fsp.stat(args.runAsOwnerOf).catch(() => {
      throw new AgentOpError('ENOENT', `command: runAsOwnerOf ${args.runAsOwnerOf} does not exist`);
    });
    const me = process.getuid?.() ?? 0;
    if (st.uid !== me) {
      if (me !== 0)
        throw new AgentOpError(
          'EPERM',
          `command: cannot run as the owner (uid ${st.uid}) of ${args.runAsOwnerOf}: the agent runs as uid ${me}, not root (use become)`,
        );
      uid = st.uid;
      gid = st.gid;
    }
  }
  const [file, argv] = hasArgv ? [args.argv![0], args.argv!.slice(1)] : ['/bin/sh', ['-c', args.shell!]];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // Own process group: a timeout kills the command and everything it started.
    const child = spawn(file, argv, {
      cwd: args.cwd,
      env: { ...process.env, ...(args.env ?? {}) },
      uid,
      gid,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    child.stdout.on('data', (d: Buffer) => {
      if (outLen < MAX_OUTPUT) {
        out.push(d);
        outLen += d.length;
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      if (errLen < MAX_OUTPUT) {
        err.push(d);
        errLen += d.length;
      }
    });
    child.stdin.on('error', () => {
      /* the command exited without reading stdin */
    });
    child.stdin.end(args.stdin ?? '');
    if (child.pid) running.add(child.pid);
    let timedOut = false;
    const timer =
      args.timeoutMs && args.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            try {
              process.kill(-child.pid!, 'SIGKILL');
            } catch {
              /* already gone */
            }
          }, args.timeoutMs)
        : undefined;
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      reject(new AgentOpError(e.code ?? 'ESPAWN', `command: cannot run ${JSON.stringify(file)}: ${e.message}`));
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      if (child.pid) running.delete(child.pid);
      resolve({
        rc: timedOut ? null : code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        durationMs: Date.now() - started,
      });
    });
  });
}

export async function service(args: OpArgs<'service'>): Promise<OpResult<'service'>> {
  if (typeof args.name !== 'string' || !args.name) throw invalid('service: "name" is required');
  if (!['start', 'stop', 'restart', 'status'].includes(args.action))
    throw invalid(`service: action must be start|stop|restart|status, got ${JSON.stringify(args.action)}`);
  if (args.command !== undefined && (!Array.isArray(args.command) || !args.command.length))
    throw invalid('service: "command" must be a non-empty argv prefix');
  const argvFor = (action: string) => (args.command ? [...args.command, action] : ['systemctl', action, args.name]);
  const r = await command({ argv: argvFor(args.action), timeoutMs: args.timeoutMs });
  if (r.timedOut)
    throw new AgentOpError('ETIMEDOUT', `service ${args.name} ${args.action}: no answer within ${args.timeoutMs} ms`);
  // `active` always comes from the status action (exit code 0), also after start/stop/restart.
  const active =
    args.action === 'status'
      ? r.rc === 0
      : (await command({ argv: argvFor('status'), timeoutMs: args.timeoutMs })).rc === 0;
  return { rc: r.rc, active, stdout: r.stdout, stderr: r.stderr };
}
