import test from 'ava';
import {
  splitIndexExpression,
  readsFromAlias,
  expressionsReadFromAlias,
  wildcardMatch,
  expressionsOnAlias,
} from '../../controller/elastic/index-expr.js';

test('split: remote, local, date math, selectors, exclusions', (t) => {
  t.deepEqual(splitIndexExpression('my_remote:logs-*'), {
    raw: 'my_remote:logs-*',
    exclusion: false,
    cluster: 'my_remote',
    index: 'logs-*',
  });
  t.deepEqual(splitIndexExpression('logs'), { raw: 'logs', exclusion: false, index: 'logs' });
  t.is(splitIndexExpression('<logs-{now/d}>').cluster, undefined);
  t.is(splitIndexExpression(':idx').cluster, undefined);
  t.is(splitIndexExpression('logs::failures').cluster, undefined);
  const ex = splitIndexExpression('-my_remote:old');
  t.true(ex.exclusion);
  t.is(ex.cluster, 'my_remote');
});

test('readsFromAlias: literal and wildcard cluster parts', (t) => {
  t.true(readsFromAlias('my_remote:logs', 'my_remote'));
  t.true(readsFromAlias('*:logs', 'my_remote'));
  t.true(readsFromAlias('my_*:logs', 'my_remote'));
  t.false(readsFromAlias('other:logs', 'my_remote'));
  t.false(readsFromAlias('my_remote_2:logs', 'my_remote'));
  t.false(readsFromAlias('logs', 'my_remote'));
  t.false(readsFromAlias('-my_remote:logs', 'my_remote'));
  t.false(readsFromAlias('<my_remote:logs-{now/d}>', 'my_remote'));
  // regex metacharacters in alias/pattern are literal
  t.false(readsFromAlias('my.remote:logs', 'myXremote'));
  t.true(readsFromAlias('my.remote:logs', 'my.remote'));
});

test('list form: comma strings, cluster exclusion, index exclusion', (t) => {
  t.true(expressionsReadFromAlias(['local-idx', '*:logs'], 'my_remote'));
  t.true(expressionsReadFromAlias('local,my_remote:logs', 'my_remote'));
  t.false(expressionsReadFromAlias(['local-idx', 'kibana_sample'], 'my_remote'));
  t.false(expressionsReadFromAlias(['*:logs', '-my_remote:*'], 'my_remote'));
  t.true(expressionsReadFromAlias(['*:logs', '-other:*'], 'my_remote'));
  t.true(expressionsReadFromAlias(['my_remote:logs*', '-my_remote:logs-old'], 'my_remote'));
  t.deepEqual(expressionsOnAlias(['a', '*:b', 'my_remote:c', 'x:d'], 'my_remote'), ['*:b', 'my_remote:c']);
});

test('wildcardMatch', (t) => {
  t.true(wildcardMatch('*', 'anything'));
  t.true(wildcardMatch('a*c', 'abbbc'));
  t.false(wildcardMatch('a*c', 'abbbd'));
  t.true(wildcardMatch('abc', 'abc'));
});
