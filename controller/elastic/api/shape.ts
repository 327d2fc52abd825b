// Runtime shape checks for Elasticsearch answers: a malformed answer becomes a clear error naming the API and
// the field, instead of an undefined deep inside a module.

export class ApiShapeError extends Error {
  constructor(
    public api: string,
    public field: string,
    expected: string,
    got: unknown,
  ) {
    super(`${api}: unexpected answer: ${field} should be ${expected}, got ${describe(got)}`);
    this.name = 'ApiShapeError';
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  return typeof v;
}

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A checker bound to one API name: `const s = shape('GET /_remote/info')`. */
export function shape(api: string) {
  return {
    obj(v: unknown, field: string): Obj {
      if (!isObj(v)) throw new ApiShapeError(api, field, 'an object', v);
      return v;
    },
    str(v: unknown, field: string): string {
      if (typeof v !== 'string') throw new ApiShapeError(api, field, 'a string', v);
      return v;
    },
    optStr(v: unknown, field: string): string | undefined {
      if (v === undefined || v === null) return undefined;
      return this.str(v, field);
    },
    bool(v: unknown, field: string): boolean {
      if (typeof v !== 'boolean') throw new ApiShapeError(api, field, 'true or false', v);
      return v;
    },
    optBool(v: unknown, field: string): boolean | undefined {
      if (v === undefined || v === null) return undefined;
      // Settings-like answers may carry booleans as strings.
      if (v === 'true' || v === 'false') return v === 'true';
      return this.bool(v, field);
    },
    num(v: unknown, field: string): number {
      if (typeof v !== 'number' || Number.isNaN(v)) throw new ApiShapeError(api, field, 'a number', v);
      return v;
    },
    optNum(v: unknown, field: string): number | undefined {
      if (v === undefined || v === null) return undefined;
      return this.num(v, field);
    },
    arr(v: unknown, field: string): unknown[] {
      if (!Array.isArray(v)) throw new ApiShapeError(api, field, 'a list', v);
      return v;
    },
    strs(v: unknown, field: string): string[] {
      return this.arr(v, field).map((x, i) => this.str(x, `${field}[${i}]`));
    },
    optStrs(v: unknown, field: string): string[] | undefined {
      if (v === undefined || v === null) return undefined;
      return this.strs(v, field);
    },
    /** A string or a list of strings (e.g. transform source.index). */
    strOrStrs(v: unknown, field: string): string[] {
      if (typeof v === 'string') return [v];
      return this.strs(v, field);
    },
    oneOf<T extends string>(v: unknown, field: string, choices: readonly T[]): T {
      if (typeof v !== 'string' || !choices.includes(v as T)) {
        throw new ApiShapeError(api, field, `one of ${choices.join('|')}`, v);
      }
      return v as T;
    },
  };
}

/** Deep copy with object keys sorted (undefined dropped): a canonical form for comparisons and hashes. */
export function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (isObj(v)) {
    const o: Obj = {};
    for (const k of Object.keys(v).sort()) if (v[k] !== undefined) o[k] = sortDeep(v[k]);
    return o;
  }
  return v;
}

/** Comments in .jsonc example files (`// …`) are stripped outside strings. */
export function parseJsonc(text: string): unknown {
  let out = '';
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inStr) {
      out += c;
      if (c === '\\') {
        out += text[++i] ?? '';
        continue;
      }
      if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') {
      inStr = true;
      out += c;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
      continue;
    }
    out += c;
  }
  return JSON.parse(out);
}
