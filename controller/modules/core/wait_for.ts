// `wait_for`: wait (on the host) for a port to open/close or a file to appear/disappear or match a regex.
// It only reads, so it never reports changed; a timeout is a failure naming what was awaited.
import type { AgentClient } from '../../../agent/protocol.js';
import type { TaskContext } from '../contract.js';
import { ModuleError, readOnly } from '../contract.js';
import { sleepUnlessAborted } from '../../sleep.js';

export interface WaitForArgs {
  host: string;
  port?: number;
  path?: string;
  search_regex?: string;
  state: 'started' | 'stopped' | 'present' | 'absent';
  timeout: number;
  delay: number;
  sleep: number;
  msg?: string;
}

export const waitForModule = readOnly<WaitForArgs, { elapsed: number; match?: string }>({
  name: 'wait_for',
  description: 'Wait for a port, a file, or a regex in a file (read-only).',
  runsOn: 'host',
  rules: { requiredOneOf: [['port', 'path']], mutuallyExclusive: [['port', 'path']] },
  schema: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'number' },
    path: { type: 'string' },
    search_regex: { type: 'string' },
    state: { type: 'string', default: 'started', choices: ['started', 'stopped', 'present', 'absent'] },
    timeout: { type: 'number', default: 300, description: 'seconds' },
    delay: { type: 'number', default: 0, description: 'seconds to wait before the first check' },
    sleep: { type: 'number', default: 1, description: 'seconds between checks' },
    msg: { type: 'string' },
  },
  async read(ctx, args) {
    const agent = await ctx.agent();
    const start = Date.now();
    const want = args.state === 'started' || args.state === 'present';
    const regex = args.search_regex !== undefined ? new RegExp(args.search_regex, 'm') : undefined;
    if (args.delay > 0) await sleep(args.delay * 1000, ctx);
    for (;;) {
      const found = await probe(agent, args, regex);
      if (found.ok === want)
        return { elapsed: (Date.now() - start) / 1000, ...(found.match !== undefined ? { match: found.match } : {}) };
      if (Date.now() - start + args.sleep * 1000 > args.timeout * 1000) break;
      await sleep(Math.max(10, args.sleep * 1000), ctx);
    }
    const what =
      args.port !== undefined
        ? `port ${args.host}:${args.port}`
        : `${args.path}${regex ? ` to match /${args.search_regex}/` : ''}`;
    throw new ModuleError(args.msg ?? `Timeout when waiting for ${what} (${args.state}) after ${args.timeout}s`);
  },
  report(cur) {
    return { elapsed: cur.elapsed, ...(cur.match !== undefined ? { match: cur.match } : {}) };
  },
});

async function probe(
  agent: AgentClient,
  args: WaitForArgs,
  regex: RegExp | undefined,
): Promise<{ ok: boolean; match?: string }> {
  if (args.port !== undefined)
    return { ok: (await agent.call('port.check', { host: args.host, port: args.port, timeoutMs: 1000 })).open };
  if (!regex) return { ok: (await agent.call('file.stat', { path: args.path! })).exists };
  try {
    const r = await agent.call('file.read', { path: args.path! });
    const m = r.exists && r.content !== undefined ? regex.exec(r.content) : null;
    return m ? { ok: true, match: m[0] } : { ok: false };
  } catch {
    return { ok: false };
  }
}

async function sleep(ms: number, ctx: TaskContext): Promise<void> {
  if (!(await sleepUnlessAborted(ms, ctx.signal))) throw new ModuleError('interrupted');
}
