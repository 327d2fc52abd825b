// Playbook loading: YAML → the typed Playbook of types.ts, with file:line on every play and task.
// Everything that can be checked without a host is checked here (unknown module/argument/keyword,
// types, choices, expression and template syntax, notify → handler names, vars_files existence),
// so a bad playbook stops the run before any host is contacted.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ArgSchema } from '../modules/contract.js';
import { ConfigError } from '../input/errors.js';
import { didYouMean } from '../names.js';
import { ExprSyntaxError, parseExpr } from '../lang/expr.js';
import { checkTemplates, hasTemplate } from '../lang/template.js';
import type { BlockTask, Handler, ModuleTask, Play, Playbook, Serial, SourceRef, Task, TaskCommon } from './types.js';
import { ArgError, type ArgRules, validateModuleArgs } from '../modules/args.js';
import { splitKeyValues } from './vars.js';
import { keyLine, posOf, readYamlFile, type PosNode } from '../input/yaml.js';
import type { Vault } from '../input/vault.js';

/** What load needs to know about a module: its argument schema. */
export type ModuleSchemas = ReadonlyMap<string, { schema: ArgSchema; rules?: ArgRules }>;

export interface LoadPlaybookOptions {
  /** Module registry (name → schema). The CLI passes controller/modules/registry.ts's `modules`. */
  modules: ModuleSchemas;
  /** For `!vault` values inside the playbook. */
  vault?: Vault;
}

export const PLAY_KEYS = [
  'name',
  'hosts',
  'vars',
  'vars_files',
  'serial',
  'max_fail_percentage',
  'any_errors_fatal',
  'tasks',
  'pre_tasks',
  'post_tasks',
  'handlers',
  'gather_facts',
  'tags',
] as const;
export const TASK_KEYS = [
  'name',
  'when',
  'loop',
  'with_items',
  'loop_control',
  'register',
  'tags',
  'until',
  'retries',
  'delay',
  'changed_when',
  'failed_when',
  'ignore_errors',
  'no_log',
  'run_once',
  'delegate_to',
  'notify',
  'vars',
  'check_mode',
  'args',
] as const;
const BLOCK_KEYS = [
  'block',
  'rescue',
  'always',
  'name',
  'when',
  'tags',
  'vars',
  'ignore_errors',
  'no_log',
  'run_once',
  'delegate_to',
  'check_mode',
];
// Ansible keywords we deliberately do not support, with what to do instead.
const UNSUPPORTED: Record<string, string> = {
  become: 'set ansible_become / ansible_become_user in the inventory',
  become_user: 'set ansible_become_user in the inventory',
  roles: 'roles are not supported; put the tasks in the play',
  include_tasks: 'includes are not supported; put the tasks in the play',
  import_tasks: 'imports are not supported; put the tasks in the play',
  import_playbook: 'imports are not supported; run the playbooks one after the other',
  include_role: 'roles are not supported',
  import_role: 'roles are not supported',
  environment: 'pass env to the command module',
  strategy: 'only the linear strategy exists',
  async: 'async tasks are not supported',
  local_action: 'use delegate_to: localhost',
};

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => !!v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);

class Loader {
  /** Names the current play's handlers answer to (parsed before its tasks, for notify checks). */
  handlerNames = new Set<string>();
  constructor(
    readonly file: string,
    readonly modules: ModuleSchemas,
  ) {}

  err(line: number, msg: string): never {
    throw new ConfigError(this.file, line, msg);
  }

  src(pos: PosNode): SourceRef {
    return { file: this.file, line: pos.line };
  }

  bool(v: unknown, line: number, what: string): boolean {
    if (typeof v === 'boolean') return v;
    return this.err(line, `${what} must be true or false, got ${JSON.stringify(v)}`);
  }

  num(v: unknown, line: number, what: string, min = 0): number {
    if (typeof v === 'number' && Number.isFinite(v) && v >= min) return v;
    return this.err(line, `${what} must be a number >= ${min}, got ${JSON.stringify(v)}`);
  }

  strList(v: unknown, line: number, what: string): string[] {
    if (v === null || v === undefined) return [];
    if (typeof v === 'string')
      return v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    if (typeof v === 'number') return [String(v)];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.map(String);
    return this.err(line, `${what} must be a string or a list of strings, got ${JSON.stringify(v)}`);
  }

