// `crosskey report` on the terminal: the same sections as the HTML, as plain text.
import { secrets } from '../secrets.js';
import type { NodeRestart, RunReport } from './model.js';

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  if (m < 60) return `${m}m${String(rest).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Time of day of an ISO stamp (the date is in the header). */
export const clock = (ts: string | undefined): string => (ts ? ts.slice(11, 23) : '');

/** How long a restart had the cluster yellow (and red, when it was): `12.0s`, `12.0s, red 3.0s`; '' when unknown. */
export function notGreenText(x: NodeRestart): string {
  if (x.yellowMs === undefined && x.redMs === undefined) return '';
  const d = (ms: number | undefined) => (ms ? formatDuration(ms) : '0s');
  return d(x.yellowMs) + (x.redMs ? `, red ${d(x.redMs)}` : '');
}

/** The most shards not started during a restart: `3 unassigned, 4 initializing, 2 relocating`. */
export function maxShardsText(x: NodeRestart): string {
  const m = x.maxShards;
  return m ? `${m.unassigned} unassigned, ${m.initializing} initializing, ${m.relocating} relocating` : '';
}

export const RECAP_KEYS = ['ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'] as const;

function table(header: string[], rows: string[][], indent = '  '): string {
  if (!rows.length) return `${indent}(none)\n`;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

export function renderReportText(r: RunReport): string {
  let out = `RUN ${r.id}  ${r.status.toUpperCase()}${r.exitCode !== undefined ? ` (exit ${r.exitCode})` : ''}${r.check ? '  [check mode]' : ''}\n`;
  out += `  playbook   ${r.playbook ?? '?'}\n  inventory  ${r.inventory ?? '?'}\n`;
  out += `  started    ${r.startedAt ?? '?'}\n  ended      ${r.endedAt ?? '(not recorded)'}\n  duration   ${formatDuration(r.durationMs)}\n`;
  if (r.resumedFrom) out += `  resumes    ${r.resumedFrom}\n`;
  if (r.aborted) out += `  aborted    ${r.aborted}\n`;
  if (r.operator) out += `  run by     ${r.operator}\n`;
  if (r.playbookCommit) out += `  commit     ${r.playbookCommit}\n`;
  if (r.apiKeyInUse) out += `  api key    ${r.apiKeyInUse.id}${r.apiKeyInUse.name ? ` (${r.apiKeyInUse.name})` : ''}\n`;
  if (r.tasks) out += `  tasks      ${r.tasks.paused} paused, ${r.tasks.resumed} resumed (task changes)\n`;
  if (r.aliasOutage?.nodes.length)
    out += `  outage     ${r.aliasOutage.alias ? `alias ${r.aliasOutage.alias}: ` : ''}${r.aliasOutage.nodes.map((n) => `${n.host} ${n.seconds.toFixed(2)} s`).join(', ')}\n`;
  if (r.nodeModels?.nodes.length) {
    out += `  models     ${r.nodeModels.alias ? `alias ${r.nodeModels.alias}: ` : ''}`;
    out += r.nodeModels.nodes.map((n) => `${n.host} ${n.before ?? '?'} -> ${n.after ?? '?'}`).join(', ') + '\n';
  }

  out += '\nRECAP\n';
  out += table(
    ['host', ...RECAP_KEYS],
    Object.entries(r.recap).map(([h, s]) => [h, ...RECAP_KEYS.map((k) => String(s[k] ?? 0))]),
  );

  out += '\nSTEPS\n';
  for (const p of r.plays) {
    out += `\nPLAY ${p.index + 1} [${p.name}]  ${formatDuration(p.durationMs)}${p.skipped ? `  skipped: ${p.skipped}` : ''}${p.aborted ? `  ABORTED: ${p.aborted}` : ''}\n`;
    const rows: string[][] = [];
    for (const t of p.tasks) {
      if (!t.hosts.length)
        rows.push([`${t.handler ? 'HANDLER ' : ''}${t.name}`, t.module, '', '', formatDuration(t.durationMs), '']);
      t.hosts.forEach((h, i) =>
        rows.push([
          i === 0 ? `${t.handler ? 'HANDLER ' : ''}${t.name}` : '',
          i === 0 ? t.module : '',
          h.host + (h.failedHost ? ` -> ${h.failedHost}` : ''),
          h.status + (h.ignored ? ' (ignored)' : '') + (h.attempts ? ` (${h.attempts} attempts)` : ''),
          formatDuration(h.durationMs),
          h.status === 'failed' || h.status === 'unreachable' ? (h.msg ?? '') : '',
        ]),
      );
    }
    out += table(['task', 'module', 'host', 'status', 'time', 'message'], rows);
  }

  out += '\nRESTARTS\n';
  out += table(
    ['host', 'node', 'before', 'stopped', 'back', 'green', 'away', 'total', 'worst', 'yellow for', 'after', 'outcome'],
    r.restarts.map((x) => [
      x.host,
      x.node ?? '',
      x.healthBefore ?? '',
      clock(x.stopAt),
      clock(x.backAt),
      clock(x.greenAt),
      formatDuration(x.awayMs),
      formatDuration(x.totalMs),
      x.worstHealth ?? '',
      notGreenText(x),
      x.healthAfter ?? '',
      x.outcome + (x.note ? `: ${x.note}` : ''),
    ]),
  );
  out += '\nRESTART TIMELINE\n';
  const nodes = Object.keys(r.timeline);
  if (!nodes.length) out += '  (no restart events recorded)\n';
  for (const n of nodes) {
    out += `  ${n}\n`;
    out += table(
      ['time', 'event', 'health', 'detail'],
      r.timeline[n]!.map((e) => [clock(e.ts), e.kind, e.health ?? '', e.detail]),
      '    ',
    );
  }

  out += '\nCHANGES\n';
  out += table(
    ['host', 'task', 'action', 'target'],
    r.changes.map((c) => [c.host, c.task, c.action, c.target]),
  );
  if (r.moduleEvents.length) {
    out += '\nRECORDED BY MODULES\n';
    out += table(
      ['time', 'event', 'host', 'detail'],
      r.moduleEvents.map((e) => [clock(e.ts), e.kind, e.host ?? '', e.detail]),
    );
  }

  out += '\nVERIFICATION\n';
  if (!r.verifications.length) out += '  (no es_remote_verify task in this run)\n';
  for (const v of r.verifications) {
    out += `  ${v.task} (${v.host}): ${v.status}${v.verified !== undefined ? `, verified=${v.verified}` : ''}${v.msg ? ` — ${v.msg}` : ''}\n`;
    out += table(
      ['node', 'ok', 'connected', 'model', 'addresses', 'problems'],
      v.nodes.map((n) => [
        n.host,
        n.ok ? 'yes' : 'NO',
        n.connected === undefined ? '' : String(n.connected),
        n.model ?? '',
        (n.addresses ?? []).join(','),
        n.problems.join('; '),
      ]),
      '    ',
    );
  }
  for (const w of r.warnings) out += `\nWARNING: ${w}\n`;
  return secrets.redact(out);
}
