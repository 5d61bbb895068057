/**
 * What keeps telemetry storage bounded besides the sketches themselves: buckets past their
 * granularity's retention, and predictions that waited for a label longer than the join window or
 * beyond the per-deployment cap (the oldest go first). Runs every minute on every server; each
 * statement is idempotent, so servers sharing a Postgres database do not need to take turns.
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { applyRetention, type Granularity } from './buckets.js';

export interface RetentionSettings {
  buckets: Record<Granularity, number>;
  labelJoinMs: number;
  pendingLabelsMax: number;
}

export async function pruneTelemetry(db: Kysely<DB>, nowMs: number, s: RetentionSettings): Promise<{ buckets: number; labels: number }> {
  const buckets = await applyRetention(db, nowMs, s.buckets);
  const expired = await db.deleteFrom('telemetry_pending_labels').where('predicted_at', '<', new Date(nowMs - s.labelJoinMs).toISOString()).executeTakeFirst();
  let labels = Number(expired.numDeletedRows);
  const over = await db
    .selectFrom('telemetry_pending_labels')
    .select(['deployment_id', sql<number>`count(*)`.as('n')])
    .groupBy('deployment_id')
    .having(sql`count(*)`, '>', s.pendingLabelsMax)
    .execute();
  for (const o of over) {
    // The newest `pendingLabelsMax` stay; everything at or before the first one past them goes.
    const cutoff = await db.selectFrom('telemetry_pending_labels').select('predicted_at').where('deployment_id', '=', o.deployment_id).orderBy('predicted_at', 'desc').offset(s.pendingLabelsMax).limit(1).executeTakeFirst();
    if (!cutoff) continue;
    const r = await db.deleteFrom('telemetry_pending_labels').where('deployment_id', '=', o.deployment_id).where('predicted_at', '<=', cutoff.predicted_at).executeTakeFirst();
    labels += Number(r.numDeletedRows);
  }
  return { buckets, labels };
}
