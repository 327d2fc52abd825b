// The CLI's contract on bad input: exit 1, a message naming file:line (or the flag), and no host contacted.
// "No host contacted" is measured: every inventory host points at a TCP listener that counts connections.
import test from 'ava';
import { existsSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { bundleCli, runCli, ROOT } from './cli-bundle.js';
import { inProcess, tripwire, workdir } from '../helpers/cli-io.js';

let cli = '';
test.before(async () => {
  const b = await bundleCli();
  cli = b.file;
  process.once('exit', b.remove);
});
test.after.always(() => rmSync(cli, { force: true }));
const crosskey = (args: string[]) => runCli(cli, args);

const GOOD_PB = `- hosts: all
  gather_facts: false
  tasks:
    - name: hello
      command: { argv: ["true"] }
`;

test('bad flags and bad files: exit 1, clear message, no host contacted, nothing written', async (t) => {
  const wire = await tripwire(t);
  const d = workdir(t);
  const inv = join(d, 'inv.yml');
  writeFileSync(
    inv,
    `all:\n  hosts:\n    h1: { ansible_host: 127.0.0.1, ansible_port: ${wire.port} }\n    h2: { ansible_host: 127.0.0.1, ansible_port: ${wire.port} }\n`,
  );
  writeFileSync(join(d, 'good.yml'), GOOD_PB);
  writeFileSync(join(d, 'badmod.yml'), GOOD_PB.replace('command: { argv: ["true"] }', 'comand: { argv: ["true"] }'));
  writeFileSync(
    join(d, 'badarg.yml'),
    GOOD_PB.replace('command: { argv: ["true"] }', 'copy: { dest: /tmp/x, contnet: "a" }'),
  );
  writeFileSync(join(d, 'badyaml.yml'), '- hosts: all\n  tasks:\n    - name: x\n      command: grep "a: b" c: d\n');
  writeFileSync(join(d, 'badinv.yml'), 'all:\n  hosts:\n    - h1\n');
  const st = join(d, 'state');
  const cases: Array<{ args: string[]; expect: RegExp }> = [
    { args: ['run', join(d, 'good.yml')], expect: /-i INVENTORY is required/ },
    { args: ['run', '-i', inv], expect: /PLAYBOOK is required/ },
    { args: ['run', join(d, 'good.yml'), '-i', inv, '--forks', '0'], expect: /--forks must be an integer/ },
    { args: ['run', join(d, 'good.yml'), '-i', inv, '--bogus'], expect: /unknown option '--bogus'/ },
    { args: ['run', join(d, 'missing.yml'), '-i', inv], expect: /playbook not found/ },
    { args: ['run', join(d, 'good.yml'), '-i', join(d, 'nope.yml')], expect: /nope\.yml.*inventory not found/ },
    {
      args: ['run', join(d, 'good.yml'), '-i', inv, '--limit', 'nomatch'],
      expect: /--limit 'nomatch' matches no host/,
    },
    { args: ['run', join(d, 'good.yml'), '-i', inv, '--start-at-task', 'nope'], expect: /no task named 'nope'/ },
    { args: ['run', join(d, 'good.yml'), '-i', inv, '-e', 'not a pair'], expect: /-e #1: expected key=value/ },
    { args: ['run', join(d, 'good.yml'), '-i', inv, '-e', '@/nonexistent.yml'], expect: /extra vars file not found/ },
    {
      args: ['run', join(d, 'good.yml'), '-i', inv, '--vault-password-file', join(d, 'nopw')],
      expect: /cannot read vault password file/,
    },
    { args: ['run', join(d, 'badmod.yml'), '-i', inv], expect: /badmod\.yml:5: .*comand/ },
    {
      args: ['run', join(d, 'badarg.yml'), '-i', inv],
      expect: /badarg\.yml:5: .*contnet.*did you mean 'content'/,
    },
    { args: ['run', join(d, 'badyaml.yml'), '-i', inv], expect: /badyaml\.yml:4: / },
    { args: ['run', join(d, 'good.yml'), '-i', join(d, 'badinv.yml')], expect: /badinv\.yml:\d+: / },
    { args: ['nosuchcommand'], expect: /unknown command 'nosuchcommand'/ },
  ];
  for (const c of cases) {
    const r = await crosskey([...c.args, ...(c.args[0] === 'run' ? ['--state-dir', st] : [])]);
    t.is(r.code, 1, `${c.args.join(' ')}\n${r.stdout}${r.stderr}`);
    t.regex(r.stderr, c.expect, c.args.join(' '));
  }
  t.is(wire.count(), 0, 'no host was contacted');
  t.false(existsSync(join(st, 'runs')) && readdirSync(join(st, 'runs')).length > 0, 'no run journal written');
});

test('bad-input fixtures of the loader (test/fixtures/bad-input/cases.json): exit 1 with file:line, no host contacted', async (t) => {
  const casesFile = join(ROOT, 'test/fixtures/bad-input/cases.json');
  if (!existsSync(casesFile)) {
    t.log('cases.json not present yet');
    t.pass();
    return;
  }
  const wire = await tripwire(t);
  const d = workdir(t);
  const inv = join(d, 'inv.yml');
  writeFileSync(inv, `all:\n  hosts:\n    h1: { ansible_host: 127.0.0.1, ansible_port: ${wire.port} }\n`);
  writeFileSync(join(d, 'good.yml'), GOOD_PB);
  interface Case {
    id: string;
    kind: string;
    file: string;
    line?: number;
    message: string;
    match?: string;
    run: { inventory: string; playbook: string; extraVars?: string[] };
  }
  const cases = JSON.parse(readFileSync(casesFile, 'utf8')) as Case[];
  t.true(cases.length >= 20);
  const good = 'test/fixtures/bad-input/good/inventory.ini';
  let ran = 0;
  for (const c of cases) {
    // The good partner inventory is swapped for one whose host is the tripwire, so a contact would be counted.
    const invArg = c.run.inventory === good ? inv : join(ROOT, c.run.inventory);
    const args = [
      'run',
      join(ROOT, c.run.playbook),
      '-i',
      invArg,
      ...(c.run.extraVars ?? []).flatMap((e) => ['-e', e]),
      '--state-dir',
      join(d, 'state'),
    ];
    const r = await inProcess(args, ROOT); // the CLI's main() in this process: 41 cases in seconds, not minutes
    t.is(r.code, 1, `${c.id}: ${r.stdout}${r.stderr}`);
    const loc = `${join(ROOT, c.file)}${c.line ? `:${c.line}` : ''}: `;
    const text = c.match ?? c.message;
    t.true(r.stderr.includes(loc + text), `${c.id}: expected '${loc}${text}' in: ${r.stderr}`);
    ran++;
  }
  t.is(ran, cases.length);
  t.is(wire.count(), 0, 'no host was contacted');
});

test('inventory --list/--graph; runs lists recorded runs; --help; unknown hosts count as unreachable (exit 4)', async (t) => {
  const d = workdir(t);
  const wire = await tripwire(t);
  const inv = join(d, 'inv.yml');
  writeFileSync(
    inv,
    `all:\n  children:\n    web:\n      hosts:\n        w[1:2]: { ansible_host: 127.0.0.1, ansible_port: ${wire.port} }\n`,
  );
  const list = await crosskey(['inventory', '-i', inv, '--list']);
  t.is(list.code, 0, list.stderr);
  const parsed = JSON.parse(list.stdout) as { web: { hosts: string[] }; _meta: { hostvars: Record<string, unknown> } };
  t.deepEqual(parsed.web.hosts, ['w1', 'w2']);
  const graph = await crosskey(['inventory', '-i', inv, '--graph']);
  t.regex(graph.stdout, /@web:\n {2}\| {2}\|--w1/);
  const help = await crosskey(['run', '--help']);
  t.is(help.code, 0);
  t.regex(help.stdout, /--start-at-task NAME/);
  writeFileSync(join(d, 'pb.yml'), GOOD_PB);
  const run = await crosskey(['run', join(d, 'pb.yml'), '-i', inv, '--state-dir', join(d, 's')]);
  t.is(run.code, 4, run.stdout + run.stderr); // the tripwire is no SSH server
  t.regex(run.stdout, /PLAY RECAP/);
  const runs = await crosskey(['runs', '--state-dir', join(d, 's')]);
  t.regex(runs.stdout, /unreachable\s+4\s+apply\s+\d+s\s+all\s+pb\.yml/);
});

test('resume: a run that failed in play 2 is resumed from play 2 with the same arguments', async (t) => {
  const d = workdir(t);
  const flag = join(d, 'flag');
  writeFileSync(join(d, 'inv.yml'), 'all:\n  hosts:\n    c1: {}\n');
  writeFileSync(
    join(d, 'pb.yml'),
    `
- name: first
  hosts: all
  gather_facts: false
  tasks:
    - name: one
      debug: { msg: "{{ greeting }}" }
- name: second
  hosts: all
  gather_facts: false
  tasks:
    - name: needs flag
      command: { argv: [test, -f, "${flag}"] }
      delegate_to: localhost
`,
  );
  const st = join(d, 'state');
  const first = await crosskey([
    'run',
    join(d, 'pb.yml'),
    '-i',
    join(d, 'inv.yml'),
    '--state-dir',
    st,
    '-e',
    'greeting=hi',
    '-e',
    'es_password=TopSecret-4242',
  ]);
  t.is(first.code, 2, first.stdout + first.stderr);
  t.regex(first.stdout, /failed: \[c1 -> localhost\] => non-zero return code 1/);
  const journalText = readdirSync(join(st, 'runs'))
    .map((f) => readFileSync(join(st, 'runs', f), 'utf8'))
    .join('');
  t.false(journalText.includes('TopSecret-4242'), 'a secret-looking -e value is masked in the journal');
  writeFileSync(flag, '');
  const refused = await crosskey(['resume', '--state-dir', st]);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /secret extra vars.*give them again with -e/);
  const resumed = await crosskey(['resume', '--state-dir', st, '-e', 'es_password=TopSecret-4242']);
  t.is(resumed.code, 0, resumed.stdout + resumed.stderr);
  t.regex(resumed.stdout, /resuming run \S+ at play 2/);
  t.false(resumed.stdout.includes('PLAY [first]'));
  t.regex(resumed.stdout, /PLAY \[second\][\s\S]*changed: \[c1 -> localhost\]/);
  const runs = await crosskey(['runs', '--state-dir', st, '--json']);
  const list = runs.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; status: string; resumedFrom?: string });
  t.deepEqual(
    list.map((r) => r.status),
    ['failed', 'ok'],
  );
  t.is(list[1]!.resumedFrom, list[0]!.id);
  const again = await crosskey(['resume', '--state-dir', st]);
  t.is(again.code, 1);
  t.regex(again.stderr, /no unfinished run/);
});

