// Issue "hardening", YAML and vault input: (1) an alias bomb ("billion laughs") given as an inventory, a playbook,
// a vars file, `-e @file`, inline `-e` YAML or inside a vault payload fails at once with file:line (the line of the
// alias that crosses the bound), as does a recursive alias and a document over the size limit, while ordinary
// anchors and merge keys keep working; the other js-yaml loaders (elasticsearch.yml on the controller, in the lab,
// in `inspect`, and the agent's block.apply) have the same bounds. (2) A corrupted vault file is reported as
// corrupted, a well-formed one that fails the HMAC as a wrong password (or a modified file). (3) A vault password
// file that group or others can read is refused.
import test from 'ava';
import { createCipheriv, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { YAMLException } from 'js-yaml';
import { loadInventory, loadVarsFile } from '../../controller/inventory/index.js';
import { loadPlaybook } from '../../controller/playbook/load.js';
import { parseExtraVars, loadVarsFiles } from '../../controller/playbook/vars.js';
import { parseYaml, readYamlFile } from '../../controller/input/yaml.js';
import { Vault } from '../../controller/input/vault.js';
import { ConfigError } from '../../controller/input/errors.js';
import { SecretFileError } from '../../controller/secret-files.js';
import { isSecret, type Secret } from '../../controller/secrets.js';
import { editSettings } from '../../controller/modules/es/elasticsearch_yml.js';
import { parseElasticsearchYml as inspectParseEsYml } from '../../controller/inspect/host.js';
import { parseElasticsearchYml as labParseEsYml } from '../../lab/node/config/elasticsearch-yml.js';
import { blockApply } from '../../agent/ops/block.js';
import { MAX_ALIAS_NODES, MAX_YAML_BYTES, loadBounded } from '../../agent/yaml-bounds.js';
import { testModules } from '../fixtures/playbooks/test-modules.js';
import { VAULT_FIXTURES, privateCopy, privateFile, vaultPasswordFile } from '../helpers/secret-file.js';

const BAD = new URL('../fixtures/bad-input/', import.meta.url).pathname;

function tmp(t: { teardown(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'ck-yaml-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/**
 * A "billion laughs" mapping: level 0 is a list of 9 strings, level k a list of 9 aliases of level k-1; `indent`
 * puts it under a key. Returns the text and the 1-based line (within the text) of each level.
 */
function bomb(levels: number, indent = ''): { text: string; lineOf: (level: number) => number } {
  const lines = [`${indent}l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]`];
  for (let i = 1; i < levels; i++)
    lines.push(
      `${indent}l${i}: &l${i} [${Array(9)
        .fill(`*l${i - 1}`)
        .join(', ')}]`,
    );
  return { text: lines.join('\n') + '\n', lineOf: (level) => level + 1 };
}

/** The level whose first alias crosses MAX_ALIAS_NODES: each alias of level k-1 adds its expanded size. */
function crossingLevel(): number {
  let size = 10; // l0: the list and its 9 strings
  let total = 0;
  for (let level = 1; ; level++) {
    if (total + size > MAX_ALIAS_NODES) return level;
    total += 9 * size;
    size = 1 + 9 * size;
  }
}

/** ansible-vault 1.1 encryption (the format Vault.decrypt reads), to put any text in a vault payload. */
function vaultEncrypt(plain: string, password: string): string {
  const salt = randomBytes(32);
  const m = pbkdf2Sync(password, salt, 10000, 80, 'sha256');
  const data = Buffer.from(plain, 'utf8');
  const pad = 16 - (data.length % 16);
  const padded = Buffer.concat([data, Buffer.alloc(pad, pad)]);
  const c = createCipheriv('aes-256-ctr', m.subarray(0, 32), m.subarray(64, 80));
  const cipher = Buffer.concat([c.update(padded), c.final()]);
  const mac = createHmac('sha256', m.subarray(32, 64)).update(cipher).digest('hex');
  const hex = Buffer.from(`${salt.toString('hex')}\n${mac}\n${cipher.toString('hex')}`, 'ascii').toString('hex');
  return `$ANSIBLE_VAULT;1.1;AES256\n${hex.match(/.{1,80}/g)!.join('\n')}\n`;
}

interface Measure {
  ms: number;
  heapMB: number;
  rssMB: number;
}

/** Runs `fn`, which must throw; returns the error and what it cost (reported, never asserted). */
function measured(fn: () => unknown): { error: unknown; cost: Measure } {
  globalThis.gc?.();
  const m0 = process.memoryUsage();
  const t0 = performance.now();
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  const t1 = performance.now();
  const m1 = process.memoryUsage();
  return {
    error,
    cost: {
      ms: +(t1 - t0).toFixed(1),
      heapMB: +((m1.heapUsed - m0.heapUsed) / 2 ** 20).toFixed(2),
      rssMB: +((m1.rss - m0.rss) / 2 ** 20).toFixed(2),
    },
  };
}

function expectBound(t: import('ava').ExecutionContext, error: unknown, file: string, line: number): void {
  t.true(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
  const e = error as ConfigError;
  t.is(e.file, file);
  t.is(e.line, line);
  t.regex(e.message, new RegExp(`^aliases expand to more than ${MAX_ALIAS_NODES} nodes at \\*l\\d+ `));
  t.true(e.toString().startsWith(`${file}:${line}: `));
}

// --- 1. alias bombs -------------------------------------------------------------------------------------------

for (const levels of [9, 10]) {
  test(`alias bomb of ${levels} levels as an inventory → ConfigError at the alias that crosses the bound`, (t) => {
    const d = tmp(t);
    const file = join(d, 'hosts.yml');
    const b = bomb(levels, '    ');
    writeFileSync(file, `all:\n  vars:\n${b.text}  hosts:\n    web1:\n`);
    const { error, cost } = measured(() => loadInventory(file));
    t.log(
      `inventory, ${levels} levels (${readFileSync(file).length} bytes): ${cost.ms} ms, heap +${cost.heapMB} MB, rss +${cost.rssMB} MB`,
    );
    expectBound(t, error, file, 2 + b.lineOf(crossingLevel()));
  });

  test(`alias bomb of ${levels} levels as a playbook, a vars file, -e @file, inline -e and a group_vars file`, (t) => {
    const d = tmp(t);
    const b = bomb(levels, '    ');
    const pb = join(d, 'play.yml');
    writeFileSync(pb, `- hosts: all\n  vars:\n${b.text}  tasks: []\n`);
    const r1 = measured(() => loadPlaybook(pb, { modules: testModules }));
    t.log(`playbook, ${levels} levels: ${r1.cost.ms} ms, heap +${r1.cost.heapMB} MB, rss +${r1.cost.rssMB} MB`);
    expectBound(t, r1.error, pb, 2 + b.lineOf(crossingLevel()));

    const flat = bomb(levels);
    const vars = join(d, 'vars.yml');
    writeFileSync(vars, flat.text);
    const r2 = measured(() => loadVarsFile(vars));
    t.log(`vars file, ${levels} levels: ${r2.cost.ms} ms, heap +${r2.cost.heapMB} MB, rss +${r2.cost.rssMB} MB`);
    expectBound(t, r2.error, vars, flat.lineOf(crossingLevel()));
    expectBound(t, measured(() => parseExtraVars([`@${vars}`])).error, vars, flat.lineOf(crossingLevel()));
    expectBound(t, measured(() => loadVarsFiles([vars])).error, vars, flat.lineOf(crossingLevel()));
    expectBound(
      t,
      measured(() => parseExtraVars([`---\n${flat.text}`])).error,
      '-e #1',
      1 + flat.lineOf(crossingLevel()),
    );

    mkdirSync(join(d, 'inv', 'group_vars'), { recursive: true });
    writeFileSync(join(d, 'inv', 'hosts'), '[web]\nweb1\n');
    writeFileSync(join(d, 'inv', 'group_vars', 'web.yml'), flat.text);
    const r3 = measured(() => loadInventory(join(d, 'inv', 'hosts')).hostVars('web1'));
    expectBound(t, r3.error, join(d, 'inv', 'group_vars', 'web.yml'), flat.lineOf(crossingLevel()));
  });

  test(`alias bomb of ${levels} levels inside a vault payload (vars file and -e @file) → ConfigError`, (t) => {
    const d = tmp(t);
    const pw = vaultPasswordFile();
    t.teardown(pw.remove);
    const vault = Vault.fromPasswordFile(pw.path);
    const password = readFileSync(pw.path, 'utf8').trimEnd();
    const flat = bomb(levels);
    const whole = join(d, 'vault.yml');
    writeFileSync(whole, vaultEncrypt(flat.text, password));
    const r = measured(() => loadVarsFile(whole, vault));
    t.log(`vault payload, ${levels} levels: ${r.cost.ms} ms, heap +${r.cost.heapMB} MB, rss +${r.cost.rssMB} MB`);
    // The line is the line in the decrypted text (the envelope has no lines of the YAML).
    expectBound(t, r.error, whole, flat.lineOf(crossingLevel()));
    expectBound(t, measured(() => parseExtraVars([`@${whole}`], { vault })).error, whole, flat.lineOf(crossingLevel()));
  });
}

test('the bad-input fixtures: alias bombs and a recursive alias fail with file:line', (t) => {
  const inv = join(BAD, 'inventory/yaml-alias-bomb.yml');
  const e1 = t.throws(() => loadInventory(inv), { instanceOf: ConfigError });
  t.is(
    `${e1!.line}: ${e1!.message}`,
    `9: aliases expand to more than ${MAX_ALIAS_NODES} nodes at *e (a "billion laughs" document?); write the values out or use fewer aliases`,
  );
  const pb = join(BAD, 'playbooks/yaml-alias-bomb.yml');
  t.is(t.throws(() => loadPlaybook(pb, { modules: testModules }), { instanceOf: ConfigError })!.line, 9);
  const vars = join(BAD, 'vars/alias-bomb.yml');
  t.is(t.throws(() => loadVarsFile(vars), { instanceOf: ConfigError })!.line, 7);
  const rec = join(BAD, 'inventory/yaml-alias-recursive.yml');
  const e2 = t.throws(() => loadInventory(rec), { instanceOf: ConfigError });
  t.is(
    `${e2!.file}:${e2!.line}: ${e2!.message}`,
    `${rec}:5: alias *seeds is inside the node it refers to (recursive YAML structures are not supported)`,
  );
});

test('a recursive mapping alias is refused too (it would loop every walker)', (t) => {
  const e = t.throws(() => parseYaml('a: &m\n  self: *m\n', 'r.yml'), { instanceOf: ConfigError });
  t.is(
    e!.toString(),
    'r.yml:2: alias *m is inside the node it refers to (recursive YAML structures are not supported)',
  );
});

test('legitimate anchors, aliases and merge keys still load, also close to the bound', (t) => {
  const doc = parseYaml(
    [
      'defaults: &defaults',
      '  es_port: 9200',
      '  seeds: &seeds [a:9300, b:9300]',
      'hot:',
      '  <<: *defaults',
      '  es_port: 9201',
      'warm:',
      '  <<: [*defaults]',
      '  other_seeds: *seeds',
      'redefined: &seeds [c:9300]',
      'uses_latest: *seeds',
      'scalar: &s hello',
      'again: *s',
    ].join('\n') + '\n',
    'ok.yml',
  );
  const v = doc.value as Record<string, Record<string, unknown> | unknown[] | string>;
  t.deepEqual(v.hot, { es_port: 9201, seeds: ['a:9300', 'b:9300'] });
  t.deepEqual(v.warm, { es_port: 9200, seeds: ['a:9300', 'b:9300'], other_seeds: ['a:9300', 'b:9300'] });
  t.deepEqual(v.uses_latest, ['c:9300']);
  t.is(v.again, 'hello');
  t.is(doc.pos.keys?.get('warm')?.keyLine, 7);

  // 990 hosts sharing a 100-item list: 99,990 nodes through aliases, just under the bound.
  const items = Array.from({ length: 100 }, (_, i) => `      - node${i}:9300`).join('\n');
  const hosts = Array.from({ length: 990 }, (_, i) => `    h${i}:\n      seeds: *s`).join('\n');
  const d = tmp(t);
  const file = join(d, 'hosts.yml');
  writeFileSync(file, `all:\n  vars:\n    shared: &s\n${items}\n  hosts:\n${hosts}\n`);
  const inv = loadInventory(file);
  t.is(inv.hosts().length, 990);
  t.is((inv.hostVars('h989').seeds as string[])[99], 'node99:9300');
  // One more host crosses it, at that host's alias.
  writeFileSync(file, `all:\n  vars:\n    shared: &s\n${items}\n  hosts:\n${hosts}\n    h990:\n      seeds: *s\n`);
  const e = t.throws(() => loadInventory(file), { instanceOf: ConfigError });
  t.is(e!.line, 3 + 100 + 1 + 990 * 2 + 2);
});

test('a document over the size limit is refused before it is parsed; a huge file is not even read', (t) => {
  const big = 'k: "' + 'x'.repeat(MAX_YAML_BYTES) + '"\n';
  const e = t.throws(() => parseYaml(big, 'big.yml'), { instanceOf: ConfigError });
  t.is(e!.toString(), `big.yml: document is ${MAX_YAML_BYTES + 6} bytes, more than the 4 MiB limit for YAML input`);
  const d = tmp(t);
  const file = join(d, 'huge.yml');
  writeFileSync(file, '');
  truncateSync(file, 64 * 2 ** 20); // sparse: 64 MiB of NUL bytes nobody should read
  const { error, cost } = measured(() => readYamlFile(file));
  t.log(`64 MiB file: ${cost.ms} ms, heap +${cost.heapMB} MB`);
  t.true(error instanceof ConfigError);
  t.is((error as ConfigError).message, `file is ${64 * 2 ** 20} bytes, more than the 4 MiB limit for YAML input`);
  // Multi-byte text is measured in bytes.
  t.throws(() => parseYaml('k: "' + 'é'.repeat(MAX_YAML_BYTES / 2) + '"\n', 'utf8.yml'), {
    instanceOf: ConfigError,
    message: /more than the 4 MiB limit/,
  });
});

test('the other js-yaml loaders have the same bounds (elasticsearch.yml editing, inspect, lab node, agent block.apply)', async (t) => {
  const flat = bomb(10).text;
  const line = bomb(10).lineOf(crossingLevel());
  const y = t.throws(() => loadBounded(flat, { filename: 'x.yml' }), { instanceOf: YAMLException });
  t.is(y!.mark?.line, line - 1);
  t.regex(y!.reason, /^aliases expand to more than/);
  t.throws(() => loadBounded('a: &a [*a]\n'), { message: /recursive YAML structures are not supported/ });
  t.throws(() => loadBounded(''), { message: /expected a document, but the input is empty/ });
  t.throws(() => loadBounded('a: 1\n---\nb: 2\n'), { message: /expected a single document/ });
  t.deepEqual(loadBounded('a: &x [1]\nb: *x\n'), { a: [1], b: [1] });

  const r = measured(() => editSettings('/etc/elasticsearch/elasticsearch.yml', flat, { 'cluster.name': 'x' }));
  t.log(`elasticsearch.yml edit, 10 levels: ${r.cost.ms} ms, heap +${r.cost.heapMB} MB`);
  t.regex(String((r.error as Error).message), /aliases expand to more than/);
  t.throws(() => inspectParseEsYml(flat, 'host1:/etc/elasticsearch/elasticsearch.yml'), {
    message: new RegExp(`elasticsearch.yml:${line}: not valid YAML: aliases expand`),
  });
  t.throws(() => labParseEsYml(flat, '/lab/es.yml'), {
    message: new RegExp(`\\(/lab/es.yml:${line}\\): aliases expand to more than`),
  });

  const d = tmp(t);
  const path = join(d, 'elasticsearch.yml');
  writeFileSync(path, 'cluster.name: c1\n');
  await t.throwsAsync(blockApply({ path, marker: 'bomb', content: flat }), {
    message: /the block is not valid YAML: .*aliases expand to more than/,
  });
  t.is(readFileSync(path, 'utf8'), 'cluster.name: c1\n');
});

// --- 2. corrupted vault files -----------------------------------------------------------------------------------

/** The vault fixture with its envelope lines, to corrupt. */
function vaultFixture(): { lines: string[]; file: (d: string, lines: string[]) => string } {
  const lines = readFileSync(join(VAULT_FIXTURES, 'vault-1.1.yml'), 'utf8').trimEnd().split('\n');
  return {
    lines,
    file: (d, ls) => {
      const f = join(d, 'vault.yml');
      writeFileSync(f, ls.join('\n') + '\n');
      return f;
    },
  };
}

/** Re-encodes an envelope after `edit` changed its inner text (salt\nhmac\nciphertext). */
function editInner(lines: string[], edit: (inner: string) => string): string[] {
  const inner = Buffer.from(lines.slice(1).join(''), 'hex').toString('latin1');
  const hex = Buffer.from(edit(inner), 'latin1').toString('hex');
  return [lines[0]!, ...hex.match(/.{1,80}/g)!];
}

test('corrupted vault file: one hex digit changed, bad hex, truncated → "is corrupted", with file:line', (t) => {
  const d = tmp(t);
  const pw = vaultPasswordFile();
  t.teardown(pw.remove);
  const vault = Vault.fromPasswordFile(pw.path);
  const { lines, file } = vaultFixture();

  // One digit changed so that an inner character is no longer hex ('3x'/'6x' → '7x': 'p'..'y').
  const digit = [...lines];
  digit[1] = '7' + digit[1]!.slice(1);
  let f = file(d, digit);
  let e = t.throws(() => loadVarsFile(f, vault), { instanceOf: ConfigError });
  t.is(e!.toString(), `${f}:1: vault file ${f} is corrupted: the salt is not hex`);

  // A character that is not hex at all: pointed at on its own line.
  const badHex = [...lines];
  badHex[3] = badHex[3]!.slice(0, 10) + 'g' + badHex[3]!.slice(11);
  f = file(d, badHex);
  e = t.throws(() => loadVarsFile(f, vault), { instanceOf: ConfigError });
  t.is(
    e!.toString(),
    `${f}:4: vault file ${f} is corrupted: the payload is not hex ("g" in column 11 of payload line 3)`,
  );

  // Truncated: half a line, or whole lines, or everything after the header.
  f = file(d, [...lines.slice(0, -1), lines.at(-1)!.slice(0, 7)]);
  t.regex(
    t.throws(() => loadVarsFile(f, vault), { instanceOf: ConfigError })!.message,
    /^vault file .* is corrupted: the payload has an odd number of hex digits \(truncated\?\)$/,
  );
  f = file(d, lines.slice(0, 4));
  t.regex(
    t.throws(() => loadVarsFile(f, vault), { instanceOf: ConfigError })!.message,
    /^vault file .* is corrupted: .*\(truncated\?\)$/,
  );
  f = file(d, lines.slice(0, 2));
  t.regex(
    t.throws(() => loadVarsFile(f, vault), { instanceOf: ConfigError })!.message,
    /^vault file .* is corrupted: the payload holds 1 line\(s\), not 3 \(salt, HMAC, ciphertext\) \(truncated\?\)$/,
  );
  f = file(d, lines.slice(0, 1));
  t.is(
    t.throws(() => loadVarsFile(f, vault), { instanceOf: ConfigError })!.message,
    `vault file ${f} is corrupted: the payload is empty (truncated?)`,
  );
  // A ciphertext cut at a whole number of bytes that is not a whole number of AES blocks.
  f = file(
    d,
    editInner(lines, (inner) => inner.slice(0, -2)),
  );
  t.regex(
    t.throws(() => loadVarsFile(f, vault), { instanceOf: ConfigError })!.message,
    /is corrupted: the ciphertext is \d+ bytes, not a multiple of 16 \(truncated\?\)$/,
  );
  // An HMAC of the wrong length.
  f = file(
    d,
    editInner(lines, (inner) => inner.replace('\n', '\n00')),
  );
  t.regex(
    t.throws(() => loadVarsFile(f, vault), { instanceOf: ConfigError })!.message,
    /is corrupted: the HMAC is 33 bytes, not 32$/,
  );
});

test('well-formed vault payload that fails the HMAC → "wrong vault password (or the file was modified)"', (t) => {
  const d = tmp(t);
  const pw = vaultPasswordFile();
  t.teardown(pw.remove);
  const vault = Vault.fromPasswordFile(pw.path);
  const { lines, file } = vaultFixture();
  // One ciphertext hex digit changed into another hex digit: still well-formed, the HMAC cannot match.
  const f = file(
    d,
    editInner(lines, (inner) => {
      const at = inner.lastIndexOf('\n') + 5;
      return inner.slice(0, at) + (inner[at] === '0' ? '1' : '0') + inner.slice(at + 1);
    }),
  );
  const e = t.throws(() => loadVarsFile(f, vault), { instanceOf: ConfigError });
  t.is(e!.toString(), `${f}:1: wrong vault password (or the file was modified)`);
  // The real wrong password says the same (HMAC cannot tell them apart).
  const wrong = privateFile('pw', 'not-the-password\n');
  t.teardown(wrong.remove);
  t.is(
    t.throws(() => loadVarsFile(join(VAULT_FIXTURES, 'vault-1.1.yml'), Vault.fromPasswordFile(wrong.path)), {
      instanceOf: ConfigError,
    })!.message,
    'wrong vault password (or the file was modified)',
  );
  // And the untouched file still decrypts.
  t.is((loadVarsFile(join(VAULT_FIXTURES, 'vault-1.1.yml'), vault).db_password as Secret).reveal(), 's3cr3t-Passw0rd');
});

test('corrupted inline !vault value → "vault-encrypted value is corrupted" at its line', (t) => {
  const d = tmp(t);
  const pw = vaultPasswordFile();
  t.teardown(pw.remove);
  const vault = Vault.fromPasswordFile(pw.path);
  const text = readFileSync(join(VAULT_FIXTURES, 'inline.yml'), 'utf8').split('\n');
  text[3] = text[3]!.replace(/[0-9a-f]$/, 'z');
  const f = join(d, 'inline.yml');
  writeFileSync(f, 'cluster: c1\n' + text.join('\n'));
  const e = t.throws(() => readYamlFile(f, { vault }), { instanceOf: ConfigError });
  t.regex(
    e!.toString(),
    new RegExp(
      `^${f}:2: vault-encrypted value is corrupted: the payload is not hex \\("z" in column 80 of payload line 2\\)$`,
    ),
  );
  // Intact, it decrypts to a Secret.
  const ok = readYamlFile(join(VAULT_FIXTURES, 'inline.yml'), { vault }).value as Record<string, unknown>;
  t.true(isSecret(ok.es_password));
});

// --- 3. vault password file permissions ---------------------------------------------------------------------------

test('a vault password file readable by group or others is refused; 0600 is accepted; the override is honoured', (t) => {
  const copy = privateCopy(join(VAULT_FIXTURES, 'vault-pass.txt'));
  t.teardown(copy.remove);
  t.truthy(Vault.fromPasswordFile(copy.path));
  for (const mode of [0o644, 0o640, 0o604]) {
    chmodSync(copy.path, mode);
    const e = t.throws(() => Vault.fromPasswordFile(copy.path, {}), { instanceOf: SecretFileError });
    t.is(
      e!.message,
      `vault password file ${copy.path} is readable by others (mode 0${mode.toString(8)}): run 'chmod 600 ${copy.path}', ` +
        'or set crosskey_allow_loose_secret_files: true (CROSSKEY_ALLOW_LOOSE_SECRET_FILES=true) to accept it',
    );
    t.throws(() => Vault.fromOptions(undefined, { CROSSKEY_VAULT_PASSWORD_FILE: copy.path }), {
      instanceOf: SecretFileError,
    });
  }
  // The fixture as git checks it out (0644) is refused, unless the operator accepts loose files.
  chmodSync(copy.path, 0o644);
  const v = Vault.fromOptions(copy.path, { CROSSKEY_ALLOW_LOOSE_SECRET_FILES: 'true' });
  t.is((loadVarsFile(join(VAULT_FIXTURES, 'vault-1.1.yml'), v).db_password as Secret).reveal(), 's3cr3t-Passw0rd');
  chmodSync(copy.path, 0o400);
  t.truthy(Vault.fromPasswordFile(copy.path, {}));
  t.throws(() => Vault.fromPasswordFile(join(copy.path, '..', 'missing'), {}), {
    message: /^cannot read vault password file .*missing: ENOENT$/,
  });
});
