/**
 * Abstract values for the template analysis, and the slice of Python/Jinja semantics needed to
 * fold constant string expressions (`'__cla' ~ 'ss__'`, `'_' * 2`, `['_', '_']|join`,
 * `'%c%c' % (95, 95)`, `'{}{}'.format(...)`, `'__ssalc__'|reverse`, slices...), so obfuscated
 * dunder names are recognized.
 *
 * An abstract value over-approximates what an expression can evaluate to:
 * - `consts`: concrete values it may take (bounded: MAX_CONSTS values, strings of MAX_STR chars);
 * - `data`: it may be data from the render context (messages, tools...) or a lookup into it;
 * - `num`: it may be a number/boolean/None not known exactly (never a name);
 * - `comp`: it may be something the template computed from non-constant parts (any string,
 *   e.g. characters cut out of an object's repr) — when such a value names an attribute the
 *   analysis cannot prove it harmless;
 * - `elems`: for list-like values not in `consts`, what their elements may be;
 * - `fields`: for dict literals with constant keys and non-constant values (`{"type": t}`), what
 *   each key may hold.
 */
import { type CV, PyDict } from './ast.js';

export const MAX_CONSTS = 64;
export const MAX_STR = 4096;
export const MAX_LIST = 1024;

export interface AV {
  consts: CV[];
  data: boolean;
  num: boolean;
  comp: boolean;
  elems: AV | null;
  fields?: Map<string, AV>;
}

export const COMP: AV = Object.freeze({ consts: [], data: false, num: false, comp: true, elems: null }) as AV;
export const DATA: AV = Object.freeze({ consts: [], data: true, num: false, comp: false, elems: null }) as AV;
export const NUM: AV = Object.freeze({ consts: [], data: false, num: true, comp: false, elems: null }) as AV;
export const NONE: AV = constAV(null);

export function constAV(...values: CV[]): AV {
  return normalize({ consts: values, data: false, num: false, comp: false, elems: null });
}

export function listOf(elems: AV): AV {
  return { consts: [], data: false, num: false, comp: false, elems };
}

export function isPureConst(a: AV): boolean {
  return !a.data && !a.num && !a.comp && !a.elems && !a.fields && a.consts.length > 0;
}

export function fieldsOf(fields: Map<string, AV>): AV {
  return { consts: [], data: false, num: false, comp: false, elems: null, fields };
}

export function cvKey(v: CV): string {
  if (typeof v === 'string') return 's' + v;
  if (typeof v === 'number') return 'n' + String(v);
  if (typeof v === 'boolean' || v === null) return 'k' + String(v);
  if (Array.isArray(v)) return 'l[' + v.map(cvKey).join(',') + ']';
  return 'd{' + v.entries.map(([k, x]) => cvKey(k) + ':' + cvKey(x)).join(',') + '}';
}

function tooBig(v: CV, budget = { n: MAX_LIST * 4 }): boolean {
  if (typeof v === 'string') return v.length > MAX_STR;
  if (Array.isArray(v)) {
    if (v.length > MAX_LIST || (budget.n -= v.length) < 0) return true;
    return v.some((x) => tooBig(x, budget));
  }
  if (v instanceof PyDict) {
    if (v.entries.length > MAX_LIST || (budget.n -= v.entries.length) < 0) return true;
    return v.entries.some(([k, x]) => tooBig(k, budget) || tooBig(x, budget));
  }
  return false;
}

/** Deduplicates constants and enforces the caps (overflow turns into `comp`). */
export function normalize(a: AV): AV {
  const seen = new Set<string>();
  const consts: CV[] = [];
  let comp = a.comp;
  for (const v of a.consts) {
    if (tooBig(v)) {
      comp = true;
      continue;
    }
    const k = cvKey(v);
    if (seen.has(k)) continue;
    seen.add(k);
    if (consts.length >= MAX_CONSTS) {
      comp = true;
      break;
    }
    consts.push(v);
  }
  return { consts, data: a.data, num: a.num, comp, elems: a.elems, ...(a.fields ? { fields: a.fields } : {}) };
}

