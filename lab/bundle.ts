// Locates (and in a source checkout, refreshes) dist/lab-node.mjs, the single file every lab host runs.
// Both lab/*.ts and dist/*.mjs sit one level below the repository root, so the root is found the same way from
// the sources (tsx) and from the bundled CLI.
import { existsSync, readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoRoot(): string {
  return dirname(dirname(fileURLToPath(import.meta.url)));
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Path of the node bundle; rebuilt with esbuild when the lab sources are newer (source checkouts only). */
export async function ensureLabNodeBundle(root = repoRoot()): Promise<string> {
  const out = join(root, 'dist', 'lab-node.mjs');
  const entry = join(root, 'lab', 'node', 'process', 'main.ts');
  if (existsSync(entry)) {
    const sources = Math.max(
      newestMtime(join(root, 'lab')),
      statSync(join(root, 'agent', 'keystore', 'format.ts')).mtimeMs,
    );
    if (!existsSync(out) || statSync(out).mtimeMs < sources) {
      let esbuild: typeof import('esbuild');
      try {
        esbuild = await import('esbuild');
      } catch {
        if (existsSync(out)) return out;
        throw new Error(`${out} is missing and esbuild is not installed: run npm run build`);
      }
      const tmp = `${out}.${process.pid}.tmp`;
      await esbuild.build({
        entryPoints: [entry],
        outfile: tmp,
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'esm',
        logLevel: 'error',
        external: ['cpu-features', './crypto/build/Release/sshcrypto.node'],
        // same banner as build.mjs: bundled CommonJS dependencies (ssh2) need require, __filename, __dirname
        banner: {
          js: "import { createRequire as __ckCreateRequire } from 'node:module'; import { fileURLToPath as __ckToPath } from 'node:url'; import { dirname as __ckDirname } from 'node:path'; const require = __ckCreateRequire(import.meta.url); const __filename = __ckToPath(import.meta.url); const __dirname = __ckDirname(__filename);",
        },
      });
      renameSync(tmp, out);
    }
  }
  if (!existsSync(out)) throw new Error(`${out} not found: run npm run build`);
  return out;
}
