// `lab up --cluster/--connect/--yml/--es-version`: every bad value exits 1 naming the flag and the reason before
// anything is written or started (labCommand in-process, a temp --dir that must stay absent); the layout that good
// values give; GET /'s version block for 9.x (docs/es-9x.md §1.1).
import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labCommand, LAB_USAGE } from '../../lab/cli.js';
import { checkEsVersion, resolveLayout, startDependencies, parseYmlFlag } from '../../lab/layout-spec.js';
import { buildInfo } from '../../lab/node/cluster/routes.js';

async function up(dir: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await labCommand(['up', '--dir', dir, ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** Processes whose command line mentions the dir (a node or an SSH host the refused `lab up` would have started). */
function processesOf(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) found.push(pid);
    } catch {
      /* gone */
    }
  }
  return found;
}

const BAD: Array<{ args: string[]; expect: RegExp }> = [
  // --cluster: counts, names, duplicates
  { args: ['--cluster', 'qc:0', '--cluster', 'fc'], expect: /--cluster qc:0: NODES must be 1\.\.9/ },
  { args: ['--cluster', 'qc:10', '--cluster', 'fc'], expect: /--cluster qc:10: NODES must be 1\.\.9/ },
  { args: ['--cluster', 'qc:three'], expect: /--cluster qc:three: NODES must be a number 1\.\.9, not \[three\]/ },
  { args: ['--cluster', 'qc:'], expect: /--cluster qc:: NODES must be a number/ },
  { args: ['--cluster', 'QC'], expect: /--cluster QC: bad cluster name \[QC\]/ },
  { args: ['--cluster', 'q-c'], expect: /--cluster q-c: bad cluster name \[q-c\]/ },
  { args: ['--cluster', 'all'], expect: /--cluster all: \[all\] is reserved/ },
  {
    args: ['--cluster', 'qc:1', '--cluster', 'qc:2', '--connect', 'qc:qc'],
    expect: /--cluster qc:2: cluster \[qc\] is given twice/,
  },
  { args: ['--nodes', '0'], expect: /--nodes 0: must be 1\.\.9/ },
  { args: ['--nodes', '10'], expect: /--nodes 10: must be 1\.\.9/ },
  // --connect: unknown clusters, format, aliases
  { args: ['--cluster', 'qc', '--cluster', 'fc'], expect: /--connect: none given, and the default local:remote/ },
  { args: ['--connect', 'local:nope'], expect: /--connect local:nope:my_remote: unknown cluster \[nope\]/ },
  { args: ['--connect', 'nope:remote:x'], expect: /--connect nope:remote:x: unknown cluster \[nope\]/ },
  { args: ['--connect', 'local'], expect: /--connect local: expected LOCAL:REMOTE\[:ALIAS\]/ },
  { args: ['--connect', 'local:remote:a:b'], expect: /--connect local:remote:a:b: expected LOCAL:REMOTE\[:ALIAS\]/ },
  { args: ['--connect', 'local::x'], expect: /--connect local::x: expected LOCAL:REMOTE\[:ALIAS\]/ },
  { args: ['--connect', 'local:remote:bad.alias'], expect: /--connect local:remote:bad\.alias: bad alias/ },
  { args: ['--connect', 'local:remote:log*'], expect: /--connect local:remote:log\*: bad alias/ },
  { args: ['--connect', 'local:remote:Upper'], expect: /--connect local:remote:Upper: bad alias/ },
  {
    args: ['--connect', 'local:remote:a', '--connect', 'local:local:a'],
    expect: /--connect local:local:a: cluster \[local\] already has an alias \[a\]/,
  },
  // --yml: unknown cluster, settings the node would refuse, layout keys, format
  {
    args: ['--yml', 'nope:cluster.remote.connections_per_cluster=1'],
    expect: /--yml nope:cluster\.remote\.connections_per_cluster=1: unknown cluster \[nope\]/,
  },
  {
    args: ['--yml', 'local:no.such.setting=1'],
    expect:
      /--yml local:no\.such\.setting=1: unknown setting \[no\.such\.setting\] please check that any required plugins are installed/,
  },
  {
    args: ['--yml', 'remote:remote_cluster_server.enabled=maybe'],
    expect:
      /--yml remote:remote_cluster_server\.enabled=maybe: Failed to parse value \[maybe\] as only \[true\] or \[false\]/,
  },
  {
    args: ['--yml', 'local:bootstrap.password=x'],
    expect: /--yml local:bootstrap\.password=x: Setting \[bootstrap\.password\] is a secure setting/,
  },
  {
    args: ['--yml', 'local:transport.profiles._remote_cluster.port=9443'],
    expect: /Remote Access settings should not be configured using the \[_remote_cluster\] profile/,
  },
  {
    args: ['--yml', 'local:cluster.name=x'],
    expect: /--yml local:cluster\.name=x: \[cluster\.name\] is set by the lab/,
  },
  {
    args: [
      '--yml',
      'local:cluster.remote.connections_per_cluster=1',
      '--yml',
      'local:cluster.remote.connections_per_cluster=2',
    ],
    expect: /\[cluster\.remote\.connections_per_cluster\] is given twice for cluster \[local\]/,
  },
  {
    args: ['--static-remote', '--yml', 'local:cluster.remote.my_remote.seeds=[a:9300]'],
    expect: /\[cluster\.remote\.my_remote\.seeds\] is written by the lab for --static-remote/,
  },
  { args: ['--yml', 'local:cluster.remote.connections_per_cluster'], expect: /expected CLUSTER:KEY=VALUE/ },
  { args: ['--yml', 'local:cluster.remote.connections_per_cluster='], expect: /expected CLUSTER:KEY=VALUE/ },
  // --es-version
  ...['7.17.0', '8.9.0', '8.20.0', '9.4.0', '9.9.0', '10.0.0'].map((v) => ({
    args: ['--es-version', v],
    expect: new RegExp(
      `--es-version ${v.replace(/\./g, '\\.')}: the lab simulates Elasticsearch 8\\.10\\.0 to 8\\.19\\.x and 9\\.0\\.0 to 9\\.3\\.x`,
    ),
  })),
  { args: ['--es-version', '9.3'], expect: /--es-version 9\.3: expected MAJOR\.MINOR\.PATCH/ },
];

