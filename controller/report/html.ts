// The run report as one self-contained HTML file for change records: inline CSS, no scripts, no external assets,
// printable. Every text node is escaped, and the finished page passes through secrets.redact once more.
import { secrets } from '../secrets.js';
import type { NodeRestart, RunReport } from './model.js';
import { clock, formatDuration, RECAP_KEYS } from './text.js';

export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const CSS = `
:root{--ok:#1a7f37;--changed:#9a6700;--failed:#cf222e;--skipped:#6e7781;--unreachable:#8250df;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;margin:24px auto;max-width:1200px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
.s-ok{background:var(--ok)}.s-changed{background:var(--changed)}.s-failed{background:var(--failed)}
.s-skipped{background:var(--skipped)}.s-unreachable{background:var(--unreachable)}.s-interrupted,.s-incomplete,.s-error{background:var(--failed)}
.h-green{background:var(--ok)}.h-yellow{background:#bf8700}.h-red{background:var(--failed)}
.meta td:first-child{width:140px;color:#59636e}
.muted{color:#59636e}.msg{color:var(--failed)}.nw,.mono{white-space:nowrap}td .mono.wrap{white-space:normal}
.bar{position:relative;height:14px;background:var(--bg);border:1px solid var(--line);border-radius:3px}
.bar span{position:absolute;top:0;bottom:0;background:#0969da;border-radius:2px;min-width:3px}
footer{margin-top:32px;color:#59636e;font-size:12px}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table{break-inside:auto}tr{break-inside:avoid}}
`;

const badge = (status: string, cls = `s-${status}`) =>
  `<span class="badge ${escapeHtml(cls)}">${escapeHtml(status)}</span>`;

function table(header: string[], rows: string[][], numeric: number[] = []): string {
  if (!rows.length) return '<p class="muted">(none)</p>';
  return `<table><thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** A node's restart (stop → green) as a bar over the whole run (CSS only). */
function timelineBar(x: NodeRestart, r: RunReport): string {
  const t0 = r.startedAt ? Date.parse(r.startedAt) : NaN;
  const total = r.durationMs ?? (r.endedAt ? Date.parse(r.endedAt) - t0 : NaN);
  const from = x.stopAt ? Date.parse(x.stopAt) : NaN;
  const to = Date.parse(x.greenAt ?? x.backAt ?? x.goneAt ?? x.stopAt ?? '');
  if (!Number.isFinite(t0) || !(total > 0) || !Number.isFinite(from) || !Number.isFinite(to)) return '';
  const left = Math.max(0, Math.min(100, ((from - t0) / total) * 100));
  const width = Math.max(0.5, Math.min(100 - left, ((to - from) / total) * 100));
  return `<div class="bar" title="${escapeHtml(formatDuration(to - from))}"><span style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%"></span></div>`;
}

