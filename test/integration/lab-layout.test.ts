// `lab up` with a layout of its own: clusters qc/fc of one node, the alias my_remote_cluster on certificate trust
// in elasticsearch.yml, an extra yml setting, Elasticsearch 9.3.0. Requests against the simulated nodes and the
// answers real 9.3 gives (docs/es-9x.md): GET / (§1.1), the RCS1 deprecation log line (§2, ES source
// server/src/main/java/org/elasticsearch/transport/RemoteConnectionManager.java), reload_secure_settings' keystore
// details (§3, server/src/main/java/org/elasticsearch/action/admin/cluster/node/reload/
// NodesReloadSecureSettingsResponse.java); then `lab status --json` starts and `lab down`.
// And today's default layout on 8.x: same groups, variables and a `starts` count per node.
import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { labCommand } from '../../lab/cli.js';
import { readLabFile, type LabClusterEntry, type LabFile } from '../../lab/layout.js';
import { labHttp } from '../../lab/http-client.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await labCommand(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

async function req(lab: LabFile, c: LabClusterEntry, method: string, path: string): Promise<any> {
  const r = await labHttp({ url: c.url, user: c.user, passwordFile: c.passwordFile, caCert: lab.caCert }, method, path);
  if (r.status !== 200) throw new Error(`${method} ${path} → ${r.status} ${r.text}`);
  return r.json;
}

