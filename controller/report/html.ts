// The run report as one self-contained HTML file for change records: inline CSS, no scripts, no external assets,
// printable. Every text node is escaped, and the finished page passes through secrets.redact once more.
import { secrets } from '../secrets.js';
import type { NodeRestart, RunReport } from './model.js';
import { clock, formatDuration, maxShardsText, notGreenText, RECAP_KEYS } from './text.js';

export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const CSS = `
:root{--ok:#1a7f37;--changed:#9a6700;--failed:#cf222e;--skipped:#6e7781;--unreachable:#8250df;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;margin:24px auto;max-width:1200px;padding:0 16px;overflow-wrap:break-word}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;table-layout:auto}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
.s-ok{background:var(--ok)}.s-changed{background:var(--changed)}.s-failed{background:var(--failed)}
.s-skipped{background:var(--skipped)}.s-unreachable{background:var(--unreachable)}.s-interrupted,.s-incomplete,.s-error{background:var(--failed)}
.h-green{background:var(--ok)}.h-yellow{background:#bf8700}.h-red{background:var(--failed)}
.meta td:first-child{width:140px;color:#59636e}
.muted{color:#59636e}.msg{color:var(--failed)}.mono{overflow-wrap:anywhere}.nw,.badge{white-space:nowrap}
pre.err{white-space:pre-wrap;overflow-wrap:anywhere;background:#fff8f8;border:1px solid #ffcecb;border-radius:4px;padding:6px 8px;margin:2px 0;color:var(--failed);font-size:12px;max-height:16em;overflow:auto}
.summary{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:10px 14px;margin:10px 0}
.summary dt{color:#59636e}.summary dd{margin:0}
svg.timeline{width:100%;height:auto;display:block;margin:6px 0 12px;font:11px ui-monospace,Menlo,Consolas,monospace}
svg.timeline .axis{stroke:#8c959f;stroke-width:1}svg.timeline .grid{stroke:#eaeef2;stroke-width:1}
svg.timeline text{fill:#1f2328}svg.timeline .muted{fill:#59636e}
.bar{position:relative;height:14px;background:var(--bg);border:1px solid var(--line);border-radius:3px}
.bar span{position:absolute;top:0;bottom:0;background:#0969da;border-radius:2px;min-width:3px}
footer{margin-top:32px;color:#59636e;font-size:12px}
@media (max-width:900px){body{margin:12px auto;padding:0 8px;font-size:13px}th,td{padding:3px 5px}}
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

/** `; cluster at worst yellow (longest 12.0s yellow)` over every restart of the run, when the health was sampled. */
function restartHealth(r: RunReport): string {
  const rank = { red: 0, yellow: 1, green: 2 } as Record<string, number>;
  const worst = r.restarts
    .map((x) => x.worstHealth)
    .filter((h): h is string => !!h && h in rank)
    .sort((a, b) => rank[a]! - rank[b]!)[0];
  if (!worst) return '';
  const longest = (k: 'yellowMs' | 'redMs') => Math.max(0, ...r.restarts.map((x) => x[k] ?? 0));
  const times = [
    longest('yellowMs') ? `longest yellow: ${formatDuration(longest('yellowMs'))}` : '',
    longest('redMs') ? `longest red: ${formatDuration(longest('redMs'))}` : '',
  ].filter(Boolean);
  return (
    `; cluster at worst ${badge(worst, `h-${worst}`)}` +
    (times.length ? ` <span class="muted">(${escapeHtml(times.join(', '))})</span>` : '')
  );
}

const modelBadge = (m: string | undefined) =>
  m ? badge(m, m === 'RCS2' ? 's-ok' : m === 'RCS1' ? 's-changed' : 's-failed') : '<span class="muted">?</span>';

/** Per local node: how long the alias was unusable during the switch (removal → first passing verification). */
function outageRow(r: RunReport): Array<[string, string]> {
  const o = r.aliasOutage;
  if (!o?.nodes.length) return [];
  return [
    [
      `Alias outage per node${o.alias ? ` (${escapeHtml(o.alias)})` : ''}`,
      o.nodes
        .map(
          (n) =>
            `<span class="nw alias-outage" data-host="${escapeHtml(n.host)}">${escapeHtml(n.host)}: ${n.seconds.toFixed(2)} s</span>`,
        )
        .join('<br>'),
    ],
  ];
}

/** Per local node: the model at the first preflight → at the last verification (or the last preflight). */
function modelRow(r: RunReport): [string, string] {
  const e = escapeHtml;
  const nm = r.nodeModels;
  if (nm?.nodes.length) {
    const label = `Model per node${nm.alias ? ` (alias ${nm.alias})` : ''}, before → after`;
    return [
      label,
      nm.nodes
        .map(
          (n) =>
            `<span class="nw node-model" data-host="${e(n.host)}">${e(n.host)}: ${modelBadge(n.before)} → ${modelBadge(n.after)}</span>`,
        )
        .join('<br>'),
    ];
  }
  const models = r.verifications.at(-1)?.nodes ?? [];
  return [
    'Model per node (last verification)',
    models.length
      ? models
          .map((n) => `${e(n.host)}: ${badge(n.model ?? (n.ok ? 'ok' : 'failed'), n.ok ? 's-ok' : 's-failed')}`)
          .join(' ')
      : '<span class="muted">no verification in this run</span>',
  ];
}

/** The key the run ended with, when an es_cross_cluster_api_key task reported it (created or kept). */
function apiKeyInUseRow(r: RunReport): Array<[string, string]> {
  const k = r.apiKeyInUse;
  if (!k) return [];
  return [['API key in use', `<code>${escapeHtml(k.id)}</code>${k.name ? ` ${escapeHtml(k.name)}` : ''}`]];
}

/** es_tasks: task changes made pausing and resuming, and what the pause captured. */
function tasksRow(r: RunReport): Array<[string, string]> {
  const t = r.tasks;
  if (!t) return [];
  const c = t.captured;
  const what = c
    ? Object.entries(c)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k.replaceAll('_', ' ')} ${n}`)
        .join(', ')
    : '';
  return [
    [
      'Cross-cluster tasks',
      escapeHtml(`${t.paused} paused, ${t.resumed} resumed (task changes)`) +
        (what ? ` <span class="muted">captured: ${escapeHtml(what)}</span>` : ''),
    ],
  ];
}

