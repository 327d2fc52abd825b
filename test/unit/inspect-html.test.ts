// `crosskey inspect --html`: a hand-made InspectReport rendered to HTML — one table per cluster with the compact
// view's columns, the picture's arrows local → remote coloured by model, everything escaped, no secret.
import test from 'ava';
import { aliasArrows, renderInspectHtml } from '../../controller/inspect/html.js';
import { compactView, renderInspect } from '../../controller/inspect/render.js';
import type { HostReport, InspectReport } from '../../controller/inspect/types.js';
import { secrets } from '../../controller/secrets.js';

const cert = (days: number, subject = 'CN=node') => ({
  subject,
  issuer: 'CN=ca',
  sans: { dns: [], ip: [] },
  notAfter: new Date(Date.UTC(2030, 0, 1) + days * 86400_000).toISOString(),
  daysLeft: days,
  isCa: false,
  sha256: 'x',
});

function host(name: string, cluster: string, addr: string, extra: Partial<HostReport['ssh']> = {}): HostReport {
  return {
    host: name,
    groups: [cluster],
    cluster,
    node: { url: `https://${addr}:9200`, name, version: '8.15.0', roles: ['master'] },
    ssh: {
      reachable: true,
      keystore: { path: '/k', exists: true, entries: ['keystore.seed'] },
      ports: [{ address: addr, port: 9200, role: 'http' }],
      certFiles: [
        {
          setting: 'xpack.security.http.ssl.keystore.path',
          path: '/c/http.p12',
          format: 'pkcs12',
          status: 'ok',
          certificates: [cert(400)],
        },
      ],
      ...extra,
    },
  };
}

const SECRET = 'S3cret-inspect-html-value';

function report(): InspectReport {
  const l1 = host('local-1', 'local', '10.0.0.1', {
    keystore: { path: '/k', exists: true, entries: ['keystore.seed', 'cluster.remote.my_remote.credentials'] },
    ports: [{ address: '10.0.0.1', port: 9443, role: 'remote_cluster' }],
  });
  const l2 = host('local-2', 'local', '10.0.0.2', {
    certFiles: [
      {
        setting: 'xpack.security.transport.ssl.keystore.path',
        path: '/c/t.p12',
        format: 'pkcs12',
        status: 'ok',
        certificates: [cert(12, 'CN=<soon>')],
      },
    ],
  });
  const r1 = host('remote-1', 'remote', '10.0.1.1');
  const o1 = host('other-1', 'o<b>&"x', '10.0.2.1', {
    certificateConnections: {
      logFile: '/l',
      exists: true,
      aliases: { legacy: { count: 3, last: '2030-01-01T00:00:00Z' } },
    },
  });
  return {
    inventory: '/inv/<inventory>.yml',
    generatedAt: '2030-01-01T00:00:00Z',
    hosts: [l1, l2, r1, o1],
    clusters: [
      {
        group: 'local',
        url: 'https://10.0.0.1:9200',
        name: 'local',
        version: '8.15.0',
        health: { status: 'green', nodes: 2 },
        aliases: [
          {
            alias: 'my_remote',
            configuredAs: ['persistent'],
            mode: 'sniff',
            addresses: ['10.0.1.1:9443'],
            ymlNodes: [],
          },
          {
            alias: 'to_other',
            configuredAs: ['persistent'],
            mode: 'proxy',
            addresses: ['10.0.2.1:9300'],
            ymlNodes: [],
          },
        ],
        remoteInfo: [],
        keystores: { consistent: false, problems: ['local-2 lacks cluster.remote.my_remote.credentials'] },
        models: {
          my_remote: { model: 'mixed', perNode: { 'local-1': 'RCS2', 'local-2': 'RCS1' } },
          to_other: { model: 'RCS1', perNode: { 'local-1': 'RCS1', 'local-2': 'RCS1' } },
        },
      },
      {
        group: 'remote',
        url: 'https://10.0.1.1:9200',
        name: 'remote',
        version: '8.15.0',
        health: { status: 'green', nodes: 1 },
        aliases: [],
        remoteInfo: [],
        keystores: { consistent: true, problems: [] },
      },
      {
        group: 'o<b>&"x',
        url: 'https://10.0.2.1:9200',
        name: 'other',
        version: '9.1.0',
        health: { status: 'yellow', nodes: 1 },
        aliases: [
          {
            alias: 'back<home>',
            configuredAs: ['persistent'],
            mode: 'sniff',
            addresses: ['10.0.1.1:9443'],
            ymlNodes: [],
          },
          { alias: 'far', configuredAs: ['persistent'], mode: 'sniff', addresses: ['192.0.2.7:9443'], ymlNodes: [] },
        ],
        remoteInfo: [],
        models: {
          'back<home>': { model: 'RCS2', perNode: { 'other-1': 'RCS2' } },
          far: { model: 'RCS2', perNode: { 'other-1': 'RCS2' } },
        },
      },
    ],
    warnings: [`a warning with <tags> and ${SECRET}`],
  };
}

