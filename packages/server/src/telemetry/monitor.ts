/** One deployment's window, computed: figures, drift against its reference, and trends. */
import type { DriftReport } from '@steward/domain';
import { numericDrift, categoricalDrift } from '@steward/monitor';
import type { Kysely } from 'kysely';
import type { DB, DeploymentsTable } from '../db/schema.js';
import { floorTo, GRANULARITY_MS, readBuckets, readWindow, type Granularity } from './buckets.js';
import { computeDrift, driftFigures, driftOptions, windowFigures, type DriftOverrides, type FigureOptions } from './figures.js';
import { loadReference } from './reference.js';
import { histogramQuantile, mergeSeries, SERIES, type SeriesValue } from './series.js';

export interface WindowResult {
  from: number;
  to: number;
  figures: Record<string, unknown>;
  drift: Omit<DriftReport, 'deployment' | 'computeMs'> & { computeMs: number };
}

/** The window ends on the next minute boundary after `to` (the current minute counts), starts on a minute boundary. */
export function alignWindow(from: number, to: number): { from: number; to: number } {
  const end = Math.ceil(to / 60_000) * 60_000;
  const start = Math.min(floorTo(from, 'm'), end - 60_000);
  return { from: start, to: end };
}

export async function computeWindow(db: Kysely<DB>, deployment: DeploymentsTable, window: { from: number; to: number }, opts: FigureOptions & { withDrift: boolean }): Promise<WindowResult> {
  const started = performance.now();
  const series = await readWindow(db, deployment.id, window.from, window.to);
  const figures = windowFigures(series, opts);
  let drift: WindowResult['drift'] = { window: { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() }, reference: null, share: null, driftShare: opts.drift?.share ?? 0.5, drifted: null, features: [], output: null, computeMs: 0 };
  if (opts.withDrift) {
    const ref = await loadReference(db, deployment);
    if (ref) {
      const d = computeDrift(ref.series, series, opts.drift);
      const df = driftFigures(d);
      if (df) figures.drift = df;
      drift = { ...drift, reference: { kind: ref.kind, description: ref.description, rows: ref.rows }, share: d.share, driftShare: d.driftShare, drifted: d.drifted, features: d.features, output: d.output };
    }
  }
  drift.computeMs = performance.now() - started;
  return { from: window.from, to: window.to, figures, drift };
}

export interface TrendPoint {
  from: string;
  requests: number;
  errorRate: number | null;
  latencyP99: number | null;
  driftShare: number | null;
}

/**
 * The window cut into `points` sub-windows, each read from the coarsest buckets no longer than a
 * sub-window: requests, error rate, p99 latency and drift share per point, and each feature's drift
 * statistic per point (filled into `features[].trend`).
 */
export async function computeTrend(db: Kysely<DB>, deployment: DeploymentsTable, result: WindowResult, points: number, overrides: DriftOverrides | undefined): Promise<TrendPoint[]> {
  if (points <= 0) return [];
  const span = result.to - result.from;
  const step = Math.max(60_000, Math.ceil(span / points / 60_000) * 60_000);
  const g: Granularity = step >= GRANULARITY_MS.d ? 'd' : step >= GRANULARITY_MS.h ? 'h' : 'm';
  const buckets = await readBuckets(db, deployment.id, g, result.from, result.to);
  const n = Math.ceil(span / step);
  const subs: Map<string, SeriesValue>[] = Array.from({ length: n }, () => new Map());
  for (const [t, series] of buckets) {
    const i = Math.min(n - 1, Math.max(0, Math.floor((t - result.from) / step)));
    const target = subs[i]!;
    for (const [name, v] of series) {
      const have = target.get(name);
      if (!have) target.set(name, v);
      else if (have.kind === v.kind) target.set(name, mergeSeries(have, v));
    }
  }
  const ref = result.drift.reference ? await loadReference(db, deployment) : null;
  const byFeature = new Map(result.drift.features.map((f) => [f.feature, f]));
  const out: TrendPoint[] = [];
  subs.forEach((sub, i) => {
    const stats = sub.get(SERIES.stats);
    const hist = sub.get(SERIES.latencyHistogram);
    const requests = (stats?.kind === 'stats' ? stats.stats.requests : 0) + (hist?.kind === 'histogram' ? hist.histogram.count : 0);
    const errors = stats?.kind === 'stats' ? stats.stats.errors : 0;
    const lat = sub.get(SERIES.latency);
    const p99 = lat?.kind === 'numeric' && lat.sketch.count > 0 ? lat.sketch.quantile(0.99) : hist?.kind === 'histogram' ? (histogramQuantile(hist.histogram, 0.99)?.value ?? null) : null;
    let drifted = 0;
    let total = 0;
    for (const [feature, f] of byFeature) {
      const cur = sub.get(SERIES.feature(feature));
      const refSeries = ref?.series.get(SERIES.feature(feature));
      let stat: number | null = null;
      if (cur && refSeries) {
        const options = driftOptions(cur.kind === 'numeric' ? 'numeric' : 'categorical', overrides);
        const r = cur.kind === 'numeric' && refSeries.kind === 'numeric' && cur.sketch.count > 0 ? numericDrift(refSeries.sketch, cur.sketch, options) : cur.kind === 'categorical' && refSeries.kind === 'categorical' && cur.sketch.count > 0 ? categoricalDrift(refSeries.sketch, cur.sketch, options) : null;
        if (r) {
          stat = Number.isFinite(r.statistic) ? r.statistic : null;
          total++;
          if (r.drifted) drifted++;
        }
      }
      f.trend.push(stat);
    }
    out.push({ from: new Date(result.from + i * step).toISOString(), requests, errorRate: requests > 0 ? errors / requests : null, latencyP99: p99, driftShare: total > 0 ? drifted / total : null });
  });
  return out;
}
