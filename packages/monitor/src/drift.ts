/**
 * Drift statistics, Evidently-style. Defaults as Evidently implements them, read from
 * github.com/evidentlyai/evidently at a4aa4c2b (src/evidently/legacy/calculations/stattests/):
 *
 * - Test choice (registry.py `_get_default_stattest`), with n_values = unique values of
 *   reference + current together:
 *   reference <= 1000 rows: numerical -> `ks` when n_values > 5, else `chisquare` when > 2, else `z`;
 *   categorical -> `chisquare` when n_values > 2, else `z`.
 *   reference > 1000 rows: numerical -> `wasserstein` when n_values > 5, else `jensenshannon`;
 *   categorical -> `jensenshannon`.
 * - Thresholds: p-value tests (ks, chisquare, z) 0.05; distances (psi, wasserstein, jensenshannon) 0.1.
 *   ks drifts when p <= threshold (ks_stattest.py); chisquare and z when p < threshold;
 *   distances when statistic >= threshold.
 * - ks: scipy.stats.ks_2samp, two-sided, default method ('exact' when both sizes <= 10000, else
 *   'asymp' = kstwo.sf(d, round(n1 n2 / (n1 + n2)))).
 * - chisquare (chisquare_stattest.py): categories = union of observed values; expected =
 *   reference count x (n_current / n_reference); scipy.stats.chisquare(observed, expected), df = k - 1.
 * - z (z_stattest.py): categories sorted, the first one is 0 and every other 1; pooled two-proportion
 *   z = (p_ref - p_cur) / sqrt(P (1 - P) (1/n_ref + 1/n_cur)), p = 2 (1 - Phi(|z|)); p = 1 when both
 *   samples hold the same single value.
 * - wasserstein (wasserstein_distance_norm.py): scipy.stats.wasserstein_distance / max(np.std(reference), 0.001)
 *   (population std, ddof 0).
 * - psi and jensenshannon bin with utils.py `get_binned_data`: numerical with more than 20 unique
 *   reference values -> np.histogram_bin_edges(reference + current, bins='sturges') (equal width over
 *   the combined range; the `n_bins=30` argument is unused), fractions = counts / size; otherwise
 *   one bin per observed value. PSI replaces empty fractions with min(non-zero)/1e6 when that minimum
 *   is <= 1e-4, else with 1e-4, then sums (r - c) ln(r / c). Jensen-Shannon does not fill zeros and is
 *   scipy.spatial.distance.jensenshannon(r, c) with base=None, i.e. natural log (max sqrt(ln 2)).
 * - Dataset drift (calculations/data_drift.py `get_dataset_drift`): drifted share >= drift_share, default 0.5.
 *
 * Sketch paths compute the same statistics from KllSketch / FrequencySketch and report `errorBound`,
 * an absolute bound on the statistic from the sketches' own error (see each function).
 */

import { KllSketch, weightAtOrBelow, weightBelow, type WeightedCdf } from './kll.js';
import { FrequencySketch, compareCodePoints } from './frequency.js';
import { chiSquareSf, ksTwoSamplePValue, normalSf } from './special.js';

export type DriftMethod = 'ks' | 'chisquare' | 'z' | 'psi' | 'wasserstein' | 'jensenshannon';

export interface DriftResult {
  method: DriftMethod;
  statistic: number;
  /** For ks, chisquare and z. */
  pValue: number | null;
  /** p-value tests: drifted when pValue < threshold (ks: <=); distances: drifted when statistic >= threshold. */
  threshold: number;
  drifted: boolean;
  /** Absolute bound on `statistic` due to sketch error (0 on exact paths / exact sketches). */
  errorBound: number;
  nReference: number;
  nCurrent: number;
}

export interface DriftOptions {
  method?: DriftMethod;
  threshold?: number;
  /**
   * Numerical PSI and Jensen-Shannon only. 'evidently' (default): Evidently's binning, as the
   * exact functions. 'reference-quantiles': `bins` bins of equal reference mass, which sketches
   * estimate far better (no near-empty tail bins; see docs/adr/0020).
   */
  binning?: 'evidently' | 'reference-quantiles';
  /** Bin count for binning 'reference-quantiles' (default 10). */
  bins?: number;
}

/** Default bin count of the 'reference-quantiles' binning (deciles). */
export const QUANTILE_BINS = 10;

export const DEFAULT_THRESHOLDS: Readonly<Record<DriftMethod, number>> = {
  ks: 0.05,
  chisquare: 0.05,
  z: 0.05,
  psi: 0.1,
  wasserstein: 0.1,
  jensenshannon: 0.1,
};

/** Reference sizes up to this use the p-value tests (Evidently's small-sample branch). */
export const SMALL_REFERENCE_ROWS = 1000;
/** Numerical features with at most this many unique values are tested as categories. */
export const FEW_UNIQUE_VALUES = 5;
/** PSI / Jensen-Shannon bin numerical data by histogram when the reference has more unique values than this. */
export const HISTOGRAM_MIN_UNIQUE = 20;
/** Evidently's floor for the reference std that normalises the Wasserstein distance. */
export const WASSERSTEIN_MIN_STD = 0.001;

