// The repository stands alone: nothing in it points at a folder beside the checkout, and every published example
// the tests read lives in test/fixtures/es-examples with its source named in that folder's README.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain ESM script without type declarations
import { findOutsideReferences } from '../../scripts/check-standalone.mjs';
import { EXAMPLES } from '../helpers/shape.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const find = findOutsideReferences as (root?: string) => string[];

test('no file of the repository points outside it', (t) => {
  t.deepEqual(find(ROOT), []);
});

test('the check finds a planted outside reference, with file and line', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'crosskey-standalone-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('git', ['init', '-q'], { cwd: dir });
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'a.ts'), `// fine\n// see ${['..', 'shared'].join('/')}/DESIGN.md\n`);
  writeFileSync(join(dir, 'b.md'), 'nothing here\n');
  const hits = find(dir);
  t.is(hits.length, 1);
  t.regex(hits[0]!, /^src\/a\.ts:2: /);
});

test('every example fixture is named in the fixtures README with a source', (t) => {
  const readme = readFileSync(join(EXAMPLES, 'README.md'), 'utf8');
  const files = readdirSync(EXAMPLES)
    .filter((d) => statSync(join(EXAMPLES, d)).isDirectory())
    .flatMap((d) => readdirSync(join(EXAMPLES, d)).map((f) => `${d}/${f}`));
  t.true(files.length >= 69, `${files.length} example files`);
  const rows = readme.split('\n');
  for (const f of files) {
    const row = rows.find((r) => r.includes(f));
    t.truthy(row, `${f} has no row in the README`);
    t.regex(row ?? '', /github\.com|elastic\/|elastic\.co/, `${f}: its row names no source`);
  }
});
