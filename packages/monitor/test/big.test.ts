import { beforeAll, describe, expect, it } from 'vitest';
import { numericDrift } from '../src/drift.js';
import { KllSketch } from '../src/kll.js';
import { fixture } from './helpers.js';
import { sample, type Transform } from './prng.js';

// 1,000,000-value samples regenerated bit-for-bit from the generator shared with generate.py;
// the fixture holds only SciPy's / NumPy's values on the full data.

interface Big {
  samples: Record<string, { seed: number; n: number; transform: Transform; sum: number; first: number[] }>;
  pairs: {
    reference: string;
    current: string;
    ks: { statistic: number; pValue: number };
    wassersteinNormed: number;
    psi: number;
    jensenshannon: number;
    psiQuantiles: number;
    jensenshannonQuantiles: number;
  }[];
}
const big = fixture<Big>('big.json');

const data = new Map<string, Float64Array>();
const direct = new Map<string, KllSketch>();
const merged = new Map<string, KllSketch>();

/** As the server builds them: 100 bucket sketches, stored, read back and merged. */
function viaBuckets(values: Float64Array): KllSketch {
  const acc = new KllSketch();
  const size = values.length / 100;
  for (let i = 0; i < 100; i++) {
    const bucket = new KllSketch();
    bucket.updateMany(values.subarray(i * size, (i + 1) * size));
    acc.merge(KllSketch.fromBytes(bucket.toBytes()));
  }
  return acc;
}

beforeAll(() => {
  for (const [name, s] of Object.entries(big.samples)) {
    const v = sample(s.seed, s.n, s.transform);
    data.set(name, v);
    const d = new KllSketch();
    d.updateMany(v);
    direct.set(name, d);
    merged.set(name, viaBuckets(v));
  }
});

describe('1M-value samples', () => {
  it('are the ones generate.py used', () => {
    for (const [name, s] of Object.entries(big.samples)) {
      const v = data.get(name)!;
      expect(Array.from(v.subarray(0, 3))).toEqual(s.first);
      let sum = 0;
      for (const x of v) sum += x;
      expect(Math.abs(sum - s.sum)).toBeLessThan(1e-9 * Math.max(1, Math.abs(s.sum)) * 1000);
    }
  });

  for (const mode of ['direct', 'merged'] as const) {
    describe(`${mode} sketches`, () => {
      const sketches = mode === 'direct' ? direct : merged;
      for (const p of big.pairs) {
        it(`${p.reference} vs ${p.current}: KS within 0.01 of scipy and within errorBound`, () => {
          const r = numericDrift(sketches.get(p.reference)!, sketches.get(p.current)!, { method: 'ks' });
          const err = Math.abs(r.statistic - p.ks.statistic);
          expect(err, `KS ${r.statistic} vs ${p.ks.statistic}`).toBeLessThanOrEqual(0.01);
          expect(err).toBeLessThanOrEqual(r.errorBound);
          expect(r.errorBound).toBeLessThan(0.03);
          expect(r.nReference).toBe(1_000_000);
        });
        it(`${p.reference} vs ${p.current}: wasserstein, PSI and Jensen-Shannon within errorBound`, () => {
          const ref = sketches.get(p.reference)!;
          const cur = sketches.get(p.current)!;
          const w = numericDrift(ref, cur);
          expect(w.method).toBe('wasserstein');
          expect(Math.abs(w.statistic - p.wassersteinNormed)).toBeLessThanOrEqual(w.errorBound);
          const psi = numericDrift(ref, cur, { method: 'psi' });
          expect(Math.abs(psi.statistic - p.psi)).toBeLessThanOrEqual(psi.errorBound);
          const js = numericDrift(ref, cur, { method: 'jensenshannon' });
          expect(Math.abs(js.statistic - p.jensenshannon)).toBeLessThanOrEqual(js.errorBound);
          const q = { binning: 'reference-quantiles' } as const;
          const psiQ = numericDrift(ref, cur, { method: 'psi', ...q });
          expect(Math.abs(psiQ.statistic - p.psiQuantiles)).toBeLessThanOrEqual(psiQ.errorBound);
          const jsQ = numericDrift(ref, cur, { method: 'jensenshannon', ...q });
          expect(Math.abs(jsQ.statistic - p.jensenshannonQuantiles)).toBeLessThanOrEqual(jsQ.errorBound);
          // Equal-mass bins are what sketches estimate well: small against the 0.1 thresholds (and
          // within 1% where the distributions are far apart).
          expect(Math.abs(psiQ.statistic - p.psiQuantiles)).toBeLessThan(0.01 + 0.01 * p.psiQuantiles);
          expect(Math.abs(jsQ.statistic - p.jensenshannonQuantiles)).toBeLessThan(0.02);
          // The drift decision agrees with the exact one wherever the bound leaves no doubt.
          for (const [r, exact] of [
            [w, p.wassersteinNormed],
            [psi, p.psi],
            [js, p.jensenshannon],
            [psiQ, p.psiQuantiles],
            [jsQ, p.jensenshannonQuantiles],
          ] as const) {
            if (Math.abs(exact - r.threshold) > r.errorBound) expect(r.drifted).toBe(exact >= r.threshold);
          }
        });
      }
      it('quantiles and ranks within rankErrorBound', () => {
        for (const name of ['A', 'S']) {
          const s = sketches.get(name)!;
          const sorted = data.get(name)!.slice().sort();
          const n = sorted.length;
          const bound = s.rankErrorBound();
          expect(bound).toBeGreaterThan(0);
          expect(bound).toBeLessThan(0.01);
          const countLe = (x: number): number => {
            let a = 0;
            let b = n;
            while (a < b) {
              const m = (a + b) >>> 1;
              if (sorted[m]! <= x) a = m + 1;
              else b = m;
            }
            return a;
          };
          let worst = 0;
          for (let i = 1; i < 1000; i++) {
            const q = i / 1000;
            const v = s.quantile(q);
            // Continuous data: the true rank of v is countLe(v)/n (ties have probability ~0).
            worst = Math.max(worst, Math.abs(countLe(v) / n - q) - 1 / n);
            const x = sorted[Math.floor(q * n)]!;
            worst = Math.max(worst, Math.abs(s.rank(x) - countLe(x) / n));
          }
          expect(worst, `${name}: worst ${worst}, bound ${bound}`).toBeLessThanOrEqual(bound);
        }
      });
    });
  }
});
