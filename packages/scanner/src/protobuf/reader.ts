/**
 * A small protobuf wire-format reader for scanning, not for decoding whole messages.
 *
 * - `PbReader` walks one message region [start, end) of a `ByteSource` field by field. Payloads of
 *   length-delimited fields are never read unless asked for (`bytes`, `string`, `sub`), so a 2 GiB
 *   ONNX model with inline `raw_data` is walked by reading only its tags and lengths.
 * - Reads go through a small window cache (`PbSource`), so walking a message with many small fields
 *   costs one disk read per window, not one per field.
 * - Every length is checked against the enclosing message: a field running past its message's end
 *   is a `ProtoError`, as are bad wire types, field number 0 and over-long varints.
 * - Sub-messages carry a depth; going deeper than `maxDepth` is a `ProtoLimit`.
 *
 * Offsets in fields and errors are absolute offsets in the source.
 */
import type { ByteSource } from '../source.js';

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_SGROUP = 3;
export const WIRE_EGROUP = 4;
export const WIRE_I32 = 5;

/** Malformed protobuf: the bytes cannot be a message a protobuf library would parse. */
export class ProtoError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    // A rejected input, not a bug: no stack trace (most probes of non-protobuf bytes end here).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`${message} at byte ${offset}`);
    Error.stackTraceLimit = limit;
    this.name = 'ProtoError';
  }
}

/** A structural limit of the reader (nesting depth, field count) was reached. */
export class ProtoLimit extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'ProtoLimit';
  }
}

export interface PbField {
  /** Field number (1 .. 2^29-1). */
  num: number;
  wire: number;
  /** Offset of the tag. */
  tagOffset: number;
  /** Offset of the value (for LEN fields: of the payload, after the length varint). */
  offset: number;
  /** Payload length for LEN fields; 4/8 for fixed; byte length of the varint for VARINT; group span for groups. */
  length: number;
  /** VARINT value (a number when it is a safe integer, else a bigint). Unset for other wire types. */
  varint?: number | bigint;
}

const DEFAULT_WINDOW = 64 * 1024;
const MIN_WINDOW = 512;

/**
 * Random access to a ByteSource through a one-window cache. The window adapts: a read that
 * continues where the last one ended doubles it (up to `window`), a jump (skipping a tensor
 * payload) starts again small, so a model with thousands of inline tensors costs a few hundred
 * bytes per tensor, not a full window.
 */
export class PbSource {
  private buf: Buffer = Buffer.alloc(0);
  private bufStart = 0;
  private next = MIN_WINDOW;
  /** Bytes read from the underlying source (for tests and budgets). */
  bytesRead = 0;

  constructor(
    readonly source: ByteSource,
    private readonly window = DEFAULT_WINDOW,
  ) {}

  get size(): number {
    return this.source.size;
  }

  /** Makes [pos, pos+n) available (clipped to the end of the source); returns the cached buffer and the index of pos in it. */
  async view(pos: number, n: number): Promise<{ buf: Buffer; at: number; avail: number }> {
    const end = Math.min(this.source.size, pos + n);
    if (pos < this.bufStart || end > this.bufStart + this.buf.length) {
      const bufEnd = this.bufStart + this.buf.length;
      const sequential = pos >= this.bufStart && pos <= bufEnd + 64;
      this.next = sequential ? Math.min(this.window, this.next * 2) : MIN_WINDOW;
      const len = Math.max(end - pos, Math.min(this.next, this.source.size - pos));
      this.buf = await this.source.read(pos, len);
      this.bytesRead += this.buf.length;
      this.bufStart = pos;
    }
    const at = pos - this.bufStart;
    return { buf: this.buf, at, avail: Math.max(0, Math.min(this.buf.length - at, end - pos)) };
  }

  /** Reads exactly [pos, pos+n) (bounded by the caller). */
  async read(pos: number, n: number): Promise<Buffer> {
    if (n <= this.window) {
      const v = await this.view(pos, n);
      return Buffer.from(v.buf.subarray(v.at, v.at + v.avail));
    }
    const b = await this.source.read(pos, n);
    this.bytesRead += b.length;
    return b;
  }
}

export interface ReaderOptions {
  /** Nesting depth limit for sub-messages (protobuf's own default is 100). */
  maxDepth?: number;
}