/** The change record's first screen: outcome, duration, phases, restarts, keys, verification, who and what. */
function summaryBlock(r: RunReport): string {
  const e = escapeHtml;
  const restarted = r.restarts.filter((x) => x.outcome === 'done').length;
  const failed = r.restarts.filter((x) => x.outcome !== 'done').length;
  const phases = r.plays
    .map((p) => {
      const st = p.aborted
        ? 'failed'
        : p.skipped
          ? 'skipped'
          : p.tasks.some((t) => t.hosts.some((h) => h.status === 'failed'))
            ? 'failed'
            : p.tasks.some((t) => t.hosts.some((h) => h.status === 'changed'))
              ? 'changed'
              : 'ok';
      return `${badge(st)} ${e(p.name)}`;
    })
    .join('<br>');
  const rows: Array<[string, string]> = [
    ['Outcome', `${badge(r.status)}${r.check ? ' <span class="muted">dry run: nothing was changed</span>' : ''}`],
    ['Duration', e(formatDuration(r.durationMs))],
    ['Phases', phases || '<span class="muted">(none recorded)</span>'],
    [
      'Node restarts',
      `${restarted} done${failed ? `, <span class="msg">${failed} failed or incomplete</span>` : ''}${restartHealth(r)}`,
    ],
    [
      'API keys created',
      r.apiKeys.length
        ? r.apiKeys.map((k) => `<code>${e(k.id)}</code>${k.name ? ` ${e(k.name)}` : ''}`).join('<br>')
        : '<span class="muted">none</span>',
    ],
    ...apiKeyInUseRow(r),
    modelRow(r),
    ...outageRow(r),
    ...tasksRow(r),
    ['Run by', e(r.operator ?? '(not recorded)')],
    [
      'Playbook',
      `<code>${e(r.playbook ?? '?')}</code>${r.playbookCommit ? ` at <code>${e(r.playbookCommit)}</code>` : ''}`,
    ],
  ];
  return `<dl class="summary">${rows.map(([k, v]) => `<dt>${e(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

/** Colours of a restart's stretches, between its gates. */
const STRETCHES: Array<{ from: keyof NodeRestart; to: keyof NodeRestart; colour: string; label: string }> = [
  { from: 'stopAt', to: 'goneAt', colour: '#8c959f', label: 'stopping' },
  { from: 'goneAt', to: 'backAt', colour: '#bf8700', label: 'away' },
  { from: 'backAt', to: 'greenAt', colour: '#0969da', label: 'recovering' },
];

/**
 * One row per restarted node over the run's time axis: its stretches between gates (stopping, away, recovering),
 * the gates as ticks, failed restarts in red. An SVG that scales to the page: readable at 800 px and in print.
 */
function timelineSvg(r: RunReport): string {
  const e = escapeHtml;
  const t0 = r.startedAt ? Date.parse(r.startedAt) : NaN;
  const ends = r.restarts
    .map((x) => Date.parse(x.greenAt ?? x.backAt ?? x.goneAt ?? x.stopAt ?? ''))
    .filter(Number.isFinite);
  const tEnd = r.endedAt ? Date.parse(r.endedAt) : Math.max(...ends);
  const span = tEnd - t0;
  if (!Number.isFinite(t0) || !(span > 0)) return '';
  const W = 760;
  const left = 120;
  const rowH = 22;
  const top = 8;
  const plot = W - left - 10;
  const x = (t: number) => left + Math.max(0, Math.min(1, (t - t0) / span)) * plot;
  const H = top + r.restarts.length * rowH + 40;
  const out: string[] = [];
  out.push(`<svg class="timeline" viewBox="0 0 ${W} ${H}" role="img" aria-label="node restarts over the run">`);
  for (let i = 0; i <= 4; i++) {
    const t = t0 + (span * i) / 4;
    const gx = x(t).toFixed(1);
    out.push(`<line class="grid" x1="${gx}" x2="${gx}" y1="${top}" y2="${H - 28}"/>`);
    out.push(`<text class="muted" x="${gx}" y="${H - 14}" text-anchor="middle">${e(formatDuration(t - t0))}</text>`);
  }
  out.push(`<line class="axis" x1="${left}" x2="${W - 10}" y1="${H - 28}" y2="${H - 28}"/>`);
  r.restarts.forEach((n, i) => {
    const y = top + i * rowH;
    out.push(`<g class="node-row" data-host="${e(n.host)}">`);
    out.push(`<text x="4" y="${y + 15}">${e(n.host)}</text>`);
    for (const s of STRETCHES) {
      const a = Date.parse(String(n[s.from] ?? ''));
      const b = Date.parse(String(n[s.to] ?? ''));
      if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
      const colour = n.outcome === 'done' ? s.colour : '#cf222e';
      out.push(
        `<rect x="${x(a).toFixed(1)}" y="${y + 4}" width="${Math.max(2, x(b) - x(a)).toFixed(1)}" height="14" fill="${colour}"><title>${e(`${n.host}: ${s.label} ${formatDuration(b - a)}`)}</title></rect>`,
      );
    }
    // The cluster's health sampled while the node was away and recovering: a thin bar in the worst colour seen.
    const away = Date.parse(String(n.goneAt ?? ''));
    const green = Date.parse(String(n.greenAt ?? n.backAt ?? ''));
    if (n.worstHealth && Number.isFinite(away) && Number.isFinite(green)) {
      const hc = { green: '#1a7f37', yellow: '#bf8700', red: '#cf222e' }[n.worstHealth] ?? '#8c959f';
      out.push(
        `<rect class="health" x="${x(away).toFixed(1)}" y="${y + 19}" width="${Math.max(2, x(green) - x(away)).toFixed(1)}" height="3" fill="${hc}"><title>${e(`${n.host}: cluster at worst ${n.worstHealth}`)}</title></rect>`,
      );
    }
    for (const k of ['stopAt', 'goneAt', 'startAt', 'backAt', 'greenAt'] as const) {
      const t = Date.parse(String(n[k] ?? ''));
      if (Number.isFinite(t))
        out.push(`<line class="axis" x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${y + 2}" y2="${y + 20}"/>`);
    }
    out.push('</g>');
  });
  out.push(
    `<text class="muted" x="4" y="${H - 2}">grey: stopping · amber: node away · blue: recovering to green · red: failed · thin bar: worst cluster health meanwhile</text>`,
  );
  out.push('</svg>');
  return out.join('');
}

export function renderReportHtml(r: RunReport): string {
  const e = escapeHtml;
  const parts: string[] = [];
  parts.push(
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
  );
  parts.push(`<title>crosskey run ${e(r.id)}</title><style>${CSS}</style></head><body>`);
  parts.push(`<h1>crosskey run report ${badge(r.status)}</h1><p class="muted mono">${e(r.id)}</p>`);
  parts.push(summaryBlock(r));
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
          `<span class="nw">${e(h.host)}</span>${h.failedHost ? ` <span class="nw">→ ${e(h.failedHost)}</span>` : ''}`,
          badge(h.status) +
            (h.ignored ? ' <span class="muted">ignored</span>' : '') +
            (h.attempts ? ` <span class="muted">${e(h.attempts)} attempts</span>` : ''),
          e(formatDuration(h.durationMs)),
          h.msg
            ? h.status === 'failed' || h.status === 'unreachable'
              ? `<pre class="err">${e(h.msg)}</pre>`
              : `<span class="muted">${e(h.msg)}</span>`
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
    parts.push(timelineSvg(r));
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
          'worst health',
          'yellow for',
          'health after',
          'outcome',
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
          x.worstHealth
            ? badge(x.worstHealth, `h-${x.worstHealth}`) +
              (x.maxShards ? `<br><span class="muted">at most ${e(maxShardsText(x))}</span>` : '')
            : '',
          e(notGreenText(x)),
          x.healthAfter ? badge(x.healthAfter, `h-${x.healthAfter}`) : '',
          badge(x.outcome, x.outcome === 'done' ? 's-ok' : 's-failed') +
            (x.note ? `<pre class="err">${e(x.note)}</pre>` : ''),
        ]),
        [6, 7, 9],
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
