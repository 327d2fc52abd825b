// The repository must stand alone: no tracked file may point outside it at the team's private reference folder
// (a clone has nothing beside it). Run by `npm run lint` and by test/unit/standalone.test.ts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

// Built from parts so this file does not match itself.
const PATTERNS = [['..', 'shared'].join('/'), ['', 'work', 'shared'].join('/'), ['shared', 'reference'].join('/')];

/** Every tracked (and not ignored untracked) text file with a line that names a forbidden path: "file:line: text". */
export function findOutsideReferences(root = process.cwd()) {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(Boolean);
  const hits = [];
  for (const file of files) {
    let text;
    try {
      text = readFileSync(`${root}/${file}`, 'utf8');
    } catch {
      continue; // deleted in the work tree
    }
    if (text.includes('\0')) continue; // binary
    text.split('\n').forEach((line, i) => {
      if (PATTERNS.some((p) => line.includes(p))) hits.push(`${file}:${i + 1}: ${line.trim().slice(0, 120)}`);
    });
  }
  return hits;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const hits = findOutsideReferences();
  if (hits.length) {
    console.error(
      `crosskey lint: ${hits.length} line(s) point outside the repository (copy what is needed into docs/ or test/fixtures/):`,
    );
    for (const h of hits) console.error(`  ${h}`);
    process.exit(1);
  }
  console.log('crosskey lint: no references outside the repository');
}
