/**
 * A tiny pickle assembler for hand-made attack pickles: opcodes no pickler writes (non-constant
 * STACK_GLOBAL, EXT codes, straddling frames...). Each method appends one opcode.
 */
export class Asm {
  private parts: Buffer[] = [];

  raw(...items: (number | string | Buffer)[]): this {
    for (const it of items) {
      if (typeof it === 'number') this.parts.push(Buffer.from([it]));
      else if (typeof it === 'string') this.parts.push(Buffer.from(it, 'latin1'));
      else this.parts.push(it);
    }
    return this;
  }

  get length(): number {
    return this.parts.reduce((n, p) => n + p.length, 0);
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }

  proto(v: number): this {
    return this.raw(0x80, v);
  }
  stop(): this {
    return this.raw('.');
  }
  mark(): this {
    return this.raw('(');
  }
  pop(): this {
    return this.raw('0');
  }
  popMark(): this {
    return this.raw('1');
  }
  dup(): this {
    return this.raw('2');
  }
  none(): this {
    return this.raw('N');
  }
  newTrue(): this {
    return this.raw(0x88);
  }
  int(n: number | string): this {
    return this.raw(`I${n}\n`);
  }
  long(n: string): this {
    return this.raw(`L${n}L\n`);
  }
  float(t: string): this {
    return this.raw(`F${t}\n`);
  }
  binint1(n: number): this {
    return this.raw('K', n);
  }
  binint(n: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    return this.raw('J', b);
  }
  long1(bytes: number[]): this {
    return this.raw(0x8a, bytes.length, Buffer.from(bytes));
  }
  /** Protocol-0 STRING: the argument as written (quotes and escapes included). */
  stringRaw(quoted: string): this {
    return this.raw(`S${quoted}\n`);
  }
  string(s: string): this {
    return this.stringRaw(`'${s}'`);
  }
  /** Protocol-0 UNICODE (raw-unicode-escape text as written). */
  unicodeRaw(text: string): this {
    return this.raw(`V${text}\n`);
  }
  shortBinstring(s: string): this {
    return this.raw('U', s.length, s);
  }
  binstring(s: string): this {
    return this.raw('T', u32(s.length), s);
  }
  shortBinunicode(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.raw(0x8c, b.length, b);
  }
  binunicode(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.raw('X', u32(b.length), b);
  }
  binunicode8(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.raw(0x8d, u64(b.length), b);
  }
  shortBinbytes(b: Buffer | string): this {
    const buf = Buffer.isBuffer(b) ? b : Buffer.from(b, 'latin1');
    return this.raw('C', buf.length, buf);
  }
  binbytes(b: Buffer | string): this {
    const buf = Buffer.isBuffer(b) ? b : Buffer.from(b, 'latin1');
    return this.raw('B', u32(buf.length), buf);
  }
  /** BINBYTES header only, declaring `n` payload bytes (the payload is whatever follows). */
  binbytesHeader(n: number): this {
    return this.raw('B', u32(n));
  }
  global(module: string, name: string): this {
    return this.raw(`c${module}\n${name}\n`);
  }
  inst(module: string, name: string): this {
    return this.raw(`i${module}\n${name}\n`);
  }
  stackGlobal(): this {
    return this.raw(0x93);
  }
  memoize(): this {
    return this.raw(0x94);
  }
  put(i: number): this {
    return this.raw(`p${i}\n`);
  }
  get(i: number): this {
    return this.raw(`g${i}\n`);
  }
  binput(i: number): this {
    return this.raw('q', i);
  }
  binget(i: number): this {
    return this.raw('h', i);
  }
  longBinput(i: number): this {
    return this.raw('r', u32(i));
  }
  longBinget(i: number): this {
    return this.raw('j', u32(i));
  }
  emptyTuple(): this {
    return this.raw(')');
  }
  emptyList(): this {
    return this.raw(']');
  }
  emptyDict(): this {
    return this.raw('}');
  }
  emptySet(): this {
    return this.raw(0x8f);
  }
  tuple(): this {
    return this.raw('t');
  }
  tuple1(): this {
    return this.raw(0x85);
  }
  tuple2(): this {
    return this.raw(0x86);
  }
  tuple3(): this {
    return this.raw(0x87);
  }
  list(): this {
    return this.raw('l');
  }
  dict(): this {
    return this.raw('d');
  }
  append(): this {
    return this.raw('a');
  }
  appends(): this {
    return this.raw('e');
  }
  setitem(): this {
    return this.raw('s');
  }
  setitems(): this {
    return this.raw('u');
  }
  reduce(): this {
    return this.raw('R');
  }
  build(): this {
    return this.raw('b');
  }
  obj(): this {
    return this.raw('o');
  }
  newobj(): this {
    return this.raw(0x81);
  }
  newobjEx(): this {
    return this.raw(0x92);
  }
  ext1(code: number): this {
    return this.raw(0x82, code);
  }
  ext2(code: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(code);
    return this.raw(0x83, b);
  }
  ext4(code: number): this {
    return this.raw(0x84, u32(code));
  }
  persid(pid: string): this {
    return this.raw(`P${pid}\n`);
  }
  binpersid(): this {
    return this.raw('Q');
  }
  frame(len: number): this {
    return this.raw(0x95, u64(len));
  }
  /** FRAME covering `body` exactly. */
  framed(body: Buffer): this {
    return this.frame(body.length).raw(body);
  }
  nextBuffer(): this {
    return this.raw(0x97);
  }
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

export function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

export const asm = (): Asm => new Asm();

/** `module.name(arg)` via GLOBAL + REDUCE, protocol 2, as os.system payloads are usually written. */
export function callGlobal(module: string, name: string, arg = 'echo pwned', proto = 2): Buffer {
  return asm().proto(proto).global(module, name).shortBinunicode(arg).tuple1().reduce().stop().bytes();
}
