// Pure helpers of the executor: serial batches, tag selection, run-time argument checks, unified diffs.
import test from 'ava';
import { batchSizes, batches } from '../../controller/playbook/exec-batches.js';
import { taskSelected } from '../../controller/playbook/exec-tags.js';
import { checkArgs } from '../../controller/modules/args.js';
import { unifiedDiff } from '../../controller/modules/core/unified-diff.js';
import { splitCommand, normalizeMode } from '../../controller/modules/core/util.js';
import { isSecret } from '../../controller/secrets.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('serial: number, percent (floor, at least 1), list with last value repeating, remainder last', (t) => {
  t.deepEqual(batchSizes(undefined, 5), [5]);
  t.deepEqual(batchSizes([2], 5), [2, 2, 1]);
  t.deepEqual(batchSizes(['30%'], 10), [3, 3, 3, 1]);
  t.deepEqual(batchSizes(['10%'], 5), [1, 1, 1, 1, 1]); // floor(0.5) → at least 1
  t.deepEqual(batchSizes([1, 5, '20%'], 20), [1, 5, 4, 4, 4, 2]);
  t.deepEqual(batchSizes([1, 2], 6), [1, 2, 2, 1]);
  t.deepEqual(batchSizes([0], 4), [4]);
  t.deepEqual(batches(['a', 'b', 'c'], [2]), [['a', 'b'], ['c']]);
  t.throws(() => batchSizes(['x%'], 4));
});

test('tags: always / never / all / tagged / untagged / skip-tags', (t) => {
  t.true(taskSelected([], {}));
  t.false(taskSelected(['never'], {}));
  t.true(taskSelected(['never', 'debug'], { tags: ['debug'] }));
  t.true(taskSelected(['always'], { tags: ['other'] }));
  t.false(taskSelected(['always'], { skipTags: ['always'] }));
  t.false(taskSelected(['a'], { tags: ['b'] }));
  t.true(taskSelected(['a', 'b'], { tags: ['b'] }));
  t.false(taskSelected(['a'], { skipTags: ['a'] }));
  t.true(taskSelected(['a'], { tags: ['tagged'] }));
  t.false(taskSelected([], { tags: ['tagged'] }));
  t.true(taskSelected([], { tags: ['untagged'] }));
});

test('checkArgs: defaults, required, types, choices, secret args wrapped', (t) => {
  const schema = {
    dest: { type: 'string' as const, required: true },
    mode: { type: 'any' as const },
    n: { type: 'number' as const, default: 3 },
    on: { type: 'boolean' as const },
    state: { type: 'string' as const, choices: ['a', 'b'] },
    pw: { type: 'string' as const, secret: true },
    argv: { type: 'list' as const, elements: 'string' as const },
  };
  const a = checkArgs('m', schema, { dest: '/x', on: 'yes', n: '5', pw: 'topsecretvalue', argv: ['a', 1] });
  t.is(a.n, 5);
  t.is(a.on, true);
  t.true(isSecret(a.pw));
  t.deepEqual(a.argv, ['a', '1']);
  t.is(checkArgs('m', schema, { dest: '/x' }).n, 3);
  t.throws(() => checkArgs('m', schema, {}), { message: /missing required argument 'dest'/ });
  t.throws(() => checkArgs('m', schema, { dest: '/x', state: 'c' }), { message: /must be one of: "a", "b"; got "c"/ });
  t.throws(() => checkArgs('m', schema, { dest: '/x', n: 'many' }), { message: /'n' must be a number/ });
  t.throws(() => checkArgs('m', schema, { dest: '/x', bogus: 1 }), { message: /unknown argument 'bogus'/ });
});

test('unifiedDiff matches diff -u hunks', (t) => {
  const d = mkdtempSync(join(tmpdir(), 'ck-diff-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  const a = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n') + '\n';
  const b = a.replace('line 3\n', 'line three\n').replace('line 20\n', '').replace('line 27\n', 'line 27\nextra\n');
  writeFileSync(join(d, 'a'), a);
  writeFileSync(join(d, 'b'), b);
  const real = spawnSync('diff', ['-u', join(d, 'a'), join(d, 'b')])
    .stdout.toString()
    .split('\n')
    .slice(2)
    .join('\n');
  const ours = unifiedDiff(a, b, 'a', 'b').split('\n').slice(2).join('\n');
  t.is(ours, real);
  t.is(unifiedDiff('same\n', 'same\n', 'a', 'b'), '');
  t.regex(unifiedDiff('', 'new\n', '/dev/null', 'x'), /@@ -0,0 \+1,1 @@\n\+new/);
});

test('splitCommand like shlex; normalizeMode reads YAML 1.1 numbers as permission bits, as Ansible', (t) => {
  t.deepEqual(splitCommand(`echo "a b" 'c d' e\\ f`), ['echo', 'a b', 'c d', 'e f']);
  t.deepEqual(splitCommand('  ls   -l  '), ['ls', '-l']);
  t.throws(() => splitCommand('echo "x'));
  t.is(normalizeMode(0o644), '0644'); // `mode: 0644` unquoted: YAML 1.1 octal → 420
  t.is(normalizeMode(416), '0640');
  t.is(normalizeMode('0600'), '0600');
  t.is(normalizeMode('755'), '0755');
  t.throws(() => normalizeMode('u=rw'));
});
