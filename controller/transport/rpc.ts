// The controller side of the agent's JSON-lines RPC, over any pair of streams (an SSH exec channel, or local pipes).
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import type { AgentClient, AgentResponse, OpArgs, OpName, OpResult } from '../../agent/protocol.js';
import { UnreachableError } from './errors.js';

/** An op the agent ran and reported as failed (bad args, ENOENT, validation…): not a connection problem. */
export class AgentOpFailed extends Error {
  constructor(
    readonly host: string,
    readonly op: string,
    readonly code: string,
    message: string,
  ) {
    super(`${host}: ${message}`);
    this.name = 'AgentOpFailed';
  }
}

/**
 * The agent process or its channel went away while calls were pending (connection dropped, host rebooted):
 * an UnreachableError, so the executor counts the host unreachable rather than failed.
 */
export class AgentGone extends UnreachableError {
  constructor(host: string, message: string) {
    super(host, message);
    this.name = 'AgentGone';
  }
}

export class AgentRpcClient implements AgentClient {
  private nextId = 1;
  private pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; op: string }>();
  private closedError: Error | undefined;
  private stderrTail = '';
  private closeListeners: Array<() => void> = [];

  constructor(
    readonly host: string,
    private input: Writable,
    output: Readable,
    stderr?: Readable,
  ) {
    const rl = createInterface({ input: output, crlfDelay: Infinity });
    rl.on('line', (line) => this.onLine(line));
    rl.on('close', () =>
      this.fail(new AgentGone(host, `${host}: agent exited${this.stderrTail ? `: ${this.stderrTail.trim()}` : ''}`)),
    );
    stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-2000);
    });
    input.on('error', (e: Error) => this.fail(new AgentGone(host, `${host}: agent channel error: ${e.message}`)));
  }

  /** Called once when the agent's output ends (exit, channel or connection closed). */
  onClose(fn: () => void): void {
    if (this.closedError) fn();
    else this.closeListeners.push(fn);
  }

  get stderrText(): string {
    return this.stderrTail;
  }

  call<O extends OpName>(op: O, args: OpArgs<O>): Promise<OpResult<O>> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise<OpResult<O>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, op });
      this.input.write(JSON.stringify({ id, op, args }) + '\n');
    });
  }

  /** Ends the agent's stdin: it finishes pending requests and exits. */
  close(): void {
    this.input.end();
  }

  private onLine(line: string): void {
    let res: AgentResponse;
    try {
      res = JSON.parse(line);
    } catch {
      this.stderrTail += `\n(unexpected agent output: ${line.slice(0, 200)})`;
      return;
    }
    const p = this.pending.get(res.id);
    if (!p) return;
    this.pending.delete(res.id);
    if (res.ok) p.resolve(res.result);
    else p.reject(new AgentOpFailed(this.host, p.op, res.error.code, res.error.message));
  }

  private fail(err: Error): void {
    if (!this.closedError) for (const fn of this.closeListeners.splice(0)) fn();
    this.closedError ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
