// Builds the agent bundle (same esbuild options as build.mjs) into a temp dir and runs it locally over pipes,
// talking to it with the controller's real RPC client. Used by the agent unit tests.
import { build } from 'esbuild';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentRpcClient } from '../../controller/transport/rpc.js';

export async function buildAgentBundle(): Promise<{ file: string; hash: string; cleanup(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'crosskey-agent-build-'));
  const file = join(dir, 'agent.mjs');
  await build({
    entryPoints: ['agent/main.ts'],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __ckCreateRequire } from 'node:module'; const require = __ckCreateRequire(import.meta.url);",
    },
  });
  const hash = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
  return { file, hash, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function startLocalAgent(
  bundle: string,
  host = 'local',
): { client: AgentRpcClient; child: ChildProcess; stop(): Promise<void> } {
  const child = spawn(process.execPath, [bundle], { stdio: ['pipe', 'pipe', 'pipe'] });
  const client = new AgentRpcClient(host, child.stdin!, child.stdout!, child.stderr!);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    client,
    child,
    async stop() {
      client.close();
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}