export function join(...avs: (AV | null | undefined)[]): AV {
  const out: AV = { consts: [], data: false, num: false, comp: false, elems: null };
  for (const a of avs) {
    if (!a) continue;
    out.consts.push(...a.consts);
    out.data ||= a.data;
    out.num ||= a.num;
    out.comp ||= a.comp;
    if (a.elems) out.elems = out.elems ? join(out.elems, a.elems) : a.elems;
  }
  const withFields = avs.filter((a): a is AV => !!a?.fields);
  if (withFields.length) {
    const keys = new Set(withFields.flatMap((a) => [...a.fields!.keys()]));
    const fields = new Map<string, AV>();
    for (const k of keys) fields.set(k, join(...withFields.map((a) => a.fields!.get(k) ?? NONE)));
    out.fields = fields;
  }
  return normalize(out);
}

/** No possible value (yet): the start of a fixed-point iteration, or an iteration over nothing. */
export function isBottom(a: AV): boolean {
  return a.consts.length === 0 && !a.data && !a.num && !a.comp && !a.elems && !a.fields;
}

export const EMPTY: AV = Object.freeze({ consts: [], data: false, num: false, comp: false, elems: null }) as AV;

/** Applies fn to every combination of constants; any non-constant part or failure gives `comp`. */
export function lift(avs: AV[], fn: (...vals: CV[]) => CV | undefined): AV {
  if (avs.some(isBottom)) return EMPTY;
  if (!avs.every(isPureConst)) return COMP;
  let combos: CV[][] = [[]];
  for (const a of avs) {
    const next: CV[][] = [];
    for (const c of combos) for (const v of a.consts) next.push([...c, v]);
    if (next.length > MAX_CONSTS) return COMP;
    combos = next;
  }
  const out: CV[] = [];
  let comp = false;
  for (const c of combos) {
    let r: CV | undefined;
    try {
      r = fn(...c);
    } catch {
      r = undefined;
    }
    if (r === undefined) comp = true;
    else out.push(r);
  }
  return normalize({ consts: out, data: false, num: false, comp, elems: null });
}

// ---- Python semantics ------------------------------------------------------------------------

export function pyRepr(v: CV): string | undefined {
  if (typeof v === 'string') {
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    let s = q;
    for (const ch of v) {
      const cp = ch.codePointAt(0)!;
      if (ch === '\\') s += '\\\\';
      else if (ch === q) s += '\\' + q;
      else if (ch === '\n') s += '\\n';
      else if (ch === '\r') s += '\\r';
      else if (ch === '\t') s += '\\t';
      else if (cp < 0x20 || cp === 0x7f) s += '\\x' + cp.toString(16).padStart(2, '0');
      else if (cp >= 0x80) return undefined;
      else s += ch;
    }
    return s + q;
  }
  return pyStr(v);
}

export function pyStr(v: CV): string | undefined {
  if (typeof v === 'string') return v;
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    return Number.isSafeInteger(v) ? String(v) : undefined;
  }
  if (Array.isArray(v)) {
    const parts = v.map(pyRepr);
    return parts.every((p) => p !== undefined) ? '[' + parts.join(', ') + ']' : undefined;
  }
  const parts = v.entries.map(([k, x]) => {
    const a = pyRepr(k);
    const b = pyRepr(x);
    return a === undefined || b === undefined ? undefined : `${a}: ${b}`;
  });
  return parts.every((p) => p !== undefined) ? '{' + parts.join(', ') + '}' : undefined;
}

export function truthy(v: CV): boolean {
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'boolean') return v;
  if (v === null) return false;
  if (Array.isArray(v)) return v.length > 0;
  return v.entries.length > 0;
}

/** Iterating a constant: characters of a string, items of a list, keys of a dict. */
export function iterate(v: CV): CV[] | undefined {
  if (typeof v === 'string') return [...v];
  if (Array.isArray(v)) return v;
  if (v instanceof PyDict) return v.entries.map(([k]) => k);
  return undefined;
}

