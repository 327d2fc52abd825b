// `crosskey run PLAYBOOK -i INV …`: load and validate everything (inventory, playbook, vars, --limit,
// --start-at-task) before any host is contacted, then run the executor with the journal and renderers.
import { execFileSync } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { hostname, userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { CliCommand, CliIO } from '../command.js';
import { parseCliArgs, UsageError } from '../command.js';
import { Executor, playbookHasTask } from '../../playbook/executor.js';
import type { RunEvent, StepAnswer } from '../../playbook/exec-types.js';
import type { Playbook, Task } from '../../playbook/types.js';
import { taskSelected } from '../../playbook/exec-tags.js';
import { HumanRenderer } from '../output/human.js';
import { JsonRenderer } from '../output/json.js';
import { RunJournal, newRunId } from '../../state/journal.js';
import { FileStateStore } from '../../state/store.js';
import { acquireRunLock } from '../../state/lock.js';
import { defaultStateDir, ensureStateDir } from '../../state/dir.js';
import { secrets } from '../../secrets.js';
import { EsClients } from '../../elastic/client.js';
import { loadRunInputs, makeAgentProvider } from '../wiring.js';
import { parseWindowEnd } from '../../modules/es/es_rolling_restart.js';
import { listRuns, readRun } from '../../state/journal.js';

/** The longest duration each play (by name) of this playbook took in earlier, non-check runs. */
export function measuredPlayDurations(stateDir: string, playbook: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of listRuns(stateDir)) {
    if (line.check || line.playbook !== playbook) continue;
    const names = new Map<number, string>();
    for (const e of readRun(stateDir, line.id).events) {
      if (e.kind === 'play_start') names.set(Number(e.play), String(e.name));
      if (e.kind === 'play_end' && !e.aborted && !e.interrupted) {
        const name = names.get(Number(e.play));
        if (name !== undefined) out[name] = Math.max(out[name] ?? 0, Number(e.durationMs) || 0);
      }
    }
  }
  return out;
}

export const runUsage = `usage: crosskey run PLAYBOOK -i INVENTORY [options]
  --check                 report what would change, change nothing
  --diff                  show the changes (unified diffs for files; secrets masked)
  -l, --limit PATTERN     only hosts matching PATTERN (a:b, a:&b, a:!b, globs, ~regex)
  -t, --tags T[,T]        only tasks with these tags      --skip-tags T[,T]  skip these
  -f, --forks N           parallel hosts (default 10)
  -e, --extra-vars V      k=v, @file.yml or JSON/YAML (repeatable; highest precedence)
  --json                  one JSON event per line on stdout
  --step                  confirm each task (y/n/c)
  --start-at-task NAME    skip tasks before the first one named NAME
  --vault-password-file F decrypt ansible-vault files and values (or env CROSSKEY_VAULT_PASSWORD_FILE)
  --accept-new-hostkeys   trust unknown SSH host keys and record them (changed keys are still refused)
  --state-dir D           journal and saved state (default: .crosskey/ next to the inventory)
  --window-end TIME       end of the maintenance window (ISO date-time, or HH:MM UTC): no play and no node restart
                          starts that the durations measured so far say cannot finish in time
  --list-hosts            the hosts each play would run on (after --limit); contacts nothing
  --list-tasks            the tasks each play would run (after --tags/--skip-tags); contacts nothing
  --list-tags             the tags of each play and its tasks; contacts nothing
  --syntax-check          load and validate everything (inventory, playbook, vars, variables); contacts nothing
  -v, -vv                 -v shows skipped hosts (collapsed by default); -vv also every host's result data`;

/** Everything `crosskey resume` needs to run the same thing again (stored in the journal header). */
export interface RunFlags {
  playbook: string;
  inventory: string;
  check: boolean;
  diff: boolean;
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  forks: number;
  extraVars: string[];
  json: boolean;
  step: boolean;
  startAtTask?: string;
  vaultPasswordFile?: string;
  acceptNewHostkeys: boolean;
  stateDir?: string;
  windowEnd?: string;
  /** -v: skipped hosts shown; -vv: also every host's result data. */
  verbosity?: number;
  /** --list-hosts/--list-tasks/--list-tags/--syntax-check: print, contact nothing, record no run. */
  introspect?: Array<'hosts' | 'tasks' | 'tags' | 'syntax'>;
}

const splitList = (v: string[] | undefined): string[] | undefined =>
  v?.length
    ? v
        .flatMap((s) => s.split(','))
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

