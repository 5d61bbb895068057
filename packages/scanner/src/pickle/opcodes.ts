/**
 * Pickle opcodes (CPython `Lib/pickle.py`, `Lib/pickletools.py`) and the decoders for their
 * text arguments, written to accept exactly what CPython's unpicklers (C or Python) accept.
 */

export const OP = {
  MARK: 0x28, // (
  STOP: 0x2e, // .
  POP: 0x30, // 0
  POP_MARK: 0x31, // 1
  DUP: 0x32, // 2
  FLOAT: 0x46, // F
  INT: 0x49, // I
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  LONG: 0x4c, // L
  BININT2: 0x4d, // M
  NONE: 0x4e, // N
  PERSID: 0x50, // P
  BINPERSID: 0x51, // Q
  REDUCE: 0x52, // R
  STRING: 0x53, // S
  BINSTRING: 0x54, // T
  SHORT_BINSTRING: 0x55, // U
  UNICODE: 0x56, // V
  BINUNICODE: 0x58, // X
  APPEND: 0x61, // a
  BUILD: 0x62, // b
  GLOBAL: 0x63, // c
  DICT: 0x64, // d
  EMPTY_DICT: 0x7d, // }
  APPENDS: 0x65, // e
  GET: 0x67, // g
  BINGET: 0x68, // h
  INST: 0x69, // i
  LONG_BINGET: 0x6a, // j
  LIST: 0x6c, // l
  EMPTY_LIST: 0x5d, // ]
  OBJ: 0x6f, // o
  PUT: 0x70, // p
  BINPUT: 0x71, // q
  LONG_BINPUT: 0x72, // r
  SETITEM: 0x73, // s
  TUPLE: 0x74, // t
  EMPTY_TUPLE: 0x29, // )
  SETITEMS: 0x75, // u
  BINFLOAT: 0x47, // G
  // protocol 2
  PROTO: 0x80,
  NEWOBJ: 0x81,
  EXT1: 0x82,
  EXT2: 0x83,
  EXT4: 0x84,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  LONG4: 0x8b,
  // protocol 3
  BINBYTES: 0x42, // B
  SHORT_BINBYTES: 0x43, // C
  // protocol 4
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  BINBYTES8: 0x8e,
  EMPTY_SET: 0x8f,
  ADDITEMS: 0x90,
  FROZENSET: 0x91,
  NEWOBJ_EX: 0x92,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
  // protocol 5
  BYTEARRAY8: 0x96,
  NEXT_BUFFER: 0x97,
  READONLY_BUFFER: 0x98,
} as const;

/** Opcode byte -> name; undefined for bytes that are not opcodes. */
export const OPCODE_NAMES: (string | undefined)[] = (() => {
  const names: (string | undefined)[] = new Array<string | undefined>(256).fill(undefined);
  for (const [name, code] of Object.entries(OP)) names[code] = name;
  return names;
})();

export function opName(op: number): string {
  return OPCODE_NAMES[op] ?? `0x${op.toString(16).padStart(2, '0')}`;
}

export const HIGHEST_PROTOCOL = 5;
/** CPython's pickler writes str/bytes/bytearray payloads of at least this size outside frames. */
export const FRAME_SIZE_TARGET = 64 * 1024;

