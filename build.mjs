// Bundles the CLI, the agent and the lab node into dist/ with esbuild.
// The agent and the lab node must be single self-contained files: they are copied to hosts.
// The banner gives bundled CommonJS dependencies (ssh2) require, __filename and __dirname in ESM output.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: false,
  logLevel: 'warning',
};
const banner = {
  js: "import { createRequire as __ckCreateRequire } from 'node:module'; import { fileURLToPath as __ckToPath } from 'node:url'; import { dirname as __ckDirname } from 'node:path'; const require = __ckCreateRequire(import.meta.url); const __filename = __ckToPath(import.meta.url); const __dirname = __ckDirname(__filename);",
};

const entries = [
  {
    in: 'controller/cli/main.ts',
    out: 'dist/crosskey.mjs',
    external: ['cpu-features', './crypto/build/Release/sshcrypto.node'],
  },
  { in: 'agent/main.ts', out: 'dist/agent.mjs', external: [] },
  {
    in: 'lab/node/main.ts',
    out: 'dist/lab-node.mjs',
    external: ['cpu-features', './crypto/build/Release/sshcrypto.node'],
  },
];
for (const e of entries) {
  if (!existsSync(e.in)) {
    console.warn(`build: skipping ${e.in} (not there yet)`);
    continue;
  }
  await build({ ...common, entryPoints: [e.in], outfile: e.out, external: e.external, banner });
}
if (existsSync('dist/agent.mjs')) {
  const hash = createHash('sha256').update(readFileSync('dist/agent.mjs')).digest('hex').slice(0, 16);
  writeFileSync('dist/agent.hash', hash + '\n');
}
