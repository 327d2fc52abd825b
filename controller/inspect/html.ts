// `crosskey inspect --html FILE`: the compact view (one table per cluster) as one self-contained HTML file — inline
// CSS, no scripts, no external assets — with an SVG picture of the clusters and their aliases (arrows local →
// remote, coloured by model). Every text is escaped; the finished page passes through secrets.redact once more
// (inspect results hold no secret values; this keeps it so).
import { escapeHtml } from '../report/html.js';
import { secrets } from '../secrets.js';
import { type CompactGroup, compactView, nearestExpiryText } from './render.js';
import type { InspectReport } from './types.js';

/** Arrow / badge colours per model: RCS2 green, RCS1 orange, mixed red, anything else grey. */
export const MODEL_COLOURS: Record<string, string> = {
  RCS2: '#1a7f37',
  RCS1: '#bc4c00',
  mixed: '#cf222e',
};
const UNKNOWN_COLOUR = '#6e7781';
const colourOf = (model: string | undefined) => (model && MODEL_COLOURS[model]) || UNKNOWN_COLOUR;

const CSS = `
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;margin:24px auto;max-width:1200px;padding:0 16px;overflow-wrap:break-word}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;white-space:nowrap}
.muted{color:#59636e}.warn{color:#cf222e}
svg.clusters{width:100%;height:auto;display:block;margin:6px 0 12px;font:12px ui-monospace,Menlo,Consolas,monospace}
svg.clusters text{fill:#1f2328}
footer{margin-top:32px;color:#59636e;font-size:12px}
@media print{body{margin:0;max-width:none}tr{break-inside:avoid}}
`;

const badge = (text: string, colour: string) =>
  `<span class="badge" style="background:${escapeHtml(colour)}">${escapeHtml(text)}</span>`;

/** The host part of `host:port`, `[v6]:port` or a bare host. */
function hostOf(address: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(address) ?? /^([^:]+)(?::\d+)?$/.exec(address);
  return (m?.[1] ?? address).toLowerCase();
}

function urlHost(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return undefined;
  }
}

export interface AliasArrow {
  from: string;
  /** The cluster group the alias's addresses belong to; undefined when none of the inventory's clusters matches. */
  to?: string;
  alias: string;
  model: string;
  addresses: string[];
}

/** Every alias of every cluster, with the cluster (group) its addresses point at when the inventory knows it. */
export function aliasArrows(groups: CompactGroup[]): AliasArrow[] {
  const owner = new Map<string, string>();
  for (const g of groups) {
    const names = [
      urlHost(g.cluster?.url),
      ...(g.cluster?.nodes ?? []).map((n) => (n.http ? hostOf(n.http) : undefined)),
      ...g.hosts.flatMap((h) => [h.host.toLowerCase(), urlHost(h.node.url), h.ssh.hostname?.toLowerCase()]),
    ];
    for (const n of names) if (n && !owner.has(n)) owner.set(n, g.group);
  }
  const out: AliasArrow[] = [];
  for (const g of groups) {
    for (const alias of g.aliases) {
      const def = g.cluster?.aliases?.find((a) => a.alias === alias);
      const addresses = def?.addresses ?? [];
      const to = addresses.map((a) => owner.get(hostOf(a))).find((x) => x !== undefined);
      out.push({
        from: g.group,
        ...(to ? { to } : {}),
        alias,
        model: g.cluster?.models?.[alias]?.model ?? 'unknown',
        addresses,
      });
    }
  }
  return out;
}