export function parseRunFlags(argv: string[], cwd: string): RunFlags {
  const parsed = parseCliArgs({
    args: argv,
    allowPositionals: true,
    options: {
      inventory: { type: 'string', short: 'i' },
      check: { type: 'boolean', short: 'C' },
      diff: { type: 'boolean', short: 'D' },
      limit: { type: 'string', short: 'l' },
      tags: { type: 'string', short: 't', multiple: true },
      'skip-tags': { type: 'string', multiple: true },
      forks: { type: 'string', short: 'f' },
      'extra-vars': { type: 'string', short: 'e', multiple: true },
      json: { type: 'boolean' },
      step: { type: 'boolean' },
      'start-at-task': { type: 'string' },
      'vault-password-file': { type: 'string' },
      'accept-new-hostkeys': { type: 'boolean' },
      'state-dir': { type: 'string' },
      'window-end': { type: 'string' },
      'list-hosts': { type: 'boolean' },
      'list-tasks': { type: 'boolean' },
      'list-tags': { type: 'boolean' },
      'syntax-check': { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v', multiple: true },
    },
  });
  const v = parsed.values;
  const asked = { hosts: v['list-hosts'], tasks: v['list-tasks'], tags: v['list-tags'], syntax: v['syntax-check'] };
  const introspect = (['hosts', 'tasks', 'tags', 'syntax'] as const).filter((k) => asked[k]);
  if (parsed.positionals.length !== 1)
    throw new UsageError(
      parsed.positionals.length ? `one playbook expected, got ${parsed.positionals.join(' ')}` : 'PLAYBOOK is required',
    );
  if (!v.inventory) throw new UsageError('-i INVENTORY is required');
  const forks = v.forks === undefined ? 10 : Number(v.forks);
  if (!Number.isInteger(forks) || forks < 1 || forks > 1000)
    throw new UsageError(`--forks must be an integer 1..1000, got '${v.forks}'`);
  if (v.step && v.json) throw new UsageError('--step cannot be combined with --json');
  return {
    playbook: resolve(cwd, parsed.positionals[0]!),
    inventory: resolve(cwd, v.inventory),
    check: !!v.check,
    diff: !!v.diff,
    ...(v.limit ? { limit: v.limit } : {}),
    ...(splitList(v.tags) ? { tags: splitList(v.tags) } : {}),
    ...(splitList(v['skip-tags']) ? { skipTags: splitList(v['skip-tags']) } : {}),
    forks,
    extraVars: v['extra-vars'] ?? [],
    json: !!v.json,
    step: !!v.step,
    ...(v['start-at-task'] ? { startAtTask: v['start-at-task'] } : {}),
    ...(v['vault-password-file'] ? { vaultPasswordFile: resolve(cwd, v['vault-password-file']) } : {}),
    acceptNewHostkeys: !!v['accept-new-hostkeys'],
    ...(v['state-dir'] ? { stateDir: resolve(cwd, v['state-dir']) } : {}),
    ...(v['window-end'] ? { windowEnd: v['window-end'] } : {}),
    ...(introspect.length ? { introspect: [...introspect] } : {}),
    ...(v.verbose?.length ? { verbosity: v.verbose.length } : {}),
  };
}

/** What --list-hosts/--list-tasks/--list-tags print, in ansible-playbook's layout. */
export function describePlaybook(pb: Playbook, inv: { select(p: string): string[] }, flags: RunFlags): string {
  const out = [`playbook: ${pb.file}`, ''];
  const want = new Set(flags.introspect ?? []);
  const filter = {
    ...(flags.tags ? { tags: flags.tags } : {}),
    ...(flags.skipTags ? { skipTags: flags.skipTags } : {}),
  };
  pb.plays.forEach((play, i) => {
    out.push(`  play #${i + 1} (${play.hosts}): ${play.name ?? play.hosts}\tTAGS: [${play.tags.join(', ')}]`);
    if (want.has('hosts')) {
      let hosts = inv.select(play.hosts);
      if (flags.limit) {
        const limited = new Set(inv.select(flags.limit));
        hosts = hosts.filter((h) => limited.has(h));
      }
      out.push(`    pattern: ['${play.hosts}']`, `    hosts (${hosts.length}):`, ...hosts.map((h) => `      ${h}`));
    }
    const tasks: Array<{ name: string; tags: string[] }> = [];
    const walk = (list: Task[], inherited: string[]) => {
      for (const t of list) {
        const tags = [...new Set([...inherited, ...t.tags])];
        if (t.kind === 'block') walk([...t.block, ...t.rescue, ...t.always], tags);
        else if (taskSelected(tags, filter)) tasks.push({ name: t.name ?? t.module, tags });
      }
    };
    walk(play.tasks, play.tags);
    if (want.has('tasks')) {
      out.push('    tasks:', ...tasks.map((t) => `      ${t.name}\tTAGS: [${t.tags.join(', ')}]`));
    }
    if (want.has('tags')) {
      const all = [...new Set(tasks.flatMap((t) => t.tags))].sort();
      out.push(`      TASK TAGS: [${all.join(', ')}]`);
    }
    out.push('');
  });
  return out.join('\n') + '\n';
}

/** The playbook's commit, when its folder is in a git work tree ("+changes" when it differs from it). */
function playbookCommit(playbook: string): { playbook_commit?: string } {
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dirname(playbook), ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
  try {
    const commit = git('rev-parse', '--short=12', 'HEAD').trim();
    const dirty = git('status', '--porcelain', '--', '.').trim() !== '';
    return { playbook_commit: `${commit}${dirty ? '+changes' : ''}` };
  } catch {
    return {}; // not a git work tree, or no git: the report says so
  }
}

/** Tags with a meaning of their own in Ansible's selection (exec-tags.ts). */
const SPECIAL_TAGS = ['all', 'always', 'never', 'tagged', 'untagged'];

/** Every tag written in the playbook: on plays, tasks, blocks and handlers. */
export function playbookTags(pb: Playbook): string[] {
  const out = new Set<string>();
  const walk = (tasks: Task[]) => {
    for (const t of tasks) {
      t.tags.forEach((x) => out.add(x));
      if (t.kind === 'block') walk([...t.block, ...t.rescue, ...t.always]);
    }
  };
  for (const play of pb.plays) {
    play.tags.forEach((x) => out.add(x));
    walk(play.tasks);
    walk(play.handlers);
  }
  return [...out].sort();
}

/** A tag that no task has would select nothing (or only the `always` tasks): a typo, refused before any contact. */
function checkTagsKnown(pb: Playbook, asked: string[] | undefined, flag: string): void {
  if (!asked?.length) return;
  const known = playbookTags(pb);
  const unknown = asked.filter((t) => !known.includes(t) && !SPECIAL_TAGS.includes(t));
  if (unknown.length) {
    throw new UsageError(
      `${flag}: no task of ${pb.file} is tagged ${unknown.map((t) => `'${t}'`).join(', ')}; ` +
        `its tags are: ${known.filter((t) => !SPECIAL_TAGS.includes(t)).join(', ') || '(none)'}`,
    );
  }
}

/** Asks y/n/c on the terminal for --step (stdin), Ansible's prompt. */
function stepPrompter(io: CliIO): (name: string) => Promise<StepAnswer> {
  const rl = createInterface({ input: io.stdin, terminal: false });
  const lines: string[] = [];
  const waiters: Array<(l: string | null) => void> = [];
  rl.on('line', (l) => {
    const w = waiters.shift();
    if (w) w(l);
    else lines.push(l);
  });
  rl.on('close', () => {
    for (const w of waiters.splice(0)) w(null);
  });
  const next = () =>
    new Promise<string | null>((res) => {
      const l = lines.shift();
      if (l !== undefined) res(l);
      else waiters.push(res);
    });
  return async (name) => {
    for (;;) {
      io.stderr.write(`Perform task: TASK: ${name} (N)o/(y)es/(c)ontinue: `);
      const l = await next();
      if (l === null) return 'n';
      const a = l.trim().toLowerCase();
      if (a === 'y' || a === 'yes') return 'y';
      if (a === '' || a === 'n' || a === 'no') return 'n';
      if (a === 'c' || a === 'continue') {
        rl.close();
        return 'c';
      }
    }
  };
}

export interface ResumeInfo {
  from: string;
  startPlay: number;
}

export async function executeRun(
  flags: RunFlags,
  io: CliIO,
  argvForJournal: string[],
  resume?: ResumeInfo,
): Promise<number> {
  // 1. Everything that can be wrong in the input is found here, before any host is contacted.
  const inputs = loadRunInputs(flags, io.env, io.cwd);
  if (flags.startAtTask && !playbookHasTask(inputs.playbook, flags.startAtTask)) {
    throw new UsageError(`--start-at-task: no task named '${flags.startAtTask}' in ${flags.playbook}`);
  }
  checkTagsKnown(inputs.playbook, flags.tags, '--tags');
  checkTagsKnown(inputs.playbook, flags.skipTags, '--skip-tags');
  if (flags.introspect?.length) {
    if (flags.limit && inputs.inventory.select(flags.limit).length === 0) {
      throw new UsageError(`--limit '${flags.limit}' matches no host of ${flags.inventory}`);
    }
    io.stdout.write(
      flags.introspect.every((k) => k === 'syntax')
        ? `playbook: ${flags.playbook}\n`
        : describePlaybook(inputs.playbook, inputs.inventory, flags),
    );
    return 0;
  }
  if (flags.step && !(io.stdin as NodeJS.ReadStream).isTTY) {
    throw new UsageError('--step asks before each task on the terminal, but standard input is not a terminal');
  }
  if (flags.limit && inputs.inventory.select(flags.limit).length === 0) {
    throw new UsageError(`--limit '${flags.limit}' matches no host of ${flags.inventory}`);
  }
  // (--accept-new-hostkeys: the transport prints the warning when it is created.)

  // The maintenance window: checked before every play here and before every node restart by es_rolling_restart.
  let windowEnd: number | undefined;
  if (flags.windowEnd) {
    try {
      windowEnd = parseWindowEnd(flags.windowEnd);
    } catch (e) {
      throw new UsageError(`--window-end: ${(e as Error).message.replace(/^es_rolling_restart: window_end /, '')}`);
    }
    inputs.extraVars.crosskey_window_end = new Date(windowEnd).toISOString();
  }

  // 2. State: dir (0700), run lock, journal, saved state.
  const stateDir = ensureStateDir(flags.stateDir ?? defaultStateDir(flags.inventory));
  const runId = newRunId();
  const lock = acquireRunLock(stateDir, runId);
  const sinks: Array<(ev: RunEvent) => void> = [];
  let journal: RunJournal | undefined;
  const agents = makeAgentProvider(flags, io);
  const abort = new AbortController();
  // The run's Elasticsearch clients carry its signal: Ctrl-C cuts their waits and retries. One listener per client
  // (a fleet has many), not a leak: Node's default warning at 11 listeners would only alarm the operator.
  setMaxListeners(0, abort.signal);
  const es = new EsClients({ signal: abort.signal });
  let sigints = 0;
  const onSigint = () => {
    sigints++;
    if (sigints === 1) {
      io.stderr.write(
        '\n[interrupt] stopping: no new work is started; running steps finish (Ctrl-C again to exit now)\n',
      );
      abort.abort();
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  try {
    const { json: _json, step: _step, ...recorded } = flags;
    journal = RunJournal.start(
      stateDir,
      {
        argv: argvForJournal,
        playbook: flags.playbook,
        inventory: flags.inventory,
        check: flags.check,
        options: { ...recorded },
        ...(resume ? { resumed_from: resume.from, resume_play: resume.startPlay } : {}),
        operator: `${userInfo().username}@${hostname()}`,
        ...playbookCommit(flags.playbook),
      },
      secrets,
      runId,
    );
    const j = journal;
    sinks.push((ev) => {
      const { kind, ...data } = ev;
      j.event(kind, data as Record<string, unknown>);
    });
    sinks.push(
      flags.json
        ? new JsonRenderer(io.stdout).handle
        : new HumanRenderer(io.stdout, io.stderr, { diff: flags.diff, verbosity: flags.verbosity ?? 0 }).handle,
    );
    if (resume && !flags.json)
      io.stdout.write(`resuming run ${resume.from} at play ${resume.startPlay + 1} (new run ${runId})\n`);
    const ex = new Executor({
      inventory: inputs.inventoryView,
      agents,
      lang: inputs.lang,
      modules: inputs.modules,
      check: flags.check,
      diff: flags.diff,
      forks: flags.forks,
      ...(flags.limit ? { limit: flags.limit } : {}),
      ...(flags.tags ? { tags: flags.tags } : {}),
      ...(flags.skipTags ? { skipTags: flags.skipTags } : {}),
      extraVars: inputs.extraVars,
      ...(flags.startAtTask ? { startAtTask: flags.startAtTask } : {}),
      ...(flags.step ? { confirmTask: stepPrompter(io) } : {}),
      ...(resume ? { startPlay: resume.startPlay } : {}),
      state: new FileStateStore(stateDir),
      journal: j,
      emit: (ev) => {
        for (const s of sinks) s(ev);
      },
      signal: abort.signal,
      es,
      secrets,
      ...(windowEnd !== undefined ? { windowEnd, playDurations: measuredPlayDurations(stateDir, flags.playbook) } : {}),
    });
    const result = await ex.run(inputs.playbook);
    if (!flags.json) io.stderr.write(`journal: ${j.file}\n`);
    return result.exitCode;
  } finally {
    process.off('SIGINT', onSigint);
    await es.close().catch(() => undefined);
    await agents.closeAll().catch(() => undefined);
    journal?.close();
    lock.release();
  }
}

export const runCommand: CliCommand = {
  name: 'run',
  usage: runUsage,
  async run(argv, io) {
    const flags = parseRunFlags(argv, io.cwd);
    return executeRun(flags, io, ['run', ...argv]);
  },
};