test('aliases become arrows local → remote, resolved through the inventory’s addresses', (t) => {
  const arrows = aliasArrows(compactView(report()));
  t.deepEqual(
    arrows.map((a) => [a.from, a.to, a.alias, a.model]),
    [
      ['local', 'remote', 'my_remote', 'mixed'],
      ['local', 'o<b>&"x', 'to_other', 'RCS1'],
      ['o<b>&"x', 'remote', 'back<home>', 'RCS2'],
      ['o<b>&"x', undefined, 'far', 'RCS2'],
    ],
  );
});

test('inspect --html: a table per cluster, the picture with coloured arrows, escaped, self-contained, no secret', (t) => {
  secrets.register(SECRET);
  const html = renderInspectHtml(report());
  t.regex(html, /^<!DOCTYPE html>/);
  t.false(/<script|<link|<img|@import|url\(|\b(src|href)=/i.test(html), 'self-contained');
  t.false(html.includes(SECRET), 'redacted');

  // One table per cluster, with the compact view's columns and cells.
  t.is(html.match(/<section class="cluster"/g)?.length, 3);
  t.regex(
    html,
    /<th>node<\/th><th>version<\/th><th>model per alias<\/th><th>keystore credential<\/th><th>9443 listening<\/th><th>nearest cert expiry<\/th>/,
  );
  t.regex(html, /<h2>local: local 8\.15\.0 green<\/h2>/);
  t.regex(
    html,
    /<td><code>local-1<\/code><\/td><td>8\.15\.0<\/td><td>my_remote <span class="badge" style="background:#1a7f37">RCS2<\/span><br>to_other <span class="badge" style="background:#bc4c00">RCS1<\/span><\/td><td>my_remote: yes<br>to_other: no<\/td><td>yes<\/td><td>2031-02-05 \(400d\)/,
  );
  t.regex(
    html,
    /<td><code>local-2<\/code><\/td>.*?<td>no<\/td><td><span class="warn">2030-01-13 \(12d\)<\/span><\/td>/,
  );
  t.regex(html, /keystores differ: local-2 lacks cluster\.remote\.my_remote\.credentials/);
  t.regex(html, /keystores: the same setting names on every node/);
  t.regex(
    html,
    /<table class="cert-connections">.*<td>legacy<\/td><td>other-1<\/td><td>2030-01-01T00:00:00Z<\/td><td>3<\/td>/,
  );

  // The picture: a box per cluster (and one for the remote outside the inventory), an arrow per alias.
  const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
  t.is(svg.match(/<g class="cluster"/g)?.length, 4);
  t.regex(svg, /data-cluster="\?192\.0\.2\.7:9443"/);
  const arrow = (alias: string) =>
    new RegExp(
      `<g class="alias" data-alias="${alias}" data-from="([^"]*)" data-to="([^"]*)" data-model="(\\w+)">.*?stroke="(#\\w+)"`,
    ).exec(svg);
  t.deepEqual(arrow('my_remote')?.slice(1), ['local', 'remote', 'mixed', '#cf222e']);
  t.deepEqual(arrow('to_other')?.slice(1), ['local', 'o&lt;b&gt;&amp;&quot;x', 'RCS1', '#bc4c00']);
  t.deepEqual(arrow('back&lt;home&gt;')?.slice(1), ['o&lt;b&gt;&amp;&quot;x', 'remote', 'RCS2', '#1a7f37']);
  t.regex(svg, />my_remote mixed<\/text>/);

  // Escaping everywhere: group names, alias names, subjects, the inventory path, warnings.
  t.false(html.includes('o<b>'));
  t.false(html.includes('back<home>'));
  t.false(html.includes('<inventory>'));
  t.false(html.includes('<tags>'));
  t.regex(html, /&lt;inventory&gt;\.yml/);
  t.regex(html, /a warning with &lt;tags&gt;/);

  // The text view still says the same from the same data.
  const text = renderInspect(report());
  t.regex(text, /local-1\s+8\.15\.0\s+my_remote:RCS2\+key to_other:RCS1\s+yes\s+2031-02-05 \(400d\)/);
  t.regex(text, /WARNING keystores differ: local-2 lacks/);
});
