import { describe, expect, it } from 'vitest';
import {
  classificationMetrics,
  demographicParityDifference,
  equalizedOddsDifference,
  mergeConfusion,
  mergeGroupCounts,
  wilsonInterval,
  type ConfusionCounts,
  type GroupCounts,
} from '../src/performance.js';
import { expectClose, fixture } from './helpers.js';

interface Prf {
  precision: number;
  recall: number;
  f1: number;
}
const perf = fixture<{
  classification: {
    name: string;
    confusion: ConfusionCounts;
    accuracy: number;
    perClass: Record<string, Prf & { support: number }>;
    macro: Prf;
    positiveLabel?: string;
    binary?: Prf;
  }[];
  wilson: [number, number, number, number, number][];
  fairness: { name: string; groups: Record<string, GroupCounts>; demographicParityDifference: number; equalizedOddsDifference: number }[];
}>('performance.json');

function expectPrf(actual: Prf, expected: Prf, what: string): void {
  expectClose(actual.precision, expected.precision, `${what} precision`);
  expectClose(actual.recall, expected.recall, `${what} recall`);
  expectClose(actual.f1, expected.f1, `${what} f1`);
}

/** Splits counts into two halves (by alternating units) so that merging must restore them. */
function split(c: ConfusionCounts): [ConfusionCounts, ConfusionCounts] {
  const a: ConfusionCounts = {};
  const b: ConfusionCounts = {};
  for (const [t, row] of Object.entries(c)) {
    for (const [p, v] of Object.entries(row)) {
      (a[t] ??= {})[p] = Math.floor(v / 3);
      (b[t] ??= {})[p] = v - Math.floor(v / 3);
    }
  }
  return [a, b];
}

describe('classificationMetrics = sklearn precision_recall_fscore_support / accuracy_score', () => {
  for (const c of perf.classification) {
    it(c.name, () => {
      const m = classificationMetrics(c.confusion, c.positiveLabel);
      expectClose(m.accuracy, c.accuracy, 'accuracy');
      expect(Object.keys(m.perClass).sort()).toEqual(Object.keys(c.perClass).sort());
      for (const [label, e] of Object.entries(c.perClass)) {
        expectPrf(m.perClass[label]!, e, label);
        expect(m.perClass[label]!.support).toBe(e.support);
      }
      expectPrf(m.macro, c.macro, 'macro');
      if (c.binary) expectPrf(m.binary!, c.binary, 'binary');
    });
    it(`${c.name}: merged halves give the same metrics`, () => {
      const [a, b] = split(c.confusion);
      const merged = mergeConfusion(a, b);
      expect(classificationMetrics(merged, c.positiveLabel)).toEqual(classificationMetrics(c.confusion, c.positiveLabel));
      expect(JSON.parse(JSON.stringify(merged))).toEqual(merged);
    });
  }
  it('rejects negative counts', () => {
    expect(() => classificationMetrics({ a: { a: -1 } })).toThrow(RangeError);
    expect(() => mergeConfusion({ a: { a: 1 } }, { a: { b: NaN } })).toThrow(RangeError);
  });
});

describe('wilsonInterval = scipy binomtest(k, n).proportion_ci(method="wilson")', () => {
  it('matches SciPy', () => {
    for (const [k, n, conf, lo, hi] of perf.wilson) {
      const r = wilsonInterval(k, n, conf);
      expectClose(r.low, lo, `low(${k}, ${n}, ${conf})`, 1e-9, 1e-15);
      expectClose(r.high, hi, `high(${k}, ${n}, ${conf})`, 1e-9, 1e-15);
    }
  });
  it('n = 0 is uninformative; bad input is refused', () => {
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(1.5, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(1, 2, 1)).toThrow(RangeError);
  });
});

describe('fairness differences (Fairlearn definitions, from sklearn confusion matrices per group)', () => {
  for (const c of perf.fairness) {
    it(c.name, () => {
      expectClose(demographicParityDifference(c.groups), c.demographicParityDifference, 'DPD');
      expectClose(equalizedOddsDifference(c.groups), c.equalizedOddsDifference, 'EOD');
    });
    it(`${c.name}: merged group counts`, () => {
      const half: Record<string, GroupCounts> = {};
      const rest: Record<string, GroupCounts> = {};
      for (const [g, v] of Object.entries(c.groups)) {
        half[g] = { n: 0, predictedPositive: 0, actualPositive: 0, truePositive: 0, falsePositive: 0 };
        rest[g] = { ...v };
      }
      const merged = mergeGroupCounts(half, rest);
      expect(merged).toEqual(c.groups);
      expect(mergeGroupCounts(c.groups, c.groups)[Object.keys(c.groups)[0]!]!.n).toBe(2 * Object.values(c.groups)[0]!.n);
    });
  }
  it('no rows: NaN', () => {
    expect(demographicParityDifference({})).toBeNaN();
  });
});
