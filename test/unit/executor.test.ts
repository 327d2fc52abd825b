// Executor semantics, offline: real inventory loader, real expression language, real core modules
// (debug/assert/fail run on the controller) and a test module that writes real files on the controller.
// The SSH path (host modules over real sshd) is covered by test/integration/playbook*.test.ts.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Executor, playbookHasTask } from '../../controller/playbook/executor.js';
import type { RunEvent } from '../../controller/playbook/exec-types.js';
import { makeLang } from '../../controller/playbook/exec-lang.js';
import { inventoryView } from '../../controller/playbook/exec-inventory.js';
import { loadInventory } from '../../controller/inventory/index.js';
import type { Journal, Resource } from '../../controller/modules/contract.js';
import { ModuleError, readOnly, UnreachableError } from '../../controller/modules/contract.js';
import type { AnyModule } from '../../controller/modules/registry.js';
import { coreModules } from '../../controller/modules/core/index.js';
import type { BlockTask, Handler, ModuleTask, Play, Playbook, Task } from '../../controller/playbook/types.js';
import { FileStateStore } from '../../controller/state/store.js';
import { Secret, SecretRegistry } from '../../controller/secrets.js';

// ---- a controller-side module on real files: content of <dir>/<host>-<name> -------------------
interface PutArgs {
  name: string;
  content: string;
  delayMs?: number;
}
const order: string[] = [];
const putFileModule: Resource<PutArgs, { path: string; current: string | undefined }> = {
  name: 'put_local',
  description: 'test: write a file on the controller',
  runsOn: 'controller',
  schema: {
    name: { type: 'string', required: true },
    content: { type: 'string', required: true },
    delayMs: { type: 'number' },
  },
  async read(ctx, args) {
    order.push(`${ctx.host}:${args.name}:start`);
    if (args.delayMs) await new Promise((r) => setTimeout(r, args.delayMs));
    const path = join(String(ctx.vars.out_dir), `${ctx.host}-${args.name}`);
    order.push(`${ctx.host}:${args.name}:end`);
    return { path, current: existsSync(path) ? readFileSync(path, 'utf8') : undefined };
  },
  diff(cur, args) {
    return cur.current === args.content
      ? []
      : [
          {
            target: cur.path,
            action: cur.current === undefined ? 'create' : 'update',
            before: cur.current,
            after: args.content,
          },
        ];
  },
  async apply(_ctx, args, plan, cur) {
    writeFileSync(cur.path, args.content);
    return { applied: plan, changedFiles: [{ path: cur.path }], data: { path: cur.path } };
  },
};
// A module that needs the agent: used to check unreachable accounting with a transport that refuses.
const needsAgent = readOnly<Record<string, never>, null>({
  name: 'ping_agent',
  description: 'test',
  runsOn: 'host',
  schema: {},
  async read(ctx) {
    await ctx.agent();
    return null;
  },
});

const modules = new Map<string, AnyModule>([...coreModules, putFileModule, needsAgent].map((m) => [m.name, m]));

// ---- builders for typed playbooks --------------------------------------------------------------
let line = 1;
function t(module: string, args: Record<string, unknown>, extra: Partial<ModuleTask> = {}): ModuleTask {
  return {
    kind: 'task',
    module,
    args,
    tags: [],
    loopVar: 'item',
    ignoreErrors: false,
    noLog: false,
    runOnce: false,
    notify: [],
    vars: {},
    source: { file: 'pb.yml', line: line++ },
    ...extra,
  };
}
function block(b: Task[], rescue: Task[] = [], always: Task[] = [], extra: Partial<BlockTask> = {}): BlockTask {
  return {
    kind: 'block',
    block: b,
    rescue,
    always,
    tags: [],
    loopVar: 'item',
    ignoreErrors: false,
    noLog: false,
    runOnce: false,
    notify: [],
    vars: {},
    source: { file: 'pb.yml', line: line++ },
    ...extra,
  };
}
function handler(name: string, module: string, args: Record<string, unknown>, listen: string[] = []): Handler {
  return { ...t(module, args, { name }), listen: [name, ...listen] };
}
function play(tasks: Task[], extra: Partial<Play> = {}): Play {
  return {
    name: 'p',
    hosts: 'all',
    vars: {},
    varsFiles: [],
    anyErrorsFatal: false,
    gatherFacts: false,
    tags: [],
    tasks,
    handlers: [],
    source: { file: 'pb.yml', line: 1 },
    ...extra,
  };
}