/** Clusters as boxes in a row; each alias an arc above them from the local box to the remote one, labelled. */
export function clustersSvg(groups: CompactGroup[]): string {
  const e = escapeHtml;
  const arrows = aliasArrows(groups);
  // An alias whose remote is not in the inventory points at a box of its own, named by its first address.
  const boxes = groups.map((g) => ({
    id: g.group,
    label: g.group,
    sub: g.cluster ? `${g.cluster.version ?? '?'} ${g.cluster.health?.status ?? (g.cluster.error ? 'error' : '')}` : '',
  }));
  for (const a of arrows) {
    if (a.to) continue;
    const id = `?${a.addresses[0] ?? a.alias}`;
    if (!boxes.some((b) => b.id === id))
      boxes.push({ id, label: a.addresses[0] ?? '(no address)', sub: 'not in the inventory' });
    a.to = id;
  }
  const BW = 170;
  const BH = 48;
  const GAP = 90;
  const arcs = arrows.length;
  const top = 30 + Math.min(arcs, 6) * 26;
  const W = Math.max(400, boxes.length * BW + (boxes.length - 1) * GAP + 20);
  const H = top + BH + 30;
  const xOf = new Map(boxes.map((b, i) => [b.id, 10 + i * (BW + GAP)]));
  const out: string[] = [
    `<svg class="clusters" viewBox="0 0 ${W} ${H}" role="img" aria-label="clusters and their remote aliases">`,
  ];
  for (const b of boxes) {
    const x = xOf.get(b.id)!;
    out.push(
      `<g class="cluster" data-cluster="${e(b.id)}"><rect x="${x}" y="${top}" width="${BW}" height="${BH}" rx="6" fill="#f6f8fa" stroke="#8c959f"/>` +
        `<text x="${x + BW / 2}" y="${top + 20}" text-anchor="middle" font-weight="600">${e(b.label)}</text>` +
        `<text x="${x + BW / 2}" y="${top + 38}" text-anchor="middle" fill="#59636e">${e(b.sub)}</text></g>`,
    );
  }
  arrows.forEach((a, i) => {
    const colour = colourOf(a.model);
    const x0 = xOf.get(a.from)! + BW / 2 + (i % 3) * 12 - 12;
    const x1 = xOf.get(a.to!)! + BW / 2 - (i % 3) * 12 + 12;
    const self = a.from === a.to;
    const lift = 24 + (i % 6) * 26;
    // A quadratic arc from the local box's top to the remote box's top; a loop when both are the same cluster.
    const p0 = { x: x0 - (self ? 30 : 0), y: top };
    const p1 = { x: x1 + (self ? 30 : 0), y: top };
    const c = { x: (p0.x + p1.x) / 2, y: top - lift * 2 };
    const mid = { x: (p0.x + 2 * c.x + p1.x) / 4, y: (p0.y + 2 * c.y + p1.y) / 4 };
    // Arrowhead along the arc's end tangent (c → p1).
    const len = Math.hypot(p1.x - c.x, p1.y - c.y) || 1;
    const ux = (p1.x - c.x) / len;
    const uy = (p1.y - c.y) / len;
    const head = [
      [p1.x, p1.y],
      [p1.x - 9 * ux + 4.5 * uy, p1.y - 9 * uy - 4.5 * ux],
      [p1.x - 9 * ux - 4.5 * uy, p1.y - 9 * uy + 4.5 * ux],
    ]
      .map(([px, py]) => `${px!.toFixed(1)},${py!.toFixed(1)}`)
      .join(' ');
    const f = (n: number) => n.toFixed(1);
    out.push(
      `<g class="alias" data-alias="${e(a.alias)}" data-from="${e(a.from)}" data-to="${e(a.to)}" data-model="${e(a.model)}">` +
        `<title>${e(`${a.from} → ${a.to}: ${a.alias} (${a.model}) ${a.addresses.join(', ')}`)}</title>` +
        `<path d="M${f(p0.x)},${f(p0.y)} Q${f(c.x)},${f(c.y)} ${f(p1.x)},${f(p1.y)}" fill="none" stroke="${colour}" stroke-width="2"/>` +
        `<polygon points="${head}" fill="${colour}"/>` +
        `<text x="${f(mid.x)}" y="${f(mid.y - 4)}" text-anchor="middle" fill="${colour}">${e(`${a.alias} ${a.model}`)}</text></g>`,
    );
  });
  out.push(
    `<text x="10" y="${H - 8}" fill="#59636e">arrows: local → remote, labelled with the alias; green RCS2 (API key), orange RCS1 (certificates), red mixed</text>`,
  );
  out.push('</svg>');
  return out.join('');
}

function groupSection(g: CompactGroup): string {
  const e = escapeHtml;
  const parts: string[] = [`<section class="cluster" data-cluster="${e(g.group)}"><h2>${e(g.head)}</h2>`];
  const header = ['node', 'version', 'model per alias', 'keystore credential', '9443 listening', 'nearest cert expiry'];
  const rows = g.rows.map((r) => {
    const models = r.aliases.length
      ? r.aliases.map((a) => `${e(a.alias)} ${badge(a.model ?? '?', colourOf(a.model))}`).join('<br>')
      : '<span class="muted">-</span>';
    const keys = r.aliases.length
      ? r.aliases
          .map((a) => `${e(a.alias)}: ${a.key === undefined ? '<span class="muted">?</span>' : a.key ? 'yes' : 'no'}`)
          .join('<br>')
      : '<span class="muted">-</span>';
    const rcs = r.rcsListening === undefined ? '<span class="muted">?</span>' : r.rcsListening ? 'yes' : 'no';
    const expiry = nearestExpiryText(r);
    const expiryCell =
      r.nearestCert && r.nearestCert.daysLeft < 30
        ? `<span class="warn">${e(expiry)}</span>`
        : e(expiry) + (r.nearestCert ? ` <span class="muted">${e(r.nearestCert.subject)}</span>` : '');
    return [`<code>${e(r.host)}</code>`, e(r.version), models, keys, rcs, expiryCell];
  });
  parts.push(
    rows.length
      ? `<table><thead><tr>${header.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows
          .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`
      : '<p class="muted">(no hosts)</p>',
  );
  const n = g.notes;
  if (n.keystores)
    parts.push(
      n.keystores.consistent
        ? '<p class="keystores">keystores: the same setting names on every node</p>'
        : `<ul class="keystores warn">${n.keystores.problems.map((p) => `<li>keystores differ: ${e(p)}</li>`).join('')}</ul>`,
    );
  for (const x of n.logErrors) parts.push(`<p class="warn">deprecation log of ${e(x.host)}: ${e(x.error)}</p>`);
  if (n.certificateConnections.length) {
    parts.push('<p>certificate-based connections in the deprecation logs (9.x):</p>');
    parts.push(
      `<table class="cert-connections"><thead><tr><th>alias</th><th>node</th><th>last logged</th><th>lines</th></tr></thead><tbody>${n.certificateConnections
        .map((r) => `<tr>${r.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`,
    );
  }
  parts.push('</section>');
  return parts.join('');
}

export function renderInspectHtml(r: InspectReport): string {
  const e = escapeHtml;
  const groups = compactView(r);
  const parts: string[] = [
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>crosskey inspect ${e(r.inventory)}</title><style>${CSS}</style></head><body>`,
    `<h1>crosskey inspect</h1><p class="muted mono">${e(r.inventory)} — ${e(r.generatedAt)}</p>`,
    clustersSvg(groups),
    ...groups.map(groupSection),
  ];
  if (r.warnings.length)
    parts.push(`<h2>Warnings</h2><ul class="warn">${r.warnings.map((w) => `<li>${e(w)}</li>`).join('')}</ul>`);
  parts.push(
    '<footer>crosskey inspect: read-only; keystore entries by name only, never values.</footer></body></html>',
  );
  return secrets.redact(parts.join(''));
}
