// `{{ }}` interpolation for playbook values and the `template` module (docs/templating.md).
//
// A string is split into text and `{{ … }}` segments. Each segment is either
//   - a Handlebars mustache: `{{ var }}`, `{{ a.b.c }}`, `{{ a.[0] }}`, `{{ helper arg "lit" (sub x) key=v }}`
//     (evaluated here, strictly: an undefined variable is an error naming it), or
//   - when Handlebars cannot parse it, an expression of expr.ts: `{{ hostvars[h].x }}`,
//     `{{ x | default('y') }}`, `{{ groups['local'] | length }}` (what Ansible users write).
// Strings with blocks (`{{#if}}`, `{{#each}}`, …) and template files are rendered by Handlebars itself
// (strict mode, no HTML escaping), with the same helpers.
// A string that is exactly one `{{ … }}` keeps the value's type (list, dict, number, Secret), as in Ansible.
// Secrets: a Secret rendered into a larger string makes the whole result a Secret (masked everywhere);
// helpers that get a Secret and return a string return a Secret.
import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import { dump } from 'js-yaml';
import { Secret, containsSecret, isSecret, revealDeep } from '../secrets.js';
import { allowLooseSecretFiles, readSecretFile } from '../secret-files.js';
import { ConfigError } from '../input/errors.js';
import { ExprError, ExprSyntaxError, applyFilter, parseExpr, truthy, type Expr } from './expr.js';

/** Where a template came from, for error messages. */
export interface TemplateWhere {
  file: string;
  line: number;
  task?: string;
}

export class TemplateError extends ConfigError {
  constructor(
    file: string,
    line: number,
    message: string,
    readonly variable?: string,
  ) {
    super(file, line, message);
    this.name = 'TemplateError';
  }
}

/** Raised inside evaluation; turned into TemplateError with the location by the caller. */
class UndefinedVariable extends Error {
  constructor(readonly variable: string) {
    super(`undefined variable '${variable}'`);
  }
}

class Undef {
  constructor(readonly name: string) {}
}

type HelperFn = (...args: unknown[]) => unknown;

function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && !(v instanceof Date)) return JSON.stringify(v);
  return String(v);
}

