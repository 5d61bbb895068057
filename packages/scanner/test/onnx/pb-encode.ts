/** A tiny protobuf encoder for building test messages by hand (fields in any order, any wire type). */
export type PbValue =
  | { n: number; varint: number | bigint }
  | { n: number; bytes: Buffer | string }
  | { n: number; msg: PbValue[] }
  | { n: number; fixed32: number }
  | { n: number; fixed64: bigint };

export function varint(v: number | bigint): Buffer {
  let x = BigInt(v);
  if (x < 0n) x += 1n << 64n;
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) b |= 0x80;
    out.push(b);
  } while (x > 0n);
  return Buffer.from(out);
}

export function tag(n: number, wire: number): Buffer {
  return varint(n * 8 + wire);
}

export function encode(fields: PbValue[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of fields) {
    if ('varint' in f) parts.push(tag(f.n, 0), varint(f.varint));
    else if ('bytes' in f) {
      const b = typeof f.bytes === 'string' ? Buffer.from(f.bytes, 'utf8') : f.bytes;
      parts.push(tag(f.n, 2), varint(b.length), b);
    } else if ('msg' in f) {
      const b = encode(f.msg);
      parts.push(tag(f.n, 2), varint(b.length), b);
    } else if ('fixed32' in f) {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(f.fixed32);
      parts.push(tag(f.n, 5), b);
    } else {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(f.fixed64);
      parts.push(tag(f.n, 1), b);
    }
  }
  return Buffer.concat(parts);
}

export const V = (n: number, varintValue: number | bigint): PbValue => ({ n, varint: varintValue });
export const S = (n: number, bytes: Buffer | string): PbValue => ({ n, bytes });
export const M = (n: number, ...msg: PbValue[]): PbValue => ({ n, msg });
