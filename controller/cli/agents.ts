// Where agents come from: the SSH transport (controller/transport) for inventory hosts, and a local agent
// process (the same bundle, over pipes) for `delegate_to: localhost`.
import { spawn, type ChildProcess } from 'node:child_process';
import type { AgentClient } from '../../agent/protocol.js';
import type { AgentProvider } from '../playbook/exec-types.js';
import { Transport, hostSpecFromVars, AgentRpcClient } from '../transport/index.js';
import { findAgentBundle } from '../transport/bootstrap.js';

export interface AgentProviderOptions {
  acceptNewHostKeys: boolean;
  warn: (message: string) => void;
  /** Test hook: a specific agent bundle (default: dist/agent.mjs next to the CLI). */
  agentBundle?: string;
}

export function createAgentProvider(o: AgentProviderOptions): AgentProvider {
  const transport = new Transport({
    acceptNewHostKeys: o.acceptNewHostKeys,
    ...(o.agentBundle ? { agentBundle: o.agentBundle } : {}),
    // Warnings (accept-new, host key added) are shown; routine notes (agent uploaded) only with CROSSKEY_VERBOSE.
    log: (m) => {
      if (/^\[WARNING\]/.test(m)) o.warn(m.replace(/^\[WARNING\]:\s*/, ''));
      else if (process.env.CROSSKEY_VERBOSE) process.stderr.write(m + '\n');
    },
  });
  let local: Promise<{ client: AgentRpcClient; child: ChildProcess }> | undefined;
  return {
    agent: (host, vars) => transport.agent(hostSpecFromVars(host, vars)),
    async local(): Promise<AgentClient> {
      local ??= (async () => {
        const bundle = findAgentBundle(o.agentBundle);
        const child = spawn(process.execPath, [bundle.file], { stdio: ['pipe', 'pipe', 'pipe'] });
        const client = new AgentRpcClient('localhost', child.stdin!, child.stdout!, child.stderr!);
        await client.call('hello', {});
        return { client, child };
      })();
      return (await local).client;
    },
    async closeAll() {
      const l = await local?.catch(() => undefined);
      if (l) {
        l.client.close();
        await new Promise<void>((r) => {
          if (l.child.exitCode !== null) r();
          else {
            l.child.once('exit', () => r());
            setTimeout(() => {
              l.child.kill();
              r();
            }, 2000).unref();
          }
        });
      }
      await transport.closeAll();
    },
  };
}
