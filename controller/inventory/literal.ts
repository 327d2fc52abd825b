// A subset of Python's ast.literal_eval, which Ansible's INI inventory applies to every variable value:
// ints (decimal, 0x, 0o, 0b, underscores), floats, quoted strings, True/False/None, lists, tuples (→ lists),
// dicts. Anything else is not a literal, and the caller keeps the raw string (as Ansible does).

class NotLiteral extends Error {}

export function literalEval(text: string): { ok: true; value: unknown } | { ok: false } {
  const p = new LiteralParser(text);
  try {
    p.ws();
    const value = p.value();
    p.ws();
    if (!p.done()) throw new NotLiteral();
    return { ok: true, value };
  } catch (e) {
    if (e instanceof NotLiteral) return { ok: false };
    throw e;
  }
}

/** Ansible INI value typing: the literal if it parses, else the string unchanged. */
export function iniValue(text: string): unknown {
  const r = literalEval(text);
  return r.ok ? r.value : text;
}

class LiteralParser {
  i = 0;
  constructor(readonly s: string) {}
  done(): boolean {
    return this.i >= this.s.length;
  }
  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }
  peek(): string {
    return this.s[this.i] ?? '';
  }
  value(): unknown {
    this.ws();
    const c = this.peek();
    if (c === '[' || c === '(') return this.seq(c === '[' ? ']' : ')');
    if (c === '{') return this.dict();
    if (c === '"' || c === "'") return this.str();
    if (c === '-' || c === '+' || /[0-9.]/.test(c)) return this.num();
    const m = /^(True|False|None)\b/.exec(this.s.slice(this.i));
    if (m) {
      this.i += m[1]!.length;
      return m[1] === 'True' ? true : m[1] === 'False' ? false : null;
    }
    throw new NotLiteral();
  }
  seq(close: string): unknown[] {
    this.i++;
    const out: unknown[] = [];
    for (;;) {
      this.ws();
      if (this.peek() === close) {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.ws();
      if (this.peek() === ',') {
        this.i++;
        continue;
      }
      if (this.peek() === close) {
        this.i++;
        return out;
      }
      throw new NotLiteral();
    }
  }
  dict(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    for (;;) {
      this.ws();
      if (this.peek() === '}') {
        this.i++;
        return out;
      }
      const k = this.value();
      this.ws();
      if (this.peek() !== ':') throw new NotLiteral();
      this.i++;
      const v = this.value();
      out[String(k)] = v;
      this.ws();
      if (this.peek() === ',') {
        this.i++;
        continue;
      }
      if (this.peek() === '}') {
        this.i++;
        return out;
      }
      throw new NotLiteral();
    }
  }
  str(): string {
    let out = '';
    // Adjacent string literals concatenate in Python ('a' 'b' == 'ab').
    do {
      const q = this.s[this.i++]!;
      for (;;) {
        const c = this.s[this.i++];
        if (c === undefined) throw new NotLiteral();
        if (c === q) break;
        if (c === '\\') {
          const e = this.s[this.i++];
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
          if (e === undefined) throw new NotLiteral();
          out += map[e] ?? '\\' + e;
        } else out += c;
      }
      this.ws();
    } while (this.peek() === '"' || this.peek() === "'");
    return out;
  }
  num(): number {
    const m =
      /^[-+]?(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(\d[\d_]*)?\.?\d[\d_]*([eE][-+]?\d+)?|\d[\d_]*\.)/.exec(
        this.s.slice(this.i),
      );
    if (!m) throw new NotLiteral();
    const raw = m[0];
    this.i += raw.length;
    const sign = raw.startsWith('-') ? -1 : 1;
    const body = raw.replace(/^[-+]/, '').replace(/_/g, '');
    if (/^0[xXoObB]/.test(body)) return sign * Number(body);
    // Python 3 rejects "0755" (leading zeros on a non-zero decimal int).
    if (/^0\d/.test(body) && !/[.eE]/.test(body) && !/^0+$/.test(body)) throw new NotLiteral();
    const n = Number(body);
    if (Number.isNaN(n)) throw new NotLiteral();
    return sign * n;
  }
}
