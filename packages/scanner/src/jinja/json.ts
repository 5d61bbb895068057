/**
 * A strict JSON parser that keeps what JSON.parse throws away: duplicate keys (JSON.parse keeps
 * the last silently; other readers keep the first), the literal text of numbers (so integers
 * beyond 2^53 are checked exactly), and the position of every value.
 *
 * Two dialects:
 * - strict (RFC 8259 as serde_json reads it, used for safetensors headers): no NaN/Infinity, no
 *   lone surrogates, nesting at most 128 (serde_json's recursion limit);
 * - python (Python's `json.load`, used for tokenizer_config.json): also NaN, Infinity,
 *   -Infinity and lone surrogates.
 * Shared by formats/safetensors.ts and formats/tokenizer-config.ts.
 */

export type JsonValue =
  | { t: 'obj'; entries: [string, JsonValue][]; pos: number }
  | { t: 'arr'; items: JsonValue[]; pos: number }
  | { t: 'str'; v: string; pos: number }
  | { t: 'num'; raw: string; v: number; pos: number }
  | { t: 'bool'; v: boolean; pos: number }
  | { t: 'null'; pos: number };

export class JsonError extends Error {
  constructor(
    message: string,
    /** Character index in the text. */
    readonly pos: number,
  ) {
    super(`${message} at character ${pos}`);
    this.name = 'JsonError';
  }
}

export interface JsonOptions {
  python?: boolean;
  maxDepth?: number;
  /** Called for every key that repeats within one object. */
  onDuplicate?: (key: string, pos: number, path: string) => void;
  /** Called now and then (time budget). */
  tick?: () => void;
}

const NUM_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function parseJson(text: string, options: JsonOptions = {}): JsonValue {
  const p = new JsonParser(text, options);
  p.ws();
  const v = p.value(0, '');
  p.ws();
  if (p.pos < text.length) throw new JsonError('trailing characters after the JSON value', p.pos);
  return v;
}

class JsonParser {
  pos = 0;
  private readonly maxDepth: number;
  private count = 0;

  constructor(
    private readonly s: string,
    private readonly o: JsonOptions,
  ) {
    this.maxDepth = o.maxDepth ?? (o.python ? 1000 : 128);
  }

  ws(): void {
    const s = this.s;
    let i = this.pos;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.pos = i;
  }

  value(depth: number, path: string): JsonValue {
    if ((++this.count & 8191) === 0) this.o.tick?.();
    const s = this.s;
    const start = this.pos;
    const c = s[start];
    if (c === '{' || c === '[') {
      if (depth >= this.maxDepth) throw new JsonError(`nesting deeper than ${this.maxDepth}`, start);
      return c === '{' ? this.object(depth + 1, path) : this.array(depth + 1, path);
    }
    if (c === '"') return { t: 'str', v: this.string(), pos: start };
    if (s.startsWith('true', start)) {
      this.pos += 4;
      return { t: 'bool', v: true, pos: start };
    }
    if (s.startsWith('false', start)) {
      this.pos += 5;
      return { t: 'bool', v: false, pos: start };
    }
    if (s.startsWith('null', start)) {
      this.pos += 4;
      return { t: 'null', pos: start };
    }
    if (this.o.python) {
      for (const [lit, v] of [['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity]] as const) {
        if (s.startsWith(lit, start)) {
          this.pos += lit.length;
          return { t: 'num', raw: lit, v, pos: start };
        }
      }
    }
    NUM_RE.lastIndex = start;
    const m = NUM_RE.exec(s);
    if (m && m[0].length > 0 && m[0] !== '-') {
      this.pos += m[0].length;
      return { t: 'num', raw: m[0], v: Number(m[0]), pos: start };
    }
    throw new JsonError(c === undefined ? 'unexpected end of JSON' : `unexpected character ${JSON.stringify(c)}`, start);
  }

  private object(depth: number, path: string): JsonValue {
    const start = this.pos++;
    const entries: [string, JsonValue][] = [];
    const keys = new Set<string>();
    this.ws();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return { t: 'obj', entries, pos: start };
    }
    for (;;) {
      this.ws();
      if (this.s[this.pos] !== '"') throw new JsonError('expected a string key', this.pos);
      const keyPos = this.pos;
      const key = this.string();
      if (keys.has(key)) this.o.onDuplicate?.(key, keyPos, path);
      else keys.add(key);
      this.ws();
      if (this.s[this.pos] !== ':') throw new JsonError("expected ':'", this.pos);
      this.pos++;
      this.ws();
      entries.push([key, this.value(depth, path === '' ? key : `${path}.${key}`)]);
      this.ws();
      const c = this.s[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '}') {
        this.pos++;
        return { t: 'obj', entries, pos: start };
      }
      throw new JsonError("expected ',' or '}'", this.pos);
    }
  }

  private array(depth: number, path: string): JsonValue {
    const start = this.pos++;
    const items: JsonValue[] = [];
    this.ws();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return { t: 'arr', items, pos: start };
    }
    for (;;) {
      this.ws();
      items.push(this.value(depth, `${path}[${items.length}]`));
      this.ws();
      const c = this.s[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return { t: 'arr', items, pos: start };
      }
      throw new JsonError("expected ',' or ']'", this.pos);
    }
  }

  private string(): string {
    const s = this.s;
    let i = this.pos + 1;
    // Fast path: no escapes.
    const close = s.indexOf('"', i);
    if (close === -1) throw new JsonError('unterminated string', this.pos);
    const bs = s.indexOf('\\', i);
    if (bs === -1 || bs > close) {
      for (let k = i; k < close; k++) if (s.charCodeAt(k) < 0x20) throw new JsonError('control character in string', k);
      this.pos = close + 1;
      return s.slice(i, close);
    }
    let out = '';
    for (;;) {
      const c = s.charCodeAt(i);
      if (Number.isNaN(c)) throw new JsonError('unterminated string', this.pos);
      if (c === 0x22) break;
      if (c < 0x20) throw new JsonError('control character in string', i);
      if (c !== 0x5c) {
        out += s[i];
        i++;
        continue;
      }
      const e = s[i + 1];
      i += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const cu = this.hex4(i);
          i += 4;
          if (cu >= 0xd800 && cu <= 0xdbff) {
            if (s[i] === '\\' && s[i + 1] === 'u') {
              const lo = this.hex4(i + 2);
              if (lo >= 0xdc00 && lo <= 0xdfff) {
                out += String.fromCharCode(cu, lo);
                i += 6;
                break;
              }
            }
            if (!this.o.python) throw new JsonError('lone leading surrogate in hex escape', i - 6);
          } else if (cu >= 0xdc00 && cu <= 0xdfff && !this.o.python) throw new JsonError('lone trailing surrogate in hex escape', i - 6);
          out += String.fromCharCode(cu);
          break;
        }
        default:
          throw new JsonError('invalid escape', i - 2);
      }
    }
    this.pos = i + 1;
    return out;
  }

  private hex4(i: number): number {
    const h = this.s.slice(i, i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) throw new JsonError('invalid \\u escape', i);
    return parseInt(h, 16);
  }
}

/** Byte offset in the UTF-8 encoding of text of the character at index pos. */
export function utf8Offset(text: string, pos: number): number {
  return Buffer.byteLength(text.slice(0, pos), 'utf8');
}
