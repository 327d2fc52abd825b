// A small, safe expression language for `when`, `until`, `changed_when`, `failed_when` (docs/expressions.md).
// Parsed once at load time (syntax errors → ConfigError with file:line), evaluated against vars at run time.
// No eval, no Function: a tokenizer, a recursive-descent parser to an AST, and a tree walker.
import { Secret, reveal as plain } from '../secrets.js';

export class ExprSyntaxError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
    this.name = 'ExprSyntaxError';
  }
}

/** Run-time failure: undefined variable, bad operand types, unknown filter argument. */
export class ExprError extends Error {
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message);
    this.name = 'ExprError';
  }
}

type Node =
  | { t: 'lit'; v: unknown }
  | { t: 'list'; items: Node[] }
  | { t: 'var'; name: string }
  | { t: 'get'; obj: Node; key: Node }
  | { t: 'not'; e: Node }
  | { t: 'neg'; e: Node }
  | { t: 'and' | 'or'; a: Node; b: Node }
  | { t: 'cmp'; op: string; a: Node; b: Node }
  | { t: 'is'; e: Node; test: string; negate: boolean }
  | { t: 'filter'; e: Node; name: string; args: Node[] };

interface Token {
  k: 'num' | 'str' | 'id' | 'op' | 'end';
  v: string;
  col: number;
}

const OPS = ['==', '!=', '<=', '>=', '<', '>', '(', ')', '[', ']', ',', '.', '|', '-', '+'];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const col = i + 1;
    if (/[0-9]/.test(c)) {
      const m = /^\d+(\.\d+)?([eE][-+]?\d+)?/.exec(src.slice(i))!;
      out.push({ k: 'num', v: m[0], col });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let s = '';
      let j = i + 1;
      for (;;) {
        if (j >= src.length) throw new ExprSyntaxError(`unterminated string starting at column ${col}`, col);
        const d = src[j]!;
        if (d === c) break;
        if (d === '\\' && j + 1 < src.length) {
          const e = src[j + 1]!;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          j += 2;
          continue;
        }
        s += d;
        j++;
      }
      out.push({ k: 'str', v: s, col });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ k: 'id', v: m[0], col });
      i += m[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) {
      if (c === '=') throw new ExprSyntaxError(`'=' at column ${col}: use '==' to compare`, col);
      if (c === '!' || c === '&') throw new ExprSyntaxError(`'${c}' at column ${col}: use 'not' / 'and'`, col);
      throw new ExprSyntaxError(`unexpected character '${c}' at column ${col}`, col);
    }
    out.push({ k: 'op', v: op, col });
    i += op.length;
  }
  out.push({ k: 'end', v: '', col: src.length + 1 });
  return out;
}

const TESTS = ['defined', 'undefined', 'truthy', 'falsy', 'none', 'string', 'number', 'mapping', 'sequence', 'boolean'];
const FILTERS = [
  'length',
  'count',
  'default',
  'd',
  'int',
  'float',
  'bool',
  'lower',
  'upper',
  'string',
  'trim',
  'first',
  'last',
  'join',
  'keys',
];
const KEYWORDS = ['and', 'or', 'not', 'in', 'is', 'true', 'false', 'null', 'none', 'True', 'False', 'None'];