interface Fixture {
  dir: string;
  inv: ReturnType<typeof inventoryView>;
}
function fixture(tt: { teardown(fn: () => void): void }, hosts = ['h1', 'h2', 'h3', 'h4']): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'ck-exec-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const yml = `all:\n  vars:\n    out_dir: ${dir}\n  children:\n    web:\n      hosts:\n${hosts.map((h) => `        ${h}: {}\n`).join('')}`;
  writeFileSync(join(dir, 'inv.yml'), yml);
  return { dir, inv: inventoryView(loadInventory(join(dir, 'inv.yml'))) };
}

interface Outcome {
  events: RunEvent[];
  exitCode: number;
  stats: Record<string, Record<string, number>>;
  journal: Array<Record<string, unknown>>;
}
async function run(
  fx: Fixture,
  pb: Playbook | Play[],
  opts: Partial<ConstructorParameters<typeof Executor>[0]> = {},
): Promise<Outcome> {
  const events: RunEvent[] = [];
  const journal: Array<Record<string, unknown>> = [];
  const j: Journal = { event: (kind, data) => journal.push({ kind, ...data }) };
  const playbook: Playbook = Array.isArray(pb) ? { file: join(fx.dir, 'pb.yml'), dir: fx.dir, plays: pb } : pb;
  const ex = new Executor({
    inventory: fx.inv,
    agents: {
      agent: async (h) => {
        throw new UnreachableError(h, `ssh: connect to ${h}: Connection refused`);
      },
      local: async () => {
        throw new Error('no local agent');
      },
      closeAll: async () => {},
    },
    lang: makeLang(),
    modules,
    state: new FileStateStore(fx.dir),
    journal: j,
    emit: (e) => events.push(e),
    forks: 4,
    ...opts,
  });
  const r = await ex.run(playbook);
  return { events, exitCode: r.exitCode, stats: r.stats as unknown as Outcome['stats'], journal };
}
const results = (o: Outcome, task?: string) =>
  o.events.filter(
    (e): e is Extract<RunEvent, { kind: 'host_result' }> => e.kind === 'host_result' && (!task || e.task === task),
  );

