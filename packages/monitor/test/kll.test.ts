import { describe, expect, it } from 'vitest';
import { KllSketch, kllCapacity } from '../src/kll.js';
import { expectClose, fixture } from './helpers.js';
import { sample } from './prng.js';

const numeric = fixture<
  { name: string; a: number[]; b: number[]; mean: number; var: number; quantiles: [number, number][]; ranks: [number, number][] }[]
>('numeric.json');

function sketchOf(values: ArrayLike<number>, k?: number): KllSketch {
  const s = new KllSketch(k);
  s.updateMany(values);
  return s;
}

/** Fraction of `sorted` <= x, and < x. */
function trueRanks(sorted: Float64Array, x: number): [number, number] {
  let a = 0;
  let b = sorted.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (sorted[m]! < x) a = m + 1;
    else b = m;
  }
  const below = a;
  b = sorted.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (sorted[m]! <= x) a = m + 1;
    else b = m;
  }
  return [a / sorted.length, below / sorted.length];
}

describe('KllSketch basics', () => {
  it('is empty, then exact, with NaN where nothing is known', () => {
    const s = new KllSketch();
    expect(s.count).toBe(0);
    expect(s.min).toBeNaN();
    expect(s.max).toBeNaN();
    expect(s.quantile(0.5)).toBeNaN();
    expect(s.rank(0)).toBeNaN();
    expect(s.isExact()).toBe(true);
    expect(s.rankErrorBound()).toBe(0);
    expect(KllSketch.DEFAULT_K).toBe(256);
    expect(s.k).toBe(256);
  });

  it('rejects non-finite values, naming them, and updateMany leaves the sketch unchanged', () => {
    const s = sketchOf([1, 2, 3]);
    const before = s.toBytes();
    expect(() => s.update(NaN)).toThrow(/NaN/);
    expect(() => s.update(Infinity)).toThrow(RangeError);
    expect(() => s.update(-Infinity)).toThrow(/-Infinity/);
    expect(() => s.updateMany([4, 5, Infinity, 6])).toThrow(/values\[2\].*Infinity/);
    expect(() => s.updateMany(new Float64Array([NaN]))).toThrow(RangeError);
    expect(s.toBytes()).toEqual(before);
    expect(() => new KllSketch(7)).toThrow(RangeError);
    expect(() => new KllSketch(100.5)).toThrow(RangeError);
    expect(() => s.quantile(1.5)).toThrow(RangeError);
    expect(() => s.rankErrorBound(1)).toThrow(RangeError);
  });

  for (const c of numeric.filter((x) => x.a.length <= 3 * KllSketch.DEFAULT_K)) {
    it(`exact sketch: quantiles = numpy inverted_cdf, ranks = searchsorted, moments = numpy (${c.name})`, () => {
      const s = sketchOf(c.a);
      expect(s.isExact()).toBe(true);
      expect(s.rankErrorBound()).toBe(0);
      for (const [q, v] of c.quantiles) expect(s.quantile(q), `q=${q}`).toBe(v);
      for (const [x, r] of c.ranks) expectClose(s.rank(x), r, `rank(${x})`);
      expectClose(s.mean, c.mean, 'mean', 1e-12, 1e-15);
      expectClose(s.variance, c.var, 'variance', 1e-9, 1e-20);
      expect(s.min).toBe(Math.min(...c.a));
      expect(s.max).toBe(Math.max(...c.a));
      // One value at a time gives the same sketch.
      const one = new KllSketch();
      for (const v of c.a) one.update(v);
      for (const [q, v] of c.quantiles) expect(one.quantile(q)).toBe(v);
      expectClose(one.variance, c.var, 'variance (update)', 1e-9, 1e-20);
    });
  }

  it('stays exact up to 3k values and compacts after', () => {
    const k = 64;
    const s = new KllSketch(k);
    s.updateMany(sample(1, 3 * k - 1, 'inverse'));
    expect(s.isExact()).toBe(true);
    s.update(1);
    expect(s.isExact()).toBe(false);
    expect(s.rankErrorBound()).toBeGreaterThan(0);
    expect(s.retained).toBeLessThan(3 * k);
  });
});

