/**
 * Bounded categorical counts. Exact while the number of distinct categories stays within
 * 2 x capacity; past that, a Misra-Gries summary with the merge of Agarwal et al., "Mergeable
 * Summaries" (PODS 2012): when the counters overflow, the (capacity+1)-th largest count is
 * subtracted from every counter and the non-positive ones are dropped. Each such subtraction
 * removes at least (capacity+1) times its amount from the tracked total, so every estimate is an
 * undercount by at most errorBound() <= (count - tracked) / (capacity + 1).
 *
 * Reducing only once the table holds 2 x capacity counters (back to at most capacity) makes a
 * stream of ever-new categories cost O(1) amortised per update instead of O(capacity).
 */

const MAGIC = 0x53515246; // "FRQS" read as little-endian u32
const FORMAT_VERSION = 1;
const HEADER_BYTES = 32;
const MAX_CAPACITY = 1 << 20;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Orders strings by Unicode code point (Python's str ordering), not by UTF-16 code unit. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800-0xDFFF) encode code points above 0xFFFF, so they sort after 0xE000-0xFFFF.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

export class FrequencySketch {
  static readonly DEFAULT_CAPACITY: number = 256;

  readonly capacity: number;
  private counters = new Map<string, number>();
  private total = 0;
  private offset = 0; // sum of subtracted amounts: the maximum undercount

  constructor(capacity: number = FrequencySketch.DEFAULT_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
      throw new RangeError(`FrequencySketch: capacity must be an integer in [1, ${MAX_CAPACITY}], got ${capacity}`);
    }
    this.capacity = capacity;
  }

  get count(): number {
    return this.total;
  }

  /** Number of categories currently tracked. */
  get size(): number {
    return this.counters.size;
  }

  update(category: string, weight = 1): void {
    if (typeof category !== 'string') {
      throw new TypeError(`FrequencySketch.update: category must be a string, got ${typeof category}`);
    }
    if (typeof weight !== 'number' || !(weight >= 0) || weight === Infinity) {
      throw new RangeError(`FrequencySketch.update: weight must be a finite number >= 0, got ${String(weight)}`);
    }
    if (weight === 0) return;
    this.total += weight;
    const counters = this.counters;
    const c = counters.get(category);
    if (c !== undefined) {
      counters.set(category, c + weight);
      return;
    }
    counters.set(category, weight);
    if (counters.size > 2 * this.capacity) this.reduce();
  }

  merge(other: FrequencySketch): this {
    if (!(other instanceof FrequencySketch)) throw new TypeError('FrequencySketch.merge: argument must be a FrequencySketch');
    const entries = [...other.counters];
    this.total += other.total;
    this.offset += other.offset;
    const counters = this.counters;
    for (const [name, c] of entries) counters.set(name, (counters.get(name) ?? 0) + c);
    if (counters.size > 2 * this.capacity) this.reduce();
    return this;
  }

  /** Estimated count: a lower bound, at most errorBound() below the true count. */
  estimate(category: string): number {
    return this.counters.get(category) ?? 0;
  }

  entries(): Array<[string, number]> {
    const out = [...this.counters];
    out.sort((a, b) => (b[1] !== a[1] ? b[1] - a[1] : compareCodePoints(a[0], b[0])));
    return out;
  }

  /** Total weight not attributed to any tracked category (0 when exact). */
  untracked(): number {
    if (this.offset === 0) return 0;
    let tracked = 0;
    for (const c of this.counters.values()) tracked += c;
    return Math.max(0, this.total - tracked);
  }

  errorBound(): number {
    return this.offset;
  }

  isExact(): boolean {
    return this.offset === 0;
  }

  /** Plain counts as a Map (estimates when inexact). */
  toMap(): Map<string, number> {
    return new Map(this.counters);
  }

  clone(): FrequencySketch {
    const c = new FrequencySketch(this.capacity);
    c.counters = new Map(this.counters);
    c.total = this.total;
    c.offset = this.offset;
    return c;
  }

  /**
   * Layout (little-endian): u32 magic "FRQS", u8 version, 3 reserved bytes, u32 capacity,
   * u32 entries m, f64 count, f64 errorBound, u32 reserved, then m f64 counts, m u32 UTF-8 byte
   * lengths, and the UTF-8 names back to back.
   */
  toBytes(): Uint8Array {
    const entries = this.entries();
    const m = entries.length;
    const names = entries.map(([name]) => utf8Encoder.encode(name));
    let nameBytes = 0;
    for (const b of names) nameBytes += b.length;
    const out = new Uint8Array(HEADER_BYTES + 12 * m + nameBytes);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, MAGIC, true);
    dv.setUint8(4, FORMAT_VERSION);
    dv.setUint32(8, this.capacity, true);
    dv.setUint32(12, m, true);
    dv.setFloat64(16, this.total, true);
    dv.setFloat64(24, this.offset, true);
    let off = HEADER_BYTES;
    for (const [, c] of entries) {
      dv.setFloat64(off, c, true);
      off += 8;
    }
    for (const b of names) {
      dv.setUint32(off, b.length, true);
      off += 4;
    }
    for (const b of names) {
      out.set(b, off);
      off += b.length;
    }
    return out;
  }

  static fromBytes(bytes: Uint8Array): FrequencySketch {
    const fail = (why: string): never => {
      throw new Error(`FrequencySketch.fromBytes: ${why}`);
    };
    if (!(bytes instanceof Uint8Array)) fail('expected a Uint8Array');
    if (bytes.length < HEADER_BYTES) fail(`truncated: ${bytes.length} bytes, the header alone is ${HEADER_BYTES}`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (dv.getUint32(0, true) !== MAGIC) fail('not a frequency sketch (bad magic)');
    const version = dv.getUint8(4);
    if (version !== FORMAT_VERSION) fail(`unsupported format version ${version} (this build reads ${FORMAT_VERSION})`);
    const capacity = dv.getUint32(8, true);
    if (capacity < 1 || capacity > MAX_CAPACITY) fail(`capacity ${capacity} out of range`);
    const m = dv.getUint32(12, true);
    if (m > 2 * capacity) fail(`${m} entries exceed twice the capacity ${capacity}`);
    const total = dv.getFloat64(16, true);
    const offset = dv.getFloat64(24, true);
    if (!(Number.isFinite(total) && total >= 0)) fail(`invalid count ${total}`);
    if (!(Number.isFinite(offset) && offset >= 0)) fail(`invalid error bound ${offset}`);
    if (bytes.length < HEADER_BYTES + 12 * m) fail(`truncated: ${m} entries need at least ${HEADER_BYTES + 12 * m} bytes`);
    const sk = new FrequencySketch(capacity);
    let nameOff = HEADER_BYTES + 12 * m;
    let tracked = 0;
    for (let i = 0; i < m; i++) {
      const c = dv.getFloat64(HEADER_BYTES + 8 * i, true);
      const len = dv.getUint32(HEADER_BYTES + 8 * m + 4 * i, true);
      if (!(Number.isFinite(c) && c > 0)) fail(`entry ${i} has invalid count ${c}`);
      if (nameOff + len > bytes.length) fail(`truncated: entry ${i} name runs past the end`);
      let name: string;
      try {
        name = utf8Decoder.decode(bytes.subarray(nameOff, nameOff + len));
      } catch {
        return fail(`entry ${i} name is not valid UTF-8`);
      }
      nameOff += len;
      if (sk.counters.has(name)) fail(`duplicate category ${JSON.stringify(name)}`);
      sk.counters.set(name, c);
      tracked += c;
    }
    if (nameOff !== bytes.length) fail(`${bytes.length - nameOff} trailing bytes after the sketch`);
    if (tracked > total * (1 + 1e-12) + 1e-9) fail(`tracked counts ${tracked} exceed the total ${total}`);
    if (offset === 0 && Math.abs(tracked - total) > 1e-9 * Math.max(1, total)) {
      fail(`an exact sketch's counts (${tracked}) must add up to its total (${total})`);
    }
    sk.total = total;
    sk.offset = offset;
    return sk;
  }

  /** Subtracts the (capacity+1)-th largest count from all counters and drops the non-positive. */
  private reduce(): void {
    const counts = Float64Array.from(this.counters.values());
    counts.sort();
    const cap = this.capacity;
    // Descending position `cap` (0-based) = ascending position length-1-cap.
    const delta = counts[counts.length - 1 - cap]!;
    this.offset += delta;
    for (const [name, c] of this.counters) {
      const next = c - delta;
      if (next > 0) this.counters.set(name, next);
      else this.counters.delete(name);
    }
  }
}