function index(len: number, i: CV): number | undefined {
  if (typeof i === 'boolean') i = i ? 1 : 0;
  if (typeof i !== 'number' || !Number.isInteger(i)) return undefined;
  const j = i < 0 ? len + i : i;
  return j >= 0 && j < len ? j : undefined;
}

export function getItem(obj: CV, key: CV): CV | undefined {
  if (typeof obj === 'string') {
    const chars = [...obj];
    const j = index(chars.length, key);
    return j === undefined ? undefined : chars[j];
  }
  if (Array.isArray(obj)) {
    const j = index(obj.length, key);
    return j === undefined ? undefined : obj[j];
  }
  if (obj instanceof PyDict) return obj.get(key);
  return undefined;
}

export function slice(obj: CV, start: CV, stop: CV, step: CV): CV | undefined {
  const seq = typeof obj === 'string' ? [...obj] : Array.isArray(obj) ? obj : undefined;
  if (!seq) return undefined;
  const n = seq.length;
  const num = (x: CV): number | null | undefined => (x === null ? null : typeof x === 'number' && Number.isInteger(x) ? x : undefined);
  const st = num(step) ?? 1;
  const a = num(start);
  const b = num(stop);
  if (st === undefined || a === undefined || b === undefined || st === 0) return undefined;
  const clamp = (x: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, x));
  const norm = (x: number) => (x < 0 ? x + n : x);
  const out: CV[] = [];
  if (st > 0) {
    const from = a === null ? 0 : clamp(norm(a), 0, n);
    const to = b === null ? n : clamp(norm(b), 0, n);
    for (let i = from; i < to; i += st) out.push(seq[i]!);
  } else {
    const from = a === null ? n - 1 : clamp(norm(a), -1, n - 1);
    const to = b === null ? -1 : clamp(norm(b), -1, n - 1);
    for (let i = from; i > to; i += st) out.push(seq[i]!);
  }
  return typeof obj === 'string' ? (out as string[]).join('') : out;
}

export function repeat(a: CV, b: CV): CV | undefined {
  let s = a;
  let n = b;
  if (typeof a === 'number' && (typeof b === 'string' || Array.isArray(b))) [s, n] = [b, a];
  if (typeof n === 'boolean') n = n ? 1 : 0;
  if (typeof n !== 'number' || !Number.isInteger(n)) return undefined;
  if (n <= 0) return typeof s === 'string' ? '' : Array.isArray(s) ? [] : undefined;
  if (typeof s === 'string') return s.length * n > MAX_STR ? undefined : s.repeat(n);
  if (Array.isArray(s)) {
    if (s.length * n > MAX_LIST) return undefined;
    const out: CV[] = [];
    for (let i = 0; i < n; i++) out.push(...s);
    return out;
  }
  return undefined;
}

export function add(a: CV, b: CV): CV | undefined {
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  return undefined;
}

