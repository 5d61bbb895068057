/**
 * A Jinja2 lexer that follows jinja2/lexer.py (3.1) rule for rule, for the default delimiters:
 * data, `{{ }}`, `{% %}`, `{# #}`, `{% raw %}`, whitespace control (`-`, `+`), `trim_blocks` and
 * `lstrip_blocks`, bracket balancing (so `}}` inside a dict literal does not end a tag), Python
 * string escapes, integer/float literals with `_` separators. Line statements are not supported
 * (no chat-template environment enables them).
 *
 * Tokens are produced lazily: a 64 MB template is never held as a token array.
 */

export class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

export type TokenType =
  | 'data'
  | 'block_begin'
  | 'block_end'
  | 'variable_begin'
  | 'variable_end'
  | 'name'
  | 'string'
  | 'integer'
  | 'float'
  | 'eof'
  // operators
  | 'add' | 'sub' | 'div' | 'floordiv' | 'mul' | 'mod' | 'pow' | 'tilde'
  | 'lbracket' | 'rbracket' | 'lparen' | 'rparen' | 'lbrace' | 'rbrace'
  | 'eq' | 'ne' | 'gt' | 'gteq' | 'lt' | 'lteq' | 'assign' | 'dot' | 'colon' | 'pipe' | 'comma' | 'semicolon';

export interface Token {
  type: TokenType;
  /** Names, operators and data: the text; strings: the decoded value; numbers: the literal. */
  value: string;
  line: number;
  /** Numbers: the value (NaN when it does not fit a double exactly enough to matter). */
  num?: number;
  /** Strings: false when an escape could not be decoded exactly (`\N{...}` of an unknown name). */
  exact?: boolean;
}

export interface LexerOptions {
  /** transformers and llama.cpp render chat templates with both enabled. */
  trimBlocks: boolean;
  lstripBlocks: boolean;
}

const OPERATORS: Record<string, TokenType> = {
  '//': 'floordiv', '**': 'pow', '==': 'eq', '!=': 'ne', '>=': 'gteq', '<=': 'lteq',
  '+': 'add', '-': 'sub', '/': 'div', '*': 'mul', '%': 'mod', '~': 'tilde',
  '[': 'lbracket', ']': 'rbracket', '(': 'lparen', ')': 'rparen', '{': 'lbrace', '}': 'rbrace',
  '>': 'gt', '<': 'lt', '=': 'assign', '.': 'dot', ':': 'colon', '|': 'pipe', ',': 'comma', ';': 'semicolon',
};

