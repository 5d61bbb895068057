import { describe, expect, it } from 'vitest';
import {
  chiSquareTest,
  jensenShannonDistance,
  jensenShannonDistanceNumeric,
  jensenShannonDistanceQuantileBins,
  ksTest,
  populationStabilityIndexQuantileBins,
  populationStabilityIndex,
  populationStabilityIndexCategorical,
  wassersteinDistance,
  wassersteinDistanceNormed,
  zTestProportions,
} from '../src/drift.js';
import { ksTwoSamplePValue } from '../src/special.js';
import { expectClose, fixture } from './helpers.js';
import { sample, type Transform } from './prng.js';

// Exact paths against SciPy / NumPy: 1e-9 relative, or 1e-15 absolute near zero (helpers.ts).

const ks = fixture<{
  inline: { name: string; a: number[]; b: number[]; statistic: number; pValue: number }[];
  generated: { name: string; a: [number, number, Transform]; b: [number, number, Transform]; method: string; statistic: number; pValue: number }[];
}>('ks.json');

describe('ksTest = scipy.stats.ks_2samp (two-sided, method auto)', () => {
  for (const c of ks.inline) {
    it(c.name, () => {
      const r = ksTest(c.a, c.b);
      expectClose(r.statistic, c.statistic, `${c.name} statistic`);
      expectClose(r.pValue, c.pValue, `${c.name} pValue`);
    });
  }
  for (const c of ks.generated) {
    it(`${c.name} (${c.method})`, () => {
      const a = sample(c.a[0], c.a[1], c.a[2]);
      const b = sample(c.b[0], c.b[1], c.b[2]);
      const r = ksTest(a, b);
      expectClose(r.statistic, c.statistic, `${c.name} statistic`);
      expectClose(r.pValue, c.pValue, `${c.name} pValue`);
      expect(ksTwoSamplePValue(r.statistic, a.length, b.length).method).toBe(c.method);
    });
  }
  it('covers both regimes with p-values that are neither 0 nor 1', () => {
    const mid = (m: string) => ks.generated.filter((c) => c.method === m && c.pValue > 1e-6 && c.pValue < 0.999);
    expect(mid('exact').length).toBeGreaterThan(0);
    expect(mid('asymp').length).toBeGreaterThan(0);
  });
  it('rejects empty and non-finite samples', () => {
    expect(() => ksTest([], [1])).toThrow(RangeError);
    expect(() => ksTest([1, NaN], [1])).toThrow(/reference\[1\]/);
    expect(() => ksTest([1], [Infinity])).toThrow(/current\[0\]/);
  });
});

type Table = Record<string, number>;
const categorical = fixture<
  {
    name: string;
    reference: Table;
    current: Table;
    chisquare?: { statistic: number; pValue: number; df: number };
    z: { statistic: number; pValue: number };
    jensenshannon: number;
    psi: number;
  }[]
>('categorical.json');

const asMap = (t: Table) => new Map(Object.entries(t));

describe('categorical tests against SciPy with Evidently semantics', () => {
  for (const c of categorical) {
    it(c.name, () => {
      const ref = asMap(c.reference);
      const cur = asMap(c.current);
      if (c.chisquare) {
        const r = chiSquareTest(ref, cur);
        expectClose(r.statistic, c.chisquare.statistic, 'chisquare statistic');
        expectClose(r.pValue, c.chisquare.pValue, 'chisquare pValue');
        expect(r.df).toBe(c.chisquare.df);
      }
      const z = zTestProportions(ref, cur);
      expectClose(z.statistic, c.z.statistic, 'z statistic');
      // Evidently computes 2 * (1 - Phi(|z|)), which loses digits in the far tail; 2 * sf(|z|) is exact.
      expectClose(z.pValue, c.z.pValue, 'z pValue', 1e-9, 1e-14);
      expectClose(jensenShannonDistance(ref, cur), c.jensenshannon, 'jensenshannon');
      expectClose(populationStabilityIndexCategorical(ref, cur), c.psi, 'psi');
    });
  }
});

const numeric = fixture<
  {
    name: string;
    a: number[];
    b: number[];
    psi: number;
    jensenshannon: number;
    wasserstein: number;
    wassersteinNormed: number;
    psiBins10: number;
    psiQuantiles: number;
    psiQuantiles4: number;
    jensenshannonQuantiles: number;
  }[]
>('numeric.json');

describe('numerical distances against SciPy / NumPy with Evidently binning', () => {
  for (const c of numeric) {
    it(c.name, () => {
      expectClose(populationStabilityIndex(c.a, c.b), c.psi, 'psi');
      expectClose(populationStabilityIndex(c.a, c.b, 10), c.psiBins10, 'psi with 10 bins');
      expectClose(jensenShannonDistanceNumeric(c.a, c.b), c.jensenshannon, 'jensenshannon');
      expectClose(wassersteinDistance(c.a, c.b), c.wasserstein, 'wasserstein');
      expectClose(wassersteinDistanceNormed(c.a, c.b), c.wassersteinNormed, 'wasserstein normed');
      expectClose(populationStabilityIndexQuantileBins(c.a, c.b), c.psiQuantiles, 'psi, reference deciles');
      expectClose(populationStabilityIndexQuantileBins(c.a, c.b, 4), c.psiQuantiles4, 'psi, reference quartiles');
      expectClose(jensenShannonDistanceQuantileBins(c.a, c.b), c.jensenshannonQuantiles, 'jensenshannon, reference deciles');
    });
  }
});