const PRINTF = /%(?:\(([^)]*)\))?([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?([diouxXeEfFgGcrsa%])/g;

/** Python's `str % args` for the conversions that can matter (s r a c d i u o x X %). */
export function printf(fmt: string, args: CV): string | undefined {
  const positional = Array.isArray(args) ? args : [args];
  const mapping = args instanceof PyDict ? args : null;
  let ai = 0;
  let failed = false;
  const out = fmt.replace(PRINTF, (_m, key: string | undefined, flags: string, width: string | undefined, _prec, conv: string) => {
    if (conv === '%') return '%';
    if (width === '*' || _prec === '*') {
      failed = true;
      return '';
    }
    let v: CV | undefined;
    if (key !== undefined) v = mapping ? mapping.get(key) : undefined;
    else v = mapping ? args : positional[ai++];
    if (v === undefined) {
      failed = true;
      return '';
    }
    let s: string | undefined;
    if (conv === 's') s = pyStr(v);
    else if (conv === 'r' || conv === 'a') s = pyRepr(v);
    else if (conv === 'c') {
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x10ffff) s = String.fromCodePoint(v);
      else if (typeof v === 'string' && [...v].length === 1) s = v;
    } else if ('diu'.includes(conv)) s = typeof v === 'number' ? String(Math.trunc(v)) : typeof v === 'boolean' ? (v ? '1' : '0') : undefined;
    else if ('oxX'.includes(conv)) {
      if (typeof v === 'number' && Number.isInteger(v)) {
        s = Math.abs(v).toString(conv === 'o' ? 8 : 16);
        if (conv === 'X') s = s.toUpperCase();
        if (flags.includes('#')) s = (conv === 'o' ? '0o' : conv === 'x' ? '0x' : '0X') + s;
        if (v < 0) s = '-' + s;
      }
    }
    if (s === undefined) {
      failed = true;
      return '';
    }
    const w = width ? Number(width) : 0;
    if (w > MAX_STR) {
      failed = true;
      return '';
    }
    if (s.length < w) s = flags.includes('-') ? s.padEnd(w) : flags.includes('0') && 'diuoxX'.includes(conv) ? s.padStart(w, '0') : s.padStart(w);
    return s;
  });
  if (failed || out.length > MAX_STR) return undefined;
  if (!mapping && ai < positional.length && Array.isArray(args)) return undefined; // "not all arguments converted"
  return out;
}

export interface FormatField {
  /** `0`, `name`, or '' (automatic numbering). */
  arg: string;
  /** Attribute names accessed with `.name` in the field (str.format performs getattr on them). */
  attrs: string[];
  /** Item keys accessed with `[key]`. */
  keys: string[];
  conversion: string;
  spec: string;
}

/** Parses the replacement fields of a `str.format` string (nested fields in specs included). */
export function parseFormatFields(fmt: string, depth = 0): FormatField[] | undefined {
  if (depth > 2) return undefined;
  const fields: FormatField[] = [];
  let i = 0;
  while (i < fmt.length) {
    const c = fmt[i]!;
    if (c === '{') {
      if (fmt[i + 1] === '{') {
        i += 2;
        continue;
      }
      // find the matching close brace (specs may nest one level of fields)
      let j = i + 1;
      let level = 1;
      while (j < fmt.length && level > 0) {
        if (fmt[j] === '{') level++;
        else if (fmt[j] === '}') level--;
        if (level > 0) j++;
      }
      if (level !== 0) return undefined;
      const body = fmt.slice(i + 1, j);
      const m = /^([^.[!:]*)((?:\.[^.[!:]*|\[[^\]]*\])*)(?:!([^:]*))?(?::(.*))?$/s.exec(body);
      if (!m) return undefined;
      const attrs: string[] = [];
      const keys: string[] = [];
      for (const part of m[2]!.match(/\.[^.[]*|\[[^\]]*\]/g) ?? []) {
        if (part.startsWith('.')) attrs.push(part.slice(1));
        else keys.push(part.slice(1, -1));
      }
      const spec = m[4] ?? '';
      fields.push({ arg: m[1]!, attrs, keys, conversion: m[3] ?? '', spec });
      if (spec.includes('{')) {
        const nested = parseFormatFields(spec, depth + 1);
        if (!nested) return undefined;
        fields.push(...nested);
      }
      i = j + 1;
    } else if (c === '}') {
      if (fmt[i + 1] !== '}') return undefined;
      i += 2;
    } else i++;
  }
  return fields;
}

/** `str.format` with plain fields (no attributes, items, or specs); undefined otherwise. */
export function pyFormat(fmt: string, args: CV[], kwargs: Map<string, CV>): string | undefined {
  let auto = 0;
  let failed = false;
  const out = fmt.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, body: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const f = /^([^.[!:]*)(?:!([rsa]))?$/.exec(body ?? '');
    if (!f) {
      failed = true;
      return '';
    }
    const name = f[1]!;
    const v = name === '' ? args[auto++] : /^\d+$/.test(name) ? args[Number(name)] : kwargs.get(name);
    const s = v === undefined ? undefined : f[2] === 'r' || f[2] === 'a' ? pyRepr(v) : pyStr(v);
    if (s === undefined) {
      failed = true;
      return '';
    }
    return s;
  });
  return failed || out.length > MAX_STR ? undefined : out;
}

function pyTitle(s: string): string {
  return s.replace(/[A-Za-z]+/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase());
}

function stripChars(s: string, chars: CV | undefined, mode: 'both' | 'left' | 'right'): string | undefined {
  if (chars === undefined || chars === null) {
    if (mode === 'both') return s.trim();
    return mode === 'left' ? s.trimStart() : s.trimEnd();
  }
  if (typeof chars !== 'string') return undefined;
  const set = new Set(chars);
  let a = 0;
  let b = s.length;
  if (mode !== 'right') while (a < b && set.has(s[a]!)) a++;
  if (mode !== 'left') while (b > a && set.has(s[b - 1]!)) b--;
  return s.slice(a, b);
}

function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');
}