const SQRT_LN2 = Math.sqrt(Math.LN2);

export function defaultDriftMethod(
  kind: 'numeric' | 'categorical',
  nReference: number,
  nUnique: number,
): { method: DriftMethod; threshold: number } {
  let method: DriftMethod;
  if (nReference <= SMALL_REFERENCE_ROWS) {
    if (kind === 'numeric' && nUnique > FEW_UNIQUE_VALUES) method = 'ks';
    else method = nUnique > 2 ? 'chisquare' : 'z';
  } else if (kind === 'numeric') {
    method = nUnique > FEW_UNIQUE_VALUES ? 'wasserstein' : 'jensenshannon';
  } else {
    method = 'jensenshannon';
  }
  return { method, threshold: DEFAULT_THRESHOLDS[method] };
}

export function datasetDrift(
  results: readonly DriftResult[],
  driftShare = 0.5,
): { share: number; drifted: boolean; driftedCount: number; total: number; driftShare: number } {
  const total = results.length;
  let driftedCount = 0;
  for (const r of results) if (r.drifted) driftedCount++;
  // Evidently divides by the column count; with no columns there is no drift to report.
  const share = total === 0 ? 0 : driftedCount / total;
  return { share, drifted: total > 0 && share >= driftShare, driftedCount, total, driftShare };
}

function isDrifted(method: DriftMethod, statistic: number, pValue: number | null, threshold: number): boolean {
  if (method === 'ks') return (pValue as number) <= threshold;
  if (method === 'chisquare' || method === 'z') return (pValue as number) < threshold;
  return statistic >= threshold;
}

// ---------------------------------------------------------------------------------------------
// Exact paths

function sortedFinite(values: ArrayLike<number>, what: string): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RangeError(`${what}[${i}] must be a finite number, got ${String(v)}`);
    }
    out[i] = v;
  }
  return out.sort();
}

function requireNonEmpty(n: number, what: string): void {
  if (n === 0) throw new RangeError(`${what} must not be empty`);
}

/** Two-sample two-sided KS test, as scipy.stats.ks_2samp with its default method. */
export function ksTest(reference: ArrayLike<number>, current: ArrayLike<number>): { statistic: number; pValue: number } {
  const a = sortedFinite(reference, 'reference');
  const b = sortedFinite(current, 'current');
  requireNonEmpty(a.length, 'reference');
  requireNonEmpty(b.length, 'current');
  const d = ksStatisticSorted(a, b);
  const { statistic, pValue } = ksTwoSamplePValue(d, a.length, b.length);
  return { statistic, pValue };
}

function ksStatisticSorted(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxDiff = 0;
  let minDiff = 0;
  while (i < n1 || j < n2) {
    const x = j >= n2 || (i < n1 && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    while (i < n1 && a[i]! <= x) i++;
    while (j < n2 && b[j]! <= x) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxDiff) maxDiff = diff;
    if (diff < minDiff) minDiff = diff;
  }
  return Math.max(maxDiff, Math.min(1, -minDiff));
}

interface Counts {
  keys: string[];
  ref: number[];
  cur: number[];
  nRef: number;
  nCur: number;
}

function unionCounts(reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>): Counts {
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const m of [reference, current]) {
    for (const [k, c] of m) {
      if (typeof c !== 'number' || !(c >= 0) || c === Infinity) {
        throw new RangeError(`count for ${JSON.stringify(k)} must be a finite number >= 0, got ${String(c)}`);
      }
      if (c > 0 && !seen.has(k)) {
        seen.add(k);
        keys.push(k);
      }
    }
  }
  const ref = keys.map((k) => reference.get(k) ?? 0);
  const cur = keys.map((k) => current.get(k) ?? 0);
  let nRef = 0;
  let nCur = 0;
  for (const c of ref) nRef += c;
  for (const c of cur) nCur += c;
  return { keys, ref, cur, nRef, nCur };
}

function chiSquareFromCounts(ref: readonly number[], cur: readonly number[], nRef: number, nCur: number) {
  const kNorm = nCur / nRef;
  let statistic = 0;
  for (let i = 0; i < ref.length; i++) {
    const expected = ref[i]! * kNorm;
    const observed = cur[i]!;
    statistic += expected === 0 ? (observed === 0 ? 0 : Infinity) : ((observed - expected) * (observed - expected)) / expected;
  }
  const df = ref.length - 1;
  const pValue = df > 0 ? chiSquareSf(statistic, df) : NaN;
  return { statistic, pValue, df };
}

/**
 * Pearson chi-square of the current counts against the reference proportions (Evidently's
 * chisquare). A category present only in current gives statistic Infinity and p-value 0, as SciPy.
 */
export function chiSquareTest(
  reference: ReadonlyMap<string, number>,
  current: ReadonlyMap<string, number>,
): { statistic: number; pValue: number; df: number } {
  const c = unionCounts(reference, current);
  requireNonEmpty(c.nRef, 'reference');
  requireNonEmpty(c.nCur, 'current');
  return chiSquareFromCounts(c.ref, c.cur, c.nRef, c.nCur);
}

