/**
 * KLL quantile sketch (Karnin, Lang, Liberty, "Optimal Quantile Approximation in Streams", FOCS 2016).
 *
 * Levels h = 0..L-1 hold items of weight 2^h. Level capacities shrink geometrically (factor 2/3)
 * from the top level (capacity k) down to a floor of MIN_WIDTH. A level that reaches its capacity
 * is compacted: sorted, then every other item (random offset) moves up one level with doubled
 * weight. Each compaction at level h changes the estimated rank of any one point by -2^h, 0 or +2^h
 * with mean zero, so the sketch tracks sum(w_i^2) over its compactions and derives its own rank
 * error bound from it (Azuma-Hoeffding) instead of quoting a worst case for k.
 *
 * Layout: level 0 is an unsorted ingestion buffer; levels >= 1 are sorted runs, so merging two
 * sketches is a linear merge per level and no level above 0 is ever re-sorted.
 */

const MIN_WIDTH = 8;
const MIN_K = MIN_WIDTH;
const MAX_K = 65535;
const MAX_LEVELS = 61; // 2^60 * items already exceeds any count a double holds exactly
const CAPACITY_RATIO = 2 / 3;

const MAGIC = 0x534c4c4b; // "KLLS" read as little-endian u32
const FORMAT_VERSION = 1;
const HEADER_BYTES = 64;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// Compaction coins. A module-level xorshift32 with a fixed seed keeps every run reproducible
// (tests, benchmarks) while giving each compaction its own bit, across all sketches in a process.
let rngState = 0x2545f491;
let rngBits = 0;
let rngLeft = 0;
function coin(): number {
  if (rngLeft === 0) {
    let x = rngState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    rngState = x;
    rngBits = x >>> 0;
    rngLeft = 32;
  }
  const bit = rngBits & 1;
  rngBits >>>= 1;
  rngLeft--;
  return bit;
}

/** Level capacities indexed by depth (0 = top level), computed once per k. */
const capacityTables = new Map<number, Int32Array>();
function capacityTable(k: number): Int32Array {
  let table = capacityTables.get(k);
  if (table === undefined) {
    table = new Int32Array(MAX_LEVELS + 1);
    for (let depth = 0; depth <= MAX_LEVELS; depth++) {
      table[depth] = Math.max(MIN_WIDTH, Math.round(k * Math.pow(CAPACITY_RATIO, depth)));
    }
    capacityTables.set(k, table);
  }
  return table;
}

function insertionSort(a: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= 0 && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}

function sortPrefix(a: Float64Array, n: number): void {
  if (n <= 24) insertionSort(a, n);
  else a.subarray(0, n).sort();
}

/** Sorted distinct values with the total weight at or below each, for rank and quantile queries. */
export interface WeightedCdf {
  readonly values: Float64Array;
  /** cumulative[i] = total weight of retained items <= values[i]. */
  readonly cumulative: Float64Array;
  readonly count: number;
}

export class KllSketch {
  /**
   * 256: a full sketch holds at most ~780 items (6.3 KB serialised). On 1M-value streams the KS
   * statistic from two sketches stays well inside 0.01 of the exact one (see the tests and
   * docs/adr/0020), while fromBytes+merge of a full sketch costs a few microseconds, which keeps
   * the server's 50 features x 80 sketches drift query far under its 60 ms budget. k=200 (the
   * DataSketches default) measured too close to the 0.01 target; k=512 doubles bytes and merge
   * time for accuracy no default threshold needs.
   */
  static readonly DEFAULT_K: number = 256;

  readonly k: number;
  private n = 0;
  private lo = Infinity;
  private hi = -Infinity;
  private mu = 0;
  private m2 = 0;
  private w2 = 0; // sum over compactions of (2^h)^2
  private numLevels = 1;
  private levels: Float64Array[];
  private sizes: number[];
  private caps: Int32Array;
  private cdfCache: WeightedCdf | null = null;

  constructor(k: number = KllSketch.DEFAULT_K) {
    if (!Number.isInteger(k) || k < MIN_K || k > MAX_K) {
      throw new RangeError(`KllSketch: k must be an integer in [${MIN_K}, ${MAX_K}], got ${k}`);
    }
    this.k = k;
    this.caps = capacityTable(k);
    this.levels = [new Float64Array(k)];
    this.sizes = [0];
  }