export function renderReportHtml(r: RunReport): string {
  const e = escapeHtml;
  const parts: string[] = [];
  parts.push(
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
  );
  parts.push(`<title>crosskey run ${e(r.id)}</title><style>${CSS}</style></head><body>`);
  parts.push(`<h1>crosskey run report ${badge(r.status)}</h1><p class="muted mono">${e(r.id)}</p>`);
  parts.push(
    table(
      ['', ''],
      [
        ['Playbook', `<code>${e(r.playbook ?? '?')}</code>`],
        ['Inventory', `<code>${e(r.inventory ?? '?')}</code>`],
        ['Command', `<code>crosskey ${e((r.argv ?? []).join(' '))}</code>`],
        ['Mode', r.check ? 'check (nothing changed)' : 'apply'],
        ['Started', e(r.startedAt ?? '?')],
        ['Ended', e(r.endedAt ?? '(not recorded: the run did not finish)')],
        ['Duration', e(formatDuration(r.durationMs))],
        ['Exit code', e(r.exitCode ?? '')],
        ...(r.resumedFrom ? [['Resumes run', `<code>${e(r.resumedFrom)}</code>`]] : []),
        ...(r.aborted ? [['Stopped because', `<span class="msg">${e(r.aborted)}</span>`]] : []),
      ],
    )
      .replace('<table>', '<table class="meta">')
      .replace(/<thead>.*?<\/thead>/, ''),
  );

  parts.push('<h2>Recap</h2>');
  parts.push(
    table(
      ['host', ...RECAP_KEYS],
      Object.entries(r.recap).map(([h, s]) => [e(h), ...RECAP_KEYS.map((k) => e(s[k] ?? 0))]),
      [1, 2, 3, 4, 5, 6, 7],
    ),
  );

  parts.push('<h2>Steps</h2>');
  for (const p of r.plays) {
    parts.push(
      `<h3>Play ${p.index + 1}: ${e(p.name)} <span class="muted">${e(formatDuration(p.durationMs))}</span></h3>`,
    );
    if (p.skipped) parts.push(`<p class="muted">skipped: ${e(p.skipped)}</p>`);
    if (p.aborted) parts.push(`<p class="msg">aborted: ${e(p.aborted)}</p>`);
    const rows: string[][] = [];
    for (const t of p.tasks) {
      const name = `${t.handler ? '<span class="muted">handler</span> ' : ''}${e(t.name)}${t.source ? `<br><span class="muted mono">${e(t.source)}</span>` : ''}`;
      if (!t.hosts.length)
        rows.push([name, `<code>${e(t.module)}</code>`, '', '', e(formatDuration(t.durationMs)), '']);
      t.hosts.forEach((h, i) =>
        rows.push([
          i === 0 ? name : '',
          i === 0 ? `<code>${e(t.module)}</code>` : '',
          e(h.host),
          badge(h.status) +
            (h.ignored ? ' <span class="muted">ignored</span>' : '') +
            (h.attempts ? ` <span class="muted">${e(h.attempts)} attempts</span>` : ''),
          e(formatDuration(h.durationMs)),
          h.msg
            ? `<span class="${h.status === 'failed' || h.status === 'unreachable' ? 'msg' : 'muted'}">${e(h.msg)}</span>`
            : '',
        ]),
      );
    }
    parts.push(table(['task', 'module', 'host', 'status', 'time', 'message'], rows, [4]));
  }

  parts.push('<h2>Restart timeline</h2>');
  const nodes = Object.keys(r.timeline);
  if (!nodes.length) parts.push('<p class="muted">No node restart was recorded in this run.</p>');
  else {
    parts.push(
      table(
        [
          'host',
          'node',
          'health before',
          'stopped',
          'back',
          'green',
          'away',
          'total',
          'health after',
          'outcome',
          'position in the run',
        ],
        r.restarts.map((x) => [
          `<span class="nw">${e(x.host)}</span>`,
          `<span class="nw">${e(x.node ?? '')}</span>`,
          x.healthBefore ? badge(x.healthBefore, `h-${x.healthBefore}`) : '',
          `<span class="mono">${e(clock(x.stopAt))}</span>`,
          `<span class="mono">${e(clock(x.backAt))}</span>`,
          `<span class="mono">${e(clock(x.greenAt))}</span>`,
          e(formatDuration(x.awayMs)),
          e(formatDuration(x.totalMs)),
          x.healthAfter ? badge(x.healthAfter, `h-${x.healthAfter}`) : '',
          badge(x.outcome, x.outcome === 'done' ? 's-ok' : 's-failed') +
            (x.note ? ` <span class="msg">${e(x.note)}</span>` : ''),
          timelineBar(x, r),
        ]),
        [6, 7],
      ),
    );
    for (const n of nodes) {
      parts.push(`<h3>${e(n)}</h3>`);
      parts.push(
        table(
          ['time', 'event', 'health', 'detail'],
          r.timeline[n]!.map((x) => [
            `<span class="mono">${e(clock(x.ts))}</span>`,
            e(x.kind),
            x.health ? badge(x.health, `h-${x.health}`) : '',
            `<span class="mono wrap">${e(x.detail)}</span>`,
          ]),
        ),
      );
    }
  }

  parts.push('<h2>What changed where</h2>');
  parts.push(
    table(
      ['host', 'play', 'task', 'module', 'action', 'target'],
      r.changes.map((c) => [
        e(c.host),
        e(c.play + 1),
        e(c.task),
        `<code>${e(c.module)}</code>`,
        e(c.action),
        `<code>${e(c.target)}</code>`,
      ]),
    ),
  );
  if (r.moduleEvents.length) {
    parts.push('<h3>Recorded by modules</h3>');
    parts.push(
      table(
        ['time', 'event', 'host', 'task', 'detail'],
        r.moduleEvents.map((x) => [
          `<span class="mono">${e(clock(x.ts))}</span>`,
          e(x.kind),
          e(x.host ?? ''),
          e(x.task ?? ''),
          `<span class="mono wrap">${e(x.detail)}</span>`,
        ]),
      ),
    );
  }

  parts.push('<h2>Verification</h2>');
  if (!r.verifications.length) parts.push('<p class="muted">No es_remote_verify task ran in this run.</p>');
  for (const v of r.verifications) {
    parts.push(
      `<h3>${e(v.task)} ${badge(v.status)}${v.alias ? ` <span class="muted">alias ${e(v.alias)}</span>` : ''}</h3>`,
    );
    if (v.msg) parts.push(`<p class="${v.status === 'failed' ? 'msg' : 'muted'}">${e(v.msg)}</p>`);
    parts.push(
      table(
        ['node', 'verified', 'connected', 'model', 'addresses', 'problems'],
        v.nodes.map((n) => [
          e(n.host),
          badge(n.ok ? 'ok' : 'failed'),
          e(n.connected ?? ''),
          e(n.model ?? ''),
          `<span class="mono">${e((n.addresses ?? []).join(', '))}</span>`,
          e(n.problems.join('; ')),
        ]),
      ),
    );
  }
  if (r.warnings.length) {
    parts.push('<h2>Warnings</h2><ul>' + r.warnings.map((w) => `<li>${e(w)}</li>`).join('') + '</ul>');
  }
  parts.push(
    `<footer>Generated by crosskey from <span class="mono">${e(r.file)}</span>. Secrets are redacted.</footer></body></html>\n`,
  );
  return secrets.redact(parts.join('\n'));
}