describe('KllSketch accuracy, merge and serialization (200k values, k=64 to force many compactions)', () => {
  const k = 64;
  const a = sample(7, 120_000, 'irwinhall4');
  const b = sample(8, 80_000, 'inverse');
  const union = new Float64Array(a.length + b.length);
  union.set(a);
  union.set(b, a.length);
  const sortedUnion = union.slice().sort();

  function checkRanks(s: KllSketch, sorted: Float64Array): number {
    const bound = s.rankErrorBound();
    let worst = 0;
    for (let i = 1; i < 200; i++) {
      const q = i / 200;
      const [le, lt] = trueRanks(sorted, s.quantile(q));
      // The returned item's true rank interval [lt, le] must come within the bound of q.
      const err = q < lt ? lt - q : q > le ? q - le : 0;
      worst = Math.max(worst, err);
      const x = sorted[Math.floor(q * sorted.length)]!;
      worst = Math.max(worst, Math.abs(s.rank(x) - trueRanks(sorted, x)[0]));
    }
    expect(worst, `worst rank error ${worst} vs bound ${bound}`).toBeLessThanOrEqual(bound);
    return worst;
  }

  it('rank error within rankErrorBound, and the bound is not vacuous', () => {
    const s = sketchOf(union, k);
    const worst = checkRanks(s, sortedUnion);
    const bound = s.rankErrorBound();
    expect(bound).toBeLessThan(0.2);
    expect(worst).toBeGreaterThan(0); // inexact: some error must show
    // The bound follows its formula from the tracked sum of squared weights.
    expectClose(bound, Math.sqrt(2 * s.compactionWeightSquares * Math.log(200)) / s.count, 'bound formula');
    expect(s.rankErrorBound(0.5)).toBeLessThan(bound);
    expect(s.quantile(0)).toBe(sortedUnion[0]);
    expect(s.quantile(1)).toBe(sortedUnion[sortedUnion.length - 1]);
  });

  it('merge(A, B) behaves like a sketch of A and B together', () => {
    const sa = sketchOf(a, k);
    const sb = sketchOf(b, k);
    const bBytes = sb.toBytes();
    const merged = sa.merge(sb);
    expect(sb.toBytes()).toEqual(bBytes); // other unchanged
    const direct = sketchOf(union, k);
    expect(merged.count).toBe(direct.count);
    expect(merged.min).toBe(direct.min);
    expect(merged.max).toBe(direct.max);
    expectClose(merged.mean, direct.mean, 'mean', 1e-12);
    expectClose(merged.variance, direct.variance, 'variance', 1e-10);
    expect(merged.compactionWeightSquares).toBeGreaterThanOrEqual(sb.compactionWeightSquares);
    checkRanks(merged, sortedUnion);
  });

  it('merging many small exact sketches stays exact until it must compact', () => {
    const parts = [a.subarray(0, 50), a.subarray(50, 100), a.subarray(100, 150)];
    const acc = new KllSketch(k);
    for (const p of parts) acc.merge(sketchOf(p, k));
    expect(acc.isExact()).toBe(true);
    const whole = sketchOf(a.subarray(0, 150), k);
    for (let q = 0; q <= 1; q += 0.05) expect(acc.quantile(q)).toBe(whole.quantile(q));
  });

  it('merges sketches of another k (the result keeps its own k and a valid bound)', () => {
    const big = sketchOf(a, 256);
    big.merge(sketchOf(b, k));
    expect(big.k).toBe(256);
    checkRanks(big, sortedUnion);
    expect(KllSketch.fromBytes(big.toBytes()).count).toBe(union.length);
  });

  it('self-merge doubles the counts', () => {
    const s = sketchOf(a.subarray(0, 1000), k);
    const r = s.rank(0);
    s.merge(s);
    expect(s.count).toBe(2000);
    expect(Math.abs(s.rank(0) - r)).toBeLessThanOrEqual(s.rankErrorBound());
  });

  it('round-trips through bytes, aligned or not, and copies before it writes', () => {
    const s = sketchOf(union, k);
    const bytes = s.toBytes();
    const layoutItems = (bytes.length - 64 - 8 * Math.ceil(s.levelCount / 2)) / 8;
    expect(layoutItems).toBe(s.retained);
    const back = KllSketch.fromBytes(bytes);
    expect(back.toBytes()).toEqual(bytes);
    expect(back.rankErrorBound()).toBe(s.rankErrorBound());
    for (let q = 0; q <= 1; q += 0.01) expect(back.quantile(q)).toBe(s.quantile(q));
    expect(back.mean).toBe(s.mean);
    expect(back.variance).toBe(s.variance);
    // Unaligned copy.
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const unaligned = KllSketch.fromBytes(shifted.subarray(3));
    expect(unaligned.toBytes()).toEqual(bytes);
    // Writing to the decoded sketch leaves the source bytes alone.
    const snapshot = bytes.slice();
    back.updateMany(sample(9, 5000, 'irwinhall4'));
    back.merge(sketchOf(a.subarray(0, 3000), k));
    expect(bytes).toEqual(snapshot);
    // Sum of w^2 survives serialization and merges.
    const m = KllSketch.fromBytes(bytes).merge(KllSketch.fromBytes(bytes));
    expect(m.compactionWeightSquares).toBeGreaterThanOrEqual(2 * s.compactionWeightSquares);
    expect(KllSketch.fromBytes(new KllSketch().toBytes()).count).toBe(0);
  });
});

