// Human output in Ansible's shape: PLAY [..] / TASK [..] headers, one line per host result, diffs with
// --diff, and the PLAY RECAP — plus what an operator in a maintenance window needs: a DRY RUN banner, task start
// times and durations, skipped hosts collapsed (shown with -v), progress that survives `2>&1 | tee` (plain
// timestamped lines at most every 10 s when stderr is not a terminal), and a closing summary ("Plan: …" in a dry
// run, "Changed: …" after a real one, or "No changes."). Every line goes through secrets.redact().
import type { HostStats, RunEvent } from '../../playbook/exec-types.js';
import type { Change } from '../../modules/contract.js';
import { secrets as defaultSecrets, type SecretRegistry } from '../../secrets.js';

const WIDTH = 80;
/** Non-terminal progress: one line per host and task at most this often. */
const PLAIN_PROGRESS_EVERY_MS = 10_000;
/** Tasks at least this long get their duration printed. */
const SHOW_DURATION_MS = 1000;
/** A task's banner waits for its first shown result (so skip-only tasks stay silent), but no longer than this: a
 *  long task (a rolling restart) is named while it runs. */
const BANNER_LATEST_MS = 1000;

function header(title: string, suffix = ''): string {
  const stars = '*'.repeat(Math.max(3, WIDTH - title.length - 1 - (suffix ? suffix.length + 1 : 0)));
  return `\n${title} ${stars}${suffix ? ` ${suffix}` : ''}\n`;
}

const clock = (d = new Date()) => d.toISOString().slice(11, 19);

/** A value as YAML-ish lines (what an API call sends, a role, an alias), indented under its change. */
function yamlish(v: unknown, indent: string): string[] {
  if (v === null || v === undefined) return [`${indent}(none)`];
  if (typeof v !== 'object') return [`${indent}${String(v)}`];
  if (Array.isArray(v)) {
    if (v.every((x) => x === null || typeof x !== 'object')) return [`${indent}[${v.map(String).join(', ')}]`];
    return v.flatMap((x) => {
      const lines = yamlish(x, `${indent}  `);
      return [`${indent}- ${lines[0]!.trimStart()}`, ...lines.slice(1)];
    });
  }
  return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) =>
    x !== null && typeof x === 'object' && !(Array.isArray(x) && x.every((y) => y === null || typeof y !== 'object'))
      ? [`${indent}${k}:`, ...yamlish(x, `${indent}  `)]
      : [`${indent}${k}: ${Array.isArray(x) ? `[${x.map(String).join(', ')}]` : String(x)}`],
  );
}

/**
 * One planned or applied change for --diff and --check: files as unified diffs; secrets by name only
 * (`+ name = (sensitive)`, `- name`); structured values (API bodies, roles) as YAML-ish lines; scalars inline.
 */
export function renderChange(c: Change): string {
  const sign = c.action === 'delete' ? '-' : c.action === 'create' ? '+' : '~';
  if (c.secret) return c.action === 'delete' ? `  - ${c.target}\n` : `  ${sign} ${c.target} = (sensitive)\n`;
  if (c.unified) return c.unified.endsWith('\n') ? c.unified : c.unified + '\n';
  const structured = (v: unknown) => v !== null && typeof v === 'object';
  if (structured(c.before) || structured(c.after)) {
    const lines = [`  ${sign} ${c.target} (${c.action})`];
    if (c.before !== undefined) lines.push('    before:', ...yamlish(c.before, '      '));
    if (c.after !== undefined) lines.push('    after:', ...yamlish(c.after, '      '));
    return lines.join('\n') + '\n';
  }
  if (c.before !== undefined || c.after !== undefined)
    return `  ${sign} ${c.target}: ${String(c.before ?? '(none)')} -> ${String(c.after ?? '(none)')}\n`;
  return `  ${sign} ${c.action} ${c.target}\n`;
}

/**
 * A progress line without its timestamp: `[task host] message (40%)`, or `[task host -> node] …` when a controller
 * task (a rolling restart run once on local-1) is busy with another host's node.
 */
export function progressLine(ev: Extract<RunEvent, { kind: 'progress' }>): string {
  const who = ev.node && ev.node !== ev.host ? `[${ev.host} -> ${ev.node}]` : `[${ev.host}]`;
  const pct = ev.fraction !== undefined ? ` (${Math.round(ev.fraction * 100)}%)` : '';
  return `${who} ${ev.message}${pct}`;
}

export function recapLine(host: string, s: HostStats): string {
  const col = (k: string, v: number) => `${k}=${v}`.padEnd(k.length + 6);
  return `${host.padEnd(26)} : ${col('ok', s.ok)} ${col('changed', s.changed)} ${col('unreachable', s.unreachable)} ${col('failed', s.failed)} ${col('skipped', s.skipped)} ${col('rescued', s.rescued)} ${col('ignored', s.ignored)}`.trimEnd();
}

export interface HumanOptions {
  diff?: boolean;
  /** -v: skipped hosts shown; -vv: also the result data of every host. */
  verbosity?: number;
  /** For tests: the clock. */
  now?: () => number;
}

export class HumanRenderer {
  #out: NodeJS.WritableStream;
  #err: NodeJS.WritableStream;
  #secrets: SecretRegistry;
  #progressTty: boolean;
  #showDiff: boolean;
  #verbosity: number;
  #now: () => number;
  #check = false;
  /** The banner of the current task, printed with its first shown result (skipped-only tasks stay silent). */
  #pendingBanner: string | undefined;
  #bannerShown = false;
  #bannerTimer: NodeJS.Timeout | undefined;
  #lastPlain = new Map<string, number>();
  #changesByKind = new Map<string, number>();

