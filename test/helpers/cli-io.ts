// What the CLI tests share: the CLI's main() in this process with captured output, a TCP tripwire that counts
// every connection attempt (standing in for hosts' SSH ports and clusters' HTTP ports), and a work folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { main } from '../../controller/cli/main.js';

type Teardown = { teardown(fn: () => void): void };

/** main() as the bundle runs it, minus the process start: exit code and what it wrote. */
export async function inProcess(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        append(String(chunk));
        cb();
      },
    });
  const code = await main(args, {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    stdin: Readable.from([]),
    env,
    cwd,
  });
  return { code, stdout, stderr };
}

/** A TCP listener that counts connection attempts (and closes them): proof that nothing was contacted. */
export async function tripwire(t: Teardown): Promise<{ port: number; count: () => number }> {
  let n = 0;
  const srv: Server = createServer((s) => {
    n++;
    s.destroy();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => srv.close());
  return { port: (srv.address() as AddressInfo).port, count: () => n };
}

/** A temporary folder removed after the test. */
export function workdir(t: Teardown, prefix = 'ck-cli-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
