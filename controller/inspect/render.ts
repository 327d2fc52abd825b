// Human output of `crosskey inspect`: plain-text tables (no colours, so it pastes into tickets as it is).
import { secrets } from '../secrets.js';
import type { CertFileReport, CertSummary, ClusterReport, HostReport, InspectReport } from './types.js';
import type { CertSummaryValidity } from './certfiles.js';

/** Left-aligned columns, two spaces apart; an empty table prints "(none)". */
export function table(header: string[], rows: string[][], indent = '  '): string {
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

// _cat/nodes' one-letter role codes: keeps the summary table narrow (full names are in the details).
const ROLE_LETTERS: Record<string, string> = {
  data_cold: 'c',
  data: 'd',
  data_frozen: 'f',
  data_hot: 'h',
  ingest: 'i',
  ml: 'l',
  master: 'm',
  remote_cluster_client: 'r',
  data_content: 's',
  transform: 't',
  voting_only: 'v',
  data_warm: 'w',
};
export function roleLetters(roles: string[] | undefined): string {
  if (!roles) return '';
  if (!roles.length) return '-';
  return roles
    .map((r) => ROLE_LETTERS[r] ?? `(${r})`)
    .sort()
    .join('');
}

const show = (v: unknown): string =>
  Array.isArray(v) ? v.map(String).join(',') : v === undefined || v === null ? '' : String(v);

/** The expiry cell: "2025-01-01 (EXPIRED)", "(not yet valid)", "(expires in 12 days)" within 30 days, else "(400d)". */
export function expiryCell(c: CertSummary): string {
  const v = (c as CertSummaryValidity).validity;
  const day = c.notAfter.slice(0, 10);
  if (v === 'expired' || (v === undefined && c.daysLeft < 0)) return `${day} (EXPIRED)`;
  if (v === 'not yet valid')
    return `${day} (not yet valid, from ${(c as CertSummaryValidity).notBefore?.slice(0, 10) ?? '?'})`;
  if (v === 'expiring' || (v === undefined && c.daysLeft < 30)) {
    return `${day} (expires in ${c.daysLeft <= 0 ? 'less than a day' : `${c.daysLeft} day${c.daysLeft === 1 ? '' : 's'}`})`;
  }
  return `${day} (${c.daysLeft}d)`;
}

/** Certificates to call out under the table: expired, not yet valid, or expiring within 30 days. */
function certAlerts(files: CertFileReport[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    for (const c of f.certificates) {
      const cell = expiryCell(c);
      if (/\((EXPIRED|not yet valid|expires in)/.test(cell))
        out.push(`${c.subject}${c.isCa ? ' (CA)' : ''} in ${f.path}: ${cell.replace(/^\S+ \((.*)\)$/, '$1')}`);
    }
  }
  return out;
}

function certRows(files: CertFileReport[]): string[][] {
  const rows: string[][] = [];
  for (const f of files) {
    const certs = f.certificates;
    if (!certs.length) {
      rows.push([
        f.setting.replace(/^xpack\.security\./, ''),
        f.path,
        f.format,
        f.status + (f.error ? `: ${f.error}` : ''),
        '',
        '',
        '',
      ]);
      continue;
    }
    certs.forEach((c, i) => {
      const sans = [...c.sans.dns, ...c.sans.ip].join(',') || '-';
      rows.push([
        i === 0 ? f.setting.replace(/^xpack\.security\./, '') : '',
        i === 0 ? f.path : '',
        i === 0 ? f.format : '',
        i === 0 ? f.status : '',
        c.subject + (c.isCa ? ' (CA)' : ''),
        sans,
        expiryCell(c),
      ]);
    });
  }
  return rows;
}

function renderHost(h: HostReport): string {
  let out = `\n== host ${h.host}${h.cluster ? ` (cluster ${h.cluster})` : ''}\n`;
  const n = h.node;
  out += n.error
    ? `  node (HTTP${n.url ? ` ${n.url}` : ''}): ${n.error}\n`
    : `  node: ${n.name ?? '?'}  version ${n.version ?? '?'}  roles ${show(n.roles) || '-'}  (${n.url})\n`;
  const s = h.ssh;
  if (!s.reachable)
    return (
      out +
      `  host (SSH): ${/^SSH not used/.test(s.error ?? '') ? s.error : `unreachable — ${s.error ?? 'unknown error'}`}\n`
    );
  out += `  host (SSH): ${s.hostname ?? ''}  service ${s.service?.name ?? 'elasticsearch'}: ${s.service?.active ? 'active' : 'inactive'}${s.service?.error ? ` (${s.service.error})` : ''}\n`;
  out += `  listening: ${(s.ports ?? []).map((p) => `${p.address}:${p.port} ${p.role}`).join(', ') || '(none of the ES ports)'}\n`;
  if (s.ymlError) out += `  elasticsearch.yml: ${s.ymlError}\n`;
  else {
    out += `  elasticsearch.yml: ${s.ymlPath}${s.ymlRoles ? `  node.roles [${s.ymlRoles.join(', ')}]` : ''}\n`;
    const rcs = Object.entries(s.rcsSettings ?? {});
    out += rcs.length
      ? table(
          ['RCS setting', 'value'],
          rcs.map(([k, v]) => [k, show(v)]),
          '    ',
        )
      : '    (no remote-cluster settings)\n';
  }
  const k = s.keystore;
  if (k) {
    const meta = k.exists
      ? `v${k.version ?? '?'}, ${k.passwordProtected ? 'password-protected' : 'no password'}`
      : 'missing';
    out += `  keystore: ${k.path} (${meta})${k.sha256 ? ` sha256 ${k.sha256}` : ''}${k.error ? ` — ${k.error}` : ''}\n`;
    if (k.entries) out += k.entries.length ? k.entries.map((e) => `    ${e}\n`).join('') : '    (no entries)\n';
  }
  const cc = s.certificateConnections;
  if (cc) {
    const rows = Object.entries(cc.aliases).map(([a, m]) => `${a}: ${m.count} line(s), last ${m.last ?? '?'}`);
    out += `  certificate connections (${cc.logFile}): ${cc.error ?? (rows.length ? rows.join('; ') : cc.exists ? 'none logged' : 'no deprecation log yet')}\n`;
  }
  if (s.certFiles) {
    out += '  certificate files:\n';
    out += table(['setting', 'path', 'format', 'status', 'subject', 'SANs', 'expires'], certRows(s.certFiles), '    ');
    for (const a of certAlerts(s.certFiles)) out += `    WARNING: ${a}\n`;
    if (s.certFiles.some((f) => f.status === 'protected')) {
      out +=
        '    (protected: give the PKCS#12 password in the var es_cert_passwords, keyed by file name, path or setting)\n';
    }
  }
  return out;
}

/** Under a cluster's table, as data: keystore agreement, and (9.x) the certificate-based connections nodes logged. */
export interface ClusterNotes {
  keystores?: { consistent: boolean; problems: string[] };
  /** alias, node, last logged, lines — sorted. */
  certificateConnections: string[][];
  /** Hosts whose deprecation log could not be read, with the reason. */
  logErrors: Array<{ host: string; error: string }>;
}

export function clusterNoteData(c: ClusterReport | undefined, hosts: HostReport[]): ClusterNotes {
  const rows: string[][] = [];
  const logErrors: ClusterNotes['logErrors'] = [];
  for (const h of hosts) {
    for (const [alias, m] of Object.entries(h.ssh.certificateConnections?.aliases ?? {}))
      rows.push([alias, h.node.name ?? h.host, m.last ?? '?', String(m.count)]);
    if (h.ssh.certificateConnections?.error)
      logErrors.push({ host: h.host, error: h.ssh.certificateConnections.error });
  }
  return { ...(c?.keystores ? { keystores: c.keystores } : {}), certificateConnections: rows.sort(), logErrors };
}

/** Under a cluster's table: keystore agreement, and (9.x) the certificate-based connections each node logged. */
function clusterNotes(c: ClusterReport | undefined, hosts: HostReport[]): string {
  const n = clusterNoteData(c, hosts);
  let out = '';
  if (n.keystores)
    out += n.keystores.consistent
      ? `  keystores: the same setting names on every node\n`
      : n.keystores.problems.map((p) => `  WARNING keystores differ: ${p}\n`).join('');
  for (const e of n.logErrors) out += `  deprecation log of ${e.host}: ${e.error}\n`;
  if (n.certificateConnections.length) {
    out += '  certificate-based connections in the deprecation logs (9.x):\n';
    out += table(['alias', 'node', 'last logged', 'lines'], n.certificateConnections, '    ');
  }
  return out;
}

function renderCluster(c: ClusterReport): string {
  let out = `\n== cluster ${c.group}  ${c.url}\n`;
  if (c.error && !c.health) return out + `  error: ${c.error}\n`;
  const h = c.health;
  out += `  name ${c.name ?? '?'}  version ${c.version ?? '?'}  health ${h?.status ?? '?'} (${h?.nodes ?? '?'} nodes`;
  out += `${h?.relocating ? `, ${h.relocating} relocating` : ''}${h?.initializing ? `, ${h.initializing} initializing` : ''}${h?.unassigned ? `, ${h.unassigned} unassigned` : ''})`;
  out += `  license ${c.license ? `${c.license.type} ${c.license.status}` : '?'}\n`;
  if (c.error) out += `  error: ${c.error}\n`;
  if (c.nodes)
    out += table(
      ['node', 'version', 'roles*', 'http'],
      c.nodes.map((n) => [n.name, n.version, roleLetters(n.roles), n.http ?? '']),
    );
  out += '  remote aliases:\n';
  out += table(
    ['alias', 'configured as', 'mode', 'addresses', 'skip_unavailable', 'model', 'keystore credentials'],
    (c.aliases ?? []).map((a) => [
      a.alias,
      a.configuredAs.join('+') + (a.ymlNodes.length ? ` (yml on ${a.ymlNodes.join(',')})` : '') ||
        (a.undefinedMode ? '(not defined)' : '(only in _remote/info)'),
      a.undefinedMode ? '' : a.mode,
      a.addresses.join(','),
      a.skipUnavailable ?? '',
      c.models?.[a.alias]?.model ?? 'unknown',
      a.credentialsOn ? a.credentialsOn.join(',') : '',
    ]),
    '    ',
  );
  out += '  _remote/info per node:\n';
  const rows: string[][] = [];
  for (const n of c.remoteInfo) {
    if (n.error) {
      rows.push([n.host, n.nodeName ?? '', '', 'error', '', '', n.error]);
      continue;
    }
    const aliases = Object.entries(n.aliases);
    if (!aliases.length) rows.push([n.host, n.nodeName ?? '', '(no aliases)', '', '', '', '']);
    for (const [alias, s] of aliases) {
      rows.push([
        n.host,
        n.nodeName ?? '',
        alias,
        s.connected ? 'connected' : 'NOT connected',
        s.mode,
        s.model + (s.credentials ? ' (credentials)' : ''),
        s.addresses.join(','),
      ]);
    }
  }
  out += table(['host', 'node', 'alias', 'state', 'mode', 'model', 'addresses'], rows, '    ');
  if (c.tasksError) out += `  tasks: ${c.tasksError}\n`;
  for (const [alias, t] of Object.entries(c.tasks ?? {})) {
    const trows: string[][] = [
      ...t.transforms.map((x) => ['transform', x.id, x.state, x.indices.join(',')]),
      ...t.datafeeds.map((x) => ['datafeed', x.id, `${x.state} (job ${x.job} ${x.jobState})`, x.indices.join(',')]),
      ...t.autoFollowPatterns.map((x) => [
        'auto-follow',
        x.name,
        x.active ? 'active' : 'paused',
        x.leaderPatterns.join(','),
      ]),
      ...t.followers.map((x) => ['follower', x.index, x.status, `leader ${x.leader}`]),
    ];
    out += `  tasks on ${alias}:\n` + table(['kind', 'id', 'state', 'reads'], trows, '    ');
  }
  return out;
}

/** One node's row of the compact view. */
export interface CompactRow {
  host: string;
  version: string;
  /** Per alias of its cluster: the model this node uses (undefined: unknown), `key` whether its keystore holds
   *  the alias's credentials (undefined: not read). */
  aliases: Array<{ alias: string; model?: string; key?: boolean }>;
  /** Does the remote cluster server port (9443) listen? undefined: SSH not reachable. */
  rcsListening?: boolean;
  /** The nearest expiry among the node's (non-CA) certificates. */
  nearestCert?: { notAfter: string; daysLeft: number; subject: string };
  reachable: boolean;
}

/** One cluster (inventory group) of the compact view. */
export interface CompactGroup {
  group: string;
  cluster?: ClusterReport;
  hosts: HostReport[];
  /** `local: name 8.15.0 green` */
  head: string;
  aliases: string[];
  rows: CompactRow[];
  notes: ClusterNotes;
}

/** What the compact view shows, as data: the text view and `--html` render it. */
export function compactView(r: InspectReport): CompactGroup[] {
  const groups = [...new Set([...r.clusters.map((c) => c.group), ...r.hosts.map((h) => h.cluster ?? '(no cluster)')])];
  return groups.map((g) => {
    const c = r.clusters.find((x) => x.group === g);
    const hosts = r.hosts.filter((h) => (h.cluster ?? '(no cluster)') === g);
    const head = c
      ? `${g}: ${c.name ?? '?'} ${c.version ?? ''} ${c.health ? c.health.status : ''}${c.error ? ` — ${c.error}` : ''}`
      : g;
    const aliases = [...new Set([...(c?.aliases ?? []).map((a) => a.alias), ...Object.keys(c?.models ?? {})])].sort();
    const rows = hosts.map((h): CompactRow => {
      const nodeName = h.node.name ?? h.host;
      const perAlias = aliases.map((a) => {
        const m = c?.models?.[a]?.perNode[nodeName] ?? c?.models?.[a]?.perNode[h.host];
        const cred = h.ssh.keystore?.entries?.includes(`cluster.remote.${a}.credentials`);
        return { alias: a, ...(m ? { model: m } : {}), ...(cred === undefined ? {} : { key: cred }) };
      });
      const rcs = h.ssh.ports?.some((p) => p.role.includes('remote') || p.port === 9443);
      const certs = (h.ssh.certFiles ?? []).flatMap((f) => f.certificates.filter((x) => !x.isCa));
      const nearest = certs.sort((a, b) => a.daysLeft - b.daysLeft)[0];
      return {
        host: h.host,
        version: h.node.version ?? (h.node.error ? 'down' : '?'),
        aliases: perAlias,
        ...(h.ssh.reachable ? { rcsListening: !!rcs } : {}),
        ...(nearest
          ? { nearestCert: { notAfter: nearest.notAfter, daysLeft: nearest.daysLeft, subject: nearest.subject } }
          : {}),
        reachable: h.ssh.reachable,
      };
    });
    return {
      group: g,
      ...(c ? { cluster: c } : {}),
      hosts,
      head: head.replace(/\s+/g, ' ').trim(),
      aliases,
      rows,
      notes: clusterNoteData(c, hosts),
    };
  });
}

/** The compact view's expiry cell: `2027-01-01 (400d)`, `EXPIRED 2025-01-01`, `-` (none), `?` (SSH down). */
export function nearestExpiryText(row: CompactRow): string {
  const n = row.nearestCert;
  if (n) return n.daysLeft < 0 ? `EXPIRED ${n.notAfter.slice(0, 10)}` : `${n.notAfter.slice(0, 10)} (${n.daysLeft}d)`;
  return row.reachable ? '-' : '?';
}

/**
 * The default view: one table per cluster, a row per node — version, the model per alias, whether the keystore
 * holds the alias's credentials, whether the remote cluster server port listens, the nearest certificate expiry —
 * within 120 columns. `--long` adds every detail (renderInspectLong).
 */
export function renderInspect(r: InspectReport, opts: { long?: boolean } = {}): string {
  if (opts.long) return renderInspectLong(r);
  let out = `crosskey inspect — ${r.inventory} — ${r.generatedAt}  (details: --long)\n`;
  for (const g of compactView(r)) {
    out += `\n${g.head}\n`;
    const rows = g.rows.map((row) => [
      row.host,
      row.version,
      row.aliases.map((a) => `${a.alias}:${a.model ?? '?'}${a.key ? '+key' : ''}`).join(' ') || '-',
      row.rcsListening === undefined ? '?' : row.rcsListening ? 'yes' : 'no',
      nearestExpiryText(row),
    ]);
    out += table(
      ['node', 'version', 'model per alias (+key: credentials in keystore)', '9443', 'nearest cert expiry'],
      rows,
    );
    out += clusterNotes(g.cluster, g.hosts);
  }
  for (const w of r.warnings) out += `\nWARNING: ${w}\n`;
  return secrets.redact(out);
}

/** Every detail: hosts, settings, keystores, certificates, aliases, tasks. */
export function renderInspectLong(r: InspectReport): string {
  let out = `crosskey inspect — ${r.inventory} — ${r.generatedAt}\n`;
  out += '\nHOSTS\n';
  out += table(
    ['host', 'cluster', 'node', 'version', 'roles*', 'ssh', 'service', 'keystore entries', 'RCS yml settings'],
    r.hosts.map((h) => [
      h.host,
      h.cluster ?? '',
      h.node.name ?? (h.node.error ? 'unreachable' : ''),
      h.node.version ?? '',
      roleLetters(h.node.roles ?? h.ssh.ymlRoles),
      h.ssh.reachable ? 'ok' : /^SSH not used/.test(h.ssh.error ?? '') ? 'off' : 'unreachable',
      h.ssh.reachable ? (h.ssh.service?.active ? 'active' : 'inactive') : '',
      h.ssh.keystore?.entries ? String(h.ssh.keystore.entries.length) : '',
      h.ssh.rcsSettings ? String(Object.keys(h.ssh.rcsSettings).length) : '',
    ]),
  );
  out +=
    '  * roles as _cat/nodes abbreviates them: c cold, d data, f frozen, h hot, i ingest, l ml, m master, r remote_cluster_client, s content, t transform, v voting_only, w warm\n';
  for (const h of r.hosts) out += renderHost(h);
  out += '\nCLUSTERS\n';
  if (!r.clusters.length) out += '  (no inventory group defines es_url)\n';
  for (const c of r.clusters) out += renderCluster(c);
  for (const w of r.warnings) out += `\nWARNING: ${w}\n`;
  return secrets.redact(out);
}