  /** Conditions: a string, a bool, or a list of them; each parsed now so syntax errors point here. */
  conditions(v: unknown, line: number, what: string): string[] {
    const items = Array.isArray(v) ? v : [v];
    return items.map((x, i) => {
      if (typeof x === 'boolean' || typeof x === 'number') return String(x);
      if (typeof x !== 'string')
        this.err(
          line,
          `${what}${Array.isArray(v) ? ` item ${i}` : ''} must be an expression string, got ${JSON.stringify(x)}`,
        );
      try {
        parseExpr(x as string);
      } catch (e) {
        if (e instanceof ExprSyntaxError) this.err(line, `${what}: ${e.message} in "${x}"`);
        throw e;
      }
      return x as string;
    });
  }

  vars(v: unknown, line: number, what: string): Dict {
    if (v === null || v === undefined) return {};
    if (!isDict(v))
      this.err(
        line,
        `${what} must be a mapping of variable names to values, got ${Array.isArray(v) ? 'a list' : JSON.stringify(v)}`,
      );
    for (const k of Object.keys(v as Dict)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
        this.err(line, `invalid variable name '${k}' in ${what} (letters, digits and '_', not starting with a digit)`);
    }
    checkTemplates(v, { file: this.file, line });
    return v as Dict;
  }

  playbook(value: unknown, pos: PosNode): Play[] {
    if (value === null || value === undefined) this.err(1, 'playbook is empty: expected a list of plays');
    if (!Array.isArray(value))
      this.err(pos.line, 'a playbook must be a list of plays (each starting with "- hosts: …")');
    const plays = (value as unknown[]).map((p, i) => this.play(p, posOf(pos, i)));
    if (plays.length === 0) this.err(pos.line, 'playbook has no plays');
    return plays;
  }

  play(value: unknown, pos: PosNode): Play {
    if (!isDict(value))
      this.err(pos.line, `a play must be a mapping with hosts: and tasks:, got ${JSON.stringify(value)}`);
    const p = value as Dict;
    for (const k of Object.keys(p)) {
      if (!(PLAY_KEYS as readonly string[]).includes(k)) {
        const hint = UNSUPPORTED[k]
          ? `: ${UNSUPPORTED[k]}`
          : `${didYouMean(k, PLAY_KEYS)}; play keywords: ${PLAY_KEYS.join(', ')}`;
        this.err(keyLine(pos, k), `unknown play keyword '${k}'${hint}`);
      }
    }
    const kl = (k: string): number => keyLine(pos, k);
    if (p.hosts === undefined || p.hosts === null || p.hosts === '')
      this.err(
        pos.line,
        `play${p.name ? ` '${p.name}'` : ''} has no 'hosts:' (a host pattern such as all, local, local:&dc1)`,
      );
    const hosts = Array.isArray(p.hosts)
      ? p.hosts.map(String).join(',')
      : typeof p.hosts === 'string'
        ? p.hosts
        : this.err(kl('hosts'), `hosts must be a pattern string or a list, got ${JSON.stringify(p.hosts)}`);
    if (p.name !== undefined && typeof p.name !== 'string') this.err(kl('name'), 'play name must be a string');
    const vars = this.vars(p.vars, kl('vars'), 'play vars');
    const varsFiles = this.varsFiles(p.vars_files, posOf(pos, 'vars_files'), kl('vars_files'));
    const serial = p.serial === undefined ? undefined : this.serial(p.serial, kl('serial'));
    const maxFail =
      p.max_fail_percentage === undefined
        ? undefined
        : this.num(p.max_fail_percentage, kl('max_fail_percentage'), 'max_fail_percentage');
    if (maxFail !== undefined && maxFail > 100)
      this.err(kl('max_fail_percentage'), `max_fail_percentage must be between 0 and 100, got ${maxFail}`);
    // Handler names first (raw), so notify can be checked in tasks and in handlers that notify handlers.
    this.handlerNames = new Set(
      (Array.isArray(p.handlers) ? p.handlers : [])
        .filter(isDict)
        .flatMap((h) => [
          ...(typeof h.name === 'string' ? [h.name] : []),
          ...(typeof h.listen === 'string' ? [h.listen] : Array.isArray(h.listen) ? h.listen.map(String) : []),
        ]),
    );
    const handlers = this.handlers(p.handlers, posOf(pos, 'handlers'), kl('handlers'));
    const tasks: Task[] = [];
    for (const key of ['pre_tasks', 'tasks', 'post_tasks']) {
      if (p[key] !== undefined) tasks.push(...this.taskList(p[key], posOf(pos, key), kl(key), key));
    }
    return {
      name: p.name as string | undefined,
      hosts,
      vars,
      varsFiles,
      serial,
      maxFailPercentage: maxFail,
      anyErrorsFatal:
        p.any_errors_fatal === undefined
          ? false
          : this.bool(p.any_errors_fatal, kl('any_errors_fatal'), 'any_errors_fatal'),
      gatherFacts: p.gather_facts === undefined ? true : this.bool(p.gather_facts, kl('gather_facts'), 'gather_facts'),
      tags: this.strList(p.tags, kl('tags'), 'tags'),
      tasks,
      handlers,
      source: this.src(pos),
    };
  }

