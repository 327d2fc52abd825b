// The crosskey agent: bundled into one file (dist/agent.mjs), uploaded to each host, started once per run
// over one SSH exec channel. JSON lines: requests on stdin, responses on stdout (see protocol.ts).
// Requests run concurrently; responses carry the request id. stdout carries only responses.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { handleLine, opTable } from './dispatch.js';
import { killRunningCommands } from './ops/command.js';

function ownHash(): string {
  try {
    return createHash('sha256')
      .update(readFileSync(fileURLToPath(import.meta.url)))
      .digest('hex')
      .slice(0, 16);
  } catch {
    return 'unknown';
  }
}

// Anything a library prints must not corrupt the response stream.
console.log =
  console.info =
  console.debug =
    (...a: unknown[]) => {
      process.stderr.write(a.map(String).join(' ') + '\n');
    };

const ops = opTable({ agentHash: ownHash() });
let pending = 0;
let inputClosed = false;
const maybeExit = () => {
  if (inputClosed && pending === 0) process.exit(0);
};

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (!line.trim()) return;
  pending++;
  void handleLine(line, ops).then((res) => {
    process.stdout.write(JSON.stringify(res) + '\n');
    pending--;
    maybeExit();
  });
});
rl.on('close', () => {
  inputClosed = true;
  maybeExit();
});
process.on('exit', killRunningCommands);
const signalNumbers = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
for (const [sig, n] of Object.entries(signalNumbers))
  process.on(sig, () => {
    killRunningCommands();
    process.exit(128 + n);
  });
