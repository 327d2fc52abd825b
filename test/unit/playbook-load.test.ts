import test from 'ava';
import { join } from 'node:path';
import { loadPlaybook } from '../../controller/playbook/load.js';
import { validateModuleArgs } from '../../controller/modules/args.js';
import { parseExtraVars, loadVarsFiles, mergeVarLayers } from '../../controller/playbook/vars.js';
import { ConfigError } from '../../controller/input/errors.js';
import type { BlockTask, ModuleTask } from '../../controller/playbook/types.js';
import { testModules } from '../fixtures/playbooks/test-modules.js';
import { isSecret, type Secret } from '../../controller/secrets.js';
import { Vault } from '../../controller/input/vault.js';
import { vaultPasswordFile } from '../helpers/secret-file.js';

const pdir = new URL('../fixtures/playbooks/', import.meta.url).pathname;
const vdir = new URL('../fixtures/vault/', import.meta.url).pathname;

test('loads every supported keyword with file:line', (t) => {
  const pb = loadPlaybook(join(pdir, 'site.yml'), { modules: testModules });
  t.is(pb.plays.length, 2);
  const [p1, p2] = pb.plays as [(typeof pb.plays)[0], (typeof pb.plays)[0]];
  t.deepEqual(p1.source, { file: join(pdir, 'site.yml'), line: 3 });
  t.is(p1.hosts, 'local:!local-4');
  t.false(p1.gatherFacts);
  t.deepEqual(p1.serial, [1, '50%']);
  t.is(p1.maxFailPercentage, 20);
  t.true(p1.anyErrorsFatal);
  t.deepEqual(p1.tags, ['migrate']);
  t.deepEqual(p1.varsFiles, [join(pdir, 'vars/common.yml')]);
  t.is(p1.tasks.length, 6); // pre_tasks + tasks
  const [hello, write, cmd, wait, loop, block] = p1.tasks as [
    ModuleTask,
    ModuleTask,
    ModuleTask,
    ModuleTask,
    ModuleTask,
    BlockTask,
  ];
  t.deepEqual(hello.args, { msg: 'hello {{ inventory_hostname }}' });
  t.is(hello.source.line, 15);
  t.is(write.module, 'copy');
  t.is(write.args.backup, true);
  t.deepEqual(write.notify, ['restart es']);
  t.deepEqual(write.tags, ['config']);
  t.is(write.register, 'written');
  t.is(write.source.line, 18);
  t.deepEqual(cmd.args, { cmd: '/usr/bin/true --flag' });
  t.deepEqual(cmd.when, ['written is defined', 'es_port|int > 9000']);
  t.deepEqual(cmd.changedWhen, ['false']);
  t.true(cmd.ignoreErrors);
  t.true(cmd.noLog);
  t.is(wait.until, "{{ health.status == 'green' }}");
  t.is(wait.retries, 10);
  t.is(wait.delay, 2);
  t.true(wait.runOnce);
  t.is(wait.delegateTo, 'localhost');
  t.is(wait.checkMode, false);
  t.is(loop.loopVar, 'node');
  t.is(loop.loop, '{{ groups.local }}');
  t.deepEqual(loop.vars, { extra: 1 });
  t.is(block.kind, 'block');
  t.deepEqual(block.when, ['es_port is defined']);
  t.is(block.block.length, 2);
  t.deepEqual((block.block[0] as ModuleTask).args, { name: 'elasticsearch', state: 'started' });
  t.is((block.block[1] as BlockTask).block.length, 1);
  t.is(block.rescue.length, 1);
  t.is(block.always.length, 1);
  t.deepEqual(
    p1.handlers.map((h) => h.listen),
    [['restart es'], ['reload', 'restart es', 'config changed']],
  );
  t.is(p2.hosts, 'remote');
  t.true(p2.gatherFacts);
  t.is((p2.tasks[0] as ModuleTask).source.line, 83);
});

test('one validator: the same rules on literal values at load time and on rendered values at run time', (t) => {
  const schema = testModules.get('service')!.schema;
  const copy = testModules.get('copy')!.schema;
  for (const phase of ['load', 'run'] as const) {
    const v = (module: string, sch: typeof schema, args: Record<string, unknown>) =>
      validateModuleArgs(module, sch, undefined, args, phase);
    t.throws(() => v('service', schema, { name: 'es', state: 'strated' }), {
      message: `service: argument 'state' must be one of: "started", "stopped", "restarted"; got "strated" (did you mean 'started'?)`,
    });
    t.throws(() => v('copy', copy, { dest: ['a'] }), { message: /argument 'dest' must be a string, got a list/ });
    // Booleans written as yes/no/on/off and a boolean given for a string: accepted in both phases alike.
    t.notThrows(() => v('copy', copy, { dest: '/x', backup: 'on' }), phase);
    t.notThrows(() => v('copy', copy, { dest: true as unknown as string }), phase);
  }
  // Only the run-time pass coerces and applies defaults.
  t.deepEqual(validateModuleArgs('copy', copy, undefined, { dest: '/x', backup: 'off' }, 'run'), {
    dest: '/x',
    backup: false,
  });
  t.deepEqual(validateModuleArgs('copy', copy, undefined, { dest: '/x' }, 'run'), { dest: '/x', backup: false });
  // A templated value is checked once rendered.
  t.notThrows(() => validateModuleArgs('service', schema, undefined, { name: 'es', state: '{{ s }}' }, 'load'));
  t.throws(() => validateModuleArgs('service', schema, undefined, { name: 'es', state: 'gone' }, 'run'));
});

