// `npm run bench`: runs every benchmark that exists, one after the other (they share the machine's
// 2 cores, so never in parallel). Each bench module exports `main(args): Promise<void>` and prints its numbers.
// Usage: npm run bench [-- NAME…]   (names: playbook, inspect, transport, lab, migration; default: all present)
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const all = ['playbook', 'inspect', 'transport', 'lab', 'migration'];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : all;
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('-'));

for (const name of names) {
  const file = join(here, `${name}.ts`);
  if (!existsSync(file)) {
    console.log(`bench ${name}: not present, skipped`);
    continue;
  }
  console.log(`\n=== bench ${name} ===`);
  const mod = (await import(pathToFileURL(file).href)) as { main?: (args: string[]) => Promise<void> };
  if (typeof mod.main !== 'function') {
    console.log(`bench ${name}: no exported main(), skipped`);
    continue;
  }
  await mod.main(passThrough);
}