test('lab up: every bad layout flag exits 1 with the flag and the reason, nothing written or started', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'ck-lab-layout-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const failures: string[] = [];
  for (const [i, c] of BAD.entries()) {
    const dir = join(base, `case-${i}`);
    const r = await up(dir, [...c.args, '--ssh', 'embedded']);
    const problems = [
      r.code !== 1 && `exit ${r.code}`,
      !c.expect.test(r.err) && `stderr does not match ${c.expect}`,
      /\n\s+at .*:\d+:\d+\)?/.test(r.err) && 'a stack trace',
      existsSync(join(dir, 'lab.json')) && 'lab.json written',
      existsSync(dir) && 'the lab dir was created',
      processesOf(dir).length > 0 && 'a process was started',
    ].filter(Boolean);
    if (problems.length)
      failures.push(`${c.args.join(' ')}: ${problems.join('; ')}\n    ${r.err.trim().split('\n')[0]}`);
  }
  t.deepEqual(failures, [], failures.join('\n'));
});

test('the usage text shows the layout flags', (t) => {
  for (const f of [
    '--cluster NAME[:NODES]',
    '--connect LOCAL:REMOTE[:ALIAS]',
    '--yml CLUSTER:KEY=VALUE',
    '--static-remote',
  ])
    t.true(LAB_USAGE.includes(f), f);
  t.regex(LAB_USAGE, /8\.10\.0 to 8\.19\.x, 9\.0\.0 to 9\.3\.x/);
});

