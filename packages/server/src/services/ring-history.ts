import type { RingHistoryEntry } from '@steward/domain';
import { authorize, decodeCursor, encodeCursor, type ServiceContext } from './context.js';
import { findRing, historyQuery, toEntry } from './ring-history-rows.js';
import { findModel } from './views.js';

const isCursor = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** Every move of a ring, newest first. */
export async function ringHistory({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; ring: string; limit: number; cursor?: string | undefined } }): Promise<{ items: RingHistoryEntry[]; nextCursor: string | null }> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  const model = await findModel(ctx.db, scope.orgId, input.model);
  const ring = await findRing(ctx.db, scope.orgId, input.ring);
  const before = decodeCursor(input.cursor, isCursor);
  let q = historyQuery(ctx.db, model.id, ring.id).orderBy('h.seq', 'desc').limit(input.limit + 1);
  if (before !== undefined) q = q.where('h.seq', '<', before);
  const rows = await q.execute();
  const page = rows.slice(0, input.limit).map(toEntry);
  return { items: page, nextCursor: rows.length > input.limit ? encodeCursor(page.at(-1)!.seq) : null };
}