function joinItems(items: CV[] | undefined, sep: CV): string | undefined {
  if (!items || typeof sep !== 'string') return undefined;
  const parts = items.map(pyStr);
  if (parts.some((p) => p === undefined)) return undefined;
  const s = parts.join(sep);
  return s.length > MAX_STR ? undefined : s;
}

function replaceStr(s: string, old: CV, nu: CV, count: CV | undefined): string | undefined {
  if (typeof old !== 'string' || typeof nu !== 'string') return undefined;
  let n = count === undefined || count === null ? -1 : typeof count === 'number' ? count : NaN;
  if (Number.isNaN(n)) return undefined;
  let out: string;
  if (old === '') {
    const chars = [...s];
    const parts: string[] = [];
    for (let i = 0; i <= chars.length; i++) {
      if (n !== 0) {
        parts.push(nu);
        n--;
      }
      if (i < chars.length) parts.push(chars[i]!);
    }
    out = parts.join('');
  } else {
    out = '';
    let pos = 0;
    for (;;) {
      const k = n === 0 ? -1 : s.indexOf(old, pos);
      if (k === -1) break;
      out += s.slice(pos, k) + nu;
      pos = k + old.length;
      n--;
    }
    out += s.slice(pos);
  }
  return out.length > MAX_STR ? undefined : out;
}

/** Jinja filters evaluated on constants; undefined when not modelled or not applicable. */
export function filterConst(name: string, input: CV, args: CV[], kw: Map<string, CV>): CV | undefined {
  const arg = (i: number, key: string): CV | undefined => (args.length > i ? args[i] : kw.get(key));
  switch (name) {
    case 'string':
      return pyStr(input);
    case 'e':
    case 'escape':
    case 'forceescape': {
      const s = pyStr(input);
      return s === undefined ? undefined : htmlEscape(s);
    }
    case 'safe':
      return input;
    case 'lower':
    case 'upper':
    case 'capitalize':
    case 'title': {
      const s = pyStr(input);
      if (s === undefined) return undefined;
      if (name === 'lower') return s.toLowerCase();
      if (name === 'upper') return s.toUpperCase();
      if (name === 'title') return pyTitle(s);
      return s.slice(0, 1).toUpperCase() + s.slice(1).toLowerCase();
    }
    case 'trim': {
      const s = pyStr(input);
      return s === undefined ? undefined : stripChars(s, arg(0, 'chars'), 'both');
    }
    case 'reverse':
      if (typeof input === 'string') return [...input].reverse().join('');
      return Array.isArray(input) ? [...input].reverse() : undefined;
    case 'join': {
      if (arg(1, 'attribute') !== undefined) return undefined;
      return joinItems(iterate(input), arg(0, 'd') ?? '');
    }
    case 'replace': {
      const s = pyStr(input);
      const old = arg(0, 'old');
      const nu = arg(1, 'new');
      if (s === undefined || old === undefined || nu === undefined) return undefined;
      return replaceStr(s, old, nu, arg(2, 'count'));
    }
    case 'format': {
      if (typeof input !== 'string') return undefined;
      if (kw.size > 0) return args.length ? undefined : printf(input, new PyDict([...kw.entries()]));
      return printf(input, args.length === 1 ? args[0]! : args);
    }
    case 'first':
    case 'last': {
      const items = iterate(input);
      if (!items || items.length === 0) return undefined;
      return name === 'first' ? items[0] : items[items.length - 1];
    }
    case 'list':
      return iterate(input);
    case 'default':
    case 'd': {
      const boolean = arg(1, 'boolean');
      if (boolean && !truthy(input)) return arg(0, 'default_value') ?? '';
      return input;
    }
    case 'items':
      return input instanceof PyDict ? input.entries.map(([k, v]) => [k, v]) : undefined;
    case 'sort':
    case 'unique': {
      if (arg(name === 'sort' ? 2 : 1, 'attribute') !== undefined) return undefined;
      const items = iterate(input);
      if (!items || !items.every((x) => typeof x === 'string')) return undefined;
      let out = [...(items as string[])];
      if (name === 'unique') out = [...new Set(out)];
      else {
        out.sort();
        if (arg(0, 'reverse')) out.reverse();
      }
      return out;
    }
    case 'center': {
      const s = pyStr(input);
      const w = arg(0, 'width') ?? 80;
      if (s === undefined || typeof w !== 'number' || w > MAX_STR) return undefined;
      if (s.length >= w) return s;
      const total = w - s.length;
      const left = Math.floor(total / 2) + (total & w & 1);
      return ' '.repeat(left) + s + ' '.repeat(total - left);
    }
    default:
      return undefined;
  }
}

