// Bundles the CLI, the agent and the lab node into dist/ with esbuild.
// The agent and the lab node must be single self-contained files: they are copied to hosts.
// The banner gives bundled CommonJS dependencies (ssh2) require, __filename and __dirname in ESM output.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

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

// The CLI is split: dist/crosskey.mjs is the entry and the command table, each command's code a chunk
// (dist/cli-*.mjs, beside the entry so paths relative to the bundle stay the same) loaded when that command runs:
// start-up compiles a fraction of the code.
if (existsSync('controller/cli/main.ts')) {
  if (existsSync('dist')) for (const f of readdirSync('dist')) if (f.startsWith('cli-')) rmSync(`dist/${f}`);
  await build({
    ...common,
    entryPoints: { crosskey: 'controller/cli/main.ts' },
    outdir: 'dist',
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'cli-[name]-[hash]',
    external: ['cpu-features', './crypto/build/Release/sshcrypto.node'],
    banner,
  });
}

const entries = [
  { in: 'agent/main.ts', out: 'dist/agent.mjs', external: [] },
  {
    in: 'lab/node/process/main.ts',
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