test.serial(
  'linear strategy: every host finishes task N before any host starts N+1; second run changes nothing',
  async (tt) => {
    const fx = fixture(tt);
    order.length = 0;
    const tasks = [1, 2, 3].map((i) =>
      t('put_local', { name: `f${i}`, content: `c${i}`, delayMs: 5 + (i % 2) * 10 }, { name: `task ${i}` }),
    );
    const o = await run(fx, [play(tasks)]);
    const lastEndOf = (n: number) => Math.max(...order.map((e, i) => (e.endsWith(`:f${n}:end`) ? i : -1)));
    const firstStartOf = (n: number) => order.findIndex((e) => e.endsWith(`:f${n}:start`));
    tt.true(lastEndOf(1) < firstStartOf(2));
    tt.true(lastEndOf(2) < firstStartOf(3));
    tt.is(o.exitCode, 0);
    tt.deepEqual(o.stats.h1, { ok: 3, changed: 3, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
    tt.is(readFileSync(join(fx.dir, 'h3-f2'), 'utf8'), 'c2');
    const again = await run(fx, [play(tasks)]);
    tt.is(
      Object.values(again.stats).reduce((n, s) => n + s.changed, 0),
      0,
    );
  },
);

test.serial('serial batches; handlers once per changed host at the end of each batch; listen', async (tt) => {
  const fx = fixture(tt);
  writeFileSync(join(fx.dir, 'h2-cfg'), 'v1'); // h2 is already right: no notify for h2
  const p = play(
    [
      t('put_local', { name: 'cfg', content: 'v1' }, { name: 'config', notify: ['restart it'] }),
      t('put_local', { name: 'other', content: 'x' }, { name: 'other', notify: ['restart it', 'also'] }),
    ],
    {
      serial: [1, 2],
      handlers: [
        handler('restart', 'put_local', { name: 'restarted', content: 'yes' }, ['restart it']),
        handler('also', 'debug', { msg: 'also ran' }),
      ],
    },
  );
  const o = await run(fx, [p]);
  const batches = o.events.filter((e) => e.kind === 'batch_start').map((e) => (e as { hosts: string[] }).hosts);
  tt.deepEqual(batches, [['h1'], ['h2', 'h3'], ['h4']]);
  const restart = results(o, 'restart').map((r) => r.host);
  tt.deepEqual(restart.sort(), ['h1', 'h2', 'h3', 'h4']); // h2 notified by "other" (changed) even though cfg was ok
  tt.is(restart.length, 4); // once per host although two tasks notified it
  // The handler of batch 1 ran before batch 2 started.
  const idxHandlerH1 = o.events.findIndex((e) => e.kind === 'host_result' && e.task === 'restart' && e.host === 'h1');
  const idxBatch2 = o.events.findIndex((e) => e.kind === 'batch_start' && (e as { batch: number }).batch === 1);
  tt.true(idxHandlerH1 < idxBatch2);
  // Second run: nothing changed → no handler.
  const again = await run(fx, [p]);
  tt.is(results(again, 'restart').length, 0);
});

test.serial(
  'when, loop with register results[], until/retries, changed_when, failed_when, ignore_errors',
  async (tt) => {
    const fx = fixture(tt, ['h1', 'h2']);
    const p = play([
      t('put_local', { name: 'only-h1', content: 'x' }, { name: 'conditional', when: ["inventory_hostname == 'h1'"] }),
      t('debug', { msg: 'item' }, { name: 'loop', loop: [1, 2, 3], register: 'looped', when: ['item != 2'] }),
      t('assert', { that: ['looped.results | length == 3', 'looped.results[1].skipped'] }, { name: 'check loop' }),
      t('put_local', { name: 'cw', content: 'y' }, { name: 'changed_when false', changedWhen: ['false'] }),
      t('fail', { msg: 'boom' }, { name: 'ignored', ignoreErrors: true, register: 'f' }),
      t('assert', { that: ['f.failed', "f.msg == 'boom'"] }, { name: 'saw failure' }),
      t('debug', { msg: 'x' }, { name: 'failed_when', failedWhen: ["inventory_hostname == 'h2'"] }),
      t('debug', { msg: 'after' }, { name: 'after' }),
    ]);
    const o = await run(fx, [p]);
    tt.is(results(o, 'conditional').find((r) => r.host === 'h2')!.status, 'skipped');
    tt.false(existsSync(join(fx.dir, 'h2-only-h1')));
    tt.is(
      results(o, 'check loop').every((r) => r.status === 'ok'),
      true,
    );
    tt.is(results(o, 'changed_when false')[0]!.status, 'ok');
    tt.true(existsSync(join(fx.dir, 'h1-cw'))); // changed_when does not stop the change, it only reports
    tt.true(results(o, 'ignored').every((r) => r.status === 'failed' && r.ignored));
    tt.is(results(o, 'failed_when').find((r) => r.host === 'h2')!.status, 'failed');
    tt.deepEqual(
      results(o, 'after').map((r) => r.host),
      ['h1'],
    ); // h2 stopped after its failure
    tt.is(o.stats.h1!.ignored, 1);
    tt.is(o.stats.h2!.failed, 1);
    tt.is(o.exitCode, 2);
  },
);

test.serial('until retries the task and records attempts; never true → failed after retries+1 attempts', async (tt) => {
  const fx = fixture(tt, ['h1']);
  const p = play([
    t(
      'put_local',
      { name: 'u', content: 'z' },
      { name: 'until ok', register: 'r', until: 'not r.changed', retries: 3, delay: 0 },
    ),
    t('debug', { msg: 'x' }, { name: 'never', register: 'n', until: 'n.msg == "y"', retries: 2, delay: 0 }),
  ]);
  const o = await run(fx, [p]);
  tt.is(results(o, 'until ok')[0]!.attempts, 2);
  const never = results(o, 'never')[0]!;
  tt.is(never.status, 'failed');
  tt.regex(never.msg!, /retried 3 times/);
});

test.serial(
  'block/rescue/always: rescued counted, failure not; always runs; unrescued failure in always-block counts',
  async (tt) => {
    const fx = fixture(tt, ['h1', 'h2']);
    const p = play([
      block(
        [
          t('fail', { msg: 'bad' }, { name: 'fails on h1', when: ["inventory_hostname == 'h1'"] }),
          t('debug', { msg: 'rest of block' }, { name: 'rest' }),
        ],
        [t('debug', { msg: 'rescuing' }, { name: 'rescue task' })],
        [t('debug', { msg: 'always' }, { name: 'always task' })],
      ),
      block(
        [t('fail', { msg: 'no rescue' }, { name: 'fails h2', when: ["inventory_hostname == 'h2'"] })],
        [],
        [t('debug', { msg: 'a2' }, { name: 'always 2' })],
      ),
      t('debug', { msg: 'end' }, { name: 'end' }),
    ]);
    const o = await run(fx, [p]);
    tt.deepEqual(
      results(o, 'rest').map((r) => r.host),
      ['h2'],
    );
    tt.deepEqual(
      results(o, 'rescue task').map((r) => r.host),
      ['h1'],
    );
    tt.deepEqual(
      results(o, 'always task')
        .map((r) => r.host)
        .sort(),
      ['h1', 'h2'],
    );
    tt.deepEqual(
      results(o, 'always 2')
        .map((r) => r.host)
        .sort(),
      ['h1', 'h2'],
    );
    tt.deepEqual(
      results(o, 'end').map((r) => r.host),
      ['h1'],
    );
    tt.is(o.stats.h1!.rescued, 1);
    tt.is(o.stats.h1!.failed, 0);
    tt.is(o.stats.h2!.failed, 1);
    tt.is(o.exitCode, 2);
  },
);

test.serial(
  'any_errors_fatal stops everything after the failing task; max_fail_percentage must be exceeded',
  async (tt) => {
    const fx = fixture(tt);
    const failH1 = t('fail', { msg: 'x' }, { name: 'fail h1', when: ["inventory_hostname == 'h1'"] });
    const o = await run(fx, [
      play([failH1, t('debug', { msg: 'next' }, { name: 'next' })], { anyErrorsFatal: true }),
      play([t('debug', { msg: 'p2' }, { name: 'p2' })]),
    ]);
    tt.is(results(o, 'next').length, 0);
    tt.is(results(o, 'p2').length, 0);
    tt.is(o.exitCode, 2);
    // 1 of 4 = 25%: not more than 25 → continue; more than 24 → abort.
    const cont = await run(fx, [
      play([failH1, t('debug', { msg: 'next' }, { name: 'next' })], { maxFailPercentage: 25 }),
    ]);
    tt.is(results(cont, 'next').length, 3);
    const stop = await run(fx, [
      play([failH1, t('debug', { msg: 'next' }, { name: 'next' })], { maxFailPercentage: 24 }),
    ]);
    tt.is(results(stop, 'next').length, 0);
  },
);

test.serial('tags, --start-at-task, --step, run_once, check mode and check_mode override', async (tt) => {
  const fx = fixture(tt, ['h1', 'h2']);
  const tasks = [
    t('put_local', { name: 'a', content: '1' }, { name: 'tagged a', tags: ['a'] }),
    t('put_local', { name: 'b', content: '1' }, { name: 'tagged b', tags: ['b'] }),
    t('debug', { msg: 'always' }, { name: 'always', tags: ['always'] }),
    t('debug', { msg: 'never' }, { name: 'never', tags: ['never'] }),
  ];
  const tagged = await run(fx, [play(tasks)], { tags: ['b'] });
  tt.deepEqual([...new Set(results(tagged).map((r) => r.task))], ['tagged b', 'always']);
  const skipped = await run(fx, [play(tasks)], { skipTags: ['b'] });
  tt.deepEqual([...new Set(results(skipped).map((r) => r.task))], ['tagged a', 'always']);

  const pb: Playbook = { file: 'pb.yml', dir: fx.dir, plays: [play(tasks)] };
  tt.true(playbookHasTask(pb, 'tagged*'));
  tt.false(playbookHasTask(pb, 'missing'));
  const started = await run(fx, [play(tasks)], { startAtTask: 'always' });
  tt.deepEqual([...new Set(results(started).map((r) => r.task))], ['always']);

  const asked: string[] = [];
  const answers = ['n', 'y', 'c'];
  const stepped = await run(fx, [play([...tasks, t('debug', { msg: 'z' }, { name: 'last' })])], {
    confirmTask: async (n) => {
      asked.push(n);
      return answers.shift() as 'y' | 'n' | 'c';
    },
  });
  tt.deepEqual(asked, ['tagged a', 'tagged b', 'always']);
  tt.deepEqual([...new Set(results(stepped).map((r) => r.task))], ['tagged b', 'always', 'last']);

  const once = await run(fx, [
    play([
      t('debug', { msg: 'one' }, { name: 'once', runOnce: true, register: 'o' }),
      t('assert', { that: ['o.msg == "one"'] }, { name: 'both have it' }),
    ]),
  ]);
  tt.deepEqual(
    results(once, 'once').map((r) => r.host),
    ['h1'],
  );
  tt.deepEqual(
    results(once, 'both have it').map((r) => r.status),
    ['ok', 'ok'],
  );

  const checkDir = fixture(tt, ['h1']);
  const chk = await run(
    checkDir,
    [
      play([
        t('put_local', { name: 'c', content: 'new' }, { name: 'would change' }),
        t('put_local', { name: 'forced', content: 'real' }, { name: 'check_mode false', checkMode: false }),
        t('assert', { that: ['ansible_check_mode'] }, { name: 'magic var' }),
      ]),
    ],
    { check: true, diff: true },
  );
  tt.is(results(chk, 'would change')[0]!.status, 'changed');
  tt.deepEqual(results(chk, 'would change')[0]!.changes![0]!.after, 'new');
  tt.false(existsSync(join(checkDir.dir, 'h1-c')));
  tt.true(existsSync(join(checkDir.dir, 'h1-forced')));
  tt.is(results(chk, 'magic var')[0]!.status, 'ok');
});

test.serial("a changed result carries its module's change noun and count (the summary's words)", async (tt) => {
  const fx = fixture(tt, ['h1']);
  const named: AnyModule = { ...putFileModule, name: 'put_named', changeNoun: ['thing', 'things'] };
  const p = play([
    t('put_named', { name: 'n', content: 'x' }, { name: 'named' }),
    t('put_named', { name: 'n', content: 'x' }, { name: 'named again' }),
    t('put_local', { name: 'u', content: 'x' }, { name: 'unnamed' }),
  ]);
  const o = await run(fx, [p], { modules: new Map([...modules, [named.name, named]]) });
  const [changed] = results(o, 'named');
  tt.is(changed!.status, 'changed');
  tt.deepEqual(changed!.changeNoun, ['thing', 'things']);
  tt.is(changed!.changeCount, 1);
  tt.is(results(o, 'named again')[0]!.status, 'ok');
  tt.is(results(o, 'named again')[0]!.changeNoun, undefined);
  tt.is(results(o, 'unnamed')[0]!.changeNoun, undefined);
});

test.serial('no_log results and Secret values never reach events; secret args are masked in --diff', async (tt) => {
  const fx = fixture(tt, ['h1']);
  const reg = new SecretRegistry();
  const secretModule: Resource<{ token: unknown }, unknown> = {
    name: 'secret_mod',
    description: 't',
    runsOn: 'controller',
    schema: { token: { type: 'string', secret: true, required: true } },
    async read() {
      return null;
    },
    diff(_c, args) {
      return [{ target: 'token', action: 'update', before: 'old', after: args.token, secret: true }];
    },
    async apply(_ctx, _args, plan) {
      return { applied: plan };
    },
  };
  const mods = new Map(modules);
  mods.set('secret_mod', secretModule);
  const o = await run(
    fx,
    [
      play([
        t('debug', { msg: 'password is Sup3rSecretNoLog' }, { name: 'hidden', noLog: true }),
        t('secret_mod', { token: 'ApiKeyValue12345' }, { name: 'secret arg' }),
      ]),
    ],
    { modules: mods, diff: true, secrets: reg },
  );
  const text = JSON.stringify(o.events) + JSON.stringify(o.journal);
  tt.false(text.includes('Sup3rSecretNoLog'));
  tt.false(text.includes('ApiKeyValue12345'));
  tt.regex(results(o, 'hidden')[0]!.msg!, /no_log/);
  tt.deepEqual(results(o, 'secret arg')[0]!.changes, [{ target: 'token', action: 'update', secret: true }]);
  void Secret;
});

test.serial('unreachable host: counted, others finish, exit 4; Ctrl-C stops launching work, exit 130', async (tt) => {
  const fx = fixture(tt, ['h1', 'h2']);
  const o = await run(fx, [
    play([
      t('ping_agent', {}, { name: 'connect', when: ["inventory_hostname == 'h2'"] }),
      t('debug', { msg: 'after' }, { name: 'after' }),
    ]),
  ]);
  tt.is(results(o, 'connect').find((r) => r.host === 'h2')!.status, 'unreachable');
  tt.deepEqual(
    results(o, 'after').map((r) => r.host),
    ['h1'],
  );
  tt.is(o.stats.h2!.unreachable, 1);
  tt.is(o.exitCode, 4);
  // no_log hides a task's data, never why a host could not be reached (that reason carries no secret).
  const hidden = await run(fx, [
    play([t('ping_agent', {}, { name: 'connect quietly', noLog: true, when: ["inventory_hostname == 'h2'"] })]),
  ]);
  const unreachable = results(hidden, 'connect quietly').find((r) => r.host === 'h2')! as {
    status: string;
    msg?: string;
  };
  tt.is(unreachable.status, 'unreachable');
  tt.truthy(unreachable.msg);
  tt.notRegex(unreachable.msg!, /hidden due to the fact that 'no_log: true'/);
  tt.is(unreachable.msg, (results(o, 'connect').find((r) => r.host === 'h2') as { msg?: string }).msg);

  const ac = new AbortController();
  const slow = play([
    t('put_local', { name: 's1', content: 'x', delayMs: 50 }, { name: 'slow' }),
    t('debug', { msg: 'never' }, { name: 'not reached' }),
  ]);
  const p = run(fx, [slow], { signal: ac.signal });
  setTimeout(() => ac.abort(), 10);
  const r = await p;
  tt.is(r.exitCode, 130);
  tt.is(results(r, 'slow').length, 2); // running steps ended
  tt.is(results(r, 'not reached').length, 0);
  tt.truthy(r.events.find((e) => e.kind === 'recap'));
});

test.serial(
  'maintenance window: a play that cannot finish in time is not started; the run stops resumable there',
  async (tt) => {
    const fx = fixture(tt, ['h1']);
    const first = play([t('put_local', { name: 'a', content: '1' })], { name: 'first' });
    const second = play([t('put_local', { name: 'b', content: '2' })], { name: 'second' });
    // 'second' took 60 s before; 10 s are left: it must not start, 'first' (no measurement) runs.
    const o = await run(fx, [first, second], { windowEnd: Date.now() + 10_000, playDurations: { second: 60_000 } });
    tt.is(o.exitCode, 2);
    tt.true(existsSync(join(fx.dir, 'h1-a')));
    tt.false(existsSync(join(fx.dir, 'h1-b')));
    tt.deepEqual(
      o.events.filter((e) => e.kind === 'play_start').map((e) => (e as { name: string }).name),
      ['first'],
    );
    tt.regex(JSON.stringify(o.events.find((e) => e.kind === 'warning')), /second.*took 60 s.*crosskey resume/);
    tt.like(
      o.journal.find((e) => e.kind === 'window_stop'),
      { play: 1, name: 'second', estimateMs: 60_000 },
    );
    // Enough time left: both plays run.
    const ok = await run(fx, [first, second], { windowEnd: Date.now() + 120_000, playDurations: { second: 60_000 } });
    tt.is(ok.exitCode, 0);
    tt.true(existsSync(join(fx.dir, 'h1-b')));
  },
);

test.serial(
  'a run_once task that names the host that failed (failed_host): counted there, named when any_errors_fatal stops',
  async (tt) => {
    const fx = fixture(tt, ['h1', 'h2', 'h3']);
    const failNode = readOnly<{ node: string }, null>({
      name: 'fail_node',
      description: 'test: a controller task acting on other hosts fails on one of them',
      runsOn: 'controller',
      schema: { node: { type: 'string', required: true } },
      async read(_ctx, args) {
        throw new ModuleError(`${args.node}: node did not come back`, { failed_host: args.node, failed_gate: 'G4' });
      },
    });
    const withFailNode = { modules: new Map<string, AnyModule>([...modules, [failNode.name, failNode]]) };
    const restart = (node: string) => t('fail_node', { node }, { name: 'restart', runOnce: true });
    const o = await run(
      fx,
      [play([restart('h3'), t('debug', { msg: 'next' }, { name: 'next' })], { anyErrorsFatal: true })],
      withFailNode,
    );
    tt.is(o.exitCode, 2);
    tt.is(o.stats.h3!.failed, 1, 'the failure is counted on the node that failed');
    tt.is(o.stats.h1!.failed, 0, 'not on the host the task ran on');
    const [r] = results(o, 'restart');
    tt.like(r, { host: 'h1', status: 'failed', failedHost: 'h3' });
    tt.is(results(o, 'next').length, 0);
    const end = o.events.find((e) => e.kind === 'play_end') as Extract<RunEvent, { kind: 'play_end' }>;
    tt.is(end.aborted, 'any_errors_fatal: h3 failed (reported by the run_once task on h1)');

    // A host the play does not have (or the task's own host): counted on the task's host, as before.
    const other = await run(fx, [play([restart('elsewhere')], { anyErrorsFatal: true })], withFailNode);
    tt.is(other.stats.h1!.failed, 1);
    tt.is(results(other, 'restart')[0]!.failedHost, undefined);
    const otherEnd = other.events.find((e) => e.kind === 'play_end') as Extract<RunEvent, { kind: 'play_end' }>;
    tt.is(otherEnd.aborted, 'any_errors_fatal: h1, h2, h3 failed');
  },
);
