import type { RingHistoryEntry } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { findRing, historyQuery, toEntry } from './ring-history-rows.js';
import { findModel } from './views.js';

/** Which version the ring pointed at, at time `at`: the last move at or before it. One indexed query. */
export async function ringAt({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; ring: string; at: string } }): Promise<{ ring: string; at: string; version: string | null; entry: RingHistoryEntry | null }> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  const model = await findModel(ctx.db, scope.orgId, input.model);
  const ring = await findRing(ctx.db, scope.orgId, input.ring);
  const at = new Date(input.at).toISOString();
  const row = await historyQuery(ctx.db, model.id, ring.id).where('h.moved_at', '<=', at).orderBy('h.moved_at', 'desc').orderBy('h.seq', 'desc').limit(1).executeTakeFirst();
  const entry = row ? toEntry(row) : null;
  return { ring: ring.name, at, version: entry?.version ?? null, entry };
}
