import test from 'ava';
import { parseExpr, ExprError, ExprSyntaxError } from '../../controller/lang/expr.js';
import { Secret } from '../../controller/secrets.js';

const vars = {
  n: 3,
  s: 'Green',
  empty: '',
  list: [1, 2, 3],
  d: { a: { b: [10, { c: 'deep' }] }, 'k-1': 'dash' },
  health: { status: 'green', number_of_nodes: 3 },
  port: '9200',
  flag: 'yes',
  nil: null,
  pw: new Secret('hunter2-secret'),
  rc: 0,
  out: 'connected to cluster',
  hosts: ['a', 'b'],
};
const ev = (src: string, v: Record<string, unknown> = vars) => parseExpr(src).evaluate(v);

test('literals and comparisons', (t) => {
  t.is(ev('1 == 1'), true);
  t.is(ev('"a" != \'b\''), true);
  t.is(ev('n > 2 and n <= 3'), true);
  t.is(ev('n < 2 or s == "Green"'), true);
  t.is(ev('not (n == 3)'), false);
  t.is(ev('-1 < 0'), true);
  t.is(ev('1.5 >= 1.5'), true);
  t.deepEqual(ev('[1, "x", true, null]'), [1, 'x', true, null]);
  t.is(ev('list == [1, 2, 3]'), true);
  t.is(ev('health == health'), true);
  t.is(ev('True and not False'), true);
});

test('variable paths: dots, indexes, quoted keys, negative index', (t) => {
  t.is(ev('d.a.b[1].c'), 'deep');
  t.is(ev("d['k-1']"), 'dash');
  t.is(ev('d["a"]["b"][0]'), 10);
  t.is(ev('list[-1]'), 3);
  t.is(ev('hosts.0'), 'a');
  t.is(ev('health.status == "green"'), true);
});

test('in / not in over lists, strings and dicts', (t) => {
  t.is(ev('2 in list'), true);
  t.is(ev('5 not in list'), true);
  t.is(ev('"cluster" in out'), true);
  t.is(ev('"status" in health'), true);
  t.is(ev('"missing" not in health'), true);
});

test('is defined / not defined / truthy / none', (t) => {
  t.is(ev('missing is defined'), false);
  t.is(ev('missing is not defined'), true);
  t.is(ev('d.a.nope is undefined'), true);
  t.is(ev('d.a is defined'), true);
  t.is(ev('missing.deeper is defined'), false);
  t.is(ev('empty is truthy'), false);
  t.is(ev('list is truthy'), true);
  t.is(ev('nil is none'), true);
  t.is(ev('missing is not defined or missing > 1'), true); // short-circuit
});

test('filters: length, default, int, bool, lower, and friends', (t) => {
  t.is(ev('list|length'), 3);
  t.is(ev('s | length == 5'), true);
  t.is(ev('health|length'), 2);
  t.is(ev('missing|default(7)'), 7);
  t.is(ev('missing.x | default("fallback")'), 'fallback');
  t.is(ev('empty|default("x")'), '');
  t.is(ev('empty|default("x", true)'), 'x');
  t.is(ev('port|int == 9200'), true);
  t.is(ev('port|int > 9000'), true);
  t.is(ev('"abc"|int'), 0);
  t.is(ev('flag|bool'), true);
  t.is(ev('"no"|bool'), false);
  t.is(ev('s|lower == "green"'), true);
  t.is(ev('s|upper'), 'GREEN');
  t.is(ev('hosts|join(",")'), 'a,b');
  t.is(ev('hosts|first'), 'a');
  t.deepEqual(ev('health|keys'), ['status', 'number_of_nodes']);
});

test('secrets: compared by value, filtered results stay secret', (t) => {
  t.is(ev('pw == "hunter2-secret"'), true);
  t.is(ev('pw|length'), 14);
  const lowered = ev('pw|lower');
  t.true(lowered instanceof Secret);
  t.is(String(lowered), '********');
});

test('{{ }} wrapper is accepted; variables() lists what is read', (t) => {
  t.is(ev('{{ n == 3 }}'), true);
  t.deepEqual(parseExpr('a.b == c[d] or e | default(f)').variables().sort(), ['a', 'c', 'd', 'e', 'f']);
});

test('test() uses Python-like truthiness', (t) => {
  const e = (s: string) => parseExpr(s).test(vars);
  t.false(e('empty'));
  t.false(e('rc'));
  t.true(e('list'));
  t.false(e('nil'));
  t.true(e('s'));
});

test('run-time errors name the variable', (t) => {
  const e1 = t.throws(() => ev('missing == 1'), { instanceOf: ExprError });
  t.is(e1!.message, "undefined variable 'missing'");
  t.is(e1!.variable, 'missing');
  const e2 = t.throws(() => ev('d.a.zzz == 1'), { instanceOf: ExprError });
  t.is(e2!.message, "undefined variable 'd.a.zzz'");
  t.throws(() => ev('n < "x"'), { instanceOf: ExprError, message: /cannot compare number < string/ });
  t.throws(() => ev('1 in n'), { instanceOf: ExprError, message: /'in' needs a list, dict or string/ });
  t.throws(() => ev('n|length'), { message: /\|length needs a string, list or dict, got number/ });
});

test('syntax errors carry the column and are caught at parse time', (t) => {
  const cases: Array<[string, RegExp]> = [
    ['a = 1', /'=' at column 3: use '==' to compare/],
    ['a ==', /expected a value at column 5 \(found end of expression\)/],
    ['(a == 1', /expected '\)' at column 8/],
    ['a | nosuch', /unknown filter \(valid: length, count, default/],
    ['a is odd', /unknown test after 'is'/],
    ['"open', /unterminated string starting at column 1/],
    ['a && b', /'&' at column 3: use 'not' \/ 'and'/],
    ['', /empty expression/],
    ['a b', /unexpected token at column 3/],
  ];
  for (const [src, re] of cases) {
    const e = t.throws(() => parseExpr(src), { instanceOf: ExprSyntaxError }, src);
    t.regex(e!.message, re, src);
  }
});

test('no code execution: constructor/prototype paths are plain lookups', (t) => {
  t.is(ev('d.constructor is defined'), false);
  t.is(ev('list.__proto__ is defined'), false);
  t.throws(() => ev('s.constructor'), { instanceOf: ExprError });
});