class Parser {
  i = 0;
  constructor(
    readonly toks: Token[],
    readonly src: string,
  ) {}
  peek(): Token {
    return this.toks[this.i]!;
  }
  next(): Token {
    return this.toks[this.i++]!;
  }
  isOp(v: string): boolean {
    const t = this.peek();
    return t.k === 'op' && t.v === v;
  }
  isId(v: string): boolean {
    const t = this.peek();
    return t.k === 'id' && t.v === v;
  }
  fail(msg: string, t: Token = this.peek()): never {
    const what = t.k === 'end' ? 'end of expression' : `'${t.v}'`;
    throw new ExprSyntaxError(`${msg} at column ${t.col} (found ${what})`, t.col);
  }
  expect(v: string): void {
    if (!this.isOp(v)) this.fail(`expected '${v}'`);
    this.i++;
  }
  parse(): Node {
    if (this.peek().k === 'end') this.fail('empty expression');
    const n = this.or();
    if (this.peek().k !== 'end') this.fail('unexpected token');
    return n;
  }
  or(): Node {
    let a = this.and();
    while (this.isId('or')) {
      this.i++;
      a = { t: 'or', a, b: this.and() };
    }
    return a;
  }
  and(): Node {
    let a = this.not();
    while (this.isId('and')) {
      this.i++;
      a = { t: 'and', a, b: this.not() };
    }
    return a;
  }
  not(): Node {
    if (this.isId('not')) {
      this.i++;
      return { t: 'not', e: this.not() };
    }
    return this.cmp();
  }
  cmp(): Node {
    const a = this.filtered();
    const t = this.peek();
    if (t.k === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      this.i++;
      return { t: 'cmp', op: t.v, a, b: this.filtered() };
    }
    if (this.isId('in')) {
      this.i++;
      return { t: 'cmp', op: 'in', a, b: this.filtered() };
    }
    if (this.isId('not') && this.toks[this.i + 1]?.k === 'id' && this.toks[this.i + 1]?.v === 'in') {
      this.i += 2;
      return { t: 'cmp', op: 'not in', a, b: this.filtered() };
    }
    if (this.isId('is')) {
      this.i++;
      let negate = false;
      if (this.isId('not')) {
        this.i++;
        negate = true;
      }
      const tt = this.next();
      if (tt.k !== 'id' || !TESTS.includes(tt.v)) this.fail(`unknown test after 'is' (valid: ${TESTS.join(', ')})`, tt);
      return { t: 'is', e: a, test: tt.v, negate };
    }
    return a;
  }
  filtered(): Node {
    let e = this.unary();
    while (this.isOp('|')) {
      this.i++;
      const f = this.next();
      if (f.k !== 'id' || !FILTERS.includes(f.v)) this.fail(`unknown filter (valid: ${FILTERS.join(', ')})`, f);
      const args: Node[] = [];
      if (this.isOp('(')) {
        this.i++;
        if (!this.isOp(')')) {
          args.push(this.or());
          while (this.isOp(',')) {
            this.i++;
            args.push(this.or());
          }
        }
        this.expect(')');
      }
      e = { t: 'filter', e, name: f.v, args };
    }
    return e;
  }
  unary(): Node {
    if (this.isOp('-')) {
      this.i++;
      return { t: 'neg', e: this.unary() };
    }
    if (this.isOp('+')) {
      this.i++;
      return this.unary();
    }
    return this.postfix();
  }
  postfix(): Node {
    let e = this.primary();
    for (;;) {
      if (this.isOp('.')) {
        this.i++;
        const k = this.next();
        if (k.k === 'id') e = { t: 'get', obj: e, key: { t: 'lit', v: k.v } };
        else if (k.k === 'num' && /^\d+$/.test(k.v)) e = { t: 'get', obj: e, key: { t: 'lit', v: Number(k.v) } };
        else this.fail("expected a name after '.'", k);
      } else if (this.isOp('[')) {
        this.i++;
        const key = this.or();
        this.expect(']');
        e = { t: 'get', obj: e, key };
      } else return e;
    }
  }
  primary(): Node {
    const t = this.next();
    if (t.k === 'num') return { t: 'lit', v: Number(t.v) };
    if (t.k === 'str') return { t: 'lit', v: t.v };
    if (t.k === 'id') {
      if (t.v === 'true' || t.v === 'True') return { t: 'lit', v: true };
      if (t.v === 'false' || t.v === 'False') return { t: 'lit', v: false };
      if (t.v === 'null' || t.v === 'none' || t.v === 'None') return { t: 'lit', v: null };
      if (KEYWORDS.includes(t.v)) this.fail('expected a value', t);
      return { t: 'var', name: t.v };
    }
    if (t.k === 'op' && t.v === '(') {
      const e = this.or();
      this.expect(')');
      return e;
    }
    if (t.k === 'op' && t.v === '[') {
      const items: Node[] = [];
      if (!this.isOp(']')) {
        items.push(this.or());
        while (this.isOp(',')) {
          this.i++;
          if (this.isOp(']')) break;
          items.push(this.or());
        }
      }
      this.expect(']');
      return { t: 'list', items };
    }
    this.i--;
    return this.fail('expected a value');
  }
}

/** Marks a value that does not exist, so `is defined` and `| default` can look at it. */
class Undefined {
  constructor(readonly name: string) {}
}