describe('KllSketch under random sequences of updates, merges and round trips', () => {
  it('stays well-formed (fromBytes validates every invariant) and within its rank bound', () => {
    const u = sample(77, 4000, 'inverse');
    let pick = 0;
    const next = (m: number): number => Math.floor(u[pick++ % u.length]! * 1e6) % m;
    for (const k of [8, 13, 32]) {
      const all: number[] = [];
      let s = new KllSketch(k);
      for (let step = 0; step < 120; step++) {
        const op = next(4);
        const size = [1, 7, 40, 300, 2500][next(5)]!;
        const values = sample(1000 + step * 7 + k, size, step % 2 ? 'irwinhall4' : 'rounded');
        if (op === 0) {
          for (const v of values) s.update(v);
        } else if (op === 1) {
          s.updateMany(values);
        } else {
          const other = new KllSketch(k);
          other.updateMany(values);
          s.merge(op === 2 ? other : KllSketch.fromBytes(other.toBytes()));
        }
        for (const v of values) all.push(v);
        if (step % 10 === 9) s = KllSketch.fromBytes(s.toBytes());
        const back = KllSketch.fromBytes(s.toBytes()); // throws on any broken invariant
        expect(back.count).toBe(all.length);
      }
      const sorted = Float64Array.from(all).sort();
      const bound = s.rankErrorBound();
      for (let i = 1; i < 50; i++) {
        const x = sorted[Math.floor((i / 50) * sorted.length)]!;
        expect(Math.abs(s.rank(x) - trueRanks(sorted, x)[0]), `k=${k} x=${x}`).toBeLessThanOrEqual(bound);
      }
    }
  });
});

describe('KllSketch.fromBytes rejects malformed input with a clear error', () => {
  const s = sketchOf(sample(3, 5000, 'irwinhall4'), 32);
  const good = s.toBytes();
  const mutate = (f: (dv: DataView, b: Uint8Array) => void): Uint8Array => {
    const b = good.slice();
    f(new DataView(b.buffer), b);
    return b;
  };
  const itemsAt = 64 + 8 * Math.ceil(s.levelCount / 2);

  it('every truncation', () => {
    for (let len = 0; len < good.length; len += len < 80 ? 1 : 37) {
      expect(() => KllSketch.fromBytes(good.subarray(0, len)), `length ${len}`).toThrow(/KllSketch.fromBytes: truncated/);
    }
  });
  it.each([
    ['bad magic', mutate((dv) => dv.setUint32(0, 0x12345678, true)), /bad magic/],
    ['future version', mutate((dv) => dv.setUint8(4, 9)), /version 9/],
    ['zero levels', mutate((dv) => dv.setUint8(5, 0)), /level count/],
    ['unknown flag', mutate((dv) => dv.setUint16(6, 6, true)), /unknown flags/],
    ['k too small', mutate((dv) => dv.setUint32(8, 2, true)), /k 2/],
    ['count mismatch', mutate((dv) => dv.setFloat64(16, s.count + 1, true)), /does not equal the count/],
    ['NaN item', mutate((dv) => dv.setFloat64(itemsAt + 8, NaN, true)), /NaN/],
    ['item above max', mutate((dv) => dv.setFloat64(itemsAt + 8 * (s.retained - 1), s.max + 1, true)), /outside \[min, max\]/],
    ['item below min', mutate((dv) => dv.setFloat64(itemsAt, s.min - 1, true)), /outside \[min, max\]/],
    ['unsorted level', mutate((dv) => {
      const last = itemsAt + 8 * (s.retained - 1);
      dv.setFloat64(last, s.min, true);
    }), /not sorted/],
    ['negative weight sum', mutate((dv) => dv.setFloat64(40, -1, true)), /compaction weight/],
    ['min above max', mutate((dv) => dv.setFloat64(24, s.max + 1, true)), /min\/max/],
  ])('%s', (_name, bytes, message) => {
    expect(() => KllSketch.fromBytes(bytes)).toThrow(message);
  });
  it('trailing bytes and wrong types', () => {
    const longer = new Uint8Array(good.length + 8);
    longer.set(good);
    expect(() => KllSketch.fromBytes(longer)).toThrow(/trailing bytes/);
    expect(() => KllSketch.fromBytes('x' as unknown as Uint8Array)).toThrow(/Uint8Array/);
  });
});

describe('KllSketch capacity', () => {
  it('a full default sketch holds at most kllCapacity items; bytes = 64 + 8 ceil(L/2) + 8 items', () => {
    const s = sketchOf(sample(4, 300_000, 'inverse'));
    expect(s.retained).toBeLessThanOrEqual(kllCapacity(KllSketch.DEFAULT_K, s.levelCount));
    expect(s.toBytes().length).toBe(KllSketch.serializedBytes(s.levelCount, s.retained));
    expect(kllCapacity(KllSketch.DEFAULT_K, 12)).toBeLessThan(800);
  });
});
