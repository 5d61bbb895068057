/**
 * The in-process side of telemetry (ADR 0021): accepted batches are folded into per-minute deltas
 * in memory and merged into the database every `telemetryFlushMs` (and before any read), so the
 * database sees one write per (deployment, bucket, series) per flush, not one per record. A crash
 * loses at most one flush interval of figures; what was refused never reaches here.
 */
import { FrequencySketch, KllSketch } from '@steward/monitor';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { floorTo, mergeDeltas, type DeploymentDeltas } from './buckets.js';
import { pruneTelemetry, type RetentionSettings } from './retention.js';
import { emptyStats, type HistogramValue, mergeSeries, mergeStats, type SeriesValue, type WindowStats } from './series.js';

export interface AggregatorDeps {
  db: Kysely<DB>;
  dbKind: 'sqlite' | 'postgres';
  now: () => Date;
  flushMs: number;
  retention: RetentionSettings;
  /** Called after a flush that wrote something (alert evaluation follows the data). */
  onFlushed?: (deploymentIds: string[]) => void;
  log: { error(obj: object, msg: string): void };
}

/** One minute of one deployment while it is being filled. */
export class MinuteDelta {
  readonly series = new Map<string, SeriesValue>();
  readonly stats: WindowStats = emptyStats();

  constructor() {
    this.series.set('_stats', { kind: 'stats', stats: this.stats });
  }

  numeric(name: string): KllSketch {
    const v = this.series.get(name);
    if (v?.kind === 'numeric') return v.sketch;
    const sketch = new KllSketch();
    // Two batches in flight that both brought a new feature, as different kinds: the first kind stays.
    if (!v) this.series.set(name, { kind: 'numeric', sketch });
    return sketch;
  }

  categorical(name: string): FrequencySketch {
    const v = this.series.get(name);
    if (v?.kind === 'categorical') return v.sketch;
    const sketch = new FrequencySketch();
    if (!v) this.series.set(name, { kind: 'categorical', sketch });
    return sketch;
  }

  histogram(name: string, h: HistogramValue): void {
    const v = this.series.get(name);
    const incoming: SeriesValue = { kind: 'histogram', histogram: structuredClone(h) };
    if (!v) this.series.set(name, incoming);
    else if (v.kind === 'histogram') this.series.set(name, mergeSeries(v, incoming));
  }
}

export class TelemetryAggregator {
  private pending = new Map<string, Map<number, MinuteDelta>>();
  private timer: NodeJS.Timeout | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly deps: AggregatorDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.flush().catch((err) => this.deps.log.error({ err }, 'telemetry flush failed')), this.deps.flushMs);
    this.timer.unref();
    this.retentionTimer = setInterval(() => void this.prune().catch((err) => this.deps.log.error({ err }, 'telemetry retention failed')), 60_000);
    this.retentionTimer.unref();
  }

  /** Applies retention now (the timer does it every minute). */
  prune(): Promise<{ buckets: number; labels: number }> {
    return pruneTelemetry(this.deps.db, this.deps.now().getTime(), this.deps.retention);
  }

  /** The delta of a deployment's minute containing `timeMs`. */
  minute(deploymentId: string, timeMs: number): MinuteDelta {
    let byMinute = this.pending.get(deploymentId);
    if (!byMinute) this.pending.set(deploymentId, (byMinute = new Map()));
    const start = floorTo(timeMs, 'm');
    let delta = byMinute.get(start);
    if (!delta) byMinute.set(start, (delta = new MinuteDelta()));
    return delta;
  }

  /** Writes everything accepted so far; concurrent callers share one flush, then run another if more arrived. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.write(batch).finally(() => {
      this.flushing = null;
    });
    await this.flushing;
  }

  private async write(batch: Map<string, Map<number, MinuteDelta>>): Promise<void> {
    const ids = [...batch.keys()];
    try {
      await this.deps.db.transaction().execute(async (trx) => {
        for (const [deploymentId, minutes] of batch) {
          const deltas: DeploymentDeltas = new Map([...minutes].map(([t, d]) => [t, d.series]));
          await mergeDeltas(trx, this.deps.dbKind, deploymentId, deltas);
        }
      });
    } catch (err) {
      // Keep what could not be written for the next flush (merged with what arrived meanwhile).
      if (!this.stopped) for (const [id, minutes] of batch) for (const [t, d] of minutes) this.restore(id, t, d);
      throw err;
    }
    this.deps.onFlushed?.(ids);
  }

  private restore(deploymentId: string, minute: number, delta: MinuteDelta): void {
    const target = this.minute(deploymentId, minute);
    for (const [name, v] of delta.series) {
      if (name === '_stats') continue;
      const have = target.series.get(name);
      if (!have) target.series.set(name, v);
      else if (have.kind === v.kind) target.series.set(name, mergeSeries(have, v));
    }
    mergeStats(target.stats, delta.stats);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    try {
      await this.flush();
    } finally {
      this.stopped = true;
    }
  }
}