  serial(v: unknown, line: number): Serial {
    const items = Array.isArray(v) ? v : [v];
    if (items.length === 0) this.err(line, 'serial must not be an empty list');
    return items.map((x) => {
      if (typeof x === 'number' && Number.isInteger(x) && x > 0) return x;
      if (typeof x === 'string' && /^\d+(\.\d+)?%$/.test(x.trim()) && parseFloat(x) > 0 && parseFloat(x) <= 100)
        return x.trim();
      return this.err(
        line,
        `serial must be a positive number, a percentage like "30%", or a list of them; got ${JSON.stringify(x)}`,
      );
    });
  }

  varsFiles(v: unknown, pos: PosNode, line: number): string[] {
    if (v === undefined || v === null) return [];
    const items =
      typeof v === 'string' ? [v] : Array.isArray(v) ? v : this.err(line, 'vars_files must be a list of file paths');
    return items.map((f, i) => {
      const l = posOf(pos, i).line;
      if (typeof f !== 'string') this.err(l, `vars_files item ${i} must be a file path, got ${JSON.stringify(f)}`);
      const abs = isAbsolute(f as string) ? (f as string) : resolve(dirname(this.file), f as string);
      if (!hasTemplate(f) && !existsSync(abs))
        this.err(
          l,
          `vars file not found: ${f}${isAbsolute(f as string) ? '' : " (relative to the playbook's folder)"}`,
        );
      return abs;
    });
  }