/** Decodes a varint from buf at i; returns [value, bytesUsed] or throws. `limit` is the index past which bytes may not be read. */
export function decodeVarint(buf: Buffer, i: number, limit: number, absOffset: number): [number | bigint, number] {
  let lo = 0;
  let shift = 0;
  let n = 0;
  // Fast path: up to 4 bytes (28 bits) fit in a 32-bit number safely.
  while (n < 4) {
    if (i + n >= limit) throw new ProtoError('truncated varint', absOffset + n);
    const b = buf[i + n]!;
    lo |= (b & 0x7f) << shift;
    n++;
    if ((b & 0x80) === 0) return [lo >>> 0, n];
    shift += 7;
  }
  let big = BigInt(lo >>> 0);
  let bshift = 28n;
  while (n < 10) {
    if (i + n >= limit) throw new ProtoError('truncated varint', absOffset + n);
    const b = buf[i + n]!;
    big |= BigInt(b & 0x7f) << bshift;
    n++;
    if ((b & 0x80) === 0) {
      big &= 0xffff_ffff_ffff_ffffn; // protobuf truncates to 64 bits
      return [big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big, n];
    }
    bshift += 7n;
  }
  throw new ProtoError('varint longer than 10 bytes', absOffset);
}

/** A varint as a signed int64 (two's complement), as protobuf's int64 fields store negatives. */
export function asInt64(v: number | bigint): bigint {
  const b = BigInt(v);
  return b >= 1n << 63n ? b - (1n << 64n) : b;
}

/** A varint as a JS number when it is a safe non-negative integer, else null. */
export function asSafeUint(v: number | bigint | undefined): number | null {
  if (typeof v === 'number') return v;
  return null;
}

/**
 * Walks the fields of one message region. Obtain one with `PbReader.open` (the whole source as a
 * message) or `reader.sub(field)` (a LEN field's payload as a sub-message).
 */
export class PbReader {
  private pos: number;
  readonly maxDepth: number;

  private constructor(
    readonly src: PbSource,
    readonly start: number,
    readonly end: number,
    readonly depth: number,
    maxDepth: number,
  ) {
    this.pos = start;
    this.maxDepth = maxDepth;
  }

  static open(source: ByteSource | PbSource | Buffer, opts: ReaderOptions = {}, start = 0, end?: number): PbReader {
    const src = source instanceof PbSource ? source : new PbSource(Buffer.isBuffer(source) ? new MemSource(source) : source);
    return new PbReader(src, start, Math.min(end ?? src.size, src.size), 0, opts.maxDepth ?? 100);
  }

