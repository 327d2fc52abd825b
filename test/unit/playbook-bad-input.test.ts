// Every malformed inventory, playbook and vars file in test/fixtures/bad-input/cases.json fails to load with
// the exact file:line and message listed there.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadInventory, loadVarsFile } from '../../controller/inventory/index.js';
import { loadPlaybook } from '../../controller/playbook/load.js';
import { ConfigError } from '../../controller/input/errors.js';
import { testModules } from '../fixtures/playbooks/test-modules.js';

const ROOT = new URL('../../', import.meta.url).pathname;
interface Case {
  id: string;
  kind: 'inventory' | 'playbook' | 'vars';
  path: string;
  file: string;
  line: number;
  message: string;
  match?: string;
}
const cases: Case[] = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/bad-input/cases.json'), 'utf8'));

test('at least 20 cases of each family together, and every kind is covered', (t) => {
  t.true(cases.length >= 20);
  for (const k of ['inventory', 'playbook', 'vars'])
    t.true(
      cases.some((c) => c.kind === k),
      k,
    );
});

function load(c: Case): void {
  const p = join(ROOT, c.path);
  if (c.kind === 'inventory') loadInventory(p).validate();
  else if (c.kind === 'playbook') loadPlaybook(p, { modules: testModules });
  else loadVarsFile(p);
}

for (const c of cases) {
  test(`bad input ${c.id} → ${c.file}:${c.line}`, (t) => {
    t.true(c.line > 0, 'every case names a line');
    const e = t.throws(() => load(c), { instanceOf: ConfigError });
    t.is(`${relative(ROOT, e!.file)}:${e!.line}: ${e!.message}`, `${c.file}:${c.line}: ${c.message}`);
    if (c.match) t.true(c.message.startsWith(c.match));
  });
}