test('versions: 8.10 to 8.19 and 9.0 to 9.3 pass; the library API still takes 8.0–8.9 for the lab own tests', (t) => {
  for (const v of ['8.10.0', '8.15.0', '8.19.12', '9.0.0', '9.1.5', '9.3.0', '9.3.8'])
    t.notThrows(() => checkEsVersion(v), v);
  t.throws(() => checkEsVersion('8.9.2'));
  t.notThrows(() => checkEsVersion('8.9.2', { olderEight: true }));
  t.throws(() => checkEsVersion('7.17.0', { olderEight: true }));
});

test('the default layout is today’s: local and remote (octets 1, 2), --nodes each, my_remote', (t) => {
  const l = resolveLayout({ esVersion: '8.15.0' });
  t.deepEqual(l.clusters, [
    { name: 'local', nodes: 3, octet: 1 },
    { name: 'remote', nodes: 3, octet: 2 },
  ]);
  t.deepEqual(l.connections, [{ local: 'local', remote: 'remote', alias: 'my_remote' }]);
  t.deepEqual(l.yml, {});
  t.deepEqual(
    resolveLayout({ esVersion: '8.15.0', nodes: 2 }).clusters.map((c) => c.nodes),
    [2, 2],
  );
});

test('a custom layout: counts, several aliases per cluster, an alias to itself, yml values as ES reads them', (t) => {
  const l = resolveLayout({
    esVersion: '9.3.0',
    nodes: 2,
    clusters: [{ name: 'a', nodes: 1 }, { name: 'b' }, { name: 'c', nodes: 9 }],
    connections: [
      { local: 'a', remote: 'b', alias: 'b1' },
      { local: 'a', remote: 'b', alias: 'b2' },
      { local: 'a', remote: 'a', alias: 'self' },
      { local: 'b', remote: 'a', alias: 'b1' },
      { local: 'c', remote: 'b', alias: 'my_remote' },
    ],
    yml: [
      parseYmlFlag('c:cluster.remote.connections_per_cluster=1'),
      parseYmlFlag('c:xpack.security.transport.filter.allow=[127.0.0.1, 127.0.0.2]'),
    ],
  });
  t.deepEqual(
    l.clusters.map((c) => [c.name, c.nodes, c.octet]),
    [
      ['a', 1, 1],
      ['b', 2, 2],
      ['c', 9, 3],
    ],
  );
  t.is(l.connections.length, 5);
  t.deepEqual(l.yml, {
    c: {
      'cluster.remote.connections_per_cluster': '1',
      'xpack.security.transport.filter.allow': ['127.0.0.1', '127.0.0.2'],
    },
  });
  // start order with static aliases: c after b; a and b point at each other (a cycle) and start together
  const deps = startDependencies(l, true);
  t.deepEqual(deps.get('c'), ['b']);
  t.deepEqual(deps.get('a'), []);
  t.deepEqual(deps.get('b'), []);
  t.is(startDependencies(l, false).size, 0);
});

test('GET / version block: 8.x as before, 9.x per release (docs/es-9x.md §1.1)', (t) => {
  const pick = (v: string) => {
    const b = buildInfo(v);
    return [b.lucene_version, b.minimum_wire_compatibility_version, b.minimum_index_compatibility_version];
  };
  t.deepEqual(pick('8.15.0'), ['9.11.1', '7.17.0', '7.0.0']);
  t.deepEqual(pick('9.0.0'), ['10.1.0', '8.18.0', '8.0.0']);
  t.deepEqual(pick('9.0.3'), ['10.1.0', '8.18.0', '8.0.0']);
  t.deepEqual(pick('9.1.5'), ['10.2.2', '8.19.0', '8.0.0']);
  t.deepEqual(pick('9.2.1'), ['10.3.1', '8.19.0', '8.0.0']);
  t.deepEqual(pick('9.2.4'), ['10.3.2', '8.19.0', '8.0.0']);
  t.deepEqual(pick('9.3.0'), ['10.3.2', '8.19.0', '8.0.0']);
  const b = buildInfo('9.3.0');
  t.is(b.number, '9.3.0');
  t.is(b.build_flavor, 'default');
  t.false(b.build_snapshot);
});
