import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Tx } from '../services/context.js';

/** Firing alerts that block promotion of a model (an input of the promotion gate). */
export async function blockingAlerts(db: Kysely<DB> | Tx, orgId: string, modelId: string): Promise<{ rule: string; ring: string; environment: string; firedAt: string | null; severity: string }[]> {
  const rows = await db
    .selectFrom('alerts as a')
    .innerJoin('deployments as d', 'd.id', 'a.deployment_id')
    .innerJoin('rings as r', 'r.id', 'd.ring_id')
    .select(['a.rule_id', 'r.name as ring', 'd.environment', 'a.fired_at', 'a.severity'])
    .where('a.org_id', '=', orgId)
    .where('d.model_id', '=', modelId)
    .where('a.state', '=', 'firing')
    .where('a.blocks_promotion', '=', 1)
    .execute();
  return rows.map((r) => ({ rule: r.rule_id, ring: r.ring, environment: r.environment, firedAt: r.fired_at, severity: r.severity }));
}
