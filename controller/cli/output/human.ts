// Human output in Ansible's shape: PLAY [..] / TASK [..] headers, one line per host result, diffs with
// --diff, and the PLAY RECAP. Every line goes through secrets.redact() before it is written.
import type { RunEvent, HostStats } from '../../playbook/exec-types.js';
import type { Change } from '../../modules/contract.js';
import { secrets as defaultSecrets, type SecretRegistry } from '../../secrets.js';

const WIDTH = 80;

function header(title: string): string {
  return `\n${title} ${'*'.repeat(Math.max(3, WIDTH - title.length - 1))}\n`;
}

export function renderChange(c: Change): string {
  if (c.secret) return `${c.action} ${c.target}: (secret value, not shown)\n`;
  if (c.unified) return c.unified.endsWith('\n') ? c.unified : c.unified + '\n';
  const fmt = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  if (c.before !== undefined || c.after !== undefined)
    return `${c.action} ${c.target}: ${fmt(c.before ?? '(none)')} -> ${fmt(c.after ?? '(none)')}\n`;
  return `${c.action} ${c.target}\n`;
}

export function recapLine(host: string, s: HostStats): string {
  const col = (k: string, v: number) => `${k}=${v}`.padEnd(k.length + 6);
  return `${host.padEnd(26)} : ${col('ok', s.ok)} ${col('changed', s.changed)} ${col('unreachable', s.unreachable)} ${col('failed', s.failed)} ${col('skipped', s.skipped)} ${col('rescued', s.rescued)} ${col('ignored', s.ignored)}`.trimEnd();
}

export class HumanRenderer {
  #out: NodeJS.WritableStream;
  #err: NodeJS.WritableStream;
  #secrets: SecretRegistry;
  #progressTty: boolean;

  #showDiff: boolean;

  constructor(
    out: NodeJS.WritableStream,
    err: NodeJS.WritableStream,
    opts: { diff?: boolean } = {},
    registry: SecretRegistry = defaultSecrets,
  ) {
    this.#showDiff = !!opts.diff;
    this.#out = out;
    this.#err = err;
    this.#secrets = registry;
    this.#progressTty = !!(err as NodeJS.WriteStream).isTTY;
  }

  #write(text: string): void {
    this.#out.write(this.#secrets.redact(text));
  }

  handle = (ev: RunEvent): void => {
    switch (ev.kind) {
      case 'play_start':
        this.#write(header(`PLAY [${ev.name}]`));
        if (!ev.hosts.length) this.#write('skipping: no hosts matched\n');
        break;
      case 'task_start':
        this.#write(header(`${ev.handler ? 'RUNNING HANDLER' : 'TASK'} [${ev.task}]`));
        break;
      case 'host_result': {
        const who = ev.delegatedTo ? `[${ev.host} -> ${ev.delegatedTo}]` : `[${ev.host}]`;
        const label = ev.status === 'skipped' ? 'skipping' : ev.status;
        let line = `${label}: ${who}`;
        if (ev.status === 'failed' || ev.status === 'unreachable') line += ` => ${ev.msg ?? ''}`;
        else if (ev.module === 'debug' && ev.result && !ev.noLog) {
          const shown = Object.fromEntries(
            Object.entries(ev.result).filter(([k]) => k !== 'changed' && k !== 'failed' && k !== 'check_mode'),
          );
          line += ` => ${JSON.stringify(shown, null, 4)}`;
        } else if (ev.noLog && ev.status !== 'skipped') line += ` => ${ev.msg ?? ''}`;
        if (ev.attempts) line += ` (attempts: ${ev.attempts})`;
        this.#write(line + '\n');
        if (ev.ignored) this.#write('...ignoring\n');
        if (this.#showDiff) for (const c of ev.changes ?? []) this.#write(renderChange(c));
        break;
      }
      case 'warning':
        this.#err.write(this.#secrets.redact(`[WARNING]: ${ev.message}\n`));
        break;
      case 'progress':
        if (this.#progressTty) {
          const pct = ev.fraction !== undefined ? ` ${Math.round(ev.fraction * 100)}%` : '';
          this.#err.write(this.#secrets.redact(`  [${ev.host}] ${ev.message}${pct}\n`));
        }
        break;
      case 'play_end':
        if (ev.aborted) this.#write(`\nNO MORE HOSTS LEFT: ${ev.aborted}\n`);
        break;
      case 'recap':
        this.#write(header('PLAY RECAP'));
        for (const [host, s] of Object.entries(ev.stats)) this.#write(recapLine(host, s) + '\n');
        this.#write('\n');
        break;
      case 'run_end':
        if (ev.interrupted) this.#err.write('interrupted: no new work was started after Ctrl-C\n');
        break;
      default:
        break;
    }
  };
}
