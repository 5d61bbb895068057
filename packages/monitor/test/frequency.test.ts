import { describe, expect, it } from 'vitest';
import { FrequencySketch, compareCodePoints } from '../src/frequency.js';
import { uniforms } from './prng.js';

/** A Zipf-like stream over `distinct` categories, with exact counts kept alongside. */
function stream(seed: number, n: number, distinct: number): { names: string[]; truth: Map<string, number> } {
  const u = uniforms(seed, n);
  const names: string[] = [];
  const truth = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const name = `c${Math.floor(Math.pow(distinct, u[i]!)) - 1}`;
    names.push(name);
    truth.set(name, (truth.get(name) ?? 0) + 1);
  }
  return { names, truth };
}

function checkBounds(s: FrequencySketch, truth: Map<string, number>): void {
  const bound = s.errorBound();
  for (const [name, t] of truth) {
    const est = s.estimate(name);
    expect(est, name).toBeLessThanOrEqual(t);
    expect(t - est, name).toBeLessThanOrEqual(bound);
  }
}

describe('FrequencySketch', () => {
  it('is exact within capacity; entries descend by count, ties by code point', () => {
    const s = new FrequencySketch(4);
    for (const [c, w] of [['b', 2], ['a', 2], ['\u{1F600}', 2], ['\uFFFF', 2], ['z', 5]] as const) s.update(c, w);
    expect(s.isExact()).toBe(true);
    expect(s.errorBound()).toBe(0);
    expect(s.count).toBe(13);
    // U+1F600 sorts after U+FFFF by code point (UTF-16 code units would put it first).
    expect(s.entries()).toEqual([['z', 5], ['a', 2], ['b', 2], ['\uFFFF', 2], ['\u{1F600}', 2]]);
    expect(compareCodePoints('\u{1F600}', '\uFFFF')).toBeGreaterThan(0);
    expect(s.estimate('missing')).toBe(0);
  });

  it('rejects bad weights and categories', () => {
    const s = new FrequencySketch();
    expect(() => s.update('a', -1)).toThrow(RangeError);
    expect(() => s.update('a', NaN)).toThrow(RangeError);
    expect(() => s.update('a', Infinity)).toThrow(RangeError);
    expect(() => s.update(3 as unknown as string)).toThrow(TypeError);
    expect(() => new FrequencySketch(0)).toThrow(RangeError);
  });

  it('Misra-Gries: every estimate within [true - errorBound, true], bound <= n/(capacity+1)', () => {
    const { names, truth } = stream(11, 60_000, 5000);
    const cap = 64;
    const s = new FrequencySketch(cap);
    for (const n of names) s.update(n);
    expect(s.isExact()).toBe(false);
    expect(s.size).toBeLessThanOrEqual(2 * cap);
    expect(s.count).toBe(names.length);
    checkBounds(s, truth);
    const tracked = s.entries().reduce((a, [, c]) => a + c, 0);
    expect(s.errorBound()).toBeLessThanOrEqual((s.count - tracked) / (cap + 1) + 1e-9);
    expect(s.untracked()).toBeCloseTo(s.count - tracked, 6);
    // Heavy hitters are kept and ranked first.
    expect(s.entries()[0]![0]).toBe('c0');
  });

  it('merge (Agarwal et al.): bounds hold for the union; other unchanged', () => {
    const x = stream(12, 40_000, 3000);
    const y = stream(13, 30_000, 300);
    const a = new FrequencySketch(32);
    const b = new FrequencySketch(32);
    for (const n of x.names) a.update(n);
    for (const n of y.names) b.update(n);
    const bBytes = b.toBytes();
    a.merge(b);
    expect(b.toBytes()).toEqual(bBytes);
    const truth = new Map(x.truth);
    for (const [k, v] of y.truth) truth.set(k, (truth.get(k) ?? 0) + v);
    expect(a.count).toBe(70_000);
    checkBounds(a, truth);
    expect(a.size).toBeLessThanOrEqual(64);
  });

  it('two exact sketches merge exactly', () => {
    const a = new FrequencySketch(8);
    const b = new FrequencySketch(8);
    a.update('x', 3);
    a.update('y');
    b.update('y', 2);
    b.update('z');
    a.merge(b);
    expect(a.isExact()).toBe(true);
    expect(a.entries()).toEqual([['x', 3], ['y', 3], ['z', 1]]);
  });

  it('round-trips through bytes and rejects malformed input', () => {
    const { names } = stream(14, 5000, 400);
    const s = new FrequencySketch(16);
    for (const n of names) s.update(n);
    s.update('héllo \u{1F600}', 999);
    const bytes = s.toBytes();
    const back = FrequencySketch.fromBytes(bytes);
    expect(back.entries()).toEqual(s.entries());
    expect(back.count).toBe(s.count);
    expect(back.errorBound()).toBe(s.errorBound());
    expect(back.toBytes()).toEqual(bytes);
    for (let len = 0; len < bytes.length; len += 7) {
      expect(() => FrequencySketch.fromBytes(bytes.subarray(0, len)), `length ${len}`).toThrow(/FrequencySketch.fromBytes: /);
    }
    const bad = bytes.slice();
    new DataView(bad.buffer).setUint32(0, 1, true);
    expect(() => FrequencySketch.fromBytes(bad)).toThrow(/bad magic/);
    const badCount = bytes.slice();
    new DataView(badCount.buffer).setFloat64(32, -5, true);
    expect(() => FrequencySketch.fromBytes(badCount)).toThrow(/invalid count/);
    const exact = new FrequencySketch();
    exact.update('a', 2);
    const lying = exact.toBytes();
    new DataView(lying.buffer).setFloat64(16, 5, true);
    expect(() => FrequencySketch.fromBytes(lying)).toThrow(/add up to its total/);
  });
});