function firstByCodePoint(keys: readonly string[]): number {
  let first = -1;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] === UNTRACKED_CATEGORY) continue;
    if (first < 0 || compareCodePoints(keys[i]!, keys[first]!) < 0) first = i;
  }
  return Math.max(first, 0);
}

/** `first` indexes the category that sorts first (coded 0 by Evidently; every other category is 1). */
function zFromCounts(first: number, ref: readonly number[], cur: readonly number[], nRef: number, nCur: number) {
  const refSeen: number[] = [];
  const curSeen: number[] = [];
  for (let i = 0; i < ref.length; i++) {
    if (ref[i]! > 0) refSeen.push(i);
    if (cur[i]! > 0) curSeen.push(i);
  }
  if (refSeen.length === 1 && curSeen.length === 1 && refSeen[0] === curSeen[0]) return { statistic: 0, pValue: 1 };
  const p1 = (nRef - ref[first]!) / nRef;
  const p2 = (nCur - cur[first]!) / nCur;
  const P = (p1 * nRef + p2 * nCur) / (nRef + nCur);
  const statistic = (p1 - p2) / Math.sqrt(P * (1 - P) * (1 / nRef + 1 / nCur));
  return { statistic, pValue: 2 * normalSf(Math.abs(statistic)) };
}

/** Two-proportion z-test (Evidently's z): first category (code-point order) against the rest. */
export function zTestProportions(
  reference: ReadonlyMap<string, number>,
  current: ReadonlyMap<string, number>,
): { statistic: number; pValue: number } {
  const c = unionCounts(reference, current);
  requireNonEmpty(c.nRef, 'reference');
  requireNonEmpty(c.nCur, 'current');
  return zFromCounts(firstByCodePoint(c.keys), c.ref, c.cur, c.nRef, c.nCur);
}

/** np.histogram_bin_edges(combined, 'sturges') for n values spanning [lo, hi], or `bins` equal bins. */
export function histogramEdges(lo: number, hi: number, n: number, bins?: number): Float64Array {
  let first = lo;
  let last = hi;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  let count: number;
  if (bins !== undefined) {
    if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be a positive integer, got ${bins}`);
    count = bins;
  } else {
    const width = (hi - lo) / (Math.log2(n) + 1);
    count = width ? Math.ceil((last - first) / width) : 1;
  }
  const edges = new Float64Array(count + 1);
  const step = (last - first) / count;
  for (let i = 0; i < count; i++) edges[i] = i * step + first;
  edges[count] = last;
  return edges;
}

/** Histogram fractions with np.histogram's bins: [e_i, e_i+1), the last one closed. */
function histogramFractionsSorted(sorted: Float64Array, edges: Float64Array): Float64Array {
  const bins = edges.length - 1;
  const out = new Float64Array(bins);
  const n = sorted.length;
  const lowerBound = (x: number): number => {
    let a = 0;
    let b = n;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (sorted[m]! < x) a = m + 1;
      else b = m;
    }
    return a;
  };
  const upperBound = (x: number): number => {
    let a = 0;
    let b = n;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (sorted[m]! <= x) a = m + 1;
      else b = m;
    }
    return a;
  };
  let prev = lowerBound(edges[0]!);
  for (let i = 0; i < bins; i++) {
    const next = i === bins - 1 ? upperBound(edges[bins]!) : lowerBound(edges[i + 1]!);
    out[i] = (next - prev) / n;
    prev = next;
  }
  return out;
}

function countUniqueSorted(a: Float64Array): number {
  let u = 0;
  for (let i = 0; i < a.length; i++) if (i === 0 || a[i] !== a[i - 1]) u++;
  return u;
}

function valueFractionsSorted(ref: Float64Array, cur: Float64Array): [Float64Array, Float64Array] {
  const refCounts = new Map<number, number>();
  const curCounts = new Map<number, number>();
  for (const v of ref) refCounts.set(v, (refCounts.get(v) ?? 0) + 1);
  for (const v of cur) curCounts.set(v, (curCounts.get(v) ?? 0) + 1);
  const keys = [...refCounts.keys()];
  for (const v of curCounts.keys()) if (!refCounts.has(v)) keys.push(v);
  const r = Float64Array.from(keys, (k) => (refCounts.get(k) ?? 0) / ref.length);
  const c = Float64Array.from(keys, (k) => (curCounts.get(k) ?? 0) / cur.length);
  return [r, c];
}

/**
 * Evidently's get_binned_data for numerical data (without the zero fill). An explicit `bins`
 * always bins by histogram, with that many equal-width bins over the combined range.
 */
export function binnedFractions(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  bins?: number,
): { reference: Float64Array; current: Float64Array } {
  const ref = sortedFinite(reference, 'reference');
  const cur = sortedFinite(current, 'current');
  requireNonEmpty(ref.length, 'reference');
  requireNonEmpty(cur.length, 'current');
  if (bins !== undefined || countUniqueSorted(ref) > HISTOGRAM_MIN_UNIQUE) {
    const lo = Math.min(ref[0]!, cur[0]!);
    const hi = Math.max(ref[ref.length - 1]!, cur[cur.length - 1]!);
    const edges = histogramEdges(lo, hi, ref.length + cur.length, bins);
    return { reference: histogramFractionsSorted(ref, edges), current: histogramFractionsSorted(cur, edges) };
  }
  const [r, c] = valueFractionsSorted(ref, cur);
  return { reference: r, current: c };
}

/**
 * Fractions in `bins` bins cut at the reference's inverted-CDF quantiles i/bins (numpy
 * method='inverted_cdf'): x <= e_1, e_1 < x <= e_2, ..., x > e_(bins-1).
 */
export function quantileBinnedFractions(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  bins = QUANTILE_BINS,
): { reference: Float64Array; current: Float64Array } {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be a positive integer, got ${bins}`);
  const ref = sortedFinite(reference, 'reference');
  const cur = sortedFinite(current, 'current');
  requireNonEmpty(ref.length, 'reference');
  requireNonEmpty(cur.length, 'current');
  const edges = new Float64Array(bins - 1);
  for (let i = 1; i < bins; i++) edges[i - 1] = ref[Math.max(0, Math.ceil((i / bins) * ref.length) - 1)]!;
  const fractions = (sorted: Float64Array): Float64Array => {
    const out = new Float64Array(bins);
    let prev = 0;
    for (let i = 0; i < bins; i++) {
      let next = sorted.length;
      if (i < bins - 1) {
        const e = edges[i]!;
        let a = 0;
        let b = sorted.length;
        while (a < b) {
          const m = (a + b) >>> 1;
          if (sorted[m]! <= e) a = m + 1;
          else b = m;
        }
        next = a;
      }
      out[i] = (next - prev) / sorted.length;
      prev = next;
    }
    return out;
  };
  return { reference: fractions(ref), current: fractions(cur) };
}

