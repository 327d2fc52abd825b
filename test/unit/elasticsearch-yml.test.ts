import test from 'ava';
import { editSettings } from '../../controller/modules/es/elasticsearch_yml.js';
import { settingsDiff } from '../../controller/modules/es/es_cluster_settings.js';

const yml = `# operator's file
cluster.name: local
node.name: local-1
cluster.remote.my_remote.seeds:
  - "127.0.2.1:9300"
  - "127.0.2.2:9300"
cluster.remote.my_remote.skip_unavailable: false
xpack.security.enabled: true # keep me
`;

test('replaces a multi-line flat setting in place and keeps every other byte', (t) => {
  const out = editSettings('elasticsearch.yml', yml, {
    'cluster.remote.my_remote.seeds': ['127.0.2.1:9443', '127.0.2.2:9443'],
  });
  t.is(
    out,
    `# operator's file
cluster.name: local
node.name: local-1
cluster.remote.my_remote.seeds: [ "127.0.2.1:9443", "127.0.2.2:9443" ]
cluster.remote.my_remote.skip_unavailable: false
xpack.security.enabled: true # keep me
`,
  );
});

test('removes with null and appends new keys; a second edit with the same settings changes nothing', (t) => {
  const settings = { 'cluster.remote.my_remote.skip_unavailable': null, 'cluster.remote.my_remote.mode': 'sniff' };
  const once = editSettings('e.yml', yml, settings);
  t.false(once.includes('skip_unavailable'));
  t.true(once.endsWith('cluster.remote.my_remote.mode: "sniff"\n'));
  t.is(editSettings('e.yml', once, settings), once);
});

test('refuses a key set in nested form, and a file that does not parse', (t) => {
  const nested = 'cluster:\n  remote:\n    my_remote:\n      seeds: ["a:9300"]\n';
  t.throws(() => editSettings('n.yml', nested, { 'cluster.remote.my_remote.seeds': ['a:9443'] }), {
    message: /nested form/,
  });
  t.throws(() => editSettings('bad.yml', 'a: [\n', { x: 1 }), { message: /does not parse/ });
});

test('cluster settings diff compares in the string form ES answers', (t) => {
  const current = { 'xpack.security.transport.filter.deny': '_all', 'xpack.security.http.filter.allow': ['_all'] };
  t.deepEqual(
    settingsDiff(current, {
      'xpack.security.transport.filter.deny': '_all',
      'xpack.security.http.filter.allow': ['_all'],
    }),
    [],
  );
  const d = settingsDiff(current, {
    'xpack.security.transport.filter.deny': null,
    'cluster.routing.allocation.enable': 'primaries',
  });
  t.deepEqual(
    d.map((c) => [c.target, c.action]),
    [
      ['xpack.security.transport.filter.deny', 'delete'],
      ['cluster.routing.allocation.enable', 'create'],
    ],
  );
});