  get count(): number {
    return this.n;
  }
  get min(): number {
    return this.n === 0 ? NaN : this.lo;
  }
  get max(): number {
    return this.n === 0 ? NaN : this.hi;
  }
  /** Exact arithmetic mean of all values seen (NaN when empty). */
  get mean(): number {
    return this.n === 0 ? NaN : this.mu;
  }
  /** Exact population variance (ddof 0, like numpy's default) of all values seen (NaN when empty). */
  get variance(): number {
    return this.n === 0 ? NaN : Math.max(0, this.m2 / this.n);
  }
  /** Number of items the sketch currently retains (what toBytes stores). */
  get retained(): number {
    let total = 0;
    for (let h = 0; h < this.numLevels; h++) total += this.sizes[h]!;
    return total;
  }
  /** Sum of squared compaction weights; the input to rankErrorBound. */
  get compactionWeightSquares(): number {
    return this.w2;
  }

  private capacity(h: number): number {
    return this.caps[this.numLevels - 1 - h]!;
  }

  update(value: number): void {
    if (typeof value !== 'number' || value - value !== 0) {
      throw new RangeError(`KllSketch.update: value must be a finite number, got ${String(value)}`);
    }
    if (value < this.lo) this.lo = value;
    if (value > this.hi) this.hi = value;
    const n = ++this.n;
    const delta = value - this.mu;
    this.mu += delta / n;
    this.m2 += delta * (value - this.mu);
    this.cdfCache = null;
    let buf = this.levels[0]!;
    let s = this.sizes[0]!;
    if (s === buf.length) buf = this.grow(0, s + 1);
    buf[s++] = value;
    this.sizes[0] = s;
    if (s >= this.capacity(0)) this.compress();
  }

  updateMany(values: ArrayLike<number>): void {
    const len = values.length;
    // Validate first so that a bad value leaves the sketch unchanged.
    for (let i = 0; i < len; i++) {
      const v = values[i] as number;
      if (typeof v !== 'number' || v - v !== 0) {
        throw new RangeError(`KllSketch.updateMany: values[${i}] must be a finite number, got ${String(v)}`);
      }
    }
    if (len === 0) return;
    this.cdfCache = null;
    let i = 0;
    let lo = this.lo;
    let hi = this.hi;
    while (i < len) {
      const cap = this.capacity(0);
      let s = this.sizes[0]!;
      const take = Math.min(len - i, cap - s > 0 ? cap - s : 1);
      let buf = this.levels[0]!;
      if (buf.length < s + take) buf = this.grow(0, Math.max(cap, s + take));
      const start = s;
      let sum = 0;
      for (let j = 0; j < take; j++) {
        const v = values[i + j] as number;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        sum += v;
        buf[s++] = v;
      }
      i += take;
      // Chan et al. pairwise update of mean and M2 from this chunk (two-pass within the chunk).
      const chunkMean = sum / take;
      let chunkM2 = 0;
      for (let j = start; j < s; j++) {
        const d = buf[j]! - chunkMean;
        chunkM2 += d * d;
      }
      const n0 = this.n;
      const n1 = n0 + take;
      const delta = chunkMean - this.mu;
      this.mu += (delta * take) / n1;
      this.m2 += chunkM2 + ((delta * delta * n0) / n1) * take;
      this.n = n1;
      this.sizes[0] = s;
      if (s >= cap) this.compress();
    }
    this.lo = lo;
    this.hi = hi;
  }

  /** Adds `other`'s contents to this sketch; `other` is not modified. */
  merge(other: KllSketch): this {
    if (!(other instanceof KllSketch)) throw new TypeError('KllSketch.merge: argument must be a KllSketch');
    if (other.n === 0) return this;
    const src = other === this ? other.clone() : other;
    this.cdfCache = null;
    const n0 = this.n;
    const n1 = n0 + src.n;
    const delta = src.mu - this.mu;
    this.mu += (delta * src.n) / n1;
    this.m2 += src.m2 + ((delta * delta * n0) / n1) * src.n;
    this.n = n1;
    if (src.lo < this.lo) this.lo = src.lo;
    if (src.hi > this.hi) this.hi = src.hi;
    this.w2 += src.w2;
    while (this.numLevels < src.numLevels) this.addLevel();
    // Level 0 is unsorted: append.
    const add0 = src.sizes[0]!;
    if (add0 > 0) {
      const s0 = this.sizes[0]!;
      let buf = this.levels[0]!;
      if (buf.length < s0 + add0) buf = this.grow(0, s0 + add0);
      buf.set(src.levels[0]!.subarray(0, add0), s0);
      this.sizes[0] = s0 + add0;
    }
    // Levels >= 1 are sorted: merge runs from the back, in place.
    for (let h = 1; h < src.numLevels; h++) {
      const b = src.sizes[h]!;
      if (b > 0) this.mergeSortedIntoLevel(h, src.levels[h]!, 0, b);
    }
    this.compress();
    return this;
  }

