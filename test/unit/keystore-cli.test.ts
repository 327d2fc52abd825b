import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chownSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keystoreCli, type Terminal } from '../../lab/node/keystore/cli.js';
import { readKeystore, readKeystoreHeader, writeKeystore } from '../../agent/keystore/format.js';

/** A terminal with scripted stdin lines that records what the CLI printed. */
function scripted(lines: string[]) {
  const input = [...lines];
  const rec = { out: '', err: '', prompts: [] as string[] };
  const term: Terminal = {
    print: (t) => {
      rec.out += t;
    },
    errorPrint: (t) => {
      rec.err += t;
    },
    readLine: async (prompt) => {
      if (prompt) {
        rec.prompts.push(prompt);
        rec.out += prompt;
      }
      return input.length ? input.shift()! : null;
    },
  };
  return { term, rec };
}

function setup(t: { teardown(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'ks-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// 8.13 (v5, 10k PBKDF2 iterations) keeps the suite cheap; v6 is exercised where it matters.
async function run(dir: string, argv: string[], lines: string[] = [], esVersion = '8.13.0') {
  const { term, rec } = scripted(lines);
  const code = await keystoreCli(argv, { configDir: dir, esVersion, term });
  return { code, ...rec };
}

const file = (dir: string) => join(dir, 'elasticsearch.keystore');

test('create writes v6 for 8.15 and v5 for 8.13, mode 0660, with keystore.seed', async (t) => {
  for (const [version, expected] of [
    ['8.15.0', 6],
    ['8.13.2', 5],
  ] as const) {
    const dir = setup(t);
    const r = await run(dir, ['create'], [], version);
    t.is(r.code, 0);
    t.is(r.out, `Created elasticsearch keystore in ${dir}/elasticsearch.keystore\n`);
    const buf = readFileSync(file(dir));
    t.deepEqual(readKeystoreHeader(buf), { version: expected, hasPassword: false });
    t.deepEqual([...readKeystore(buf).entries.keys()], ['keystore.seed']);
    t.is(statSync(file(dir)).mode & 0o777, 0o660);
  }
});

test('add -x reads one value per stdin line; list is sorted; show prints the value', async (t) => {
  const dir = setup(t);
  t.is((await run(dir, ['create'])).code, 0);
  const add = await run(dir, ['add', '-x', 'cluster.remote.r1.credentials', 'b.setting'], ['key-one', 'two']);
  t.is(add.code, 0);
  t.is(add.out, '');
  t.is((await run(dir, ['list'])).out, 'b.setting\ncluster.remote.r1.credentials\nkeystore.seed\n');
  t.is((await run(dir, ['show', 'cluster.remote.r1.credentials'])).out, 'key-one\n');
});

test('add on an existing setting prompts; answering no exits 0 without saving', async (t) => {
  const dir = setup(t);
  await run(dir, ['create']);
  await run(dir, ['add', '-x', 's.a'], ['v1']);
  const before = readFileSync(file(dir));
  const r = await run(dir, ['add', '-x', 's.a'], ['n', 'v2']);
  t.is(r.code, 0);
  t.deepEqual(r.prompts, ['Setting s.a already exists. Overwrite? [y/N]']);
  t.true(r.out.includes('Exiting without modifying keystore.'));
  t.deepEqual(readFileSync(file(dir)), before);
  const forced = await run(dir, ['add', '-f', '-x', 's.a'], ['v2']);
  t.is(forced.code, 0);
  t.deepEqual(forced.prompts, []);
  t.is((await run(dir, ['show', 's.a'])).out, 'v2\n');
});

test('add without a keystore: -f creates it, otherwise asks', async (t) => {
  const dir = setup(t);
  const asked = await run(dir, ['add', '-x', 's.a'], ['n']);
  t.is(asked.code, 0);
  t.deepEqual(asked.prompts, ['The elasticsearch keystore does not exist. Do you want to create it? [y/N]']);
  t.false(existsSync(file(dir)));
  t.is((await run(dir, ['add', '-f', '-x', 's.a'], ['v'], '8.15.0')).code, 0);
  t.deepEqual(readKeystoreHeader(readFileSync(file(dir))), { version: 6, hasPassword: false });
});

test('password-protected keystore: password is the first stdin line; wrong password → ES error, exit 65', async (t) => {
  const dir = setup(t);
  const c = await run(dir, ['create', '-p'], ['s3cret', 's3cret']);
  t.is(c.code, 0);
  t.true(readKeystoreHeader(readFileSync(file(dir))).hasPassword);
  t.is((await run(dir, ['has-passwd'])).out, 'Keystore is password-protected\n');
  const add = await run(dir, ['add', '-x', 'cluster.remote.r.credentials'], ['s3cret', 'the-key']);
  t.is(add.code, 0);
  t.deepEqual(add.prompts, ['Enter password for the elasticsearch keystore : ']);
  t.is(
    readKeystore(readFileSync(file(dir)), 's3cret')
      .entries.get('cluster.remote.r.credentials')
      ?.toString(),
    'the-key',
  );
  const bad = await run(dir, ['list'], ['wrong']);
  t.is(bad.code, 65);
  t.is(bad.err, 'ERROR: Provided keystore password was incorrect, with exit code 65\n');
  const mismatch = await run(dir, ['passwd'], ['s3cret', 'a', 'b']);
  t.is(mismatch.code, 65);
  t.true(mismatch.err.includes('Passwords are not equal, exiting.'));
  const changed = await run(dir, ['passwd'], ['s3cret', '', '']);
  t.is(changed.code, 0);
  t.true(changed.out.includes('Elasticsearch keystore password changed successfully.'));
  const nopw = await run(dir, ['has-passwd']);
  t.is(nopw.code, 1);
  t.is(nopw.err, 'ERROR: Keystore is not password-protected, with exit code 1\n');
});

test('remove/show of a missing setting → exit 78; missing keystore → exit 65; bad name → exit 65', async (t) => {
  const dir = setup(t);
  const missing = await run(dir, ['list']);
  t.is(missing.code, 65);
  t.is(
    missing.err,
    `ERROR: Elasticsearch keystore not found at [${file(dir)}]. Use 'create' command to create one., with exit code 65\n`,
  );
  await run(dir, ['create']);
  const rm = await run(dir, ['remove', 'nope']);
  t.is(rm.code, 78);
  t.is(rm.err, 'ERROR: Setting [nope] does not exist in the keystore., with exit code 78\n');
  t.is((await run(dir, ['show', 'nope'])).code, 78);
  const bad = await run(dir, ['add', '-x', 'bad name!'], ['v']);
  t.is(bad.code, 65);
  t.true(
    bad.err.includes('Setting name [bad name!] does not match the allowed setting name pattern [[A-Za-z0-9_\\-.]+]'),
  );
});

test('add-file stores raw bytes (trailing newline included); remove deletes', async (t) => {
  const dir = setup(t);
  await run(dir, ['create']);
  const src = join(dir, 'value.txt');
  writeFileSync(src, 'abc\n');
  t.is((await run(dir, ['add-file', 's.file', src])).code, 0);
  t.deepEqual([...readKeystore(readFileSync(file(dir))).entries.get('s.file')!], [...Buffer.from('abc\n')]);
  t.is((await run(dir, ['add-file', 's.other', join(dir, 'none')])).code, 74);
  t.is((await run(dir, ['remove', 's.file'])).code, 0);
  t.false(readKeystore(readFileSync(file(dir))).entries.has('s.file'));
});

test('rewrites in the version it read; upgrade moves v5 to v6 on 8.15', async (t) => {
  const dir = setup(t);
  writeFileSync(file(dir), writeKeystore({ version: 5, entries: new Map([['a.b', 'x']]) }));
  t.is((await run(dir, ['add', '-x', 'c.d'], ['y'], '8.15.0')).code, 0);
  t.is(readKeystoreHeader(readFileSync(file(dir))).version, 5);
  t.is((await run(dir, ['upgrade'], [], '8.15.0')).code, 0);
  const ks = readKeystore(readFileSync(file(dir)));
  t.is(ks.version, 6);
  t.is(ks.entries.get('a.b')?.toString(), 'x');
  t.is(ks.entries.get('c.d')?.toString(), 'y');
});

test('a v6 keystore on an 8.13 node is "too new"', async (t) => {
  const dir = setup(t);
  writeFileSync(file(dir), writeKeystore({ version: 6, entries: new Map() }));
  const r = await run(dir, ['list'], [], '8.13.0');
  t.is(r.code, 65);
  t.true(r.err.includes('format is too new. Are you trying to downgrade?'));
});

test('corrupted keystore → ES message', async (t) => {
  const dir = setup(t);
  await run(dir, ['create']);
  const buf = readFileSync(file(dir));
  buf[60] = buf[60]! ^ 0xff;
  writeFileSync(file(dir), buf);
  const r = await run(dir, ['list']);
  t.is(r.code, 65);
  t.is(r.err, 'ERROR: Keystore has been corrupted or tampered with, with exit code 65\n');
});

test('refuses to change the owner of an existing keystore', async (t) => {
  if (process.getuid?.() !== 0) return t.pass('needs root to chown');
  const dir = setup(t);
  await run(dir, ['create']);
  chownSync(file(dir), 4321, 4321);
  const r = await run(dir, ['add', '-x', 'a.b'], ['v']);
  t.is(r.code, 78);
  t.true(r.err.includes(`will not overwrite keystore at [${file(dir)}], because this incurs changing the file owner`));
  t.is(statSync(file(dir)).uid, 4321);
  t.false(existsSync(join(dir, 'elasticsearch.keystore.tmp')));
});
