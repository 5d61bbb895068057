/**
 * The monitored figures of one deployment over one window, computed from merged buckets: what alert
 * conditions read (ALERT_FIGURES in @steward/policy), what `steward monitor` shows and what
 * /metrics exports. Every figure carries its sample size; sketch-based ones their error bound.
 */
import {
  categoricalDrift,
  classificationMetrics,
  datasetDrift,
  demographicParityDifference,
  equalizedOddsDifference,
  mergeConfusion,
  numericDrift,
  wilsonInterval,
  type ConfusionCounts,
  type DriftMethod,
  type DriftResult,
  type GroupCounts,
  type KllSketch,
} from '@steward/monitor';
import type { DriftReport } from '@steward/domain';
import { histogramQuantile, SERIES, type SeriesValue, type WindowStats, emptyStats } from './series.js';

export interface FigureOptions {
  toxicityThreshold: number;
  positiveLabel: string;
  drift?: DriftOverrides | undefined;
}

/** A policy's (or a query's) choice over Evidently's defaults. */
export interface DriftOverrides {
  method?: DriftMethod | undefined;
  threshold?: number | undefined;
  share?: number | undefined;
  /** Numeric PSI and Jensen-Shannon: Evidently's equal-width bins (default) or bins of equal reference mass, which sketches estimate far better. */
  binning?: 'evidently' | 'reference-quantiles' | undefined;
}

export const DEFAULT_DRIFT_SHARE = 0.5;

function quantiles(s: KllSketch): Record<string, number> {
  return { p50: s.quantile(0.5), p95: s.quantile(0.95), p99: s.quantile(0.99), max: s.max, min: s.min, n: s.count, rank_error: s.rankErrorBound() };
}

/** Figures without drift (drift is added by the caller when a reference exists). */
export function windowFigures(series: Map<string, SeriesValue>, opts: FigureOptions): Record<string, unknown> {
  const statsValue = series.get(SERIES.stats);
  const stats: WindowStats = statsValue?.kind === 'stats' ? statsValue.stats : emptyStats();
  const figures: Record<string, unknown> = {};
  const latencyHistogram = series.get(SERIES.latencyHistogram);
  const otlpRequests = latencyHistogram?.kind === 'histogram' ? latencyHistogram.histogram.count : 0;
  const requests = stats.requests + otlpRequests;
  figures.requests = requests;
  figures.errors = stats.errors;
  figures.flagged = stats.flagged;
  if (requests > 0) figures.error_rate = stats.errors / requests;

  const lat = series.get(SERIES.latency);
  if (lat?.kind === 'numeric' && lat.sketch.count > 0) figures.latency = quantiles(lat.sketch);
  else if (latencyHistogram?.kind === 'histogram' && latencyHistogram.histogram.count > 0) {
    // OTLP histograms carry seconds (GenAI conventions); figures are milliseconds.
    const h = latencyHistogram.histogram;
    const q = (p: number) => histogramQuantile(h, p)!;
    figures.latency = { p50: q(0.5).value, p95: q(0.95).value, p99: q(0.99).value, max: h.max ?? q(1).value, mean: h.sum / h.count, n: h.count, value_error: q(0.99).errorBound };
  }

  // Classification figures from labelled predictions (all groups together).
  let confusion: ConfusionCounts = {};
  for (const c of Object.values(stats.confusion)) confusion = mergeConfusion(confusion, c);
  const labeled = Object.values(confusion).reduce((n, row) => n + Object.values(row).reduce((a, b) => a + b, 0), 0);
  figures.labeled = labeled;
  if (labeled > 0) {
    const m = classificationMetrics(confusion, opts.positiveLabel);
    figures.accuracy = m.accuracy;
    const pr = m.binary ?? m.macro;
    figures.precision = pr.precision;
    figures.recall = pr.recall;
    figures.f1 = pr.f1;
  }

  const tox = series.get(SERIES.score('toxicity'));
  if (tox?.kind === 'numeric' && tox.sketch.count > 0) {
    const n = tox.sketch.count;
    const t = opts.toxicityThreshold;
    // Share with score >= t: one minus the share strictly below t.
    const below = t <= tox.sketch.min ? 0 : tox.sketch.rank(t - Math.max(Number.EPSILON, Math.abs(t) * Number.EPSILON));
    const rate = Math.max(0, 1 - below);
    const bound = tox.sketch.rankErrorBound();
    const ci = wilsonInterval(Math.round(rate * n), n);
    figures.toxicity = { rate, low: Math.max(0, ci.low - bound), high: Math.min(1, ci.high + bound), n, threshold: t, rank_error: bound };
  }

  const fairness = fairnessFigures(stats, opts.positiveLabel);
  if (fairness) figures.fairness = fairness;

  const gpu = series.get(SERIES.gpuMemory);
  if (gpu?.kind === 'numeric' && gpu.sketch.count > 0) figures.gpu_memory = quantiles(gpu.sketch);

  const tokIn = series.get(SERIES.tokensInputHistogram);
  const tokOut = series.get(SERIES.tokensOutputHistogram);
  const otlpIn = tokIn?.kind === 'histogram' ? tokIn.histogram.sum : 0;
  const otlpOut = tokOut?.kind === 'histogram' ? tokOut.histogram.sum : 0;
  const input = stats.tokensInput + otlpIn;
  const output = stats.tokensOutput + otlpOut;
  if (input + output > 0) figures.tokens = { input, output, per_request: requests > 0 ? (input + output) / requests : 0, n: requests };

  const scores: Record<string, unknown> = {};
  for (const [name, v] of series) {
    if (!name.startsWith('s:') || v.kind !== 'numeric' || v.sketch.count === 0) continue;
    scores[name.slice(2)] = quantiles(v.sketch);
  }
  if (Object.keys(scores).length > 0) figures.scores = scores;
  return figures;
}