/** PSI over `bins` bins of equal reference mass (Evidently's zero fill). */
export function populationStabilityIndexQuantileBins(reference: ArrayLike<number>, current: ArrayLike<number>, bins = QUANTILE_BINS): number {
  const f = quantileBinnedFractions(reference, current, bins);
  return psiOfFractions(f.reference, f.current);
}

/** Jensen-Shannon distance over `bins` bins of equal reference mass. */
export function jensenShannonDistanceQuantileBins(reference: ArrayLike<number>, current: ArrayLike<number>, bins = QUANTILE_BINS): number {
  const f = quantileBinnedFractions(reference, current, bins);
  return jsOfFractions(f.reference, f.current);
}

/** Evidently's zero fill for PSI: min(non-zero)/1e6 when that is <= 1e-4, else 1e-4. */
function fillZeros(p: Float64Array): Float64Array {
  let minNonZero = Infinity;
  for (const v of p) if (v !== 0 && v < minNonZero) minNonZero = v;
  const fill = minNonZero <= 0.0001 ? minNonZero / 1e6 : 0.0001;
  const out = new Float64Array(p);
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = fill;
  return out;
}

function psiOfFractions(ref: Float64Array, cur: Float64Array): number {
  const r = fillZeros(ref);
  const c = fillZeros(cur);
  let s = 0;
  for (let i = 0; i < r.length; i++) s += (r[i]! - c[i]!) * Math.log(r[i]! / c[i]!);
  return s;
}

function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Infinity;
}

/** scipy.spatial.distance.jensenshannon(p, q) with natural log: normalises both, sqrt of the divergence. */
function jsOfFractions(pIn: ArrayLike<number>, qIn: ArrayLike<number>): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < pIn.length; i++) {
    sp += pIn[i] as number;
    sq += qIn[i] as number;
  }
  let js = 0;
  for (let i = 0; i < pIn.length; i++) {
    const p = (pIn[i] as number) / sp;
    const q = (qIn[i] as number) / sq;
    const m = (p + q) / 2;
    js += relEntr(p, m) + relEntr(q, m);
  }
  return Math.sqrt(Math.max(0, js / 2));
}

/**
 * Population Stability Index with Evidently's binning (see the summary at the top); `bins`
 * replaces it with that many equal-width bins over the combined range.
 */
export function populationStabilityIndex(reference: ArrayLike<number>, current: ArrayLike<number>, bins?: number): number {
  const f = binnedFractions(reference, current, bins);
  return psiOfFractions(f.reference, f.current);
}

/** PSI of two categorical count tables (Evidently's categorical branch of get_binned_data). */
export function populationStabilityIndexCategorical(
  reference: ReadonlyMap<string, number>,
  current: ReadonlyMap<string, number>,
): number {
  const c = unionCounts(reference, current);
  requireNonEmpty(c.nRef, 'reference');
  requireNonEmpty(c.nCur, 'current');
  return psiOfFractions(
    Float64Array.from(c.ref, (x) => x / c.nRef),
    Float64Array.from(c.cur, (x) => x / c.nCur),
  );
}