  get position(): number {
    return this.pos;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The next field, or null at the end of the message. Skips the field's value. */
  async next(): Promise<PbField | null> {
    if (this.pos >= this.end) return null;
    const tagOffset = this.pos;
    const v = await this.src.view(this.pos, 20);
    const limit = Math.min(v.at + v.avail, v.at + (this.end - this.pos));
    const [tag, tn] = decodeVarint(v.buf, v.at, limit, tagOffset);
    if (typeof tag !== 'number' || tag > 0xffff_ffff) throw new ProtoError('tag out of range', tagOffset);
    const num = Math.floor(tag / 8);
    const wire = tag & 7;
    if (num === 0) throw new ProtoError('field number 0', tagOffset);
    if (num > 0x1fff_ffff) throw new ProtoError('field number out of range', tagOffset);
    let p = v.at + tn;
    const offset = tagOffset + tn;
    switch (wire) {
      case WIRE_VARINT: {
        const [val, vn] = decodeVarint(v.buf, p, limit, offset);
        this.pos = offset + vn;
        return { num, wire, tagOffset, offset, length: vn, varint: val };
      }
      case WIRE_I64:
        return this.fixed(num, wire, tagOffset, offset, 8);
      case WIRE_I32:
        return this.fixed(num, wire, tagOffset, offset, 4);
      case WIRE_LEN: {
        const [len, ln] = decodeVarint(v.buf, p, limit, offset);
        p += ln;
        const payload = offset + ln;
        if (typeof len !== 'number' || len > this.end - payload) throw new ProtoError(`length ${String(len)} runs past the end of the message (${this.end - payload} bytes left)`, offset);
        this.pos = payload + len;
        return { num, wire, tagOffset, offset: payload, length: len };
      }
      case WIRE_SGROUP: {
        this.pos = offset;
        await this.skipGroup(num, 1);
        return { num, wire, tagOffset, offset, length: this.pos - offset };
      }
      case WIRE_EGROUP:
        throw new ProtoError('unexpected end-group tag', tagOffset);
      default:
        throw new ProtoError(`invalid wire type ${wire}`, tagOffset);
    }
  }

  private fixed(num: number, wire: number, tagOffset: number, offset: number, n: number): PbField {
    if (offset + n > this.end) throw new ProtoError('truncated fixed-width field', offset);
    this.pos = offset + n;
    return { num, wire, tagOffset, offset, length: n };
  }

  /** Skips a (deprecated) group up to its matching end tag. */
  private async skipGroup(num: number, level: number): Promise<void> {
    if (this.depth + level > this.maxDepth) throw new ProtoLimit(`protobuf groups nested deeper than ${this.maxDepth}`, this.pos);
    for (;;) {
      if (this.pos >= this.end) throw new ProtoError('unterminated group', this.pos);
      const tagOffset = this.pos;
      const v = await this.src.view(this.pos, 20);
      const limit = Math.min(v.at + v.avail, v.at + (this.end - this.pos));
      const [tag, tn] = decodeVarint(v.buf, v.at, limit, tagOffset);
      if (typeof tag !== 'number') throw new ProtoError('tag out of range', tagOffset);
      const wire = tag & 7;
      const n = Math.floor(tag / 8);
      if (wire === WIRE_EGROUP) {
        if (n !== num) throw new ProtoError('mismatched end-group tag', tagOffset);
        this.pos = tagOffset + tn;
        return;
      }
      if (wire === WIRE_SGROUP) {
        this.pos = tagOffset + tn;
        await this.skipGroup(n, level + 1);
        continue;
      }
      // Reuse next() for the other wire types.
      const f = await this.next();
      if (!f) throw new ProtoError('unterminated group', this.pos);
    }
  }

  /** The payload of a LEN field (only when it is at most maxBytes; else null). */
  async bytes(f: PbField, maxBytes = 16 * 1024 * 1024): Promise<Buffer | null> {
    if (f.wire !== WIRE_LEN) throw new ProtoError(`field ${f.num} is not length-delimited`, f.tagOffset);
    if (f.length > maxBytes) return null;
    return this.src.read(f.offset, f.length);
  }

  /** The payload of a LEN field as UTF-8 text (truncated to maxBytes; `truncated` tells). */
  async string(f: PbField, maxBytes = 64 * 1024): Promise<string> {
    if (f.wire !== WIRE_LEN) throw new ProtoError(`field ${f.num} is not length-delimited`, f.tagOffset);
    const b = await this.src.read(f.offset, Math.min(f.length, maxBytes));
    return b.toString('utf8');
  }

  /** A reader over a LEN field's payload, one level deeper. */
  sub(f: PbField): PbReader {
    if (f.wire !== WIRE_LEN) throw new ProtoError(`field ${f.num} should be a message`, f.tagOffset);
    if (this.depth + 1 > this.maxDepth) throw new ProtoLimit(`protobuf messages nested deeper than ${this.maxDepth}`, f.offset);
    return new PbReader(this.src, f.offset, f.offset + f.length, this.depth + 1, this.maxDepth);
  }

  /** Reads a fixed32/fixed64 value as a number/bigint. */
  async fixedValue(f: PbField): Promise<number | bigint> {
    const b = await this.src.read(f.offset, f.length);
    if (f.length === 4) return b.readUInt32LE(0);
    const v = b.readBigUInt64LE(0);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
}

/** A ByteSource over a Buffer (kept local so the reader does not depend on scan plumbing). */
class MemSource implements ByteSource {
  readonly size: number;
  constructor(private readonly buf: Buffer) {
    this.size = buf.length;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    return this.buf.subarray(offset, Math.min(this.size, offset + length));
  }
  async *chunks(start = 0, end = this.size, chunkSize = 1024 * 1024): AsyncIterable<Buffer> {
    for (let pos = start; pos < end; pos += chunkSize) yield this.buf.subarray(pos, Math.min(end, pos + chunkSize));
  }
}

/**
 * Synchronous walk over a Buffer held in memory (detection on the head bytes). Yields fields until
 * the end of the buffer; a LEN field may extend past the buffer when `allowCut` is set (its payload
 * is then partial: `cut` is true). Throws ProtoError on malformed input.
 */
export interface HeadField extends PbField {
  cut: boolean;
}

export function* headFields(buf: Buffer, start: number, end: number, logicalEnd: number, allowCut: boolean): Generator<HeadField> {
  let pos = start;
  const mayCut = allowCut && end < logicalEnd;
  // A varint cut by the end of the head bytes (not of the data) ends the walk quietly.
  const cutVarint = (at: number): boolean => {
    if (!mayCut) return false;
    for (let i = at; i < end && i < at + 10; i++) if ((buf[i]! & 0x80) === 0) return false;
    return end - at < 10;
  };
  // Open groups (deprecated wire types 3/4): their inner fields are skipped, as parsers skip them.
  const groups: number[] = [];
  while (pos < end) {
    const tagOffset = pos;
    if (cutVarint(pos)) return;
    const [tag, tn] = decodeVarint(buf, pos, end, pos);
    if (typeof tag !== 'number' || tag > 0xffff_ffff) throw new ProtoError('tag out of range', pos);
    const num = Math.floor(tag / 8);
    const wire = tag & 7;
    if (num === 0) throw new ProtoError('field number 0', pos);
    pos += tn;
    const inGroup = groups.length > 0;
    if ((wire === WIRE_VARINT || wire === WIRE_LEN) && cutVarint(pos)) return;
    if (wire === WIRE_VARINT) {
      const [v, vn] = decodeVarint(buf, pos, end, pos);
      if (!inGroup) yield { num, wire, tagOffset, offset: pos, length: vn, varint: v, cut: false };
      pos += vn;
    } else if (wire === WIRE_LEN) {
      const [len, ln] = decodeVarint(buf, pos, end, pos);
      pos += ln;
      if (typeof len !== 'number' || pos + len > logicalEnd) throw new ProtoError('length past the end', pos);
      const cut = pos + len > end;
      if (cut && !allowCut) throw new ProtoError('length past the end', pos);
      if (!inGroup) yield { num, wire, tagOffset, offset: pos, length: len, cut };
      if (cut) return;
      pos += len;
    } else if (wire === WIRE_I32 || wire === WIRE_I64) {
      const n = wire === WIRE_I32 ? 4 : 8;
      if (pos + n > end) {
        if (mayCut && pos + n <= logicalEnd) return;
        throw new ProtoError('truncated fixed', pos);
      }
      if (!inGroup) yield { num, wire, tagOffset, offset: pos, length: n, cut: false };
      pos += n;
    } else if (wire === WIRE_SGROUP) {
      if (groups.length >= 64) throw new ProtoError('groups nested too deep', tagOffset);
      if (!inGroup) yield { num, wire, tagOffset, offset: pos, length: 0, cut: false };
      groups.push(num);
    } else if (wire === WIRE_EGROUP) {
      if (groups.pop() !== num) throw new ProtoError('unmatched end-group tag', tagOffset);
    } else {
      throw new ProtoError(`invalid wire type ${wire}`, tagOffset);
    }
  }
  if (groups.length > 0 && !mayCut) throw new ProtoError('unterminated group', pos);
}

/** Thrown to skip a known field number with another wire type: protobuf parsers keep it as an unknown field. */
export class SkipField extends Error {}

/** The field, if it is length-delimited; otherwise SkipField (the walker then ignores it like protobuf does). */
export function expectLen(f: PbField, what: string): PbField {
  if (f.wire !== WIRE_LEN) throw new SkipField(what);
  return f;
}

/**
 * Visits every field of a message, skipping those whose wire type does not match what the schema
 * says (SkipField), and calling `tick` every 1024 fields (time budget checks).
 */
export async function visitFields(r: PbReader, visit: (f: PbField) => Promise<void>, tick: () => void, counter: { n: number }): Promise<void> {
  for (let f = await r.next(); f; f = await r.next()) {
    if ((++counter.n & 0x3ff) === 0) tick();
    try {
      await visit(f);
    } catch (err) {
      if (!(err instanceof SkipField)) throw err;
    }
  }
}