  clone(): KllSketch {
    const c = new KllSketch(this.k);
    c.n = this.n;
    c.lo = this.lo;
    c.hi = this.hi;
    c.mu = this.mu;
    c.m2 = this.m2;
    c.w2 = this.w2;
    c.numLevels = this.numLevels;
    c.levels = [];
    c.sizes = [];
    for (let h = 0; h < this.numLevels; h++) {
      const s = this.sizes[h]!;
      c.levels.push(this.levels[h]!.slice(0, Math.max(s, h === 0 ? this.capacity(0) : s)));
      c.sizes.push(s);
    }
    return c;
  }

  isExact(): boolean {
    return this.w2 === 0;
  }

  rank(x: number): number {
    if (this.n === 0 || Number.isNaN(x)) return NaN;
    const cdf = this.cdf();
    return weightAtOrBelow(cdf, x) / this.n;
  }

  /**
   * Smallest retained value whose estimated rank is >= q (numpy's 'inverted_cdf' on exact
   * sketches); q = 0 and q = 1 return the exact min and max.
   */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`KllSketch.quantile: q must be in [0, 1], got ${q}`);
    if (this.n === 0) return NaN;
    if (q === 0) return this.lo;
    if (q === 1) return this.hi;
    const { values, cumulative } = this.cdf();
    const target = q * this.n;
    let a = 0;
    let b = values.length - 1;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (cumulative[mid]! >= target) b = mid;
      else a = mid + 1;
    }
    return values[a]!;
  }

  rankErrorBound(confidence = 0.99): number {
    if (!(confidence > 0 && confidence < 1)) {
      throw new RangeError(`KllSketch.rankErrorBound: confidence must be in (0, 1), got ${confidence}`);
    }
    if (this.w2 === 0 || this.n === 0) return 0;
    const t = Math.sqrt(2 * this.w2 * Math.log(2 / (1 - confidence))) / this.n;
    return Math.min(1, t);
  }

  /** Sorted distinct retained values with cumulative weights (cached until the next update). */
  cdf(): WeightedCdf {
    if (this.cdfCache !== null) return this.cdfCache;
    const total = this.retained;
    let vals = new Float64Array(total);
    let wts = new Float64Array(total);
    let tmpV = new Float64Array(total);
    let tmpW = new Float64Array(total);
    // Merge levels bottom-up: the small low levels first keeps the running merge short.
    let len = this.sizes[0]!;
    vals.set(this.levels[0]!.subarray(0, len));
    sortPrefix(vals, len);
    wts.fill(1, 0, len);
    for (let h = 1; h < this.numLevels; h++) {
      const s = this.sizes[h]!;
      if (s === 0) continue;
      const run = this.levels[h]!;
      const w = Math.pow(2, h);
      let i = 0;
      let j = 0;
      let o = 0;
      while (i < len && j < s) {
        if (vals[i]! <= run[j]!) {
          tmpV[o] = vals[i]!;
          tmpW[o++] = wts[i++]!;
        } else {
          tmpV[o] = run[j++]!;
          tmpW[o++] = w;
        }
      }
      while (i < len) {
        tmpV[o] = vals[i]!;
        tmpW[o++] = wts[i++]!;
      }
      while (j < s) {
        tmpV[o] = run[j++]!;
        tmpW[o++] = w;
      }
      len = o;
      const sv = vals;
      vals = tmpV;
      tmpV = sv;
      const sw = wts;
      wts = tmpW;
      tmpW = sw;
    }
    // Collapse equal values and accumulate.
    let d = 0;
    let acc = 0;
    for (let i = 0; i < len; i++) {
      acc += wts[i]!;
      if (d > 0 && vals[d - 1] === vals[i]) {
        wts[d - 1] = acc;
      } else {
        vals[d] = vals[i]!;
        wts[d] = acc;
        d++;
      }
    }
    this.cdfCache = { values: vals.subarray(0, d), cumulative: wts.subarray(0, d), count: this.n };
    return this.cdfCache;
  }

  /** Serialized size in bytes of a sketch holding `levels` levels and `items` retained items. */
  static serializedBytes(levels: number, items: number): number {
    return HEADER_BYTES + 8 * Math.ceil(levels / 2) + 8 * items;
  }

  /**
   * Layout (little-endian): u32 magic "KLLS", u8 version, u8 levels, u16 reserved, u32 k,
   * u32 retained items, f64 count, min, max, sum(w^2), mean, M2, then u32 size per level padded
   * to 8 bytes, then the items as f64, level 0 first. Items are 8-byte aligned so a reader can
   * copy them into a Float64Array in one move.
   */
  toBytes(): Uint8Array {
    const L = this.numLevels;
    const items = this.retained;
    const out = new Uint8Array(KllSketch.serializedBytes(L, items));
    const dv = new DataView(out.buffer);
    dv.setUint32(0, MAGIC, true);
    dv.setUint8(4, FORMAT_VERSION);
    dv.setUint8(5, L);
    dv.setUint16(6, 0, true);
    dv.setUint32(8, this.k, true);
    dv.setUint32(12, items, true);
    dv.setFloat64(16, this.n, true);
    dv.setFloat64(24, this.n === 0 ? NaN : this.lo, true);
    dv.setFloat64(32, this.n === 0 ? NaN : this.hi, true);
    dv.setFloat64(40, this.w2, true);
    dv.setFloat64(48, this.mu, true);
    dv.setFloat64(56, this.m2, true);
    for (let h = 0; h < L; h++) dv.setUint32(HEADER_BYTES + 4 * h, this.sizes[h]!, true);
    let off = HEADER_BYTES + 8 * Math.ceil(L / 2);
    if (LITTLE_ENDIAN_HOST) {
      const f = new Float64Array(out.buffer, off, items);
      let p = 0;
      for (let h = 0; h < L; h++) {
        const s = this.sizes[h]!;
        f.set(this.levels[h]!.subarray(0, s), p);
        p += s;
      }
    } else {
      for (let h = 0; h < L; h++) {
        const s = this.sizes[h]!;
        const lv = this.levels[h]!;
        for (let i = 0; i < s; i++, off += 8) dv.setFloat64(off, lv[i]!, true);
      }
    }
    return out;
  }

  static fromBytes(bytes: Uint8Array): KllSketch {
    const fail = (why: string): never => {
      throw new Error(`KllSketch.fromBytes: ${why}`);
    };
    if (!(bytes instanceof Uint8Array)) fail('expected a Uint8Array');
    if (bytes.length < HEADER_BYTES) fail(`truncated: ${bytes.length} bytes, the header alone is ${HEADER_BYTES}`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (dv.getUint32(0, true) !== MAGIC) fail('not a KLL sketch (bad magic)');
    const version = dv.getUint8(4);
    if (version !== FORMAT_VERSION) fail(`unsupported format version ${version} (this build reads ${FORMAT_VERSION})`);
    const L = dv.getUint8(5);
    if (L < 1 || L > MAX_LEVELS) fail(`level count ${L} out of range [1, ${MAX_LEVELS}]`);
    const k = dv.getUint32(8, true);
    if (k < MIN_K || k > MAX_K) fail(`k ${k} out of range [${MIN_K}, ${MAX_K}]`);
    const items = dv.getUint32(12, true);
    const expected = KllSketch.serializedBytes(L, items);
    if (bytes.length < expected) fail(`truncated: ${bytes.length} bytes, header announces ${expected}`);
    if (bytes.length > expected) fail(`${bytes.length - expected} trailing bytes after the sketch`);
    const n = dv.getFloat64(16, true);
    const lo = dv.getFloat64(24, true);
    const hi = dv.getFloat64(32, true);
    const w2 = dv.getFloat64(40, true);
    const mu = dv.getFloat64(48, true);
    const m2 = dv.getFloat64(56, true);
    if (!(Number.isInteger(n) && n >= 0 && n <= Number.MAX_SAFE_INTEGER)) fail(`invalid count ${n}`);
    if (!(Number.isFinite(w2) && w2 >= 0)) fail(`invalid compaction weight sum ${w2}`);
    if (n > 0 && !(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi)) fail(`invalid min/max ${lo}/${hi}`);
    if (n > 0 && !(Number.isFinite(mu) && Number.isFinite(m2) && m2 >= 0)) fail('invalid moments');
    const sizes: number[] = [];
    let sumSizes = 0;
    let weight = 0;
    for (let h = 0; h < L; h++) {
      const s = dv.getUint32(HEADER_BYTES + 4 * h, true);
      sizes.push(s);
      sumSizes += s;
      weight += s * Math.pow(2, h);
    }
    if (sumSizes !== items) fail(`level sizes add up to ${sumSizes}, header says ${items} items`);
    if (weight !== n) fail(`retained weight ${weight} does not equal the count ${n}`);
    const off = HEADER_BYTES + 8 * Math.ceil(L / 2);
    let all: Float64Array;
    if (LITTLE_ENDIAN_HOST) {
      // Copy (never alias the caller's buffer); slice() gives an aligned, owned ArrayBuffer.
      all = new Float64Array(bytes.slice(off, off + 8 * items).buffer);
    } else {
      all = new Float64Array(items);
      for (let i = 0; i < items; i++) all[i] = dv.getFloat64(off + 8 * i, true);
    }
    const sk = new KllSketch(k);
    sk.n = n;
    sk.lo = n === 0 ? Infinity : lo;
    sk.hi = n === 0 ? -Infinity : hi;
    sk.mu = n === 0 ? 0 : mu;
    sk.m2 = n === 0 ? 0 : m2;
    sk.w2 = w2;
    sk.numLevels = L;
    sk.levels = [];
    sk.sizes = sizes;
    let p = 0;
    for (let h = 0; h < L; h++) {
      const s = sizes[h]!;
      const run = all.subarray(p, p + s);
      for (let i = 0; i < s; i++) {
        const v = run[i]!;
        if (!(v >= lo && v <= hi)) fail(`item ${p + i} (${v}) is not finite or lies outside [min, max]`);
        if (h > 0 && i > 0 && v < run[i - 1]!) fail(`level ${h} is not sorted`);
      }
      sk.levels.push(run);
      p += s;
    }
    return sk;
  }

  // --- internals ---

  private grow(h: number, need: number): Float64Array {
    const old = this.levels[h]!;
    const next = new Float64Array(Math.max(need, old.length * 2, 16));
    next.set(old.subarray(0, this.sizes[h]!));
    this.levels[h] = next;
    return next;
  }

  private addLevel(): void {
    if (this.numLevels >= MAX_LEVELS) throw new RangeError('KllSketch: too many levels');
    this.levels.push(new Float64Array(0));
    this.sizes.push(0);
    this.numLevels++;
  }

  /** Merges the sorted run src[from, from+count) into sorted level h (h >= 1), in place. */
  private mergeSortedIntoLevel(h: number, src: Float64Array, from: number, count: number): void {
    const a = this.sizes[h]!;
    let buf = this.levels[h]!;
    if (buf.length < a + count) buf = this.grow(h, a + count);
    let i = a - 1;
    let j = from + count - 1;
    let o = a + count - 1;
    while (i >= 0 && j >= from) {
      const x = buf[i]!;
      const y = src[j]!;
      if (x > y) {
        buf[o--] = x;
        i--;
      } else {
        buf[o--] = y;
        j--;
      }
    }
    while (j >= from) buf[o--] = src[j--]!;
    this.sizes[h] = a + count;
  }

  /** Compacts, bottom-up, every level at or over its capacity. */
  private compress(): void {
    for (let h = 0; h < this.numLevels; h++) {
      const s = this.sizes[h]!;
      if (s < this.capacity(h)) continue;
      if (h + 1 === this.numLevels) this.addLevel();
      const buf = this.levels[h]!;
      if (h === 0) sortPrefix(buf, s);
      // An odd item out stays behind (the largest, so the level stays sorted).
      const pairs = s >> 1;
      const even = pairs << 1;
      const r = coin();
      // Keep buf[r], buf[r+2], ...: gather them to the front, then merge into level h+1.
      for (let t = 0; t < pairs; t++) buf[t] = buf[2 * t + r]!;
      this.mergeSortedIntoLevel(h + 1, buf, 0, pairs);
      if (even < s) {
        buf[0] = buf[s - 1]!;
        this.sizes[h] = 1;
      } else {
        this.sizes[h] = 0;
      }
      const w = Math.pow(2, h);
      this.w2 += w * w;
    }
  }
}

/** Total weight of retained items <= x. */
export function weightAtOrBelow(cdf: WeightedCdf, x: number): number {
  const { values, cumulative } = cdf;
  let a = 0;
  let b = values.length;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (values[mid]! <= x) a = mid + 1;
    else b = mid;
  }
  return a === 0 ? 0 : cumulative[a - 1]!;
}

/** Total weight of retained items < x. */
export function weightBelow(cdf: WeightedCdf, x: number): number {
  const { values, cumulative } = cdf;
  let a = 0;
  let b = values.length;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (values[mid]! < x) a = mid + 1;
    else b = mid;
  }
  return a === 0 ? 0 : cumulative[a - 1]!;
}