  handlers(v: unknown, pos: PosNode, line: number): Handler[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.err(line, 'handlers must be a list of tasks');
    return (v as unknown[]).map((h, i) => {
      const hpos = posOf(pos, i);
      if (isDict(h) && 'block' in h) this.err(hpos.line, 'a handler cannot be a block');
      const listenRaw = isDict(h) ? h.listen : undefined;
      const rest = isDict(h) ? Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'listen')) : h;
      const t = this.task(rest, hpos) as ModuleTask;
      if (!t.name && listenRaw === undefined)
        this.err(hpos.line, 'a handler needs a name (or listen:) so tasks can notify it');
      const listen = [...(t.name ? [t.name] : []), ...this.strList(listenRaw, keyLine(hpos, 'listen'), 'listen')];
      return { ...t, listen };
    });
  }

  notify(v: unknown, line: number): string[] {
    const names = this.strList(v, line, 'notify');
    for (const n of names) {
      if (!this.handlerNames.has(n) && !hasTemplate(n)) {
        this.err(
          line,
          `notify '${n}' matches no handler of this play${didYouMean(n, this.handlerNames)}; handlers: ${[...this.handlerNames].join(', ') || '(none)'}`,
        );
      }
    }
    return names;
  }

  taskList(v: unknown, pos: PosNode, line: number, what: string): Task[] {
    if (v === null) return [];
    if (!Array.isArray(v)) this.err(line, `${what} must be a list of tasks (each starting with "- name: …")`);
    return (v as unknown[]).map((t, i) => this.task(t, posOf(pos, i)));
  }

  common(t: Dict, pos: PosNode, name: string | undefined): TaskCommon {
    const kl = (k: string): number => keyLine(pos, k);
    const label = name ? ` (task '${name}')` : '';
    let loopVar = 'item';
    if (t.loop_control !== undefined) {
      const lc = t.loop_control;
      if (!isDict(lc)) this.err(kl('loop_control'), 'loop_control must be a mapping');
      for (const k of Object.keys(lc as Dict))
        if (k !== 'loop_var') this.err(kl('loop_control'), `loop_control: only loop_var is supported, got '${k}'`);
      const lv = (lc as Dict).loop_var;
      if (typeof lv !== 'string' || !/^[A-Za-z_]\w*$/.test(lv))
        this.err(kl('loop_control'), `loop_control.loop_var must be a variable name, got ${JSON.stringify(lv)}`);
      loopVar = lv as string;
    }
    if (t.loop !== undefined && t.with_items !== undefined)
      this.err(kl('with_items'), 'use either loop or with_items, not both');
    const loopKey = t.loop !== undefined ? 'loop' : 'with_items';
    const loop = t[loopKey];
    if (loop !== undefined) {
      if (!Array.isArray(loop) && !(typeof loop === 'string' && hasTemplate(loop))) {
        this.err(
          kl(loopKey),
          `${loopKey} must be a list or a "{{ … }}" string that gives a list, got ${JSON.stringify(loop)}`,
        );
      }
      checkTemplates(loop, { file: this.file, line: kl(loopKey) });
    }
    let register: string | undefined;
    if (t.register !== undefined) {
      if (typeof t.register !== 'string' || !/^[A-Za-z_]\w*$/.test(t.register))
        this.err(kl('register'), `register must be a variable name, got ${JSON.stringify(t.register)}`);
      register = t.register as string;
    }
    let until: string | undefined;
    if (t.until !== undefined) {
      const c = this.conditions(t.until, kl('until'), `until${label}`);
      if (c.length !== 1) this.err(kl('until'), 'until takes one expression');
      until = c[0];
    }
    if ((t.retries !== undefined || t.delay !== undefined) && until === undefined) {
      this.err(
        kl(t.retries !== undefined ? 'retries' : 'delay'),
        'retries/delay need until: (the condition to wait for)',
      );
    }
    let delegateTo: 'localhost' | undefined;
    if (t.delegate_to !== undefined) {
      if (t.delegate_to !== 'localhost' && t.delegate_to !== '127.0.0.1')
        this.err(kl('delegate_to'), `delegate_to supports only "localhost", got ${JSON.stringify(t.delegate_to)}`);
      delegateTo = 'localhost';
    }
    return {
      name,
      when: t.when === undefined ? undefined : this.conditions(t.when, kl('when'), `when${label}`),
      tags: this.strList(t.tags, kl('tags'), 'tags'),
      loop,
      loopVar,
      register,
      until,
      retries: t.retries === undefined ? (until ? 3 : undefined) : this.num(t.retries, kl('retries'), 'retries'),
      delay: t.delay === undefined ? (until ? 5 : undefined) : this.num(t.delay, kl('delay'), 'delay'),
      changedWhen:
        t.changed_when === undefined
          ? undefined
          : this.conditions(t.changed_when, kl('changed_when'), `changed_when${label}`),
      failedWhen:
        t.failed_when === undefined
          ? undefined
          : this.conditions(t.failed_when, kl('failed_when'), `failed_when${label}`),
      ignoreErrors:
        t.ignore_errors === undefined ? false : this.bool(t.ignore_errors, kl('ignore_errors'), 'ignore_errors'),
      noLog: t.no_log === undefined ? false : this.bool(t.no_log, kl('no_log'), 'no_log'),
      runOnce: t.run_once === undefined ? false : this.bool(t.run_once, kl('run_once'), 'run_once'),
      delegateTo,
      notify: this.notify(t.notify, kl('notify')),
      vars: this.vars(t.vars, kl('vars'), 'task vars'),
      checkMode: t.check_mode === undefined ? undefined : this.bool(t.check_mode, kl('check_mode'), 'check_mode'),
      source: this.src(pos),
    };
  }

  task(value: unknown, pos: PosNode): Task {
    if (!isDict(value))
      this.err(
        pos.line,
        `a task must be a mapping with a module (e.g. "- name: …\\n  command: …"), got ${JSON.stringify(value)}`,
      );
    const t = value as Dict;
    if (t.name !== undefined && typeof t.name !== 'string')
      this.err(keyLine(pos, 'name'), `task name must be a string, got ${JSON.stringify(t.name)}`);
    const name = t.name as string | undefined;
    if ('block' in t || 'rescue' in t || 'always' in t) return this.block(t, pos, name);
    const candidates = Object.keys(t).filter((k) => !(TASK_KEYS as readonly string[]).includes(k));
    for (const k of candidates) {
      if (this.modules.has(k)) continue;
      if (UNSUPPORTED[k]) this.err(keyLine(pos, k), `'${k}' is not supported: ${UNSUPPORTED[k]}`);
      if (k === 'listen') this.err(keyLine(pos, k), "'listen' is only valid on handlers");
      const names = [...this.modules.keys()].sort();
      const hint = didYouMean(k, [...names, ...TASK_KEYS]);
      this.err(keyLine(pos, k), `unknown module or task keyword '${k}'${hint}; modules: ${names.join(', ')}`);
    }
    const label = name ? `task '${name}'` : 'task';
    if (candidates.length === 0)
      this.err(pos.line, `${label} has no module (one of: ${[...this.modules.keys()].sort().join(', ')})`);
    if (candidates.length > 1)
      this.err(
        keyLine(pos, candidates[1]!),
        `${label} has more than one module: ${candidates.join(', ')} (one task runs one module)`,
      );
    const module = candidates[0]!;
    const { schema, rules } = this.modules.get(module)!;
    const mpos = posOf(pos, module);
    const mline = keyLine(pos, module);
    let args = this.moduleArgs(module, t[module], schema, mline);
    if (t.args !== undefined) {
      if (!isDict(t.args)) this.err(keyLine(pos, 'args'), 'args must be a mapping');
      args = { ...(t.args as Dict), ...args };
    }
    const argsPos = isDict(t[module]) ? mpos : posOf(pos, 'args');
    try {
      validateModuleArgs(module, schema, rules, args, 'load');
    } catch (e) {
      if (!(e instanceof ArgError)) throw e;
      this.err(e.arg && argsPos.keys?.has(e.arg) ? keyLine(argsPos, e.arg) : mline, e.message);
    }
    checkTemplates(args, { file: this.file, line: mline, task: name });
    return { kind: 'task', module, args, ...this.common(t, pos, name) };
  }

  /** Dict args; a free-form string for modules with `cmd` (command: ls -l); else "k=v k2=v2". */
  moduleArgs(module: string, v: unknown, schema: ArgSchema, line: number): Dict {
    if (v === null || v === undefined) return {};
    if (isDict(v)) return { ...v };
    if (typeof v === 'string') {
      if ('cmd' in schema) return { cmd: v };
      const kv = splitKeyValues(v);
      if ('bad' in kv) this.err(line, `${module}: arguments must be a mapping (or key=value pairs), got "${v}"`);
      return (kv as { pairs: Dict }).pairs;
    }
    return this.err(line, `${module}: arguments must be a mapping, got ${JSON.stringify(v)}`);
  }

  block(t: Dict, pos: PosNode, name: string | undefined): BlockTask {
    for (const k of Object.keys(t)) {
      if (!BLOCK_KEYS.includes(k)) {
        const why = this.modules.has(k)
          ? `a block cannot also run a module ('${k}'): put it inside block:`
          : `unknown block keyword '${k}'${didYouMean(k, BLOCK_KEYS)}; block keywords: ${BLOCK_KEYS.join(', ')}`;
        this.err(keyLine(pos, k), why);
      }
    }
    if (!('block' in t)) this.err(pos.line, `${'rescue' in t ? 'rescue' : 'always'} without block`);
    const sub = (k: string): Task[] =>
      t[k] === undefined ? [] : this.taskList(t[k], posOf(pos, k), keyLine(pos, k), k);
    return {
      kind: 'block',
      block: sub('block'),
      rescue: sub('rescue'),
      always: sub('always'),
      ...this.common(t, pos, name),
    };
  }
}

/** Loads and validates a playbook file. Throws ConfigError (file:line) on any problem. */
export function loadPlaybook(path: string, opts: LoadPlaybookOptions): Playbook {
  const file = resolve(path);
  const doc = readYamlFile(file, { vault: opts.vault });
  const loader = new Loader(file, opts.modules);
  return { file, dir: dirname(file), plays: loader.playbook(doc.value, doc.pos) };
}
