/**
 * Model performance and fairness from plain, JSON-serialisable counters that merge by addition,
 * so per-bucket counts roll up like the sketches do.
 */

import { normalQuantile } from './special.js';

/** counts[actual][predicted] */
export interface ConfusionCounts {
  [actual: string]: { [predicted: string]: number };
}

function checkCount(v: unknown, where: string): number {
  if (typeof v !== 'number' || !(v >= 0) || v === Infinity) {
    throw new RangeError(`${where} must be a finite number >= 0, got ${String(v)}`);
  }
  return v;
}

export function mergeConfusion(a: ConfusionCounts, b: ConfusionCounts): ConfusionCounts {
  const out: ConfusionCounts = {};
  for (const src of [a, b]) {
    for (const [actual, row] of Object.entries(src)) {
      const target = (out[actual] ??= {});
      for (const [predicted, c] of Object.entries(row)) {
        target[predicted] = (target[predicted] ?? 0) + checkCount(c, `count[${actual}][${predicted}]`);
      }
    }
  }
  return out;
}

export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
}

/**
 * sklearn's precision_recall_fscore_support / accuracy_score on the confusion counts: labels are
 * every label seen as actual or predicted; a ratio with a zero denominator is 0 (sklearn's
 * zero_division default, which also warns); f1 = 2 tp / (2 tp + fp + fn); macro = unweighted mean.
 * `binary` (when positiveLabel is given) is average='binary' with that pos_label.
 */
export function classificationMetrics(
  c: ConfusionCounts,
  positiveLabel?: string,
): {
  n: number;
  accuracy: number;
  macro: PrecisionRecallF1;
  perClass: Record<string, PrecisionRecallF1 & { support: number }>;
  binary?: PrecisionRecallF1;
} {
  const labels = new Set<string>();
  const tp = new Map<string, number>();
  const predicted = new Map<string, number>();
  const actual = new Map<string, number>();
  let n = 0;
  let correct = 0;
  for (const [a, row] of Object.entries(c)) {
    for (const [p, raw] of Object.entries(row)) {
      const v = checkCount(raw, `count[${a}][${p}]`);
      if (v === 0) continue;
      labels.add(a);
      labels.add(p);
      n += v;
      actual.set(a, (actual.get(a) ?? 0) + v);
      predicted.set(p, (predicted.get(p) ?? 0) + v);
      if (a === p) {
        correct += v;
        tp.set(a, (tp.get(a) ?? 0) + v);
      }
    }
  }
  const scores = (label: string): PrecisionRecallF1 & { support: number } => {
    const t = tp.get(label) ?? 0;
    const predictedCount = predicted.get(label) ?? 0;
    const support = actual.get(label) ?? 0;
    const denomF = support + predictedCount;
    return {
      precision: predictedCount === 0 ? 0 : t / predictedCount,
      recall: support === 0 ? 0 : t / support,
      f1: denomF === 0 ? 0 : (2 * t) / denomF,
      support,
    };
  };
  const perClass: Record<string, PrecisionRecallF1 & { support: number }> = {};
  const sorted = [...labels].sort();
  let sp = 0;
  let sr = 0;
  let sf = 0;
  for (const label of sorted) {
    const s = scores(label);
    perClass[label] = s;
    sp += s.precision;
    sr += s.recall;
    sf += s.f1;
  }
  const k = sorted.length;
  const result: ReturnType<typeof classificationMetrics> = {
    n,
    accuracy: n === 0 ? 0 : correct / n,
    macro: k === 0 ? { precision: 0, recall: 0, f1: 0 } : { precision: sp / k, recall: sr / k, f1: sf / k },
    perClass,
  };
  if (positiveLabel !== undefined) {
    const { precision, recall, f1 } = scores(positiveLabel);
    result.binary = { precision, recall, f1 };
  }
  return result;
}

/** Per value of a sensitive attribute. */
export interface GroupCounts {
  n: number;
  predictedPositive: number;
  actualPositive: number;
  truePositive: number;
  falsePositive: number;
}

const GROUP_FIELDS = ['n', 'predictedPositive', 'actualPositive', 'truePositive', 'falsePositive'] as const;

export function mergeGroupCounts(a: Record<string, GroupCounts>, b: Record<string, GroupCounts>): Record<string, GroupCounts> {
  const out: Record<string, GroupCounts> = {};
  for (const src of [a, b]) {
    for (const [group, g] of Object.entries(src)) {
      const t = (out[group] ??= { n: 0, predictedPositive: 0, actualPositive: 0, truePositive: 0, falsePositive: 0 });
      for (const f of GROUP_FIELDS) t[f] += checkCount(g[f], `${group}.${f}`);
    }
  }
  return out;
}

function spread(values: number[]): number {
  if (values.length === 0) return NaN;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return hi - lo;
}

function nonEmptyGroups(groups: Record<string, GroupCounts>): GroupCounts[] {
  return Object.values(groups).filter((g) => g.n > 0);
}

/** Fairlearn demographic_parity_difference (method 'between_groups'): max - min selection rate. NaN with no rows. */
export function demographicParityDifference(groups: Record<string, GroupCounts>): number {
  return spread(nonEmptyGroups(groups).map((g) => g.predictedPositive / g.n));
}

/**
 * Fairlearn equalized_odds_difference (agg 'worst_case', method 'between_groups'): the larger of
 * the between-group spreads of true positive rate and false positive rate. As in Fairlearn (via
 * sklearn's normalised confusion matrix), a group without actual positives has TPR 0, and one
 * without actual negatives has FPR 0.
 */
export function equalizedOddsDifference(groups: Record<string, GroupCounts>): number {
  const gs = nonEmptyGroups(groups);
  const tpr = gs.map((g) => (g.actualPositive === 0 ? 0 : g.truePositive / g.actualPositive));
  const fpr = gs.map((g) => (g.n - g.actualPositive === 0 ? 0 : g.falsePositive / (g.n - g.actualPositive)));
  return Math.max(spread(tpr), spread(fpr));
}

/**
 * Wilson score interval for a binomial proportion, as
 * scipy.stats.binomtest(k, n).proportion_ci(confidence, method='wilson') (Newcombe 1998); the low
 * end is exactly 0 when successes = 0 and the high end exactly 1 when successes = n. With n = 0 the
 * interval is the uninformative [0, 1] (SciPy refuses n = 0).
 */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): { low: number; high: number } {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`wilsonInterval: n must be an integer >= 0, got ${n}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new RangeError(`wilsonInterval: successes must be an integer in [0, n], got ${successes}`);
  }
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`wilsonInterval: confidence must be in (0, 1), got ${confidence}`);
  if (n === 0) return { low: 0, high: 1 };
  const p = successes / n;
  const q = 1 - p;
  const z = normalQuantile(0.5 + 0.5 * confidence);
  const denom = 2 * (n + z ** 2);
  const center = (2 * n * p + z ** 2) / denom;
  const delta = (z / denom) * Math.sqrt(4 * n * p * q + z ** 2);
  return {
    low: successes === 0 ? 0 : center - delta,
    high: successes === n ? 1 : center + delta,
  };
}