test('Ctrl-C: running steps finish, nothing new starts, the recap is printed, exit 130; --step answers from stdin', async (t) => {
  const d = workdir(t);
  writeFileSync(join(d, 'inv.yml'), 'all:\n  hosts:\n    c1: {}\n    c2: {}\n');
  writeFileSync(
    join(d, 'pb.yml'),
    `
- hosts: all
  gather_facts: false
  tasks:
    - name: slow
      command: { argv: [sh, -c, "sleep 1.5; touch ${d}/{{ inventory_hostname }}.done"] }
      delegate_to: localhost
    - name: after
      debug: { msg: "must not run" }
`,
  );
  const { spawn } = await import('node:child_process');
  const p = spawn(
    process.execPath,
    [cli, 'run', join(d, 'pb.yml'), '-i', join(d, 'inv.yml'), '--state-dir', join(d, 's')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '',
    err = '';
  p.stdout.on('data', (c) => {
    out += c;
    if (out.includes('TASK [slow]') && !p.killed) setTimeout(() => p.kill('SIGINT'), 300);
  });
  p.stderr.on('data', (c) => (err += c));
  const code = await new Promise<number | null>((r) => p.on('close', r));
  t.is(code, 130, out + err);
  t.regex(out, /PLAY RECAP/);
  t.false(out.includes('TASK [after]'));
  t.true(existsSync(join(d, 'c1.done')) && existsSync(join(d, 'c2.done')), 'the running step was allowed to finish');
  t.regex(err, /interrupt/);

  // --step asks on a terminal: without one it is refused before any host is contacted (it used to answer "no" to
  // every task and exit 0). On a terminal (script(1) gives the command a pty) the answers are read as typed.
  const stepArgs = ['run', join(d, 'pb.yml'), '-i', join(d, 'inv.yml'), '--state-dir', join(d, 's'), '--step'];
  const noTty = await runCli(cli, stepArgs, { stdin: 'y\ny\n' });
  t.is(noTty.code, 1, noTty.stdout + noTty.stderr);
  t.regex(noTty.stderr, /--step asks before each task on the terminal, but standard input is not a terminal/);
  t.false(noTty.stdout.includes('TASK ['));
  const quoted = [process.execPath, cli, ...stepArgs].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const step = await new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
    const sh = `(sleep 1; printf 'n\\n'; sleep 1; printf 'y\\n'; sleep 2) | script -qec "${quoted}" /dev/null`;
    execFile('sh', ['-c', sh], { cwd: ROOT }, (e, stdout, stderr) =>
      res({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr }),
    );
  });
  t.is(step.code, 0, step.stdout + step.stderr);
  t.false(step.stdout.includes('TASK [slow]'));
  t.regex(step.stdout, /TASK \[after\]/);
  t.regex(step.stdout, /Perform task: TASK: slow \(N\)o\/\(y\)es\/\(c\)ontinue:/);
});
