// bin/elasticsearch-service of a lab node: start|stop|restart|status with systemd-like semantics.
// start: spawns the node detached (pid file ES_HOME/elasticsearch.pid), feeds the keystore password from
// $ES_KEYSTORE_PASSPHRASE_FILE on stdin (like ES's systemd-entrypoint) and returns once the node is up (0) or has
// failed (1, with the log's error). status: 0 iff running and started, 3 otherwise (like `systemctl status`).
// stop: SIGTERM and wait (ES's unit never SIGKILLs).
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, rmSync, writeFileSync, mkdirSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { readyFile } from './node.js';
import { isAlive as alive, sleep } from '../../hosts/process.js';

export function pidFile(home: string): string {
  return join(home, 'elasticsearch.pid');
}
function serviceStateFile(home: string): string {
  return join(home, 'data', 'lab-service.json');
}

interface ServiceRecord {
  state: 'active' | 'failed' | 'inactive';
  at: number;
  exitCode?: number | null;
  message?: string;
}

function writeRecord(home: string, rec: ServiceRecord): void {
  mkdirSync(join(home, 'data'), { recursive: true });
  writeFileSync(serviceStateFile(home), JSON.stringify(rec));
}
function readRecord(home: string): ServiceRecord | undefined {
  try {
    return JSON.parse(readFileSync(serviceStateFile(home), 'utf8')) as ServiceRecord;
  } catch {
    return undefined;
  }
}

export function runningPid(home: string): number | undefined {
  if (existsSync(pidFile(home))) {
    const pid = Number(readFileSync(pidFile(home), 'utf8').trim());
    if (pid > 0 && alive(pid)) return pid;
  }
  // No pid file but a node that said it is ready (the pid file can be lost when a start's bookkeeping races a
  // slow boot): trust the ready file only for a live process that is this home's node.
  try {
    const pid = Number(readFileSync(readyFile(home), 'utf8').trim());
    if (pid > 0 && alive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(home)) return pid;
  } catch {
    /* no ready file, or the process is gone */
  }
  return undefined;
}

function isReady(home: string, pid: number): boolean {
  try {
    return Number(readFileSync(readyFile(home), 'utf8')) === pid;
  } catch {
    return false;
  }
}

function logFileOf(home: string): string {
  const yml = existsSync(join(home, 'config', 'elasticsearch.yml'))
    ? readFileSync(join(home, 'config', 'elasticsearch.yml'), 'utf8')
    : '';
  const m = /^cluster\.name:\s*["']?([^"'\s]+)/m.exec(yml);
  return join(home, 'logs', `${m?.[1] ?? 'elasticsearch'}.log`);
}

/** The fatal lines of the last failed boot (cluster log, else elasticsearch.log before the config was read). */
function lastError(home: string, since: number): string {
  for (const file of [logFileOf(home), join(home, 'logs', 'elasticsearch.log')]) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    if (text.length <= since && file === logFileOf(home)) continue;
    const lines = text.trimEnd().split('\n');
    const idx = lines.map((l) => l.includes('fatal exception while booting Elasticsearch')).lastIndexOf(true);
    if (idx >= 0) return lines.slice(idx, idx + 2).join('\n');
  }
  return '';
}

function logSize(home: string): number {
  try {
    return readFileSync(logFileOf(home)).length;
  } catch {
    return 0;
  }
}

