// The agent is copied to hosts as one file: it may import only its own files, Node built-ins and js-yaml.
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('agent/ imports only agent files, node: built-ins and js-yaml', (t) => {
  const files = tsFiles('agent');
  t.true(files.length >= 5);
  const bad: string[] = [];
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(
      /(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
    )) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('node:') || spec === 'js-yaml') continue;
      if (spec.startsWith('.')) {
        const target = relative('.', join(f, '..', spec));
        if (target.startsWith('agent/')) continue;
      }
      bad.push(`${f}: ${spec}`);
    }
  }
  t.deepEqual(bad, []);
});
