/** The telemetry runtime a server holds: the aggregator, and the kind of every series it has seen. */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { ServerConfig } from '../config.js';
import type { Tx } from '../services/context.js';
import { TelemetryAggregator } from './aggregator.js';
import type { SeriesKind } from './series.js';

export class Telemetry {
  readonly aggregator: TelemetryAggregator;
  private kinds = new Map<string, Map<string, SeriesKind>>();

  constructor(
    deps: { db: Kysely<DB>; dbKind: 'sqlite' | 'postgres'; now: () => Date; config: ServerConfig },
    log: { error(obj: object, msg: string): void },
    onFlushed: (deploymentIds: string[]) => void,
  ) {
    const c = deps.config;
    this.aggregator = new TelemetryAggregator({
      db: deps.db,
      dbKind: deps.dbKind,
      now: deps.now,
      flushMs: c.telemetryFlushMs,
      retention: {
        buckets: { m: c.telemetryMinuteRetentionHours * 3_600_000, h: c.telemetryHourRetentionDays * 86_400_000, d: c.telemetryDayRetentionDays * 86_400_000 },
        labelJoinMs: c.telemetryLabelJoinHours * 3_600_000,
        pendingLabelsMax: c.telemetryPendingLabelsMax,
      },
      onFlushed,
      log,
    });
  }

  start(): void {
    this.aggregator.start();
  }

  stop(): Promise<void> {
    return this.aggregator.stop();
  }

  /** The kind of each series the deployment has stored (day buckets hold every series ever written within retention). */
  async seriesKinds(db: Kysely<DB> | Tx, deploymentId: string): Promise<Map<string, SeriesKind>> {
    let known = this.kinds.get(deploymentId);
    if (known) return known;
    const rows = await db.selectFrom('telemetry_buckets').select(['series', 'kind']).distinct().where('deployment_id', '=', deploymentId).where('granularity', '=', 'd').execute();
    known = new Map(rows.map((r) => [r.series, r.kind as SeriesKind]));
    if (this.kinds.size > 10_000) this.kinds.clear();
    this.kinds.set(deploymentId, known);
    return known;
  }

  rememberKinds(deploymentId: string, kinds: Map<string, { kind: SeriesKind }>): void {
    const known = this.kinds.get(deploymentId);
    if (!known) return;
    for (const [series, { kind }] of kinds) if (!known.has(series)) known.set(series, kind);
  }
}