/**
 * Fairlearn's definitions over the group attribute: demographic parity difference from every
 * prediction, equalized odds difference from labelled ones. Records without a group are left out.
 */
function fairnessFigures(stats: WindowStats, positive: string): Record<string, number> | null {
  const selection: Record<string, GroupCounts> = {};
  for (const [g, row] of Object.entries(stats.predictions)) {
    if (g === '') continue;
    const n = Object.values(row).reduce((a, b) => a + b, 0);
    selection[g] = { n, predictedPositive: row[positive] ?? 0, actualPositive: 0, truePositive: 0, falsePositive: 0 };
  }
  if (Object.keys(selection).length < 2) return null;
  const out: Record<string, number> = { dpd: demographicParityDifference(selection), groups: Object.keys(selection).length, n: Object.values(selection).reduce((a, g) => a + g.n, 0) };
  const labelled: Record<string, GroupCounts> = {};
  for (const [g, matrix] of Object.entries(stats.confusion)) {
    if (g === '') continue;
    let n = 0;
    let actualPositive = 0;
    let predictedPositive = 0;
    let truePositive = 0;
    let falsePositive = 0;
    for (const [actual, row] of Object.entries(matrix)) {
      for (const [predicted, c] of Object.entries(row)) {
        n += c;
        if (actual === positive) actualPositive += c;
        if (predicted === positive) predictedPositive += c;
        if (actual === positive && predicted === positive) truePositive += c;
        if (actual !== positive && predicted === positive) falsePositive += c;
      }
    }
    labelled[g] = { n, predictedPositive, actualPositive, truePositive, falsePositive };
  }
  if (Object.keys(labelled).length >= 2) {
    out.eod = equalizedOddsDifference(labelled);
    out.labeled = Object.values(labelled).reduce((a, g) => a + g.n, 0);
  }
  return out;
}

export type DriftFeature = DriftReport['features'][number];

/** Tests that need an order on values; on a categorical feature an override naming one falls back to the default. */
const NUMERIC_ONLY: ReadonlySet<DriftMethod> = new Set(['ks', 'wasserstein']);
const CATEGORICAL_ONLY: ReadonlySet<DriftMethod> = new Set(['chisquare', 'z']);