test('argument rules: mutually exclusive, required one of, required if — the same at load and run time', (t) => {
  const schema = {
    content: { type: 'any' as const },
    src: { type: 'string' as const },
    state: { type: 'string' as const, choices: ['present', 'absent'] },
    dest: { type: 'string' as const },
  };
  const rules = {
    mutuallyExclusive: [['content', 'src']],
    requiredOneOf: [['content', 'src']],
    requiredIf: [['state', 'present', ['dest']]] as Array<[string, unknown, string[]]>,
  };
  for (const phase of ['load', 'run'] as const) {
    const v = (args: Record<string, unknown>) => validateModuleArgs('m', schema, rules, args, phase);
    t.throws(() => v({ content: 'a', src: 'b' }), {
      message: "m: arguments 'content', 'src' are mutually exclusive (give one)",
    });
    t.throws(() => v({ dest: '/x' }), { message: "m: one of 'content', 'src' is required" });
    t.throws(() => v({ content: 'a', state: 'present' }), { message: `m: state is "present" but 'dest' is missing` });
    t.notThrows(() => v({ content: 'a', state: 'absent' }));
  }
});

test('extra vars: key=value, JSON, YAML, @file (later wins)', (t) => {
  const v = parseExtraVars(['a=1 b="x y"', '{"a": 2, "n": [1]}', `@${join(pdir, 'vars/common.yml')}`, 'c=3']);
  t.deepEqual(v, { a: 2, b: 'x y', n: [1], es_port: 9200, seeds: ['a', 'b'], c: '3' });
  t.throws(() => parseExtraVars(['novalue']), {
    instanceOf: ConfigError,
    message: /expected key=value, @file or a JSON\/YAML mapping; got 'novalue'/,
  });
  t.throws(() => parseExtraVars(['@/nope.yml']), { message: /extra vars file not found: \/nope.yml/ });
  t.throws(() => parseExtraVars(['[1, 2]']), { message: /inline extra vars must be a mapping/ });
  const e = t.throws(() => parseExtraVars(['{"a": ']), { instanceOf: ConfigError });
  t.regex(e!.toString(), /^-e #1:1: YAML syntax error/);
  const pw = vaultPasswordFile(); // 0600 copy: a password file others can read is refused
  t.teardown(pw.remove);
  const sec = parseExtraVars([`@${join(vdir, 'vault-1.1.yml')}`], { vault: Vault.fromPasswordFile(pw.path) });
  t.true(isSecret(sec.db_password));
});

test('vars_files: templated paths, vault files, order', (t) => {
  const pw = vaultPasswordFile();
  t.teardown(pw.remove);
  const vault = Vault.fromPasswordFile(pw.path);
  const v = loadVarsFiles([join(pdir, 'vars/common.yml'), '{{ vdir }}/inline.yml'], { vault, vars: { vdir } });
  t.is(v.es_port, 9200);
  t.is((v.es_password as Secret).reveal(), 'inline-Secret-42');
  t.throws(() => loadVarsFiles(['{{ nope }}/x.yml']), { message: /undefined variable 'nope'/ });
  t.throws(() => loadVarsFiles(['/nonexistent.yml']), { message: 'vars file not found' });
});

test('merge order: inventory < play < vars_files < blocks < task < registered < extra < magic', (t) => {
  const m = mergeVarLayers({
    inventory: { a: 'inv', b: 'inv', c: 'inv', d: 'inv', e: 'inv', f: 'inv', g: 'inv', inventory_hostname: 'fake' },
    play: { b: 'play', c: 'play', d: 'play', e: 'play', f: 'play', g: 'play' },
    varsFiles: { c: 'vf', d: 'vf', e: 'vf', f: 'vf', g: 'vf' },
    blocks: [{ d: 'outer', e: 'outer' }, { e: 'inner' }],
    task: { f: 'task', g: 'task' },
    registered: { g: 'reg' },
    extra: { h: 'extra' },
    magic: { inventory_hostname: 'h1' },
  });
  t.deepEqual(m, {
    a: 'inv',
    b: 'play',
    c: 'vf',
    d: 'outer',
    e: 'inner',
    f: 'task',
    g: 'reg',
    h: 'extra',
    inventory_hostname: 'h1',
  });
});