/** First Wasserstein distance between the empirical distributions (scipy.stats.wasserstein_distance). */
export function wassersteinDistance(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const a = sortedFinite(reference, 'reference');
  const b = sortedFinite(current, 'current');
  requireNonEmpty(a.length, 'reference');
  requireNonEmpty(b.length, 'current');
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let total = 0;
  let x = Math.min(a[0]!, b[0]!);
  while (i < n1 || j < n2) {
    while (i < n1 && a[i]! <= x) i++;
    while (j < n2 && b[j]! <= x) j++;
    if (i >= n1 && j >= n2) break;
    const next = j >= n2 || (i < n1 && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    total += Math.abs(i / n1 - j / n2) * (next - x);
    x = next;
  }
  return total;
}

/** Jensen-Shannon distance of two categorical count tables (natural log, as Evidently calls SciPy). */
export function jensenShannonDistance(reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>): number {
  const c = unionCounts(reference, current);
  requireNonEmpty(c.nRef, 'reference');
  requireNonEmpty(c.nCur, 'current');
  return jsOfFractions(
    c.ref.map((x) => x / c.nRef),
    c.cur.map((x) => x / c.nCur),
  );
}

/** Jensen-Shannon distance of numerical samples with Evidently's binning. */
export function jensenShannonDistanceNumeric(reference: ArrayLike<number>, current: ArrayLike<number>, bins?: number): number {
  const f = binnedFractions(reference, current, bins);
  return jsOfFractions(f.reference, f.current);
}

/** Wasserstein distance normalised by max(population std of reference, 0.001), as Evidently. */
export function wassersteinDistanceNormed(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < reference.length; i++) mean += reference[i] as number;
  mean /= reference.length;
  let ss = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = (reference[i] as number) - mean;
    ss += d * d;
  }
  const norm = Math.max(Math.sqrt(ss / reference.length), WASSERSTEIN_MIN_STD);
  return wassersteinDistance(reference, current) / norm;
}

// ---------------------------------------------------------------------------------------------
// Interval bounds for the binned statistics on sketches

/**
 * Range of sum_i f(p_i, q_i) when each p_i, q_i may lie anywhere in its interval. Valid for f >= 0,
 * zero where p = q, growing with |p - q| and jointly convex (PSI, Jensen-Shannon and chi-square
 * terms all are): the maximum is at a corner, the minimum at the corner nearest the diagonal, or 0
 * when the intervals overlap. The sum constraint on p and q is ignored, so the range is conservative.
 */
function termSumRange(
  f: (p: number, q: number) => number,
  pLo: ArrayLike<number>,
  pHi: ArrayLike<number>,
  qLo: ArrayLike<number>,
  qHi: ArrayLike<number>,
): [number, number] {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < pLo.length; i++) {
    const a = pLo[i] as number;
    const b = pHi[i] as number;
    const c = qLo[i] as number;
    const d = qHi[i] as number;
    hi += Math.max(f(a, c), f(a, d), f(b, c), f(b, d));
    if (a > d) lo += f(a, d);
    else if (c > b) lo += f(b, c);
  }
  return [lo, hi];
}

const psiTerm = (p: number, q: number): number => (p - q) * Math.log(p / q);
const jsTerm = (p: number, q: number): number => {
  const m = (p + q) / 2;
  return (relEntr(p, m) + relEntr(q, m)) / 2;
};

function widen(p: Float64Array, eps: number): [Float64Array, Float64Array] {
  const lo = new Float64Array(p.length);
  const hi = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    lo[i] = Math.max(0, p[i]! - eps);
    hi[i] = Math.min(1, p[i]! + eps);
  }
  return [lo, hi];
}

/**
 * errorBound for PSI. A fraction whose interval reaches 0 may truly be 0, and Evidently then fills
 * it with min(non-zero)/1e6 (>= 1e-6/n, the smallest non-zero fraction being 1/n) or 1e-4, so such
 * an interval runs from 1e-6/n to at least 1e-4. Empty bins make PSI from sketches loose, honestly.
 */
function psiBound(
  ref: Float64Array,
  cur: Float64Array,
  epsRef: number,
  epsCur: number,
  psi: number,
  nRef: number,
  nCur: number,
): number {
  if (epsRef === 0 && epsCur === 0) return 0;
  const ends = (p: Float64Array, eps: number, n: number): [Float64Array, Float64Array] => {
    const lo = new Float64Array(p.length);
    const hi = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) {
      const a = p[i]! - eps;
      const b = Math.min(1, p[i]! + eps);
      if (a <= 0) {
        lo[i] = 1e-6 / n;
        hi[i] = Math.max(b, 1e-4);
      } else {
        lo[i] = Math.max(a, 1 / n);
        hi[i] = b;
      }
    }
    return [lo, hi];
  };
  const [rl, rh] = ends(ref, epsRef, nRef);
  const [cl, ch] = ends(cur, epsCur, nCur);
  const [lo, hi] = termSumRange(psiTerm, rl, rh, cl, ch);
  return Math.max(psi - lo, hi - psi, 0);
}

