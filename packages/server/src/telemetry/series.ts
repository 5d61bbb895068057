/**
 * What one telemetry bucket holds per series (ADR 0021): a mergeable value, stored as bytes.
 *
 * - numeric: a KLL sketch (features, numeric outputs, latency, GPU memory, scores, tokens)
 * - categorical: a bounded frequency sketch (string and boolean features and outputs)
 * - histogram: OTLP explicit-bucket histograms, merged by adding counts when the bounds agree
 * - stats: the window's counters (requests, errors, confusion matrices per group), JSON
 */
import { FrequencySketch, KllSketch, mergeConfusion, type ConfusionCounts } from '@steward/monitor';

export type SeriesKind = 'numeric' | 'categorical' | 'histogram' | 'stats';

/** Series names (a prefix says what they are, so a feature can never collide with a built-in series). */
export const SERIES = {
  feature: (name: string) => `f:${name}`,
  score: (name: string) => `s:${name}`,
  otel: (name: string) => `otel:${name}`,
  output: 'out',
  latency: 'lat',
  latencyHistogram: 'lat.h',
  gpuMemory: 'gpu',
  tokensInput: 'tok.in',
  tokensOutput: 'tok.out',
  tokensInputHistogram: 'tok.in.h',
  tokensOutputHistogram: 'tok.out.h',
  stats: '_stats',
} as const;

export interface HistogramValue {
  bounds: number[];
  counts: number[];
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
}

export interface WindowStats {
  requests: number;
  errors: number;
  /** Points received while the version was not in the ring they claimed. */
  flagged: number;
  /** Predictions with a label (given with the record or joined later). */
  labeled: number;
  tokensInput: number;
  tokensOutput: number;
  /** Per group attribute value ("" when the record had none): actual label -> predicted -> count. */
  confusion: Record<string, ConfusionCounts>;
  /** Per group: predicted output -> count (every prediction, labelled or not: demographic parity). */
  predictions: Record<string, Record<string, number>>;
}

export type SeriesValue =
  | { kind: 'numeric'; sketch: KllSketch }
  | { kind: 'categorical'; sketch: FrequencySketch }
  | { kind: 'histogram'; histogram: HistogramValue }
  | { kind: 'stats'; stats: WindowStats };

export function emptyStats(): WindowStats {
  return { requests: 0, errors: 0, flagged: 0, labeled: 0, tokensInput: 0, tokensOutput: 0, confusion: {}, predictions: {} };
}

/** Distinct labels kept per confusion matrix and group values kept per window: outputs of a regressor must not grow them without end. */
export const MAX_CLASSES = 64;
export const MAX_GROUPS = 64;
const OTHER = '(other)';

export function addPrediction(stats: WindowStats, group: string, predicted: string, count = 1): void {
  const g = capKey(stats.predictions, group, MAX_GROUPS);
  const row = (stats.predictions[g] ??= {});
  const p = capKey(row, predicted, MAX_CLASSES);
  row[p] = (row[p] ?? 0) + count;
}

export function addLabeled(stats: WindowStats, group: string, actual: string, predicted: string, count = 1): void {
  const g = capKey(stats.confusion, group, MAX_GROUPS);
  const matrix = (stats.confusion[g] ??= {});
  const a = capKey(matrix, actual, MAX_CLASSES);
  const row = (matrix[a] ??= {});
  const p = capKey(row, predicted, MAX_CLASSES);
  row[p] = (row[p] ?? 0) + count;
  stats.labeled += count;
}

function capKey(map: Record<string, unknown>, key: string, max: number): string {
  if (key in map) return key;
  return Object.keys(map).length >= max ? OTHER : key;
}

