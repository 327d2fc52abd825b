import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventory } from '../../controller/inventory/index.js';
import { expandHostRange, splitPort } from '../../controller/inventory/hostpattern.js';
import { literalEval } from '../../controller/inventory/literal.js';
import { shlexSplit } from '../../controller/inventory/ini.js';
import { vaultPasswordFile } from '../helpers/secret-file.js';

const fx = new URL('../fixtures/inventory/', import.meta.url).pathname;
// [name, inventory, playbook dir] — expected outputs recorded with ansible-core 2.14 (fixtures/inventory/record.sh)
const CASES: Array<[string, string, string | undefined]> = [
  ['ini', 'ini/hosts.ini', undefined],
  ['yaml', 'yaml/inventory.yml', undefined],
  ['yaml-pbdir', 'yaml/inventory.yml', 'pbdir'],
  ['dir', 'dir', undefined],
  ['edge-ini', 'edge.ini', undefined],
  ['edge-yml', 'edge.yml', undefined],
];

function ansibleAvailable(): boolean {
  try {
    execFileSync('ansible-inventory', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const live = ansibleAvailable();

for (const [name, inv, pb] of CASES) {
  test(`--list parity with recorded ansible-inventory: ${name}`, (t) => {
    const i = loadInventory(join(fx, inv), { playbookDir: pb && join(fx, pb) });
    const expected = JSON.parse(readFileSync(join(fx, 'expected', `${name}.list.json`), 'utf8'));
    t.deepEqual(JSON.parse(JSON.stringify(i.toAnsibleList())), expected);
  });
  test(`--list parity with live ansible-inventory: ${name}`, (t) => {
    if (!live) {
      t.log('ansible-inventory not on PATH: live half skipped');
      t.pass();
      return;
    }
    const args = ['-i', join(fx, inv), '--list', ...(pb ? ['--playbook-dir', join(fx, pb)] : [])];
    const expected = JSON.parse(execFileSync('ansible-inventory', args, { encoding: 'utf8' }));
    const i = loadInventory(join(fx, inv), { playbookDir: pb && join(fx, pb) });
    t.deepEqual(JSON.parse(JSON.stringify(i.toAnsibleList())), expected);
  });
}

for (const name of ['ini', 'yaml', 'dir', 'edge-ini', 'edge-yml']) {
  test(`--graph equals ansible-inventory --graph: ${name}`, (t) => {
    const inv = CASES.find((c) => c[0] === name)![1];
    t.is(loadInventory(join(fx, inv)).toGraph(), readFileSync(join(fx, 'expected', `${name}.graph.txt`), 'utf8'));
  });
}

test('host patterns select the same hosts in the same order as ansible --list-hosts (recorded)', (t) => {
  const cases: Array<{ inventory: string; pattern: string; hosts: string[] }> = JSON.parse(
    readFileSync(join(fx, 'expected', 'patterns.json'), 'utf8'),
  );
  t.true(cases.length >= 20);
  const invs = new Map<string, ReturnType<typeof loadInventory>>();
  for (const c of cases) {
    if (!invs.has(c.inventory)) invs.set(c.inventory, loadInventory(join(fx, c.inventory)));
    t.deepEqual(invs.get(c.inventory)!.select(c.pattern), c.hosts, `${c.inventory}: ${c.pattern}`);
  }
});

test('INI: ranges, inline typed vars, precedence of files over inline vars', (t) => {
  const i = loadInventory(join(fx, 'ini/hosts.ini'));
  t.deepEqual(i.groupHosts('remote'), ['es-remote1', 'es-remote3', 'es-remote5']);
  t.deepEqual(i.groupHosts('local')!.length, 8);
  const m1 = i.hostVars('es-master1');
  t.is(m1.weight, 2); // host_vars file beats inline 1.5
  t.deepEqual(m1.meta, { rack: 'r1', n: 2 });
  t.is(m1.retries, 5); // group_vars/local.yaml beats [local:vars] and [all:vars]
  t.is(m1.datacenter, 'dc1'); // group_vars/dc1/ folder
  t.deepEqual(m1.dc_numbers, [1, 2, 3]); // .json inside the folder
  const m2 = i.hostVars('es-master2');
  t.is(m2.raw, '0755');
  t.is(m2.flag, 'false');
  t.deepEqual(i.groupNames('es-master1'), ['dc1', 'es_master', 'local']);
  t.is(i.hostVars('bastion').ansible_port, 2222);
});

test('behavioural connection vars are typed', (t) => {
  const i = loadInventory(join(fx, 'yaml/inventory.yml'));
  t.deepEqual(i.connection('local-4'), {
    host: 'local-4',
    address: '127.0.1.4',
    port: 22,
    user: 'es',
    privateKeyFile: undefined,
    become: true,
    becomeUser: 'elasticsearch',
  });
  t.deepEqual(i.connection('remote-2'), {
    host: 'remote-2',
    address: 'remote-2',
    port: undefined,
    user: undefined,
    privateKeyFile: undefined,
    become: false,
    becomeUser: undefined,
  });
  const ini = loadInventory(join(fx, 'ini/hosts.ini'));
  t.is(ini.connection('es-master2').privateKeyFile, '/keys/id_ed25519');
  t.is(ini.connection('es-data-a.dc2').become, true);
});

test('patterns: union, intersection, exclusion, globs, regex, subscripts', (t) => {
  const i = loadInventory(join(fx, 'ini/hosts.ini'));
  t.deepEqual(i.select('es_master:remote'), ['es-master1', 'es-master2', 'es-remote1', 'es-remote3', 'es-remote5']);
  t.deepEqual(i.select('remote:es_master'), ['es-remote1', 'es-remote3', 'es-remote5', 'es-master1', 'es-master2']); // term order
  t.deepEqual(i.select('es_master,remote'), i.select('es_master:remote'));
  t.deepEqual(i.select('local:&dc1'), ['es-data01.dc1', 'es-master1']);
  t.deepEqual(i.select('local:!dc1'), [
    'es-data02.dc1',
    'es-data03.dc1',
    'es-data-a.dc2',
    'es-data-b.dc2',
    'es-data-c.dc2',
    'es-master2',
  ]);
  t.deepEqual(i.select('es-data0*'), ['es-data01.dc1', 'es-data02.dc1', 'es-data03.dc1']);
  t.deepEqual(i.select('~es-data-[ab]'), ['es-data-a.dc2', 'es-data-b.dc2']);
  t.deepEqual(i.select('es_m*'), ['es-master1', 'es-master2']); // glob on a group name
  t.is(i.select('all').length, 13);
  t.is(i.select('*').length, 13);
  t.deepEqual(i.select('!local:!remote'), ['standalone.example.com', 'bastion']);
  t.deepEqual(i.select('remote[0]'), ['es-remote1']);
  t.deepEqual(i.select('remote[1:2]'), ['es-remote3', 'es-remote5']);
  t.deepEqual(i.select('bastion'), ['bastion']);
  t.deepEqual(i.selectDetailed('nope:bastion').unmatched, ['nope']);
  t.throws(() => i.select('~es[('), { message: /invalid regular expression/ });
});

test('host ranges and ports', (t) => {
  t.deepEqual(expandHostRange('es-data[01:03].dc1'), ['es-data01.dc1', 'es-data02.dc1', 'es-data03.dc1']);
  t.deepEqual(expandHostRange('n[a:c]'), ['na', 'nb', 'nc']);
  t.deepEqual(expandHostRange('r[1:2]-[x:y]'), ['r1-x', 'r1-y', 'r2-x', 'r2-y']);
  t.deepEqual(expandHostRange('n[0:10:5]'), ['n0', 'n5', 'n10']);
  t.throws(() => expandHostRange('n[5:1]'), { message: /start 5 is after end 1/ });
  t.throws(() => expandHostRange('n[1:z]'), { message: /invalid range/ });
  t.deepEqual(splitPort('h[1:3]:2222'), { name: 'h[1:3]', port: 2222 });
  t.deepEqual(splitPort('fe80::1'), { name: 'fe80::1' });
  t.throws(() => splitPort('h:99999'), { message: /out of range/ });
});

test('INI values are typed like Python literal_eval', (t) => {
  const v = (s: string) => {
    const r = literalEval(s);
    return r.ok ? r.value : `<str ${s}>`;
  };
  t.is(v('42'), 42);
  t.is(v('-1.5e3'), -1500);
  t.is(v('0x1f'), 31);
  t.is(v('0755'), '<str 0755>');
  t.is(v('True'), true);
  t.is(v('true'), '<str true>');
  t.is(v('None'), null);
  t.deepEqual(v("['a', 1, (2, 3)]"), ['a', 1, [2, 3]]);
  t.deepEqual(v('{\'k\': [1], "j": None}'), { k: [1], j: null });
  t.is(v("'it''s'"), 'its');
  t.is(v('hello world'), '<str hello world>');
  t.deepEqual(shlexSplit(`h a="x y" b='q' c=d\\ e # comment`), ['h', 'a=x y', 'b=q', 'c=d e']);
});

test('hostVars returns a copy (callers cannot corrupt the cache)', (t) => {
  const i = loadInventory(join(fx, 'yaml/inventory.yml'));
  i.hostVars('local-1').es_url = 'mutated';
  t.is(i.hostVars('local-1').es_url, 'https://127.0.1.1:9200');
});

test('magic variables', (t) => {
  const i = loadInventory(join(fx, 'yaml/inventory.yml'));
  const m = i.magicVars('local-1');
  t.is(m.inventory_hostname, 'local-1');
  t.deepEqual(m.group_names, ['local', 'local_data', 'local_master']);
  t.deepEqual((m.groups as Record<string, string[]>).local, ['local-1', 'local-2', 'local-3', 'local-4']);
});

test('vault-encrypted group_vars file: values become secrets, inventory still lists them masked', async (t) => {
  const { Vault } = await import('../../controller/input/vault.js');
  const { isSecret } = await import('../../controller/secrets.js');
  const tmp = mkdtempSync(join(tmpdir(), 'inv-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const vfx = new URL('../fixtures/vault/', import.meta.url).pathname;
  writeFileSync(join(tmp, 'hosts'), '[db]\ndb1\n');
  execFileSync('mkdir', ['-p', join(tmp, 'group_vars')]);
  writeFileSync(join(tmp, 'group_vars', 'db.yml'), readFileSync(join(vfx, 'vault-1.1.yml')));
  const pw = vaultPasswordFile(); // 0600 copy: a password file others can read is refused
  t.teardown(pw.remove);
  const i = loadInventory(join(tmp, 'hosts'), { vault: Vault.fromPasswordFile(pw.path) });
  t.true(isSecret(i.hostVars('db1').db_password));
  t.false(JSON.stringify(i.toAnsibleList()).includes('s3cr3t'));
  t.throws(() => loadInventory(join(tmp, 'hosts')).hostVars('db1'), { message: /encrypted with ansible-vault/ });
});