/** Python int(text, 0) and C strtol(text, 0) (which also takes leading-zero octal) accept these. */
const INT_RE = /^[ \t\n\r\f\v]*[+-]?(?:\d(?:_?\d)*|0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+)[ \t\n\r\f\v]*$/;
/** int(text) (base 10) for GET/PUT arguments. */
const DEC_RE = /^[ \t\n\r\f\v]*[+-]?\d(?:_?\d)*[ \t\n\r\f\v]*$/;
/** Python float(text) (the pure-Python unpickler; the C one is stricter). */
const FLOAT_RE =
  /^[ \t\n\r\f\v]*[+-]?(?:(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?|inf|infinity|nan)[ \t\n\r\f\v]*$/i;

/** Parses an INT/LONG argument; null when CPython would raise. */
export function parseIntText(text: string): number | bigint | null {
  if (!INT_RE.test(text)) return null;
  let t = text.trim().replace(/_/g, '');
  let neg = false;
  if (t.startsWith('+') || t.startsWith('-')) {
    neg = t.startsWith('-');
    t = t.slice(1);
  }
  let v: bigint;
  try {
    if (/^0[oO]/.test(t)) v = BigInt(`0o${t.slice(2)}`);
    else if (/^0[xXbB]/.test(t)) v = BigInt(t.toLowerCase());
    else if (/^0\d/.test(t)) v = BigInt(`0o${t.slice(1).replace(/^0+/, '') || '0'}`) // C strtol octal; Python refuses, C accepts
    else v = BigInt(t);
  } catch {
    return null;
  }
  if (neg) v = -v;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

export function parseDecimalIndex(text: string): number | null {
  if (!DEC_RE.test(text)) return null;
  const n = Number(text.trim().replace(/_/g, ''));
  return Number.isSafeInteger(n) ? n : null;
}

export function parseFloatText(text: string): number | null {
  if (!FLOAT_RE.test(text)) return null;
  const t = text.trim().replace(/_/g, '').toLowerCase();
  if (t.endsWith('inf') || t.endsWith('infinity')) return t.startsWith('-') ? -Infinity : Infinity;
  if (t.endsWith('nan')) return NaN;
  return Number(t);
}

/** codecs.escape_decode (the STRING opcode's quoted argument, quotes removed); null on an invalid escape. */
export function escapeDecode(bytes: Buffer): string | null {
  let out = '';
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c !== 0x5c) {
      out += String.fromCharCode(c);
      continue;
    }
    if (i + 1 >= n) return null; // trailing backslash: "\ at end of string"
    const e = bytes[++i]!;
    switch (e) {
      case 0x0a: break; // backslash-newline: line continuation
      case 0x5c: out += '\\'; break;
      case 0x27: out += "'"; break;
      case 0x22: out += '"'; break;
      case 0x62: out += '\b'; break;
      case 0x66: out += '\f'; break;
      case 0x74: out += '\t'; break;
      case 0x6e: out += '\n'; break;
      case 0x72: out += '\r'; break;
      case 0x76: out += '\v'; break;
      case 0x61: out += '\x07'; break;
      case 0x78: {
        const h = bytes.subarray(i + 1, i + 3).toString('latin1');
        if (!/^[0-9a-fA-F]{2}$/.test(h)) return null;
        out += String.fromCharCode(parseInt(h, 16));
        i += 2;
        break;
      }
      default:
        if (e >= 0x30 && e <= 0x37) {
          let v = e - 0x30;
          for (let k = 0; k < 2 && i + 1 < n && bytes[i + 1]! >= 0x30 && bytes[i + 1]! <= 0x37; k++) v = v * 8 + (bytes[++i]! - 0x30);
          out += String.fromCharCode(v & 0xff);
        } else {
          out += `\\${String.fromCharCode(e)}`;
        }
    }
  }
  return out;
}

/** The raw-unicode-escape codec (UNICODE opcode); null on a truncated \u escape or a bad code point. */
export function rawUnicodeEscapeDecode(bytes: Buffer): string | null {
  let out = '';
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const c = bytes[i]!;
    if (c !== 0x5c) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    // Escapes count only after an odd number of backslashes.
    const bs = i;
    while (i < n && bytes[i] === 0x5c) {
      out += '\\';
      i++;
    }
    if (((i - bs) & 1) === 0 || i >= n || (bytes[i] !== 0x75 && bytes[i] !== 0x55)) continue;
    out = out.slice(0, -1);
    const count = bytes[i] === 0x75 ? 4 : 8;
    i++;
    const hex = bytes.subarray(i, i + count).toString('latin1');
    if (hex.length !== count || !/^[0-9a-fA-F]+$/.test(hex)) return null;
    const cp = parseInt(hex, 16);
    if (cp > 0x10ffff) return null;
    out += String.fromCodePoint(cp);
    i += count;
  }
  return out;
}

/** Python's identifier-ish dotted names: what an import could actually resolve. */
export const DOTTED_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