/** The override's options for a feature of this kind: a test that does not apply to the kind (and its threshold) is left out. */
export function driftOptions(kind: 'numeric' | 'categorical', overrides: DriftOverrides | undefined): { method?: DriftMethod; threshold?: number; binning?: 'evidently' | 'reference-quantiles' } {
  const m = overrides?.method;
  const binning = kind === 'numeric' && overrides?.binning ? { binning: overrides.binning } : {};
  if (m && (kind === 'numeric' ? CATEGORICAL_ONLY : NUMERIC_ONLY).has(m)) return binning;
  return { ...(m ? { method: m } : {}), ...(overrides?.threshold !== undefined ? { threshold: overrides.threshold } : {}), ...binning };
}

function driftOf(ref: SeriesValue, cur: SeriesValue, overrides: DriftOverrides | undefined): DriftResult | null {
  const options = driftOptions(cur.kind === 'numeric' ? 'numeric' : 'categorical', overrides);
  if (ref.kind === 'numeric' && cur.kind === 'numeric') {
    if (ref.sketch.count === 0 || cur.sketch.count === 0) return null;
    return numericDrift(ref.sketch, cur.sketch, options);
  }
  if (ref.kind === 'categorical' && cur.kind === 'categorical') {
    if (ref.sketch.count === 0 || cur.sketch.count === 0) return null;
    return categoricalDrift(ref.sketch, cur.sketch, options);
  }
  return null;
}

function driftFeature(feature: string, ref: SeriesValue, cur: SeriesValue, overrides: DriftOverrides | undefined): DriftFeature | null {
  const r = driftOf(ref, cur, overrides);
  if (!r) return null;
  return {
    feature,
    kind: cur.kind === 'numeric' ? 'numeric' : 'categorical',
    method: r.method,
    // JSON has no Infinity: an infinite statistic or bound is null (the decision stands).
    statistic: Number.isFinite(r.statistic) ? r.statistic : null,
    pValue: r.pValue,
    threshold: r.threshold,
    drifted: r.drifted,
    errorBound: Number.isFinite(r.errorBound) ? r.errorBound : null,
    nReference: r.nReference,
    nCurrent: r.nCurrent,
    trend: [],
  };
}

/** Drift of every feature (and the output) the window shares with the reference. */
export function computeDrift(reference: Map<string, SeriesValue>, current: Map<string, SeriesValue>, overrides: DriftOverrides | undefined): { features: DriftFeature[]; output: DriftFeature | null; share: number | null; drifted: boolean | null; driftShare: number } {
  const features: DriftFeature[] = [];
  const results: DriftResult[] = [];
  for (const [name, cur] of current) {
    if (!name.startsWith('f:')) continue;
    const ref = reference.get(name);
    if (!ref) continue;
    const f = driftFeature(name.slice(2), ref, cur, overrides);
    if (f) {
      features.push(f);
      results.push(f as unknown as DriftResult);
    }
  }
  features.sort((a, b) => (a.feature < b.feature ? -1 : 1));
  const refOut = reference.get(SERIES.output) ?? reference.get(SERIES.feature('_output'));
  const curOut = current.get(SERIES.output);
  const output = refOut && curOut ? driftFeature('output', refOut, curOut, overrides) : null;
  const driftShare = overrides?.share ?? DEFAULT_DRIFT_SHARE;
  if (results.length === 0) return { features, output, share: null, drifted: null, driftShare };
  const d = datasetDrift(results, driftShare);
  return { features, output, share: d.share, drifted: d.drifted, driftShare };
}

/** The drift part of the figures (what `drift.share > 0.5` reads). */
export function driftFigures(d: ReturnType<typeof computeDrift>): Record<string, unknown> | null {
  if (d.share === null) return null;
  const features: Record<string, unknown> = {};
  for (const f of d.features) features[f.feature] = { statistic: f.statistic ?? Infinity, p_value: f.pValue ?? -1, drifted: f.drifted, method: f.method, error_bound: f.errorBound ?? Infinity };
  return {
    share: d.share,
    count: d.features.filter((f) => f.drifted).length,
    total: d.features.length,
    drifted: d.drifted,
    features,
    ...(d.output ? { output: { statistic: d.output.statistic ?? Infinity, drifted: d.output.drifted, method: d.output.method } } : {}),
  };
}