/** The helpers, documented in docs/templating.md. They get plain (revealed) values. */
export const helpers: Record<string, HelperFn> = {
  default: (v, d) => (v === undefined || v === null || v instanceof Undef ? d : v),
  defined: (v) => !(v === undefined || v instanceof Undef),
  lookup: (obj, ...keys) => {
    let cur = obj;
    for (const k of keys) {
      if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, String(k))) return undefined;
      cur = (cur as Record<string, unknown>)[String(k)];
    }
    return cur;
  },
  join: (list, sep) => applyFilter('join', list, [sep === undefined ? ',' : sep]),
  to_json: (v) => JSON.stringify(v),
  to_nice_json: (v) => JSON.stringify(v, null, 2),
  to_yaml: (v) => dump(v).trimEnd(),
  b64encode: (v) => Buffer.from(str(v)).toString('base64'),
  b64decode: (v) => Buffer.from(str(v), 'base64').toString('utf8'),
  // Same behaviour as the expression filters of the same name (expr.ts).
  first: (v) => applyFilter('first', v),
  last: (v) => applyFilter('last', v),
  length: (v) => applyFilter('length', v),
  lower: (v) => applyFilter('lower', v),
  upper: (v) => applyFilter('upper', v),
  trim: (v) => applyFilter('trim', v),
  int: (v) => applyFilter('int', v),
  eq: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  ne: (a, b) => JSON.stringify(a) !== JSON.stringify(b),
  not: (a) => !truthy(a),
  and: (...a) => a.every((x) => truthy(x)),
  or: (...a) => a.some((x) => truthy(x)),
  concat: (...a) => a.map(str).join(''),
  indent: (v, n) =>
    str(v)
      .split('\n')
      .join('\n' + ' '.repeat(Number(n) || 0)),
  quote: (v) => `'${str(v).replace(/'/g, `'\\''`)}'`,
  // A secret kept in a file on the controller (see readSecretFileValue); the vars-aware form is in Evaluator.call
  // and renderWithHandlebars, so crosskey_allow_loose_secret_files reaches it.
  secret_file: (path) => readSecretFileValue(path, undefined),
};

/**
 * `secret_file "PATH"`: the file's content (without the final line break) as a Secret, masked everywhere. Like a
 * password file, a file group or others can read is refused (controller/secret-files.ts) unless the variable
 * crosskey_allow_loose_secret_files (or CROSSKEY_ALLOW_LOOSE_SECRET_FILES=true) allows it.
 */
function readSecretFileValue(path: unknown, allowLooseVar: unknown): Secret {
  const file = str(path);
  let text: string;
  try {
    text = readSecretFile(
      file,
      'secret_file',
      allowLooseSecretFiles(allowLooseVar instanceof Secret ? allowLooseVar.reveal() : allowLooseVar),
    );
  } catch (e) {
    // "secret_file /x is readable by others …" / "cannot read secret_file /x: ENOENT" → "secret_file: …".
    const msg = (e as Error).message;
    throw new Error(
      msg.startsWith('secret_file ')
        ? `secret_file: ${msg.slice('secret_file '.length)}`
        : `secret_file: ${msg.replace(/^cannot read secret_file /, 'cannot read ')}`,
    );
  }
  return new Secret(text.replace(/\r?\n$/, ''));
}
// `expr "…"` evaluates an expression of expr.ts inside Handlebars (needs the vars: bound per render).
const HELPER_NAMES = [...Object.keys(helpers), 'expr'];
// Helpers that accept undefined arguments (everything else raises "undefined variable").
const UNDEF_OK = new Set(['default', 'defined', 'lookup']);

type HbNode = hbs.AST.Expression | hbs.AST.PathExpression | hbs.AST.SubExpression;

/** One compiled piece of a string. */
type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'mustache'; node: hbs.AST.MustacheStatement; source: string }
  | { kind: 'expr'; expr: Expr; source: string };

interface Compiled {
  segments?: Segment[]; // fast path
  handlebars?: HandlebarsTemplateDelegate; // blocks
}

const hb = Handlebars.create();
for (const [name, fn] of Object.entries(helpers)) {
  hb.registerHelper(name, (...args: unknown[]) => {
    args.pop(); // Handlebars' options object
    return fn(...args.map((a) => (a === undefined ? new Undef('?') : a)));
  });
}

const cache = new Map<string, Compiled>();
const BLOCK = /\{\{~?\s*[#^/]|\{\{~?\s*else\b|\\\{\{|\{\{>/;

/** True when a value holds any `{{`. */
export function hasTemplate(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('{{');
  if (Array.isArray(v)) return v.some(hasTemplate);
  if (v && typeof v === 'object' && !isSecret(v)) return Object.values(v).some(hasTemplate);
  return false;
}

/** Splits on {{ … }} / {{{ … }}} (quote-aware, so "}}" inside a string literal does not end it). */
function splitSegments(s: string): Array<{ text: string } | { inner: string; raw: string }> {
  const out: Array<{ text: string } | { inner: string; raw: string }> = [];
  let i = 0;
  while (i < s.length) {
    const open = s.indexOf('{{', i);
    if (open < 0) {
      out.push({ text: s.slice(i) });
      break;
    }
    if (open > i) out.push({ text: s.slice(i, open) });
    const triple = s[open + 2] === '{';
    let j = open + (triple ? 3 : 2);
    let quote = '';
    for (; j < s.length; j++) {
      const c = s[j];
      if (quote) {
        if (c === quote) quote = '';
        continue;
      }
      if (c === '"' || c === "'") {
        quote = c;
        continue;
      }
      if (s.startsWith(triple ? '}}}' : '}}', j)) break;
    }
    if (j >= s.length) throw new Error(`'{{' at offset ${open} has no closing '}}'`);
    const end = j + (triple ? 3 : 2);
    out.push({ inner: s.slice(open + (triple ? 3 : 2), j), raw: s.slice(open, end) });
    i = end;
  }
  return out;
}

/** Compiles (and caches) a string. Throws a plain Error with a clear message on bad syntax. */
function compile(s: string): Compiled {
  const hit = cache.get(s);
  if (hit) return hit;
  let compiled: Compiled;
  if (BLOCK.test(s)) {
    try {
      hb.parse(s);
    } catch (e) {
      throw new Error(`template syntax error: ${firstLine((e as Error).message)}`);
    }
    compiled = {
      handlebars: hb.compile(s, {
        strict: true,
        noEscape: true,
        knownHelpers: Object.fromEntries(HELPER_NAMES.map((h) => [h, true])),
      }),
    };
  } else {
    const segments: Segment[] = [];
    for (const part of splitSegments(s)) {
      if ('text' in part) {
        segments.push({ kind: 'text', text: part.text });
        continue;
      }
      let hbErr: Error | undefined;
      try {
        const ast = hb.parse(part.raw);
        const body = ast.body.filter(
          (b) => b.type !== 'ContentStatement' || (b as hbs.AST.ContentStatement).value.trim(),
        );
        if (body.length === 1 && body[0]!.type === 'MustacheStatement') {
          const m = body[0] as hbs.AST.MustacheStatement;
          const head = m.path.type === 'PathExpression' ? (m.path as hbs.AST.PathExpression).original : '';
          if ((m.params.length || m.hash) && !HELPER_NAMES.includes(head)) {
            throw new Error(`unknown helper '${head}' (helpers: ${HELPER_NAMES.join(', ')})`);
          }
          segments.push({ kind: 'mustache', node: m, source: part.raw });
          continue;
        }
        if (body.length === 0 || body.every((b) => b.type === 'CommentStatement')) continue; // {{! comment }}
      } catch (e) {
        hbErr = e as Error;
        if (/unknown helper/.test(hbErr.message)) throw hbErr;
      }
      try {
        segments.push({ kind: 'expr', expr: parseExpr(part.inner), source: part.raw });
      } catch (e) {
        if (e instanceof ExprSyntaxError) {
          throw new Error(
            `cannot parse ${part.raw}: ${e.message}${hbErr ? ` (and not a Handlebars mustache: ${firstLine(hbErr.message)})` : ''}`,
          );
        }
        throw e;
      }
    }
    compiled = { segments };
  }
  cache.set(s, compiled);
  return compiled;
}

function firstLine(m: string): string {
  return m.split('\n').filter(Boolean).slice(-1)[0] ?? m;
}

class Evaluator {
  tainted = false;
  constructor(readonly vars: Record<string, unknown>) {}

  path(p: hbs.AST.PathExpression): unknown {
    if (p.data) throw new Error(`@${p.original} is only available inside blocks`);
    let cur: unknown = this.vars;
    const walked: string[] = [];
    for (const part of p.parts) {
      const plainCur = cur instanceof Secret ? cur.reveal() : cur;
      if (plainCur === null || typeof plainCur !== 'object' || !Object.hasOwn(plainCur, part)) {
        walked.push(part);
        return new Undef(walked.join('.'));
      }
      cur = (plainCur as Record<string, unknown>)[part];
      walked.push(part);
      if (cur === undefined) return new Undef(walked.join('.'));
    }
    return cur;
  }

  value(n: HbNode): unknown {
    switch (n.type) {
      case 'PathExpression':
        return this.path(n as hbs.AST.PathExpression);
      case 'StringLiteral':
        return (n as hbs.AST.StringLiteral).value;
      case 'NumberLiteral':
        return (n as hbs.AST.NumberLiteral).value;
      case 'BooleanLiteral':
        return (n as hbs.AST.BooleanLiteral).value;
      case 'NullLiteral':
        return null;
      case 'UndefinedLiteral':
        return undefined;
      case 'SubExpression': {
        const s = n as hbs.AST.SubExpression;
        return this.call((s.path as hbs.AST.PathExpression).original, s.params, s.hash);
      }
    }
    throw new Error(`unsupported template node ${n.type}`);
  }

  call(name: string, params: HbNode[], hash: hbs.AST.Hash | undefined): unknown {
    const args = params.map((p) => this.value(p));
    if (hash) args.push(Object.fromEntries(hash.pairs.map((p) => [p.key, this.value(p.value as HbNode)])));
    if (!UNDEF_OK.has(name)) {
      const u = args.find((a) => a instanceof Undef) as Undef | undefined;
      if (u) throw new UndefinedVariable(u.name);
    }
    if (name === 'expr') {
      try {
        return parseExpr(String(args[0])).evaluate(this.vars);
      } catch (e) {
        if (e instanceof ExprError && e.variable) throw new UndefinedVariable(e.variable);
        throw e;
      }
    }
    if (args.some((a) => containsSecret(a))) this.tainted = true;
    if (name === 'secret_file')
      return readSecretFileValue(revealDeep(args[0]), this.vars.crosskey_allow_loose_secret_files);
    const out = helpers[name]!(...args.map((a) => (a instanceof Undef ? a : revealDeep(a))));
    if (name === 'lookup' && out === undefined) {
      throw new UndefinedVariable(
        `${params.map((p) => (p as hbs.AST.PathExpression).original ?? JSON.stringify((p as hbs.AST.StringLiteral).value)).join('.')}`,
      );
    }
    return out;
  }

  mustache(m: hbs.AST.MustacheStatement): unknown {
    const head = m.path as HbNode;
    let v: unknown;
    if (m.params.length || m.hash)
      v = this.call((head as hbs.AST.PathExpression).original, m.params as HbNode[], m.hash);
    else if (
      head.type === 'PathExpression' &&
      HELPER_NAMES.includes((head as hbs.AST.PathExpression).original) &&
      !(head as hbs.AST.PathExpression).original.includes('.') &&
      !((head as hbs.AST.PathExpression).original in this.vars)
    ) {
      throw new Error(`helper '${(head as hbs.AST.PathExpression).original}' needs arguments`);
    } else v = this.value(head);
    if (v instanceof Undef) throw new UndefinedVariable(v.name);
    return v;
  }

  expr(e: Expr): unknown {
    try {
      return e.evaluate(this.vars);
    } catch (err) {
      if (err instanceof ExprError && err.variable) throw new UndefinedVariable(err.variable);
      throw err;
    }
  }
}

function fail(where: TemplateWhere | undefined, source: string, err: unknown): never {
  const file = where?.file ?? '<template>';
  const line = where?.line ?? 0;
  const task = where?.task ? `task '${where.task}': ` : '';
  const snippet = source.length > 80 ? source.slice(0, 77) + '...' : source;
  if (err instanceof UndefinedVariable)
    throw new TemplateError(file, line, `${task}undefined variable '${err.variable}' in "${snippet}"`, err.variable);
  if (err instanceof ConfigError) throw err;
  const msg = err instanceof Error ? err.message : String(err);
  const hbUndef =
    /^"([^"]+)" not defined in/.exec(msg) ?? /^Cannot use 'in' operator to search for '([^']+)'/.exec(msg);
  if (hbUndef)
    throw new TemplateError(file, line, `${task}undefined variable '${hbUndef[1]}' in "${snippet}"`, hbUndef[1]);
  throw new TemplateError(file, line, `${task}${msg} in "${snippet}"`);
}

/** Load-time check of a string's template syntax (throws TemplateError at `where`). */
export function checkTemplate(s: string, where: TemplateWhere): void {
  if (!s.includes('{{')) return;
  try {
    compile(s);
  } catch (e) {
    fail(where, s, e);
  }
}

/** Load-time check of every string inside a value. */
export function checkTemplates(v: unknown, where: TemplateWhere): void {
  if (typeof v === 'string') checkTemplate(v, where);
  else if (Array.isArray(v)) v.forEach((x) => checkTemplates(x, where));
  else if (v && typeof v === 'object' && !isSecret(v)) Object.values(v).forEach((x) => checkTemplates(x, where));
}

/** Renders one string. Exactly one `{{ }}` keeps the value's type; otherwise a string (or a Secret). */
export function renderString(s: string, vars: Record<string, unknown>, where?: TemplateWhere): unknown {
  if (!s.includes('{{')) return s;
  let compiled: Compiled;
  try {
    compiled = compile(s);
  } catch (e) {
    return fail(where, s, e);
  }
  try {
    if (compiled.handlebars) return renderWithHandlebars(compiled.handlebars, vars);
    const segs = compiled.segments!;
    const ev = new Evaluator(vars);
    const one = segs.filter((x) => x.kind !== 'text' || x.text !== '');
    if (one.length === 1 && one[0]!.kind !== 'text') {
      const seg = one[0]!;
      const v = seg.kind === 'mustache' ? ev.mustache(seg.node) : ev.expr(seg.expr);
      return ev.tainted && typeof v === 'string' ? new Secret(v) : v;
    }
    let out = '';
    for (const seg of segs) {
      if (seg.kind === 'text') {
        out += seg.text;
        continue;
      }
      const v = seg.kind === 'mustache' ? ev.mustache(seg.node) : ev.expr(seg.expr);
      if (containsSecret(v)) ev.tainted = true;
      out += str(revealDeep(v));
    }
    return ev.tainted ? new Secret(out) : out;
  } catch (e) {
    return fail(where, s, e);
  }
}

function renderWithHandlebars(tpl: HandlebarsTemplateDelegate, vars: Record<string, unknown>): string | Secret {
  // Handlebars sees plain values; if any secret's text ends up in the output, the output is a Secret.
  const secretsInVars: string[] = [];
  const collect = (v: unknown, seen: Set<object>): void => {
    if (v instanceof Secret) secretsInVars.push(v.reveal());
    else if (v && typeof v === 'object' && !seen.has(v)) {
      seen.add(v);
      for (const x of Array.isArray(v) ? v : Object.values(v)) collect(x, seen);
    }
  };
  collect(vars, new Set());
  const exprHelper = (src: unknown): unknown => parseExpr(String(src)).evaluate(vars);
  // In a template file a secret_file's text is written as it is (a mask in a config file would be useless), and
  // the rendered output becomes a Secret like any output holding a secret.
  const secretFileHelper = (path: unknown): string => {
    const value = readSecretFileValue(path, vars.crosskey_allow_loose_secret_files).reveal();
    secretsInVars.push(value);
    return value;
  };
  const out = tpl(revealDeep(vars), { helpers: { expr: exprHelper, secret_file: secretFileHelper } });
  return secretsInVars.some((s) => s && out.includes(s)) ? new Secret(out) : out;
}

/** Renders every string inside a value (dicts and lists recursively). Keys are not templated. */
export function renderValue(v: unknown, vars: Record<string, unknown>, where?: TemplateWhere): unknown {
  if (typeof v === 'string') return renderString(v, vars, where);
  if (Array.isArray(v)) return v.map((x) => renderValue(x, vars, where));
  if (v && typeof v === 'object' && !isSecret(v) && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = renderValue(x, vars, where);
    return out;
  }
  return v;
}

/** Renders a Handlebars template file (for the `template` module): text, or a Secret if a secret went in. */
export function renderFile(templatePath: string, vars: Record<string, unknown>): string | Secret {
  let text: string;
  try {
    text = readFileSync(templatePath, 'utf8');
  } catch (e) {
    throw new TemplateError(templatePath, 0, `cannot read template: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  let tpl: HandlebarsTemplateDelegate;
  try {
    hb.parse(text);
    tpl = hb.compile(text, { strict: true, noEscape: true });
  } catch (e) {
    const m = /Parse error on line (\d+)/.exec((e as Error).message);
    throw new TemplateError(
      templatePath,
      m ? Number(m[1]) : 0,
      `template syntax error: ${firstLine((e as Error).message)}`,
    );
  }
  try {
    return renderWithHandlebars(tpl, vars);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /^"([^"]+)" not defined in .* - (\d+):(\d+)/.exec(msg);
    if (m)
      throw new TemplateError(
        templatePath,
        Number(m[2]),
        `undefined variable '${m[1]}' (column ${Number(m[3]) + 1})`,
        m[1],
      );
    const inOp = /^Cannot use 'in' operator to search for '([^']+)'/.exec(msg);
    if (inOp) throw new TemplateError(templatePath, 0, `undefined variable '${inOp[1]}'`, inOp[1]);
    if (e instanceof ExprError && e.variable)
      throw new TemplateError(templatePath, 0, `undefined variable '${e.variable}'`, e.variable);
    throw new TemplateError(templatePath, 0, msg);
  }
}