/** Python-like truthiness: empty string/list/dict, 0, null and false are false. */
export function truthy(v: unknown): boolean {
  v = plain(v);
  if (v instanceof Undefined) throw new ExprError(`undefined variable '${v.name}'`, v.name);
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

function deepEqual(a: unknown, b: unknown): boolean {
  a = plain(a);
  b = plain(b);
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return false;
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'dict';
  return typeof v;
}

function toBoolFilter(v: unknown): boolean {
  if (typeof v === 'string') return ['yes', 'on', '1', 'true', 't', 'y'].includes(v.trim().toLowerCase());
  return truthy(v);
}

class Evaluator {
  constructor(readonly vars: Record<string, unknown>) {}

  /** Value, or an Undefined marker (only ever returned to `is defined`, `default` and ev()). */
  raw(n: Node): unknown {
    switch (n.t) {
      case 'lit':
        return n.v;
      case 'list':
        return n.items.map((x) => this.ev(x));
      case 'var':
        return Object.hasOwn(this.vars, n.name) && this.vars[n.name] !== undefined
          ? this.vars[n.name]
          : new Undefined(n.name);
      case 'get': {
        const obj = this.raw(n.obj);
        if (obj instanceof Undefined) return obj;
        const key = plain(this.ev(n.key));
        const label = `${describePath(n.obj)}[${JSON.stringify(key)}]`;
        const o = plain(obj);
        if (Array.isArray(o) && typeof key === 'number') {
          const idx = key < 0 ? o.length + key : key;
          return idx >= 0 && idx < o.length ? o[idx] : new Undefined(label);
        }
        if (o && typeof o === 'object' && (typeof key === 'string' || typeof key === 'number')) {
          const v = (o as Record<string, unknown>)[String(key)];
          return Object.hasOwn(o, String(key)) && v !== undefined ? v : new Undefined(describePath(n));
        }
        if (typeof o === 'string' && typeof key === 'number') return o[key] ?? new Undefined(label);
        return new Undefined(describePath(n));
      }
      case 'filter': {
        if (n.name === 'default' || n.name === 'd') {
          const v = this.raw(n.e);
          const onFalsy = n.args[1] ? truthy(this.ev(n.args[1])) : false;
          if (v instanceof Undefined || (onFalsy && !truthy(v))) return n.args[0] ? this.ev(n.args[0]) : '';
          return v;
        }
        return this.filter(
          n.name,
          this.ev(n.e),
          n.args.map((a) => this.ev(a)),
        );
      }
      case 'is': {
        const v = this.raw(n.e);
        let r: boolean;
        switch (n.test) {
          case 'defined':
            r = !(v instanceof Undefined);
            break;
          case 'undefined':
            r = v instanceof Undefined;
            break;
          default: {
            const x = plain(this.ev(n.e));
            r =
              n.test === 'truthy'
                ? truthy(x)
                : n.test === 'falsy'
                  ? !truthy(x)
                  : n.test === 'none'
                    ? x === null
                    : n.test === 'string'
                      ? typeof x === 'string'
                      : n.test === 'number'
                        ? typeof x === 'number'
                        : n.test === 'boolean'
                          ? typeof x === 'boolean'
                          : n.test === 'sequence'
                            ? Array.isArray(x) || typeof x === 'string'
                            : !!x && typeof x === 'object' && !Array.isArray(x);
          }
        }
        return n.negate ? !r : r;
      }
      case 'not':
        return !truthy(this.ev(n.e));
      case 'neg': {
        const v = plain(this.ev(n.e));
        if (typeof v !== 'number') throw new ExprError(`cannot negate a ${typeName(v)}`);
        return -v;
      }
      case 'and':
        return truthy(this.ev(n.a)) ? this.ev(n.b) : this.ev(n.a);
      case 'or': {
        const a = this.ev(n.a);
        return truthy(a) ? a : this.ev(n.b);
      }
      case 'cmp':
        return this.cmp(n.op, this.ev(n.a), this.ev(n.b));
    }
  }

  ev(n: Node): unknown {
    const v = this.raw(n);
    if (v instanceof Undefined) throw new ExprError(`undefined variable '${v.name}'`, v.name);
    return v;
  }

  cmp(op: string, a0: unknown, b0: unknown): boolean {
    const a = plain(a0);
    const b = plain(b0);
    if (op === '==') return deepEqual(a, b);
    if (op === '!=') return !deepEqual(a, b);
    if (op === 'in' || op === 'not in') {
      let r: boolean;
      if (typeof b === 'string') {
        if (typeof a !== 'string') throw new ExprError(`'in <string>' needs a string on the left, got ${typeName(a)}`);
        r = b.includes(a);
      } else if (Array.isArray(b)) r = b.some((x) => deepEqual(x, a));
      else if (b && typeof b === 'object') r = Object.hasOwn(b, String(a));
      else throw new ExprError(`'in' needs a list, dict or string on the right, got ${typeName(b)}`);
      return op === 'in' ? r : !r;
    }
    const bothNum = typeof a === 'number' && typeof b === 'number';
    const bothStr = typeof a === 'string' && typeof b === 'string';
    if (!bothNum && !bothStr)
      throw new ExprError(
        `cannot compare ${typeName(a)} ${op} ${typeName(b)} (use |int to compare numbers given as strings)`,
      );
    const x = a as number | string;
    const y = b as number | string;
    return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
  }

  filter(name: string, v0: unknown, args: unknown[]): unknown {
    const v = plain(v0);
    const keepSecret = (r: unknown): unknown => (v0 instanceof Secret && typeof r === 'string' ? new Secret(r) : r);
    switch (name) {
      case 'length':
      case 'count':
        if (typeof v === 'string' || Array.isArray(v)) return v.length;
        if (v && typeof v === 'object') return Object.keys(v).length;
        throw new ExprError(`|${name} needs a string, list or dict, got ${typeName(v)}`);
      case 'int': {
        if (typeof v === 'boolean') return v ? 1 : 0;
        const n = typeof v === 'number' ? v : parseFloat(String(v));
        return Number.isFinite(n) ? Math.trunc(n) : ((args[0] as number | undefined) ?? 0);
      }
      case 'float': {
        const n = typeof v === 'number' ? v : parseFloat(String(v));
        return Number.isFinite(n) ? n : ((args[0] as number | undefined) ?? 0);
      }
      case 'bool':
        return toBoolFilter(v);
      case 'lower':
        return keepSecret(String(v ?? '').toLowerCase());
      case 'upper':
        return keepSecret(String(v ?? '').toUpperCase());
      case 'trim':
        return keepSecret(String(v ?? '').trim());
      case 'string':
        return v0 instanceof Secret ? v0 : typeof v === 'string' ? v : JSON.stringify(v);
      case 'first':
      case 'last': {
        if (!Array.isArray(v) && typeof v !== 'string')
          throw new ExprError(`|${name} needs a list or string, got ${typeName(v)}`);
        return name === 'first' ? v[0] : v[v.length - 1];
      }
      case 'join':
        if (!Array.isArray(v)) throw new ExprError(`|join needs a list, got ${typeName(v)}`);
        return v.map((x) => String(plain(x))).join(String(args[0] ?? ''));
      case 'keys':
        if (!v || typeof v !== 'object' || Array.isArray(v))
          throw new ExprError(`|keys needs a dict, got ${typeName(v)}`);
        return Object.keys(v);
    }
    throw new ExprError(`unknown filter ${name}`);
  }
}

function describePath(n: Node): string {
  if (n.t === 'var') return n.name;
  if (n.t === 'get') {
    const k = n.key.t === 'lit' ? n.key.v : '?';
    return typeof k === 'string' && /^[A-Za-z_]\w*$/.test(k)
      ? `${describePath(n.obj)}.${k}`
      : `${describePath(n.obj)}[${JSON.stringify(k)}]`;
  }
  return '(expression)';
}

function collectVars(n: Node, out: Set<string>): void {
  switch (n.t) {
    case 'var':
      out.add(n.name);
      break;
    case 'list':
      n.items.forEach((x) => collectVars(x, out));
      break;
    case 'get':
      collectVars(n.obj, out);
      collectVars(n.key, out);
      break;
    case 'not':
    case 'neg':
      collectVars(n.e, out);
      break;
    case 'and':
    case 'or':
    case 'cmp':
      collectVars(n.a, out);
      collectVars(n.b, out);
      break;
    case 'is':
      collectVars(n.e, out);
      break;
    case 'filter':
      collectVars(n.e, out);
      n.args.forEach((x) => collectVars(x, out));
      break;
  }
}

/** Applies one filter (|length, |lower, …) to a value: shared with the template helpers of the same name. */
export function applyFilter(name: string, value: unknown, args: unknown[] = []): unknown {
  return new Evaluator({}).filter(name, value, args);
}

export interface Expr {
  readonly source: string;
  /** The value of the expression. Throws ExprError (undefined variable, bad types). */
  evaluate(vars: Record<string, unknown>): unknown;
  /** The truthiness of the value (for when/until/changed_when/failed_when). */
  test(vars: Record<string, unknown>): boolean;
  /** Top-level variable names the expression reads. */
  variables(): string[];
}

/** Parses an expression. A whole-string `{{ … }}` wrapper is accepted and removed (Ansible habit). */
export function parseExpr(source: string): Expr {
  const hit = exprCache.get(source);
  if (hit) return hit;
  const e = parseUncached(source);
  if (exprCache.size > 10000) exprCache.clear();
  exprCache.set(source, e);
  return e;
}

// The executor evaluates the same condition on every host and loop item: parse each source once.
const exprCache = new Map<string, Expr>();

function parseUncached(source: string): Expr {
  const m = /^\s*\{\{(.*)\}\}\s*$/s.exec(source);
  const text = m ? m[1]! : source;
  const ast = new Parser(tokenize(text), text).parse();
  return {
    source,
    evaluate: (vars) => new Evaluator(vars).ev(ast),
    test: (vars) => truthy(new Evaluator(vars).ev(ast)),
    variables: () => {
      const s = new Set<string>();
      collectVars(ast, s);
      return [...s];
    },
  };
}