function jsBound(ref: Float64Array, cur: Float64Array, epsRef: number, epsCur: number, js: number): number {
  if (epsRef === 0 && epsCur === 0) return 0;
  const [rl, rh] = widen(ref, epsRef);
  const [cl, ch] = widen(cur, epsCur);
  const [lo, hi] = termSumRange(jsTerm, rl, rh, cl, ch);
  return Math.min(SQRT_LN2, Math.max(js - Math.sqrt(lo), Math.sqrt(Math.min(hi, Math.LN2)) - js, 0));
}

// ---------------------------------------------------------------------------------------------
// Numeric sketches

/** KS statistic between two sketch CDFs: sup over the union of retained values. */
export function ksStatisticFromCdfs(a: WeightedCdf, b: WeightedCdf): number {
  const av = a.values;
  const ac = a.cumulative;
  const bv = b.values;
  const bc = b.cumulative;
  const n1 = a.count;
  const n2 = b.count;
  let i = 0;
  let j = 0;
  let wa = 0;
  let wb = 0;
  let d = 0;
  while (i < av.length || j < bv.length) {
    const x = j >= bv.length || (i < av.length && av[i]! <= bv[j]!) ? av[i]! : bv[j]!;
    if (i < av.length && av[i] === x) wa = ac[i++]!;
    if (j < bv.length && bv[j] === x) wb = bc[j++]!;
    const diff = Math.abs(wa / n1 - wb / n2);
    if (diff > d) d = diff;
  }
  return Math.min(1, d);
}

/** Integral of |F_a - F_b| over the merged retained values. */
export function wassersteinFromCdfs(a: WeightedCdf, b: WeightedCdf): number {
  const av = a.values;
  const ac = a.cumulative;
  const bv = b.values;
  const bc = b.cumulative;
  const n1 = a.count;
  const n2 = b.count;
  let i = 0;
  let j = 0;
  let wa = 0;
  let wb = 0;
  let total = 0;
  let prev = NaN;
  let prevDiff = 0;
  while (i < av.length || j < bv.length) {
    const x = j >= bv.length || (i < av.length && av[i]! <= bv[j]!) ? av[i]! : bv[j]!;
    if (i > 0 || j > 0) total += prevDiff * (x - prev);
    if (i < av.length && av[i] === x) wa = ac[i++]!;
    if (j < bv.length && bv[j] === x) wb = bc[j++]!;
    prevDiff = Math.abs(wa / n1 - wb / n2);
    prev = x;
  }
  return total;
}

function unionUniqueCount(a: Float64Array, b: Float64Array): number {
  let i = 0;
  let j = 0;
  let u = 0;
  while (i < a.length || j < b.length) {
    const x = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    if (i < a.length && a[i] === x) i++;
    if (j < b.length && b[j] === x) j++;
    u++;
  }
  return u;
}

function sketchHistogram(cdf: WeightedCdf, edges: Float64Array): Float64Array {
  const bins = edges.length - 1;
  const out = new Float64Array(bins);
  let prev = weightBelow(cdf, edges[0]!);
  for (let i = 0; i < bins; i++) {
    const next = i === bins - 1 ? weightAtOrBelow(cdf, edges[bins]!) : weightBelow(cdf, edges[i + 1]!);
    out[i] = (next - prev) / cdf.count;
    prev = next;
  }
  return out;
}

/** Per-value weights of two sketches over the union of their retained values. */
function sketchValueTable(a: WeightedCdf, b: WeightedCdf): { ref: number[]; cur: number[] } {
  const ref: number[] = [];
  const cur: number[] = [];
  let i = 0;
  let j = 0;
  let wa = 0;
  let wb = 0;
  while (i < a.values.length || j < b.values.length) {
    const x = j >= b.values.length || (i < a.values.length && a.values[i]! <= b.values[j]!) ? a.values[i]! : b.values[j]!;
    let ra = 0;
    let rb = 0;
    if (i < a.values.length && a.values[i] === x) {
      ra = a.cumulative[i]! - wa;
      wa = a.cumulative[i++]!;
    }
    if (j < b.values.length && b.values[j] === x) {
      rb = b.cumulative[j]! - wb;
      wb = b.cumulative[j++]!;
    }
    ref.push(ra);
    cur.push(rb);
  }
  return { ref, cur };
}

function resolveMethod(
  kind: 'numeric' | 'categorical',
  nReference: number,
  nUnique: () => number,
  options: DriftOptions | undefined,
): { method: DriftMethod; threshold: number } {
  const method = options?.method ?? defaultDriftMethod(kind, nReference, nUnique()).method;
  if (!(method in DEFAULT_THRESHOLDS)) throw new RangeError(`unknown drift method ${String(method)}`);
  const threshold = options?.threshold ?? DEFAULT_THRESHOLDS[method];
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) throw new RangeError(`invalid threshold ${String(threshold)}`);
  return { method, threshold };
}