function tempLab(t: { teardown(fn: () => Promise<void>): void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(async () => {
    if (existsSync(join(dir, 'lab.json'))) await cli(['down', '--dir', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

test.serial(
  '9.3 layout qc → fc (my_remote_cluster, static, RCS1): inventory, GET /, deprecation log, reload, starts',
  async (t) => {
    const dir = tempLab(t, 'ck-lab-layout-93-');
    const r = await cli([
      'up',
      '--dir',
      dir,
      '--cluster',
      'qc:1',
      '--cluster',
      'fc:1',
      '--connect',
      'qc:fc:my_remote_cluster',
      '--static-remote',
      '--yml',
      'qc:cluster.remote.connections_per_cluster=1',
      '--es-version',
      '9.3.0',
      '--ssh',
      'embedded',
      '--start-delay',
      '100',
      '--recovery',
      '100',
    ]);
    t.is(r.code, 0, r.err + r.out);
    const lab = readLabFile(dir);
    const [qc, fc] = lab.clusters;
    t.deepEqual(
      lab.clusters.map((c) => [c.name, c.nodes.map((n) => n.name)]),
      [
        ['qc', ['qc-1']],
        ['fc', ['fc-1']],
      ],
    );

    // inventory: one group per cluster with the es_* vars; the layout in group_vars/all.yml
    const inv = load(readFileSync(join(dir, 'inventory.yml'), 'utf8')) as any;
    t.deepEqual(Object.keys(inv.all.children), ['qc', 'fc']);
    for (const c of [qc!, fc!]) {
      const g = inv.all.children[c.name];
      t.deepEqual(g.vars, {
        es_url: c.url,
        es_user: 'crosskey',
        es_password_file: c.passwordFile,
        es_ca_cert: lab.caCert,
        es_version: '9.3.0',
      });
      t.deepEqual(Object.keys(g.hosts), [`${c.name}-1`]);
      t.is(g.hosts[`${c.name}-1`].es_node_url, `https://${c.nodes[0]!.address}:9200`);
    }
    t.regex(qc!.url, new RegExp(`^https://127\\.${lab.net}\\.1\\.1:9200$`));
    t.regex(fc!.url, new RegExp(`^https://127\\.${lab.net}\\.2\\.1:9200$`));
    const vars = load(readFileSync(join(dir, 'group_vars', 'all.yml'), 'utf8')) as any;
    t.deepEqual(vars.crosskey_connections, [{ local: 'qc', remote: 'fc', alias: 'my_remote_cluster' }]);
    t.is(vars.crosskey_alias, 'my_remote_cluster');
    t.deepEqual(vars.crosskey_transport_allow, [fc!.nodes[0]!.address]);

    // the alias and the extra setting are in qc's elasticsearch.yml from the first start
    const yml = readFileSync(join(qc!.nodes[0]!.configDir, 'elasticsearch.yml'), 'utf8');
    t.regex(yml, /^cluster\.remote\.connections_per_cluster: '?1'?$/m);
    t.regex(
      yml,
      new RegExp(`^cluster\\.remote\\.my_remote_cluster\\.seeds: \\["${fc!.nodes[0]!.address}:9300"\\]$`, 'm'),
    );

    // GET / like real 9.3 (docs/es-9x.md §1.1)
    const root = await req(lab, qc!, 'GET', '/');
    t.is(root.name, 'qc-1');
    t.is(root.cluster_name, 'qc');
    t.like(root.version, {
      number: '9.3.0',
      build_flavor: 'default',
      lucene_version: '10.3.2',
      minimum_wire_compatibility_version: '8.19.0',
      minimum_index_compatibility_version: '8.0.0',
    });
    t.false('transport_version' in root.version);

    // _remote/info: connected on the certificate model (no cluster_credentials); the --yml setting in effect
    const info = (await req(lab, qc!, 'GET', '/_remote/info')).my_remote_cluster;
    t.like(info, { connected: true, mode: 'sniff', skip_unavailable: false, max_connections_per_cluster: 1 });
    t.false('cluster_credentials' in info);

    // the deprecation log line of qc's node: JSON, once for the alias (docs/es-9x.md §2.1–2.2)
    const depFile = join(qc!.nodes[0]!.home, 'logs', 'qc_deprecation.json');
    const lines = readFileSync(depFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    t.is(lines.length, 1);
    t.like(lines[0], {
      'log.level': 'WARN',
      'data_stream.dataset': 'elasticsearch.deprecation',
      'event.dataset': 'elasticsearch.deprecation',
      'data_stream.type': 'logs',
      'event.code': 'remote_cluster_certificate_access-my_remote_cluster',
      'elasticsearch.event.category': 'security',
      'log.logger': 'org.elasticsearch.deprecation.transport.RemoteConnectionManager',
      'elasticsearch.cluster.name': 'qc',
      'elasticsearch.node.name': 'qc-1',
      'elasticsearch.cluster.uuid': root.cluster_uuid,
    });
    t.regex(lines[0].message, /^The remote cluster connection to \[my_remote_cluster\] is using the certificate-based/);
    t.false(Number.isNaN(Date.parse(lines[0]['@timestamp'])));
    t.false(existsSync(join(fc!.nodes[0]!.home, 'logs', 'fc_deprecation.json')), 'the fulfilling side writes nothing');

    // reload_secure_settings: 9.3's keystore details per node (docs/es-9x.md §3)
    const reload = await req(lab, qc!, 'POST', '/_nodes/reload_secure_settings');
    const [node] = Object.values(reload.nodes) as any[];
    const ks = join(qc!.nodes[0]!.configDir, 'elasticsearch.keystore');
    t.is(node.name, 'qc-1');
    t.false('reload_exception' in node);
    t.deepEqual(node.secure_setting_names, [
      'keystore.seed',
      'xpack.security.http.ssl.keystore.secure_password',
      'xpack.security.transport.ssl.keystore.secure_password',
      'xpack.security.transport.ssl.truststore.secure_password',
    ]);
    t.is(node.keystore_path, ks);
    t.is(node.keystore_digest, createHash('sha256').update(readFileSync(ks)).digest('hex'));
    t.regex(node.keystore_last_modified_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    // one start per node: the static alias was in elasticsearch.yml before the first start (no restart)
    const s = JSON.parse((await cli(['status', '--dir', dir, '--json'])).out);
    t.deepEqual(
      s.clusters.flatMap((c: any) => c.nodes.map((n: any) => [n.name, n.starts])),
      [
        ['qc-1', 1],
        ['fc-1', 1],
      ],
    );

    const down = await cli(['down', '--dir', dir]);
    t.is(down.code, 0, down.err);
  },
);

test.serial('8.x default layout: local/remote groups, my_remote, `starts` in lab status --json', async (t) => {
  const dir = tempLab(t, 'ck-lab-layout-8-');
  const r = await cli([
    'up',
    '--dir',
    dir,
    '--nodes',
    '1',
    '--ssh',
    'embedded',
    '--start-delay',
    '100',
    '--recovery',
    '100',
  ]);
  t.is(r.code, 0, r.err + r.out);
  const lab = readLabFile(dir);
  const inv = load(readFileSync(join(dir, 'inventory.yml'), 'utf8')) as any;
  t.deepEqual(Object.keys(inv.all.children), ['local', 'remote']);
  t.regex(inv.all.children.local.vars.es_url, new RegExp(`^https://127\\.${lab.net}\\.1\\.1:9200$`));
  const vars = load(readFileSync(join(dir, 'group_vars', 'all.yml'), 'utf8')) as any;
  t.is(vars.crosskey_alias, 'my_remote');
  t.deepEqual(vars.crosskey_connections, [{ local: 'local', remote: 'remote', alias: 'my_remote' }]);
  const root = await req(lab, lab.clusters[0]!, 'GET', '/');
  t.like(root.version, { number: '8.15.0', minimum_wire_compatibility_version: '7.17.0' });
  t.false(
    existsSync(join(lab.clusters[0]!.nodes[0]!.home, 'logs', 'local_deprecation.json')),
    'no RCS1 warning on 8.x',
  );
  const reload = await req(lab, lab.clusters[0]!, 'POST', '/_nodes/reload_secure_settings');
  t.false('keystore_digest' in (Object.values(reload.nodes)[0] as object), 'no keystore details before 9.3');
  const s = JSON.parse((await cli(['status', '--dir', dir, '--json'])).out);
  t.deepEqual(
    s.clusters.flatMap((c: any) => c.nodes.map((n: any) => [n.name, n.starts])),
    [
      ['local-1', 1],
      ['remote-1', 1],
    ],
  );
});
