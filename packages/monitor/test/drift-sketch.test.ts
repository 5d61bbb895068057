import { describe, expect, it } from 'vitest';
import {
  categoricalDrift,
  chiSquareTest,
  datasetDrift,
  defaultDriftMethod,
  jensenShannonDistance,
  ksTest,
  numericDrift,
  populationStabilityIndexCategorical,
  zTestProportions,
  type DriftResult,
} from '../src/drift.js';
import { FrequencySketch } from '../src/frequency.js';
import { KllSketch } from '../src/kll.js';
import { expectClose, fixture } from './helpers.js';
import { uniforms } from './prng.js';

const numeric = fixture<
  { name: string; a: number[]; b: number[]; psi: number; jensenshannon: number; wassersteinNormed: number; psiQuantiles: number; jensenshannonQuantiles: number }[]
>('numeric.json');
const categorical = fixture<{ name: string; reference: Record<string, number>; current: Record<string, number> }[]>('categorical.json');

function kll(values: ArrayLike<number>, k?: number): KllSketch {
  const s = new KllSketch(k);
  s.updateMany(values);
  return s;
}
function freq(table: Record<string, number> | Map<string, number>, capacity?: number): FrequencySketch {
  const s = new FrequencySketch(capacity);
  for (const [c, n] of table instanceof Map ? table : Object.entries(table)) s.update(c, n);
  return s;
}

describe('defaultDriftMethod follows Evidently _get_default_stattest', () => {
  it.each([
    ['numeric', 1000, 6, 'ks', 0.05],
    ['numeric', 1000, 5, 'chisquare', 0.05],
    ['numeric', 1000, 3, 'chisquare', 0.05],
    ['numeric', 1000, 2, 'z', 0.05],
    ['numeric', 1001, 6, 'wasserstein', 0.1],
    ['numeric', 1001, 5, 'jensenshannon', 0.1],
    ['categorical', 1000, 3, 'chisquare', 0.05],
    ['categorical', 1000, 2, 'z', 0.05],
    ['categorical', 1001, 2, 'jensenshannon', 0.1],
    ['categorical', 50000, 300, 'jensenshannon', 0.1],
  ] as const)('%s, %i rows, %i unique -> %s', (kind, n, u, method, threshold) => {
    expect(defaultDriftMethod(kind, n, u)).toEqual({ method, threshold });
  });
});

describe('numericDrift on exact sketches equals the exact statistics', () => {
  for (const c of numeric.filter((x) => x.a.length <= 3 * KllSketch.DEFAULT_K && x.b.length <= 3 * KllSketch.DEFAULT_K)) {
    it(c.name, () => {
      const ref = kll(c.a);
      const cur = kll(c.b);
      const ks = numericDrift(ref, cur, { method: 'ks' });
      const exact = ksTest(c.a, c.b);
      expectClose(ks.statistic, exact.statistic, 'ks statistic', 1e-12);
      expect(ks.pValue).toBe(exact.pValue);
      expect(ks.errorBound).toBe(0);
      expect(ks.drifted).toBe(exact.pValue <= 0.05);
      const psi = numericDrift(ref, cur, { method: 'psi' });
      expectClose(psi.statistic, c.psi, 'psi');
      expect(psi.errorBound).toBe(0);
      expectClose(numericDrift(ref, cur, { method: 'jensenshannon' }).statistic, c.jensenshannon, 'jensenshannon');
      const q = { binning: 'reference-quantiles' } as const;
      expectClose(numericDrift(ref, cur, { method: 'psi', ...q }).statistic, c.psiQuantiles, 'psi, reference deciles');
      expectClose(numericDrift(ref, cur, { method: 'jensenshannon', ...q }).statistic, c.jensenshannonQuantiles, 'js, reference deciles');
      expect(() => numericDrift(ref, cur, { method: 'psi', binning: 'nope' as 'evidently' })).toThrow(/binning/);
      const w = numericDrift(ref, cur, { method: 'wasserstein' });
      expectClose(w.statistic, c.wassersteinNormed, 'wasserstein normed', 1e-9);
      expect(w.pValue).toBeNull();
      expect(w.drifted).toBe(w.statistic >= 0.1);
    });
  }
  it('few unique values: the count tests, with Evidently ordering of numbers', () => {
    const ref = kll([0, 1, 1, 1, 10, 10]);
    const cur = kll([0, 0, 1, 10, 10, 10, 10]);
    const r = numericDrift(ref, cur);
    expect(r.method).toBe('chisquare');
    const e = chiSquareTest(new Map([['0', 1], ['1', 3], ['10', 2]]), new Map([['0', 2], ['1', 1], ['10', 4]]));
    expectClose(r.statistic, e.statistic, 'chisquare');
    expectClose(r.pValue!, e.pValue, 'chisquare p');
    // Binary: z with the smallest number as category 0 (9 < 10 numerically, not as strings).
    const z = numericDrift(kll([9, 9, 10]), kll([9, 10, 10, 10]));
    expect(z.method).toBe('z');
    const ze = zTestProportions(new Map([['a9', 2], ['b10', 1]]), new Map([['a9', 1], ['b10', 3]]));
    expectClose(z.statistic, ze.statistic, 'z');
  });
  it('p-value tests use Evidently comparisons: ks drifts at p <= threshold, chisquare at p < threshold', () => {
    const ref = kll(numeric[0]!.a);
    const cur = kll(numeric[0]!.b);
    const p = numericDrift(ref, cur, { method: 'ks' }).pValue!;
    expect(numericDrift(ref, cur, { method: 'ks', threshold: p }).drifted).toBe(true);
    const c = categoricalDrift(freq(categorical[0]!.reference), freq(categorical[0]!.current), { method: 'chisquare' });
    expect(categoricalDrift(freq(categorical[0]!.reference), freq(categorical[0]!.current), { method: 'chisquare', threshold: c.pValue! }).drifted).toBe(false);
  });
  it('refuses empty sketches and categorical-only misuse', () => {
    expect(() => numericDrift(new KllSketch(), kll([1]))).toThrow(RangeError);
    expect(() => categoricalDrift(freq({ a: 1 }), freq({ a: 1 }), { method: 'ks' })).toThrow(/numerical/);
  });
});

