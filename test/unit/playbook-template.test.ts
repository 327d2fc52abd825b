import test from 'ava';
import { join } from 'node:path';
import {
  renderString,
  renderValue,
  renderFile,
  checkTemplate,
  TemplateError,
  hasTemplate,
} from '../../controller/lang/template.js';
import { Secret, isSecret, secrets } from '../../controller/secrets.js';

const tdir = new URL('../fixtures/playbooks/templates/', import.meta.url).pathname;
const vars: Record<string, unknown> = {
  name: 'es',
  port: 9200,
  list: ['a', 'b'],
  d: { a: { b: { c: 'deep' } }, n: [1, 2] },
  hostvars: { 'local-1': { es_node_url: 'https://127.0.1.1:9200' } },
  h: 'local-1',
  groups: { local: ['local-1', 'local-2'] },
  pw: new Secret('Sup3r-secret-pw'),
  empty: '',
};
const where = { file: 'play.yml', line: 12, task: 'set seeds' };

test('interpolation and type preservation', (t) => {
  t.is(renderString('plain', vars), 'plain');
  t.is(renderString('http://{{ name }}:{{port}}/', vars), 'http://es:9200/');
  t.is(renderString('{{ port }}', vars), 9200);
  t.deepEqual(renderString('{{ list }}', vars), ['a', 'b']);
  t.deepEqual(renderString('{{ d.a }}', vars), { b: { c: 'deep' } });
  t.is(renderString(' {{ d.n }}', vars), ' [1,2]'); // anything around the braces → a string
  t.is(renderString('{{ d.a.b.c }}', vars), 'deep');
  t.is(renderString('{{ d.n.[1] }}', vars), 2);
  t.is(renderString('x={{ list }}', vars), 'x=["a","b"]');
});

test('helpers', (t) => {
  t.is(renderString('{{ default missing "fallback" }}', vars), 'fallback');
  t.is(renderString('{{ default port 1 }}', vars), 9200);
  t.is(renderString('{{ lookup hostvars h "es_node_url" }}', vars), 'https://127.0.1.1:9200');
  t.is(renderString('{{ join list "," }}', vars), 'a,b');
  t.is(renderString('{{ to_json d.n }}', vars), '[1,2]');
  t.is(renderString('{{ b64encode "elastic:pw" }}', vars), Buffer.from('elastic:pw').toString('base64'));
  t.is(renderString('{{ first list }}-{{ last list }}', vars), 'a-b');
  t.is(renderString('{{ eq port 9200 }}', vars), true);
  t.is(renderString('{{ length (lookup groups "local") }}', vars), 2);
  t.is(renderString('{{ upper (concat name "-" port) }}', vars), 'ES-9200');
});

test('Ansible/Jinja-style expressions inside {{ }}', (t) => {
  t.is(renderString('{{ hostvars[h].es_node_url }}', vars), 'https://127.0.1.1:9200');
  t.is(renderString("{{ missing | default('dflt') }}", vars), 'dflt');
  t.is(renderString("{{ groups['local'] | length }}", vars), 2);
  t.is(renderString("n={{ groups['local'] | length }}", vars), 'n=2');
  t.is(renderString('{{ expr "port > 9000" }}', vars), true);
});

test('blocks are rendered by Handlebars, strictly', (t) => {
  t.is(renderString('{{#each list}}[{{this}}]{{/each}}', vars), '[a][b]');
  t.is(renderString('{{#if empty}}yes{{else}}no{{/if}}', vars), 'no');
  const e = t.throws(() => renderString('{{#each list}}{{nope}}{{/each}}', vars, where), { instanceOf: TemplateError });
  t.regex(e!.message, /undefined variable 'nope'/);
});