export function mergeStats(into: WindowStats, other: WindowStats): WindowStats {
  into.requests += other.requests;
  into.errors += other.errors;
  into.flagged += other.flagged;
  into.labeled += other.labeled;
  into.tokensInput += other.tokensInput;
  into.tokensOutput += other.tokensOutput;
  for (const [g, c] of Object.entries(other.confusion)) into.confusion[g] = into.confusion[g] ? mergeConfusion(into.confusion[g], c) : structuredClone(c);
  for (const [g, row] of Object.entries(other.predictions)) {
    const target = (into.predictions[g] ??= {});
    for (const [p, n] of Object.entries(row)) target[p] = (target[p] ?? 0) + n;
  }
  return into;
}

export function mergeHistogram(into: HistogramValue, other: HistogramValue): HistogramValue | null {
  if (into.bounds.length !== other.bounds.length || into.bounds.some((b, i) => b !== other.bounds[i])) return null;
  for (let i = 0; i < into.counts.length; i++) into.counts[i]! += other.counts[i] ?? 0;
  into.count += other.count;
  into.sum += other.sum;
  into.min = into.min === null ? other.min : other.min === null ? into.min : Math.min(into.min, other.min);
  into.max = into.max === null ? other.max : other.max === null ? into.max : Math.max(into.max, other.max);
  return into;
}

/**
 * Merges `other` into `into` (same kind) and returns the merged value: `into` itself, except for a
 * histogram with other bounds, where the one with more observations wins (a copy of `other`).
 * Callers keep the result.
 */
export function mergeSeries(into: SeriesValue, other: SeriesValue): SeriesValue {
  if (into.kind === 'numeric' && other.kind === 'numeric') into.sketch.merge(other.sketch);
  else if (into.kind === 'categorical' && other.kind === 'categorical') into.sketch.merge(other.sketch);
  else if (into.kind === 'stats' && other.kind === 'stats') mergeStats(into.stats, other.stats);
  else if (into.kind === 'histogram' && other.kind === 'histogram') {
    // The SDK's bucket bounds changed (a new deployment of the exporter): keep the larger record rather than mix.
    if (!mergeHistogram(into.histogram, other.histogram) && other.histogram.count > into.histogram.count) return cloneSeries(other);
  }
  return into;
}

export function cloneSeries(v: SeriesValue): SeriesValue {
  return decodeSeries(v.kind, encodeSeries(v));
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export function encodeSeries(v: SeriesValue): Uint8Array {
  switch (v.kind) {
    case 'numeric':
    case 'categorical':
      return v.sketch.toBytes();
    case 'histogram':
      return utf8.encode(JSON.stringify(v.histogram));
    case 'stats':
      return utf8.encode(JSON.stringify(v.stats));
  }
}

export function decodeSeries(kind: string, data: Uint8Array): SeriesValue {
  switch (kind) {
    case 'numeric':
      return { kind, sketch: KllSketch.fromBytes(data) };
    case 'categorical':
      return { kind, sketch: FrequencySketch.fromBytes(data) };
    case 'histogram':
      return { kind, histogram: JSON.parse(fromUtf8.decode(data)) as HistogramValue };
    case 'stats':
      return { kind, stats: JSON.parse(fromUtf8.decode(data)) as WindowStats };
    default:
      throw new Error(`unknown telemetry series kind "${kind}"`);
  }
}

/** Quantile of an explicit-bucket histogram, interpolated within its bucket (as Prometheus' histogram_quantile); the bound is that bucket's width. */
export function histogramQuantile(h: HistogramValue, q: number): { value: number; errorBound: number } | null {
  if (h.count <= 0) return null;
  const target = q * h.count;
  let seen = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const c = h.counts[i] ?? 0;
    if (seen + c >= target && c > 0) {
      const lo = i === 0 ? (h.min ?? h.bounds[0] ?? 0) : h.bounds[i - 1]!;
      const hi = i === h.bounds.length ? (h.max ?? h.bounds[i - 1] ?? lo) : h.bounds[i]!;
      const value = lo + (hi - lo) * ((target - seen) / c);
      return { value, errorBound: Math.abs(hi - lo) };
    }
    seen += c;
  }
  return { value: h.max ?? h.bounds.at(-1) ?? 0, errorBound: 0 };
}