/** Python's `\s` (str.isspace): JavaScript's `\s` lacks \x1c-\x1f and \x85 and adds \uFEFF. */
const WS = '[\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const RE_START = /\{([{%#])([-+]?)/g;
const RE_RAW_BEGIN = new RegExp(`\\{%([-+]?)${WS}*raw${WS}*(?:-%\\}${WS}*|%\\})`, 'y');
const RE_RAW_END = new RegExp(`\\{%([-+]?)${WS}*endraw${WS}*(\\+%\\}|-%\\}${WS}*|%\\}\\n?)`, 'g');
const RE_WS = new RegExp(`${WS}+`, 'y');
const RE_WS_CHAR = new RegExp(WS);
// Python's `\d` matches every Unicode decimal digit (Jinja's number rules use it).
const RE_FLOAT = /(?:\p{Nd}+_)*\p{Nd}+(?:(?:\.(?:\p{Nd}+_)*\p{Nd}+)?[eE][+-]?(?:\p{Nd}+_)*\p{Nd}+|\.(?:\p{Nd}+_)*\p{Nd}+)/uy;
const RE_INT = /(?:0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0[xX](?:_?[\p{Nd}a-fA-F])+|[1-9](?:_?\p{Nd})*|0(?:_?0)*)/uy;
/** Python identifiers (XID_Start XID_Continue*): JavaScript's ID_Start also has U+309B/U+309C, which Python rejects. */
const RE_NAME = /(?![\u309B\u309C])[\p{ID_Start}_](?:(?![\u309B\u309C])\p{ID_Continue})*/uy;
const RE_STRING = /'([^'\\]*(?:\\.[^'\\]*)*)'|"([^"\\]*(?:\\.[^"\\]*)*)"/sy;
const RE_OP = /\/\/|\*\*|==|!=|>=|<=|[-+/*%~[\]()={}<>.:|,;]/y;
const RE_ONLY_WS = new RegExp(`^${WS}*$`);

/** Python's str.rstrip() (linear; a regex anchored at the end is quadratic on long whitespace runs). */
function rstripPy(s: string): string {
  let end = s.length;
  while (end > 0 && RE_WS_CHAR.test(s[end - 1]!)) end--;
  return s.slice(0, end);
}

/** Newlines in s[from, to) — scans only that range (indexOf would run to the end of a huge template). */
function countNewlines(s: string, from = 0, to = s.length): number {
  let n = 0;
  for (let i = from; i < to; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}

/** Jinja normalizes `\r\n` and `\r` to `\n` and drops one trailing newline before lexing. */
export function normalizeSource(source: string): string {
  let s = source.includes('\r') ? source.replace(/\r\n?/g, '\n') : source;
  if (s.endsWith('\n')) s = s.slice(0, -1);
  return s;
}

export class Lexer {
  private pos = 0;
  private line = 1;
  private state: 'root' | 'block' | 'variable' = 'root';
  private readonly queue: Token[] = [];
  private readonly brackets: string[] = [];
  private lineStarting = true;
  private done = false;
  /** Tokens produced so far (for the caller's time checks and limits). */
  count = 0;

  constructor(
    private readonly src: string,
    private readonly opts: LexerOptions,
  ) {}

  next(): Token {
    while (this.queue.length === 0) {
      if (this.done) return { type: 'eof', value: '', line: this.line };
      if (this.state === 'root') this.lexRoot();
      else this.lexTag();
    }
    this.count++;
    return this.queue.shift()!;
  }

  private emit(type: TokenType, value: string, line: number, extra?: Partial<Token>): void {
    this.queue.push({ type, value, line, ...extra });
  }

  private lexRoot(): void {
    const src = this.src;
    if (this.pos >= src.length) {
      this.done = true;
      return;
    }
    RE_START.lastIndex = this.pos;
    const m = RE_START.exec(src);
    if (!m) {
      this.emitData(src.slice(this.pos), this.line);
      this.line += countNewlines(src, this.pos);
      this.pos = src.length;
      this.done = true;
      return;
    }
    const at = m.index;
    const kind = m[1]!;
    let sign = m[2]!;
    let text = src.slice(this.pos, at);
    const textLine = this.line;
    const rawLines = countNewlines(text);
    // A raw block wins over a plain block tag at the same position.
    let raw: RegExpExecArray | null = null;
    if (kind === '%') {
      RE_RAW_BEGIN.lastIndex = at;
      raw = RE_RAW_BEGIN.exec(src);
      if (raw) sign = raw[1]!;
    }
    if (sign === '-') text = rstripPy(text);
    else if (sign !== '+' && this.opts.lstripBlocks && kind !== '{') text = this.lstrip(text);
    this.emitData(text, textLine);
    this.line += rawLines;
    if (raw) {
      const afterBegin = at + raw[0].length;
      this.line += countNewlines(raw[0]);
      RE_RAW_END.lastIndex = afterBegin;
      const end = RE_RAW_END.exec(src);
      if (!end) {
        if (afterBegin >= src.length) {
          this.pos = src.length;
          this.done = true;
          return;
        }
        throw new TemplateSyntaxError('Missing end of raw directive', this.line);
      }
      let body = src.slice(afterBegin, end.index);
      const bodyLine = this.line;
      const bodyLines = countNewlines(body);
      if (end[1] === '-') body = rstripPy(body);
      else if (end[1] !== '+' && this.opts.lstripBlocks) body = this.lstrip(body, false);
      this.emitData(body, bodyLine);
      this.line += bodyLines + countNewlines(end[0]);
      this.pos = end.index + end[0].length;
      this.lineStarting = end[0].endsWith('\n');
      return;
    }
    if (kind === '#') {
      const close = src.indexOf('#}', at + 2 + m[2]!.length);
      if (close === -1) {
        // Jinja's failure rule needs a character to report on: `{#` at the very end is accepted.
        if (at + 2 + m[2]!.length >= src.length) {
          this.pos = src.length;
          this.done = true;
          return;
        }
        throw new TemplateSyntaxError('Missing end of comment tag', this.line);
      }
      let end = close + 2;
      const before = src[close - 1];
      // `-#}` also eats the whitespace after it; `#}` eats one newline with trim_blocks; `+#}` nothing.
      if (before === '-' && close - 1 >= at + 2 + m[2]!.length) {
        RE_WS.lastIndex = end;
        const ws = RE_WS.exec(src);
        if (ws) end += ws[0].length;
      } else if (!(before === '+' && close - 1 >= at + 2 + m[2]!.length) && this.opts.trimBlocks && src[end] === '\n') end++;
      this.line += countNewlines(src, at, end);
      this.lineStarting = src[end - 1] === '\n';
      this.pos = end;
      return;
    }
    this.pos = at + 2 + m[2]!.length;
    this.lineStarting = false;
    this.brackets.length = 0;
    if (kind === '%') {
      this.emit('block_begin', '{%', this.line);
      this.state = 'block';
    } else {
      this.emit('variable_begin', '{{', this.line);
      this.state = 'variable';
    }
  }

  /** lstrip_blocks: remove spaces and tabs between the last newline (or the template start) and the tag. */
  private lstrip(text: string, allowAtStart = true): string {
    const nl = text.lastIndexOf('\n');
    const lpos = nl + 1;
    if (lpos > 0 || (allowAtStart && this.lineStarting)) {
      if (RE_ONLY_WS.test(text.slice(lpos))) return text.slice(0, lpos);
    }
    return text;
  }

  private emitData(text: string, line: number): void {
    if (text) this.emit('data', text, line);
  }

  private lexTag(): void {
    const src = this.src;
    const pos = this.pos;
    if (pos >= src.length) throw new TemplateSyntaxError('unexpected end of template', this.line);
    // End of the tag (only when brackets are balanced).
    if (this.brackets.length === 0) {
      const end = this.matchEnd(pos);
      if (end !== -1) {
        this.emit(this.state === 'block' ? 'block_end' : 'variable_end', src.slice(pos, end), this.line);
        this.line += countNewlines(src, pos, end);
        this.lineStarting = src[end - 1] === '\n';
        this.pos = end;
        this.state = 'root';
        return;
      }
    }
    let m: RegExpExecArray | null;
    RE_WS.lastIndex = pos;
    if ((m = RE_WS.exec(src))) {
      this.line += countNewlines(m[0]);
      this.pos = pos + m[0].length;
      return;
    }
    if (src[pos - 1] !== '.') {
      RE_FLOAT.lastIndex = pos;
      if ((m = RE_FLOAT.exec(src))) {
        this.emit('float', m[0], this.line, { num: /^[\x00-\x7f]*$/.test(m[0]) ? Number(m[0].replace(/_/g, '')) : NaN });
        this.pos = pos + m[0].length;
        return;
      }
    }
    RE_INT.lastIndex = pos;
    if ((m = RE_INT.exec(src))) {
      // Python (3.11+) refuses to convert decimal literals of more than 4300 digits; Jinja fails to load such a template.
      if (m[0].length > 4300 && !/^0[bBoOxX]/.test(m[0]) && m[0].replace(/_/g, '').length > 4300) throw new TemplateSyntaxError('integer literal exceeds the 4300-digit conversion limit', this.line);
      this.emit('integer', m[0], this.line, { num: parseIntLiteral(m[0]) });
      this.pos = pos + m[0].length;
      return;
    }
    RE_NAME.lastIndex = pos;
    if ((m = RE_NAME.exec(src))) {
      this.emit('name', m[0], this.line);
      this.pos = pos + m[0].length;
      return;
    }
    RE_STRING.lastIndex = pos;
    if ((m = RE_STRING.exec(src))) {
      const body = m[1] ?? m[2] ?? '';
      const dec = decodePythonEscapes(body, this.line);
      this.emit('string', dec.value, this.line, { exact: dec.exact });
      this.line += countNewlines(m[0]);
      this.pos = pos + m[0].length;
      return;
    }
    RE_OP.lastIndex = pos;
    if ((m = RE_OP.exec(src))) {
      const op = m[0];
      if (op === '{' || op === '(' || op === '[') this.brackets.push(op === '{' ? '}' : op === '(' ? ')' : ']');
      else if (op === '}' || op === ')' || op === ']') {
        const expected = this.brackets.pop();
        if (expected === undefined) throw new TemplateSyntaxError(`unexpected '${op}'`, this.line);
        if (expected !== op) throw new TemplateSyntaxError(`unexpected '${op}', expected '${expected}'`, this.line);
      }
      this.emit(OPERATORS[op]!, op, this.line);
      this.pos = pos + op.length;
      return;
    }
    throw new TemplateSyntaxError(`unexpected char ${JSON.stringify(src[pos])} at ${pos}`, this.line);
  }

  /** The end of a block/variable tag at pos, or -1. Mirrors Jinja's end rules (with trim_blocks). */
  private matchEnd(pos: number): number {
    const src = this.src;
    const close = this.state === 'block' ? '%}' : '}}';
    if (this.state === 'block' && src.startsWith('+%}', pos)) return pos + 3;
    if (src.startsWith('-' + close, pos)) {
      RE_WS.lastIndex = pos + 3;
      const ws = RE_WS.exec(src);
      return pos + 3 + (ws ? ws[0].length : 0);
    }
    if (src.startsWith(close, pos)) {
      if (this.state === 'block' && this.opts.trimBlocks && src[pos + 2] === '\n') return pos + 3;
      return pos + 2;
    }
    return -1;
  }
}

function parseIntLiteral(lit: string): number {
  // Non-ASCII digits are valid (Python's int() reads them); their value is left unknown here.
  if (!/^[\x00-\x7f]*$/.test(lit) || lit.length > 1000) return NaN;
  const s = lit.replace(/_/g, '').toLowerCase();
  try {
    if (s.startsWith('0b') || s.startsWith('0o') || s.startsWith('0x')) return Number(BigInt(s));
    return Number(BigInt(s));
  } catch {
    return NaN;
  }
}

/** Unicode names Python's `\N{...}` accepts that matter for building identifiers. */
function unicodeByName(name: string): string | null {
  const n = name.toUpperCase().replace(/\s+/g, ' ').trim();
  if (n === 'LOW LINE' || n === 'SPACING UNDERSCORE') return '_';
  if (n === 'FULL STOP' || n === 'PERIOD') return '.';
  let m = /^LATIN (SMALL|CAPITAL) LETTER ([A-Z])$/.exec(n);
  if (m) return m[1] === 'SMALL' ? m[2]!.toLowerCase() : m[2]!;
  m = /^DIGIT (ZERO|ONE|TWO|THREE|FOUR|FIVE|SIX|SEVEN|EIGHT|NINE)$/.exec(n);
  if (m) return String(['ZERO', 'ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', 'SIX', 'SEVEN', 'EIGHT', 'NINE'].indexOf(m[1]!));
  if (n === 'SPACE') return ' ';
  return null;
}

/**
 * Python's `unicode-escape` decoding as Jinja applies it to string literals (after normalizing
 * newlines). Unknown escapes are kept verbatim (Python warns and keeps them); malformed `\x`/`\u`
 * escapes are syntax errors, as in Jinja.
 */
export function decodePythonEscapes(raw: string, line: number): { value: string; exact: boolean } {
  const body = raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw;
  if (!body.includes('\\')) return { value: body, exact: true };
  let out = '';
  let exact = true;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === undefined) throw new TemplateSyntaxError('\\ at end of string', line);
    switch (e) {
      case '\n': break;
      case '\\': out += '\\'; break;
      case "'": out += "'"; break;
      case '"': out += '"'; break;
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case 'x':
      case 'u':
      case 'U': {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = body.slice(i + 1, i + 1 + len);
        if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) throw new TemplateSyntaxError(`truncated \\${e} escape`, line);
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff) throw new TemplateSyntaxError('illegal Unicode character', line);
        out += String.fromCodePoint(cp);
        i += len;
        break;
      }
      case 'N': {
        const m = /^\{([^}]*)\}/.exec(body.slice(i + 1, i + 200));
        if (!m) throw new TemplateSyntaxError('malformed \\N character escape', line);
        const ch = unicodeByName(m[1]!);
        if (ch === null) {
          exact = false;
          out += '\uFFFD';
        } else out += ch;
        i += m[0].length;
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          let j = i;
          while (j < i + 3 && j < body.length && body[j]! >= '0' && body[j]! <= '7') j++;
          out += String.fromCodePoint(parseInt(body.slice(i, j), 8));
          i = j - 1;
        } else out += '\\' + e;
    }
  }
  return { value: out, exact };
}