test('undefined variables name the variable, task and file:line', (t) => {
  const e = t.throws(() => renderString('url: {{ es_url }}', vars, where), { instanceOf: TemplateError });
  t.is(e!.toString(), `play.yml:12: task 'set seeds': undefined variable 'es_url' in "url: {{ es_url }}"`);
  t.is(e!.variable, 'es_url');
  const e2 = t.throws(() => renderString('{{ d.a.x.y }}', vars, where), { instanceOf: TemplateError });
  t.is(e2!.variable, 'd.a.x');
  const e3 = t.throws(() => renderString('{{ hostvars[h].nope }}', vars, where), { instanceOf: TemplateError });
  t.regex(e3!.message, /undefined variable 'hostvars\[.*\]\.nope'|undefined variable 'hostvars/);
  const e4 = t.throws(() => renderString('{{ join nolist "," }}', vars, where), { instanceOf: TemplateError });
  t.is(e4!.variable, 'nolist');
  const e5 = t.throws(() => renderString('{{ lookup hostvars h "nope" }}', vars, where), { instanceOf: TemplateError });
  t.regex(e5!.message, /undefined variable 'hostvars.h.nope'/);
});

test('syntax errors are caught at load time by checkTemplate', (t) => {
  t.notThrows(() => checkTemplate('{{ a }} and {{ b | default(1) }}', where));
  const e1 = t.throws(() => checkTemplate('{{ a ', where), { instanceOf: TemplateError });
  t.regex(e1!.message, /has no closing '}}'/);
  const e2 = t.throws(() => checkTemplate('{{ nosuchhelper a }}', where), { instanceOf: TemplateError });
  t.regex(e2!.message, /unknown helper 'nosuchhelper' \(helpers: default, defined, lookup/);
  const e3 = t.throws(() => checkTemplate('{{ a == }}', where), { instanceOf: TemplateError });
  t.regex(e3!.message, /cannot parse \{\{ a == \}\}: expected a value/);
  t.is(e3!.line, 12);
  t.throws(() => checkTemplate('{{#if a}}x', where), { message: /template syntax error/ });
});

test('secrets: exact value stays Secret, interpolation makes the whole string Secret', (t) => {
  t.true(isSecret(renderString('{{ pw }}', vars)));
  const s = renderString('elastic:{{ pw }}', vars) as Secret;
  t.true(isSecret(s));
  t.is(s.reveal(), 'elastic:Sup3r-secret-pw');
  t.is(String(s), '********');
  const b = renderString('{{ b64encode pw }}', vars) as Secret;
  t.true(isSecret(b));
  t.is(b.reveal(), Buffer.from('Sup3r-secret-pw').toString('base64'));
  t.true(isSecret(renderString('{{#if pw}}{{pw}}{{/if}}', vars)));
  t.false(isSecret(renderString('{{#if pw}}set{{/if}}', vars)));
  t.is(secrets.redact(`x ${b.reveal()}`), 'x ********');
});

test('renderValue walks dicts and lists', (t) => {
  const out = renderValue({ a: '{{ port }}', b: ['{{ name }}-x', { c: '{{ list }}' }], n: 5, k: null }, vars);
  t.deepEqual(out, { a: 9200, b: ['es-x', { c: ['a', 'b'] }], n: 5, k: null });
  t.true(hasTemplate({ a: [1, 'x {{ y }}'] }));
  t.false(hasTemplate({ a: [1, 'x'] }));
});

test('renderFile: Handlebars file → text, strict, file:line on errors', (t) => {
  const text = renderFile(join(tdir, 'es-remote.yml.hbs'), {
    cluster_name: 'local',
    remote_cluster_server: true,
    seeds: ['s1:9443'],
    hosts: ['a', 'b'],
  });
  t.is(
    text,
    '# managed by crosskey\ncluster.name: local\nremote_cluster_server.enabled: true\nremote_cluster.port: 9443\n# seed 0: s1:9443\nnode.attr.hosts: a,b\n',
  );
  const e = t.throws(() => renderFile(join(tdir, 'undefined.hbs'), {}), { instanceOf: TemplateError });
  t.is(e!.toString(), `${join(tdir, 'undefined.hbs')}:2: undefined variable 'missing_var' (column 11)`);
  const e2 = t.throws(() => renderFile(join(tdir, 'broken.hbs'), {}), { instanceOf: TemplateError });
  t.regex(e2!.message, /template syntax error/);
  const withSecret = renderFile(join(tdir, 'es-remote.yml.hbs'), {
    cluster_name: new Secret('secret-cluster-name'),
    remote_cluster_server: false,
    seeds: [],
    hosts: [],
  });
  t.true(isSecret(withSecret));
});
