// Operator experience, CLI edges: Ansible's introspection flags (--list-hosts, --list-tasks, --list-tags,
// --syntax-check) and `inventory --host` contact nothing; run ids may be prefixes wherever a run is named; `runs`
// says where it looked and shows tags, duration, exit code and dry runs; `report` defaults to the latest real run;
// output into a closed pipe ends quietly.
import test from 'ava';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleCli, runCli } from './cli-bundle.js';
import { tripwire, workdir } from '../helpers/cli-io.js';

let cli: { file: string; remove(): void };
test.before(async () => {
  cli = await bundleCli();
});
test.after.always(() => cli?.remove());

const PB = `- name: first play
  hosts: web
  gather_facts: false
  tags: [setup]
  tasks:
    - name: install
      debug: { msg: one }
      tags: [install]
    - block:
        - name: configure
          debug: { msg: two }
      tags: [config]
- name: second play
  hosts: db
  gather_facts: false
  tasks:
    - name: migrate
      debug: { msg: three }
      tags: [migrate]
`;

test('--list-hosts, --list-tasks, --list-tags, --syntax-check print what would run and contact nothing', async (t) => {
  const wire = await tripwire(t);
  const d = workdir(t);
  writeFileSync(
    join(d, 'inv.yml'),
    `all:\n  children:\n    web:\n      hosts:\n        w1: { ansible_host: 127.0.0.1, ansible_port: ${wire.port} }\n        w2: { ansible_host: 127.0.0.1, ansible_port: ${wire.port} }\n    db:\n      hosts:\n        d1: { ansible_host: 127.0.0.1, ansible_port: ${wire.port} }\n`,
  );
  writeFileSync(join(d, 'pb.yml'), PB);
  const run = (...extra: string[]) =>
    runCli(cli.file, ['run', join(d, 'pb.yml'), '-i', join(d, 'inv.yml'), ...extra], { cwd: d });

  const hosts = await run('--list-hosts', '--limit', 'w1:d1');
  t.is(hosts.code, 0, hosts.stderr);
  t.regex(
    hosts.stdout,
    /play #1 \(web\): first play\tTAGS: \[setup\]\n {4}pattern: \['web'\]\n {4}hosts \(1\):\n {6}w1\n/,
  );
  t.regex(hosts.stdout, /play #2 \(db\): second play\tTAGS: \[\]\n {4}pattern: \['db'\]\n {4}hosts \(1\):\n {6}d1\n/);

  const tasks = await run('--list-tasks', '--tags', 'config,migrate');
  t.is(tasks.code, 0, tasks.stderr);
  t.regex(tasks.stdout, / {6}configure\tTAGS: \[setup, config\]/);
  t.regex(tasks.stdout, / {6}migrate\tTAGS: \[migrate\]/);
  t.notRegex(tasks.stdout, /install/);

  const tags = await run('--list-tags');
  t.is(tags.code, 0, tags.stderr);
  t.regex(tags.stdout, /TASK TAGS: \[config, install, setup\]/);
  t.regex(tags.stdout, /TASK TAGS: \[migrate\]/);

  const syntax = await run('--syntax-check');
  t.is(syntax.code, 0, syntax.stderr);
  t.is(syntax.stdout, `playbook: ${join(d, 'pb.yml')}\n`);
  // A syntax check finds what a run would refuse.
  writeFileSync(join(d, 'bad.yml'), PB.replace('debug: { msg: two }', 'debug: { mgs: two }'));
  const bad = await runCli(cli.file, ['run', join(d, 'bad.yml'), '-i', join(d, 'inv.yml'), '--syntax-check'], {
    cwd: d,
  });
  t.is(bad.code, 1);
  t.regex(bad.stderr, /bad\.yml:11: debug: unknown argument 'mgs' \(did you mean 'msg'\?\)/);

  t.is(wire.count(), 0, 'no host was contacted');
  t.false(
    existsSync(join(d, '.crosskey', 'runs')) && readdirSync(join(d, '.crosskey', 'runs')).length > 0,
    'no run recorded',
  );
});

test("inventory --host shows one host's merged variables, plain-text passwords masked", async (t) => {
  const d = workdir(t);
  writeFileSync(
    join(d, 'inv.yml'),
    'all:\n  children:\n    local:\n      vars: { es_url: "https://es:9200", es_password: "written-in-plain-text" }\n      hosts:\n        l1: { ansible_host: 10.1.1.1 }\n',
  );
  const r = await runCli(cli.file, ['inventory', '-i', join(d, 'inv.yml'), '--host', 'l1'], { cwd: d });
  t.is(r.code, 0, r.stderr);
  const vars = JSON.parse(r.stdout) as Record<string, unknown>;
  t.is(vars.ansible_host, '10.1.1.1');
  t.is(vars.es_url, 'https://es:9200');
  t.is(vars.es_password, '********');
  t.false(r.stdout.includes('written-in-plain-text'));
  const missing = await runCli(cli.file, ['inventory', '-i', join(d, 'inv.yml'), '--host', 'nope'], { cwd: d });
  t.is(missing.code, 1);
  t.regex(missing.stderr, /no host 'nope'/);
});

test('runs: where it looked, tags, duration, exit code, dry runs; resume and report take id prefixes; report defaults to the latest real run; a closed pipe ends quietly', async (t) => {
  const wire = await tripwire(t);
  const d = workdir(t);
  const inv = join(d, 'inv.yml');
  writeFileSync(
    inv,
    `all:\n  children:\n    web:\n      hosts:\n        w1: { ansible_host: 127.0.0.1, ansible_port: ${wire.port} }\n    db:\n      hosts:\n        d1: { ansible_host: 127.0.0.1, ansible_port: ${wire.port} }\n`,
  );
  writeFileSync(join(d, 'pb.yml'), PB.replace(/debug: \{ msg: (\w+) \}/g, 'command: { argv: ["true"] }'));
  chmodSync(join(d, 'pb.yml'), 0o644);
  const elsewhere = workdir(t);
  const none = await runCli(cli.file, ['runs'], { cwd: elsewhere });
  t.is(none.code, 0);
  t.regex(
    none.stdout,
    new RegExp(
      `no runs recorded in ${elsewhere}/\\.crosskey/runs \\(in the current folder; give -i INVENTORY to look next to it\\)`,
    ),
  );

  const real = await runCli(cli.file, ['run', join(d, 'pb.yml'), '-i', inv, '--tags', 'install'], { cwd: d });
  t.is(real.code, 4, real.stdout + real.stderr); // the tripwire is no SSH server: unreachable
  const dry = await runCli(cli.file, ['run', join(d, 'pb.yml'), '-i', inv, '--check'], { cwd: d });
  t.is(dry.code, 0, dry.stdout + dry.stderr); // check mode: a command is reported, not run
  const runs = await runCli(cli.file, ['runs', '-i', inv], { cwd: elsewhere });
  t.is(runs.code, 0, runs.stderr);
  const lines = runs.stdout.trim().split('\n');
  t.regex(lines[0]!, /^RUN\s+STATUS\s+EXIT\s+MODE\s+DURATION\s+TAGS\s+PLAYBOOK$/);
  t.regex(lines[1]!, /unreachable\s+4\s+apply\s+\d+s\s+install\s+pb\.yml$/);
  t.regex(lines[2]!, /ok\s+0\s+dry run\s+\d+s\s+all\s+pb\.yml$/);
  const realId = lines[1]!.split(/\s+/)[0]!;
  const dryId = lines[2]!.split(/\s+/)[0]!;

  const report = await runCli(cli.file, ['report', '--state-dir', join(d, '.crosskey'), '--json'], { cwd: d });
  t.is(report.code, 0, report.stderr);
  t.is((JSON.parse(report.stdout) as { id: string }).id, realId, 'the latest real run, not the later dry run');
  t.not(realId, dryId);

  const prefix = realId.slice(0, -3);
  const resumed = await runCli(cli.file, ['resume', prefix, '-i', inv], { cwd: d });
  t.is(resumed.code, 4, resumed.stdout + resumed.stderr);
  t.regex(resumed.stdout, new RegExp(`resuming run ${realId} at play 1`));
  t.notRegex(resumed.stderr, /\n\s+at /);

  const piped = await new Promise<{ code: number; stderr: string }>((res) => {
    execFile(
      'sh',
      ['-c', `'${process.execPath}' '${cli.file}' runs -i '${inv}' --json | head -1 >/dev/null`],
      (e, _o, stderr) => res({ code: e ? Number(e.code) : 0, stderr }),
    );
  });
  t.is(piped.code, 0);
  t.is(piped.stderr, '', 'no EPIPE stack trace');
});
