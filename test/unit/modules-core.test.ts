// Core modules through the executor against the real agent, started locally over pipes (the path that
// `delegate_to: localhost` takes): real files, real commands, real sockets in a temp dir.
// Over SSH the same modules are covered by test/integration/playbook*.test.ts.
import test from 'ava';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { Executor } from '../../controller/playbook/executor.js';
import type { RunEvent } from '../../controller/playbook/exec-types.js';
import { makeLang } from '../../controller/playbook/exec-lang.js';
import { inventoryView } from '../../controller/playbook/exec-inventory.js';
import { loadInventory } from '../../controller/inventory/index.js';
import { loadPlaybook } from '../../controller/playbook/load.js';
import { modules } from '../../controller/modules/registry.js';
import { createAgentProvider } from '../../controller/cli/agents.js';
import { FileStateStore } from '../../controller/state/store.js';
import { SecretRegistry } from '../../controller/secrets.js';

const ROOT = resolve(import.meta.dirname, '../..');
const AGENT = join(ROOT, 'dist/agent.mjs');

type HostResult = Extract<RunEvent, { kind: 'host_result' }>;

function dir(t: { teardown(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'ck-mod-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Runs tasks (YAML) on the controller through the local agent; returns results by task name. */
async function play(d: string, tasksYaml: string, opts: { check?: boolean; diff?: boolean; vars?: string } = {}) {
  writeFileSync(join(d, 'inv.yml'), 'all:\n  hosts:\n    ctl: {}\n');
  const indented = tasksYaml
    .split('\n')
    .map((l) => (l ? '    ' + l : l))
    .join('\n');
  writeFileSync(
    join(d, 'pb.yml'),
    `- hosts: all\n  gather_facts: false\n  vars:\n    d: ${d}\n${opts.vars ?? ''}  tasks:\n${indented}\n`,
  );
  const pb = loadPlaybook(join(d, 'pb.yml'), { modules });
  // Every task runs on the controller: put delegate_to on each (the loader keeps it per task).
  const setDelegate = (ts: (typeof pb.plays)[0]['tasks']) =>
    ts.forEach((x) => {
      x.delegateTo = 'localhost';
      if (x.kind === 'block') {
        setDelegate(x.block);
        setDelegate(x.rescue);
        setDelegate(x.always);
      }
    });
  setDelegate(pb.plays[0]!.tasks);
  const agents = createAgentProvider({ acceptNewHostKeys: false, warn: () => {}, agentBundle: AGENT });
  const events: RunEvent[] = [];
  try {
    const ex = new Executor({
      inventory: inventoryView(loadInventory(join(d, 'inv.yml'))),
      agents,
      lang: makeLang(),
      modules,
      state: new FileStateStore(d),
      journal: { event: () => {} },
      emit: (e) => events.push(e),
      check: !!opts.check,
      diff: !!opts.diff,
      secrets: new SecretRegistry(),
    });
    const r = await ex.run(pb);
    const byTask = new Map<string, HostResult>();
    for (const e of events) if (e.kind === 'host_result') byTask.set(e.task, e);
    return { exitCode: r.exitCode, r: (name: string) => byTask.get(name)!, events };
  } finally {
    await agents.closeAll();
  }
}

test.before(() => {
  if (!existsSync(AGENT)) throw new Error('dist/agent.mjs missing: run `npm run build` first');
});

test('copy: content and src, mode, backup; second run ok; --check --diff shows a unified diff and changes nothing', async (t) => {
  const d = dir(t);
  mkdirSync(join(d, 'files'));
  writeFileSync(join(d, 'files', 'src.txt'), 'from src\n');
  writeFileSync(join(d, 'old.txt'), 'old line\n');
  const tasks = `
- name: content
  copy: { content: "hello\\n", dest: "{{ d }}/a.txt", mode: "0640" }
- name: src
  copy: { src: src.txt, dest: "{{ d }}/b.txt" }
- name: backup
  copy: { content: "new line\\n", dest: "{{ d }}/old.txt", backup: true }
  register: bk
- name: saw backup
  assert: { that: ["bk.backup_file is defined"] }
`;
  const check = await play(d, tasks.replace(/- name: saw backup[\s\S]*/, ''), { check: true, diff: true });
  t.is(check.r('backup').status, 'changed');
  t.regex(check.r('backup').changes![0]!.unified!, /-old line\n\+new line/);
  t.false(existsSync(join(d, 'a.txt')));
  t.is(readFileSync(join(d, 'old.txt'), 'utf8'), 'old line\n');

  const first = await play(d, tasks);
  t.is(
    first.exitCode,
    0,
    JSON.stringify(first.events.filter((e) => e.kind === 'host_result' && e.status === 'failed')),
  );
  t.is(readFileSync(join(d, 'a.txt'), 'utf8'), 'hello\n');
  t.is(statSync(join(d, 'a.txt')).mode & 0o777, 0o640);
  t.is(readFileSync(join(d, 'b.txt'), 'utf8'), 'from src\n');
  t.is(readFileSync(join(d, 'old.txt'), 'utf8'), 'new line\n');
  t.true(readdirSync(d).some((f) => f.startsWith('old.txt.') && readFileSync(join(d, f), 'utf8') === 'old line\n'));
  const second = await play(d, tasks.replace(/- name: saw backup[\s\S]*/, ''));
  for (const n of ['content', 'src', 'backup']) t.is(second.r(n).status, 'ok', n);
  // A mode-only drift is a change of the mode alone.
  chmodSync(join(d, 'a.txt'), 0o644);
  const mode = await play(d, tasks.replace(/- name: src[\s\S]*/, ''), { diff: true });
  t.deepEqual(mode.r('content').changes, [
    { target: `${d}/a.txt mode`, action: 'update', before: '0644', after: '0640' },
  ]);
  t.is(statSync(join(d, 'a.txt')).mode & 0o777, 0o640);
});

test('template: whole file and managed block in a YAML file (bytes outside kept); clash refused; idempotent', async (t) => {
  const d = dir(t);
  mkdirSync(join(d, 'templates'));
  writeFileSync(join(d, 'templates', 'conf.hbs'), 'name: {{ inventory_hostname }}\nport: {{ port }}\n');
  writeFileSync(
    join(d, 'templates', 'block.hbs'),
    'cluster.remote.a.mode: proxy\ncluster.remote.a.proxy_address: "{{ addr }}"\n',
  );
  writeFileSync(join(d, 'templates', 'clash.hbs'), 'node.name: other\n');
  const original = '# my comments\nnode.name: n1   # keep me\n\npath.data: /var/lib/es\n';
  writeFileSync(join(d, 'es.yml'), original);
  const tasks = `
- name: file
  template: { src: conf.hbs, dest: "{{ d }}/conf.yml", mode: "0600" }
- name: block
  template: { src: block.hbs, dest: "{{ d }}/es.yml", block: rcs2 }
`;
  const vars = '    port: 9300\n    addr: "10.0.0.1:9443"\n';
  const r1 = await play(d, tasks, { vars, diff: true });
  t.is(r1.exitCode, 0);
  t.is(readFileSync(join(d, 'conf.yml'), 'utf8'), 'name: ctl\nport: 9300\n');
  const es = readFileSync(join(d, 'es.yml'), 'utf8');
  t.true(es.startsWith(original));
  t.regex(
    es,
    /# BEGIN crosskey rcs2\ncluster\.remote\.a\.mode: proxy\ncluster\.remote\.a\.proxy_address: "10\.0\.0\.1:9443"\n# END crosskey rcs2\n$/,
  );
  t.regex(r1.r('block').changes![0]!.unified!, /\+# BEGIN crosskey rcs2/);
  const r2 = await play(d, tasks, { vars });
  t.is(r2.r('file').status, 'ok');
  t.is(r2.r('block').status, 'ok');
  const clash = await play(
    d,
    `
- name: clash
  template: { src: clash.hbs, dest: "{{ d }}/es.yml", block: other }
`,
  );
  t.is(clash.r('clash').status, 'failed');
  t.regex(clash.r('clash').msg!, /node\.name/);
  t.is(readFileSync(join(d, 'es.yml'), 'utf8'), es);
});

test('command: argv/cmd, creates, stdin, chdir, env; rc != 0 fails with stderr; changed_when', async (t) => {
  const d = dir(t);
  const tasks = `
- name: plain
  command: { cmd: "sh -c 'echo out; echo err >&2'" }
  register: plain
- name: check plain
  assert: { that: ["plain.stdout == 'out\\n'", "plain.stderr_lines[0] == 'err'", "plain.rc == 0"] }
- name: creates
  command: { argv: [touch, "{{ d }}/made"], creates: "{{ d }}/made" }
- name: stdin env chdir
  command: { argv: [sh, -c, "cat > got; echo $FOO >> got"], stdin: "from stdin\\n", chdir: "{{ d }}", env: { FOO: bar } }
- name: unchanged
  command: { argv: ["true"] }
  changed_when: false
- name: fails
  command: { argv: [sh, -c, "echo nope >&2; exit 3"] }
`;
  const r = await play(d, tasks);
  t.is(r.r('plain').status, 'changed');
  t.is(r.r('check plain').status, 'ok');
  t.is(r.r('creates').status, 'changed');
  t.is(readFileSync(join(d, 'got'), 'utf8'), 'from stdin\nbar\n');
  t.is(r.r('unchanged').status, 'ok');
  t.is(r.r('fails').status, 'failed');
  t.regex(r.r('fails').msg!, /non-zero return code 3: nope/);
  t.is(r.exitCode, 2);
  const again = await play(d, tasks.replace(/- name: plain[\s\S]*?- name: creates/, '- name: creates'));
  t.is(again.r('creates').status, 'ok');
});

test('service via a command: started/stopped act only when needed, restarted always', async (t) => {
  const d = dir(t);
  const svc = join(d, 'svc.sh');
  // A tiny service manager: state is a file; `status` exits 0 when running.
  writeFileSync(
    svc,
    `#!/bin/sh\nf=${d}/running\ncase "$1" in start) touch $f;; stop) rm -f $f;; restart) rm -f $f; touch $f; echo r >> ${d}/restarts;; status) [ -f $f ];; esac\n`,
  );
  chmodSync(svc, 0o755);
  const task = (name: string, state: string) =>
    `- name: ${name}\n  service: { name: demo, state: ${state}, command: ["${svc}"] }\n`;
  const r = await play(
    d,
    task('start', 'started') +
      task('start again', 'started') +
      task('restart', 'restarted') +
      task('stop', 'stopped') +
      task('stop again', 'stopped'),
  );
  t.deepEqual(
    ['start', 'start again', 'restart', 'stop', 'stop again'].map((n) => r.r(n).status),
    ['changed', 'ok', 'changed', 'changed', 'ok'],
  );
  t.false(existsSync(join(d, 'running')));
  t.is(readFileSync(join(d, 'restarts'), 'utf8'), 'r\n');
});

test('wait_for: port open, file present, regex in file; timeout fails naming what it waited for; never changed', async (t) => {
  const d = dir(t);
  const srv = createServer((s) => s.destroy());
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => srv.close());
  const port = (srv.address() as AddressInfo).port;
  writeFileSync(join(d, 'log'), 'starting\nstarted on port 9200\n');
  const r = await play(
    d,
    `
- name: port
  wait_for: { port: ${port}, timeout: 5 }
- name: file
  wait_for: { path: "{{ d }}/log", timeout: 5 }
- name: regex
  wait_for: { path: "{{ d }}/log", search_regex: "started on port \\\\d+", timeout: 5 }
  register: m
- name: matched
  assert: { that: ["m.match == 'started on port 9200'"] }
- name: timeout
  wait_for: { path: "{{ d }}/never", timeout: 1, sleep: 0.2 }
`,
  );
  for (const n of ['port', 'file', 'regex', 'matched']) t.is(r.r(n).status, 'ok', `${n}: ${r.r(n).msg}`);
  t.is(r.r('timeout').status, 'failed');
  t.regex(r.r('timeout').msg!, /Timeout when waiting for .*never \(started\) after 1s/);
});

test('assert, fail, debug: read-only, never changed; messages', async (t) => {
  const d = dir(t);
  const r = await play(
    d,
    `
- name: dbg msg
  debug: { msg: "port {{ p }}" }
- name: dbg var
  debug: { var: p }
- name: good assert
  assert: { that: ["p == 9200", "p > 1"], success_msg: "fine" }
- name: bad assert
  assert: { that: ["p == 1"], fail_msg: "p must be 1" }
  ignore_errors: true
- name: fail
  fail: { msg: "stop here" }
`,
    { vars: '    p: 9200\n' },
  );
  t.deepEqual(r.r('dbg msg').result!.msg, 'port 9200');
  t.is(r.r('dbg var').result!.p, 9200);
  t.is(r.r('good assert').msg, 'fine');
  t.is(r.r('bad assert').msg, 'p must be 1');
  t.true(r.r('bad assert').ignored);
  t.is(r.r('fail').status, 'failed');
  t.is(r.r('fail').msg, 'stop here');
  t.false(r.events.some((e) => e.kind === 'host_result' && e.status === 'changed'));
});