export async function start(
  home: string,
  nodeScript: string,
  out: (s: string) => void,
  timeoutMs = 120_000,
): Promise<number> {
  if (runningPid(home)) return 0; // systemctl start on an active unit is a no-op
  mkdirSync(join(home, 'logs'), { recursive: true });
  const logBefore = logSize(home);
  const stdoutFd = openSync(join(home, 'logs', 'lab-node.out'), 'a');
  const passFile = process.env.ES_KEYSTORE_PASSPHRASE_FILE;
  const child = spawn(process.execPath, [nodeScript, '--home', home], {
    detached: true,
    stdio: [passFile ? 'pipe' : 'ignore', stdoutFd, stdoutFd],
    env: { ...process.env, ES_HOME: home },
  });
  closeSync(stdoutFd);
  if (passFile && child.stdin) {
    child.stdin.on('error', () => {});
    child.stdin.end(readFileSync(passFile, 'utf8').split(/\r?\n/)[0] + '\n');
  }
  let exitCode: number | null | undefined;
  child.on('exit', (code) => {
    exitCode = code;
  });
  const pid = child.pid!;
  child.unref();
  writeFileSync(pidFile(home), String(pid));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (isReady(home, pid)) {
      writeRecord(home, { state: 'active', at: Date.now() });
      return 0;
    }
    if (exitCode !== undefined || !alive(pid)) break;
    await sleep(50);
  }
  if (alive(pid)) {
    // timed out: stop what we started, as systemd does after TimeoutStartSec
    process.kill(pid, 'SIGTERM');
  }
  // the child's exit event may trail its death by a moment
  for (let i = 0; i < 20 && exitCode === undefined; i++) await sleep(25);
  rmSync(pidFile(home), { force: true });
  const err = lastError(home, logBefore);
  writeRecord(home, { state: 'failed', at: Date.now(), exitCode: exitCode ?? null, message: err });
  out(
    exitCode === undefined
      ? `Job for elasticsearch.service failed because a timeout was exceeded.\n`
      : `Job for elasticsearch.service failed because the control process exited with error code ${exitCode}.\n`,
  );
  if (err) out(err + '\n');
  out(`See ${logFileOf(home)} for details.\n`);
  return 1;
}

export async function stop(home: string, timeoutMs = 60_000): Promise<number> {
  const pid = runningPid(home);
  if (pid) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const deadline = Date.now() + timeoutMs;
    while (alive(pid) && Date.now() < deadline) await sleep(30);
    if (alive(pid)) return 1;
  }
  rmSync(pidFile(home), { force: true });
  rmSync(readyFile(home), { force: true });
  writeRecord(home, { state: 'inactive', at: Date.now() });
  return 0;
}

export function status(home: string, out: (s: string) => void): number {
  const pid = runningPid(home);
  if (pid && isReady(home, pid)) {
    out(`● elasticsearch.service - Elasticsearch (crosskey lab)\n     Active: active (running); Main PID: ${pid}\n`);
    return 0;
  }
  if (pid) {
    out(`● elasticsearch.service - Elasticsearch (crosskey lab)\n     Active: activating (start); Main PID: ${pid}\n`);
    return 3;
  }
  const rec = readRecord(home);
  if (rec?.state === 'active') {
    // the node went away without `stop`: systemd reports the unit failed
    out(
      `● elasticsearch.service - Elasticsearch (crosskey lab)\n     Active: failed (Result: exit-code); the node process is gone (see ${logFileOf(home)})\n`,
    );
    return 3;
  }
  if (rec?.state === 'failed') {
    out(
      `● elasticsearch.service - Elasticsearch (crosskey lab)\n     Active: failed (Result: exit-code) since ${new Date(rec.at).toISOString()}\n${rec.message ? rec.message + '\n' : ''}`,
    );
    return 3;
  }
  out('● elasticsearch.service - Elasticsearch (crosskey lab)\n     Active: inactive (dead)\n');
  return 3;
}

export async function restart(home: string, nodeScript: string, out: (s: string) => void): Promise<number> {
  const rc = await stop(home);
  return rc !== 0 ? rc : start(home, nodeScript, out);
}

export async function serviceCommand(action: string | undefined, home: string, nodeScript: string): Promise<number> {
  const out = (s: string) => process.stdout.write(s);
  switch (action) {
    case 'start':
      return start(home, nodeScript, out);
    case 'stop':
      return stop(home);
    case 'restart':
      return restart(home, nodeScript, out);
    case 'status':
      return status(home, out);
    default:
      process.stderr.write(`usage: elasticsearch-service start|stop|restart|status\n`);
      return 2;
  }
}