describe('categoricalDrift', () => {
  for (const c of categorical) {
    it(`exact sketches equal the exact tests (${c.name})`, () => {
      const ref = new Map(Object.entries(c.reference));
      const cur = new Map(Object.entries(c.current));
      const r = freq(c.reference);
      const s = freq(c.current);
      const js = categoricalDrift(r, s, { method: 'jensenshannon' });
      expect(js.statistic).toBe(jensenShannonDistance(ref, cur));
      expect(js.errorBound).toBe(0);
      expect(categoricalDrift(r, s, { method: 'psi' }).statistic).toBe(populationStabilityIndexCategorical(ref, cur));
      expect(categoricalDrift(r, s, { method: 'z' }).statistic).toBe(zTestProportions(ref, cur).statistic);
      if (ref.size + cur.size > 2) {
        expect(categoricalDrift(r, s, { method: 'chisquare' }).pValue).toBe(chiSquareTest(ref, cur).pValue);
      }
      const d = categoricalDrift(r, s);
      const union = new Set([...ref.keys(), ...cur.keys()]).size;
      expect(d.method).toBe(defaultDriftMethod('categorical', r.count, union).method);
    });
  }
  it('inexact sketches: the Jensen-Shannon errorBound covers the distance on the true counts', () => {
    const u1 = uniforms(21, 50_000);
    const u2 = uniforms(22, 50_000);
    const truthA = new Map<string, number>();
    const truthB = new Map<string, number>();
    const a = new FrequencySketch(64);
    const b = new FrequencySketch(64);
    for (let i = 0; i < u1.length; i++) {
      // Zipf-like: a heavy head and a long tail of rare categories past the capacity.
      const x = `k${Math.floor(1 / (u1[i]! + 1 / 2000))}`;
      const y = `k${Math.floor(1.3 / (u2[i]! + 1 / 1500))}`;
      a.update(x);
      b.update(y);
      truthA.set(x, (truthA.get(x) ?? 0) + 1);
      truthB.set(y, (truthB.get(y) ?? 0) + 1);
    }
    expect(a.isExact() || b.isExact()).toBe(false);
    const r = categoricalDrift(a, b, { method: 'jensenshannon' });
    const exact = jensenShannonDistance(truthA, truthB);
    expect(r.errorBound).toBeGreaterThan(0);
    expect(Math.abs(r.statistic - exact)).toBeLessThanOrEqual(r.errorBound);
    expect(r.errorBound).toBeLessThan(0.5);
  });
});

describe('datasetDrift (Evidently get_dataset_drift)', () => {
  const res = (drifted: boolean): DriftResult => ({
    method: 'ks',
    statistic: 0,
    pValue: 1,
    threshold: 0.05,
    drifted,
    errorBound: 0,
    nReference: 1,
    nCurrent: 1,
  });
  it('drifts when the drifted share reaches drift_share (>=)', () => {
    expect(datasetDrift([res(true), res(false)])).toEqual({ share: 0.5, drifted: true, driftedCount: 1, total: 2, driftShare: 0.5 });
    expect(datasetDrift([res(true), res(false), res(false)]).drifted).toBe(false);
    expect(datasetDrift([res(true), res(false), res(false)], 0.3).drifted).toBe(true);
    expect(datasetDrift([])).toEqual({ share: 0, drifted: false, driftedCount: 0, total: 0, driftShare: 0.5 });
  });
});
