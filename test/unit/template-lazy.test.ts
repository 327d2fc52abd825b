import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { lazyVars, renderTemplateFile } from '../../controller/modules/core/lang.js';
import { Secret } from '../../controller/secrets.js';

test('template files see variables that hold templates rendered, in strings, lists and dicts', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ck-lazy-'));
  const file = join(dir, 't.yml.hbs');
  writeFileSync(file, 'host: "{{ publish }}"\nips: [ "{{ ips.[0] }}" ]\nnested: {{ n.x }}\n');
  const vars = {
    ansible_host: '10.0.0.5',
    publish: '{{ ansible_host }}',
    ips: ['{{ ansible_host }}'],
    n: { x: '{{ publish }}:9443' },
  };
  t.is(renderTemplateFile(file, vars), 'host: "10.0.0.5"\nips: [ "10.0.0.5" ]\nnested: 10.0.0.5:9443\n');
});

test('a lazy view keeps plain values and Secrets as they are', (t) => {
  const s = new Secret('s3cr3t-value');
  const v = lazyVars({ n: 3, b: true, s, list: [1, 'a'] });
  t.is(v.n, 3);
  t.is(v.b, true);
  t.is(v.s, s);
  t.deepEqual(v.list, [1, 'a']);
});