  constructor(
    out: NodeJS.WritableStream,
    err: NodeJS.WritableStream,
    opts: HumanOptions = {},
    registry: SecretRegistry = defaultSecrets,
  ) {
    this.#showDiff = !!opts.diff;
    this.#verbosity = opts.verbosity ?? 0;
    this.#now = opts.now ?? Date.now;
    this.#out = out;
    this.#err = err;
    this.#secrets = registry;
    this.#progressTty = !!(err as NodeJS.WriteStream).isTTY;
  }

  #write(text: string): void {
    this.#out.write(this.#secrets.redact(text));
  }

  #showBanner(): void {
    clearTimeout(this.#bannerTimer);
    if (this.#pendingBanner !== undefined && !this.#bannerShown) {
      this.#write(this.#pendingBanner);
      this.#bannerShown = true;
    }
  }

  handle = (ev: RunEvent): void => {
    switch (ev.kind) {
      case 'run_start':
        this.#check = ev.check;
        if (ev.check) {
          this.#write(
            '\nDRY RUN (--check): nothing is changed; every "changed" below is what a real run would change.\n',
          );
        }
        break;
      case 'play_start':
        this.#write(header(`PLAY [${ev.name}]`, clock(new Date(this.#now()))));
        if (!ev.hosts.length) this.#write('skipping: no hosts matched\n');
        break;
      case 'task_start':
        this.#pendingBanner = header(
          `${ev.handler ? 'RUNNING HANDLER' : 'TASK'} [${ev.task}]`,
          clock(new Date(this.#now())),
        );
        this.#bannerShown = false;
        if (this.#verbosity >= 1) this.#showBanner();
        else {
          clearTimeout(this.#bannerTimer);
          this.#bannerTimer = setTimeout(() => this.#showBanner(), BANNER_LATEST_MS);
          this.#bannerTimer.unref();
        }
        break;
      case 'host_result': {
        if (ev.status === 'skipped' && this.#verbosity < 1) break;
        this.#showBanner();
        const other = ev.delegatedTo ?? ev.failedHost;
        const who = other ? `[${ev.host} -> ${other}]` : `[${ev.host}]`;
        const label = ev.status === 'skipped' ? 'skipping' : ev.status;
        let line = `${label}: ${who}`;
        if (ev.status === 'failed' || ev.status === 'unreachable') line += ` => ${ev.msg ?? ''}`;
        else if ((ev.module === 'debug' || this.#verbosity >= 2) && ev.result && !ev.noLog) {
          const shown = Object.fromEntries(
            Object.entries(ev.result).filter(([k]) => k !== 'changed' && k !== 'failed' && k !== 'check_mode'),
          );
          line += ` => ${JSON.stringify(shown, null, 4)}`;
        } else if (ev.noLog && ev.status !== 'skipped') line += ` => ${ev.msg ?? ''}`;
        if (ev.attempts) line += ` (attempts: ${ev.attempts})`;
        this.#write(line + '\n');
        if (ev.ignored) this.#write('...ignoring\n');
        if (this.#showDiff) for (const c of ev.changes ?? []) this.#write(renderChange(c));
        if (ev.status === 'changed') {
          // The module's noun for its changes comes with the event (the contract's `changeNoun`).
          const [one, many] = ev.changeNoun ?? ['other change', 'other changes'];
          const key = `${one}\0${many}`;
          this.#changesByKind.set(key, (this.#changesByKind.get(key) ?? 0) + (ev.changeCount ?? 1));
        }
        break;
      }
      case 'task_end':
        clearTimeout(this.#bannerTimer);
        if (this.#bannerShown && ev.durationMs >= SHOW_DURATION_MS) {
          this.#write(`(${(ev.durationMs / 1000).toFixed(1)} s)\n`);
        }
        this.#pendingBanner = undefined;
        break;
      case 'warning':
        this.#err.write(this.#secrets.redact(`[WARNING]: ${ev.message}\n`));
        break;
      case 'progress': {
        this.#showBanner();
        const line = progressLine(ev);
        if (this.#progressTty) {
          this.#err.write(this.#secrets.redact(`  ${line}\n`));
          break;
        }
        // Logs (`2>&1 | tee change.log`) keep progress too: timestamped, at most every 10 s per host, task and node
        // (a rolling restart's first line about the next node is not held back).
        const key = `${ev.host}\0${ev.task}\0${ev.node ?? ''}`;
        const now = this.#now();
        if (now - (this.#lastPlain.get(key) ?? -Infinity) < PLAIN_PROGRESS_EVERY_MS) break;
        this.#lastPlain.set(key, now);
        this.#err.write(this.#secrets.redact(`${clock(new Date(now))} ${line}\n`));
        break;
      }
      case 'play_end':
        if (ev.aborted) this.#write(`\nNO MORE HOSTS LEFT: ${ev.aborted}\n`);
        break;
      case 'recap':
        this.#write(header('PLAY RECAP'));
        for (const [host, s] of Object.entries(ev.stats)) this.#write(recapLine(host, s) + '\n');
        this.#write('\n' + this.#summary() + '\n');
        break;
      case 'run_end':
        if (ev.interrupted) this.#err.write('interrupted: no new work was started after Ctrl-C\n');
        break;
      default:
        break;
    }
  };

  /** "Plan: 9 files, 3 keystore entries, 6 restarts." / "Changed: …" / "No changes." */
  #summary(): string {
    if (!this.#changesByKind.size) return this.#check ? 'No changes. (dry run)' : 'No changes.';
    const parts = [...this.#changesByKind.entries()].map(([key, n]) => {
      const [one, many] = key.split('\0') as [string, string];
      return `${n} ${n === 1 ? one : many}`;
    });
    return `${this.#check ? 'Plan' : 'Changed'}: ${parts.join(', ')}.${this.#check ? ' (dry run: nothing was changed)' : ''}`;
  }
}