/** Methods of constant strings, lists and dicts that can build names. */
export function methodConst(recv: CV, name: string, args: CV[], kw: Map<string, CV>): CV | undefined {
  if (typeof recv === 'string') {
    switch (name) {
      case 'format':
        return pyFormat(recv, args, kw);
      case 'join':
        return args.length === 1 ? joinItems(iterate(args[0]!), recv) : undefined;
      case 'replace':
        return args.length >= 2 ? replaceStr(recv, args[0]!, args[1]!, args[2]) : undefined;
      case 'upper':
        return recv.toUpperCase();
      case 'lower':
      case 'casefold':
        return recv.toLowerCase();
      case 'swapcase':
        return [...recv].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
      case 'title':
        return pyTitle(recv);
      case 'capitalize':
        return recv.slice(0, 1).toUpperCase() + recv.slice(1).toLowerCase();
      case 'strip':
        return stripChars(recv, args[0], 'both');
      case 'lstrip':
        return stripChars(recv, args[0], 'left');
      case 'rstrip':
        return stripChars(recv, args[0], 'right');
      case 'removeprefix':
        return typeof args[0] === 'string' ? (recv.startsWith(args[0]) ? recv.slice(args[0].length) : recv) : undefined;
      case 'removesuffix':
        return typeof args[0] === 'string' ? (args[0] && recv.endsWith(args[0]) ? recv.slice(0, -args[0].length) : recv) : undefined;
      case 'split': {
        const sep = args[0] ?? kw.get('sep') ?? null;
        if (sep === null) return recv.trim().split(/\s+/).filter((x) => x);
        if (typeof sep !== 'string' || sep === '') return undefined;
        const max = args[1] ?? kw.get('maxsplit');
        if (max !== undefined && max !== -1) return undefined;
        return recv.split(sep);
      }
      case 'center':
      case 'ljust':
      case 'rjust':
      case 'zfill': {
        const w = args[0];
        if (typeof w !== 'number' || w > MAX_STR) return undefined;
        const fill = name === 'zfill' ? '0' : typeof args[1] === 'string' ? args[1] : ' ';
        if (name === 'ljust') return recv.padEnd(w, fill);
        if (name === 'rjust' || name === 'zfill') return recv.padStart(w, fill);
        return filterConst('center', recv, [w], new Map());
      }
      default:
        return undefined;
    }
  }
  if (recv instanceof PyDict) {
    if (name === 'get') return recv.get(args[0] ?? null) ?? args[1] ?? null;
    if (name === 'keys') return recv.entries.map(([k]) => k);
    if (name === 'values') return recv.entries.map(([, v]) => v);
    if (name === 'items') return recv.entries.map(([k, v]) => [k, v]);
  }
  return undefined;
}