/**
 * Drift of a numerical feature from two KLL sketches. errorBound, with eps = each sketch's
 * rankErrorBound() (99%, per query point):
 * - ks: eps_ref + eps_cur (each CDF moves by at most its eps).
 * - wasserstein: (eps_ref + eps_cur) x (max - min) / norm: the CDF error integrated over the range.
 *   The normalising std is exact (the sketch keeps exact moments).
 * - psi / jensenshannon: each bin's fraction is a contiguous rank range, so it also moves by at
 *   most eps; the bound is the statistic's range over those per-bin intervals. Evidently's
 *   equal-width bins leave near-empty tail bins that a sketch cannot resolve (its heaviest items
 *   weigh ~1/k of the data), so on 1M values PSI/JS come out 0.01-0.05 high with bounds around 1;
 *   `binning: 'reference-quantiles'` (equal reference mass) measured errors below 1e-3 (PSI) and
 *   5e-3 (JS) with bounds 0.02-0.05.
 * - chisquare / z (few unique values): the same interval range on per-value counts.
 */
export function numericDrift(reference: KllSketch, current: KllSketch, options?: DriftOptions): DriftResult {
  const nRef = reference.count;
  const nCur = current.count;
  requireNonEmpty(nRef, 'reference sketch');
  requireNonEmpty(nCur, 'current sketch');
  const a = reference.cdf();
  const b = current.cdf();
  const { method, threshold } = resolveMethod('numeric', nRef, () => unionUniqueCount(a.values, b.values), options);
  const epsRef = reference.rankErrorBound();
  const epsCur = current.rankErrorBound();
  let statistic: number;
  let pValue: number | null = null;
  let errorBound: number;
  switch (method) {
    case 'ks': {
      statistic = ksStatisticFromCdfs(a, b);
      pValue = ksTwoSamplePValue(statistic, nRef, nCur).pValue;
      errorBound = Math.min(1, epsRef + epsCur);
      break;
    }
    case 'wasserstein': {
      const norm = Math.max(Math.sqrt(reference.variance), WASSERSTEIN_MIN_STD);
      statistic = wassersteinFromCdfs(a, b) / norm;
      const range = Math.max(reference.max, current.max) - Math.min(reference.min, current.min);
      errorBound = ((epsRef + epsCur) * range) / norm;
      break;
    }
    case 'psi':
    case 'jensenshannon': {
      let r: Float64Array;
      let c: Float64Array;
      if (options?.binning === 'reference-quantiles') {
        const bins = options.bins ?? QUANTILE_BINS;
        if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be a positive integer, got ${bins}`);
        r = new Float64Array(bins);
        c = new Float64Array(bins);
        let prevA = 0;
        let prevB = 0;
        for (let i = 0; i < bins; i++) {
          const e = i < bins - 1 ? reference.quantile((i + 1) / bins) : Infinity;
          const wa = i < bins - 1 ? weightAtOrBelow(a, e) : nRef;
          const wb = i < bins - 1 ? weightAtOrBelow(b, e) : nCur;
          r[i] = (wa - prevA) / nRef;
          c[i] = (wb - prevB) / nCur;
          prevA = wa;
          prevB = wb;
        }
      } else if (options?.binning !== undefined && options.binning !== 'evidently') {
        throw new RangeError(`unknown binning ${String(options.binning)}`);
      } else if (a.values.length > HISTOGRAM_MIN_UNIQUE) {
        const lo = Math.min(reference.min, current.min);
        const hi = Math.max(reference.max, current.max);
        const edges = histogramEdges(lo, hi, nRef + nCur);
        r = sketchHistogram(a, edges);
        c = sketchHistogram(b, edges);
      } else {
        const t = sketchValueTable(a, b);
        r = Float64Array.from(t.ref, (x) => x / nRef);
        c = Float64Array.from(t.cur, (x) => x / nCur);
      }
      if (method === 'psi') {
        statistic = psiOfFractions(r, c);
        errorBound = psiBound(r, c, epsRef, epsCur, statistic, nRef, nCur);
      } else {
        statistic = jsOfFractions(r, c);
        errorBound = jsBound(r, c, epsRef, epsCur, statistic);
      }
      break;
    }
    case 'chisquare':
    case 'z': {
      const t = sketchValueTable(a, b);
      // Values come out in ascending order, so the first category (Evidently sorts numbers) is index 0.
      ({ statistic, pValue, errorBound } = countTest(method, 0, t.ref, t.cur, nRef, nCur, epsRef * nRef, epsCur * nCur));
      break;
    }
  }
  return {
    method,
    statistic,
    pValue,
    threshold,
    drifted: isDrifted(method, statistic, pValue, threshold),
    errorBound,
    nReference: nRef,
    nCurrent: nCur,
  };
}

/** chisquare or z on count tables whose counts may each be off by up to errRef / errCur. */
function countTest(
  method: 'chisquare' | 'z',
  first: number,
  ref: number[],
  cur: number[],
  nRef: number,
  nCur: number,
  errRef: number,
  errCur: number,
): { statistic: number; pValue: number; errorBound: number } {
  if (method === 'chisquare') {
    const r = chiSquareFromCounts(ref, cur, nRef, nCur);
    let errorBound = 0;
    if (errRef > 0 || errCur > 0) {
      const kNorm = nCur / nRef;
      const eLo = ref.map((x) => Math.max(0, x - errRef) * kNorm);
      const eHi = ref.map((x) => (x + errRef) * kNorm);
      const oLo = cur.map((x) => Math.max(0, x - errCur));
      const oHi = cur.map((x) => x + errCur);
      const chiTerm = (o: number, e: number): number => (e === 0 ? (o === 0 ? 0 : Infinity) : ((o - e) * (o - e)) / e);
      const [lo, hi] = termSumRange(chiTerm, oLo, oHi, eLo, eHi);
      errorBound = Math.max(r.statistic - lo, hi - r.statistic, 0);
    }
    return { statistic: r.statistic, pValue: r.pValue, errorBound };
  }
  const r = zFromCounts(first, ref, cur, nRef, nCur);
  let errorBound = 0;
  if ((errRef > 0 || errCur > 0) && ref.length > 0) {
    // z moves with the first category's count on each side; take the worst corner.
    for (const dr of [-errRef, errRef]) {
      for (const dc of [-errCur, errCur]) {
        const rr = ref.slice();
        const cc = cur.slice();
        rr[first] = Math.min(nRef, Math.max(0, rr[first]! + dr));
        cc[first] = Math.min(nCur, Math.max(0, cc[first]! + dc));
        const z = zFromCounts(first, rr, cc, nRef, nCur).statistic;
        errorBound = Math.max(errorBound, Number.isFinite(z) ? Math.abs(z - r.statistic) : Infinity);
      }
    }
  }
  return { statistic: r.statistic, pValue: r.pValue, errorBound };
}

/** Name of the bucket that holds, on inexact sketches, the weight no tracked category accounts for. */
export const UNTRACKED_CATEGORY = '\u0000untracked';

/**
 * Drift of a categorical feature from two frequency sketches. Exact sketches give errorBound 0.
 * On inexact ones, the weight no tracked category accounts for is pooled into one extra bucket on
 * each side, and:
 * - jensenshannon: errorBound = sqrt(ln2 r_ref/n_ref) + sqrt(ln2 r_cur/n_cur) with r the pooled
 *   weight. This is rigorous: JS distance is a metric, JS divergence <= ln2 x total variation, and
 *   the sketch distribution is within total variation r/n of the true one.
 * - chisquare / z / psi: the statistic's range when each tracked count moves within its
 *   Misra-Gries interval [estimate, estimate + errorBound()]; categories pooled into the extra
 *   bucket can only understate a divergence, which this bound does not cover.
 */
export function categoricalDrift(reference: FrequencySketch, current: FrequencySketch, options?: DriftOptions): DriftResult {
  const nRef = reference.count;
  const nCur = current.count;
  requireNonEmpty(nRef, 'reference sketch');
  requireNonEmpty(nCur, 'current sketch');
  const refMap = reference.toMap();
  const curMap = current.toMap();
  const union = new Set<string>([...refMap.keys(), ...curMap.keys()]);
  const { method, threshold } = resolveMethod('categorical', nRef, () => union.size, options);
  if (method === 'ks' || method === 'wasserstein') {
    throw new RangeError(`categoricalDrift: ${method} needs numerical data`);
  }
  const rRef = reference.untracked();
  const rCur = current.untracked();
  if (rRef > 0 || rCur > 0) {
    if (rRef > 0) refMap.set(UNTRACKED_CATEGORY, rRef);
    if (rCur > 0) curMap.set(UNTRACKED_CATEGORY, rCur);
  }
  const c = unionCounts(refMap, curMap);
  const errRef = reference.errorBound();
  const errCur = current.errorBound();
  let statistic: number;
  let pValue: number | null = null;
  let errorBound = 0;
  if (method === 'jensenshannon') {
    statistic = jsOfFractions(
      c.ref.map((x) => x / nRef),
      c.cur.map((x) => x / nCur),
    );
    if (rRef > 0 || rCur > 0) errorBound = Math.min(SQRT_LN2, SQRT_LN2 * (Math.sqrt(rRef / nRef) + Math.sqrt(rCur / nCur)));
  } else if (method === 'psi') {
    const r = Float64Array.from(c.ref, (x) => x / nRef);
    const cc = Float64Array.from(c.cur, (x) => x / nCur);
    statistic = psiOfFractions(r, cc);
    errorBound = psiBound(r, cc, errRef / nRef, errCur / nCur, statistic, nRef, nCur);
  } else {
    ({ statistic, pValue, errorBound } = countTest(method, firstByCodePoint(c.keys), c.ref, c.cur, nRef, nCur, errRef, errCur));
  }
  return {
    method,
    statistic,
    pValue,
    threshold,
    drifted: isDrifted(method, statistic, pValue, threshold),
    errorBound,
    nReference: nRef,
    nCurrent: nCur,
  };
}
