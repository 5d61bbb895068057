import { type RingHistoryEntry, StewardError } from '@steward/domain';
import { audit, authorize, type AuditContext, type ServiceContext, type Tx } from './context.js';
import { deploymentStack, findRing, historyQuery, toEntry } from './ring-history-rows.js';
import { findModel } from './views.js';
import { assertNotFrozen, ringWithCriteria } from '../promotion/criteria.js';

/** Moves the ring back to the version it held before the current one (see deploymentStack). */
export async function rollbackRing({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; ring: string; reason?: string | undefined } }): Promise<RingHistoryEntry> {
  const scope = authorize(ctx, input.org, 'ring.move', { model: input.model, ring: input.ring });
  return ctx.db.transaction().execute((trx) => rollbackInTransaction(trx, ctx, { orgId: scope.orgId, org: input.org, model: input.model, ring: input.ring, reason: input.reason ?? null, by: ctx.actor.userName }));
}

/**
 * The rollback itself, in the caller's transaction, for a user (after authorization) or for an
 * alert rule's decision (`decision` lands in the audit event: which rule, on what figures).
 */
export async function rollbackInTransaction(
  trx: Tx,
  ctx: AuditContext,
  input: { orgId: string; org: string; model: string; ring: string; reason: string | null; by: string; decision?: Record<string, unknown> },
): Promise<RingHistoryEntry> {
  const model = await findModel(trx, input.orgId, input.model);
  // A rollback is a pointer move too: a freeze holds it (unfreeze first, on the record).
  await assertNotFrozen(trx, await ringWithCriteria(trx, input.orgId, input.ring), model);
  const ring = await findRing(trx, input.orgId, input.ring);
  const entries = await trx.selectFrom('ring_history').select(['kind', 'version_id']).where('model_id', '=', model.id).where('ring_id', '=', ring.id).orderBy('seq').execute();
  const stack = deploymentStack(entries);
  if (stack.length < 2) {
    throw new StewardError('conflict', `ring "${input.ring}" of ${input.model} has no earlier version to roll back to`);
  }
  const current = stack.at(-1)!;
  const previous = stack.at(-2)!;
  const now = ctx.now().toISOString();
  const inserted = await trx
    .insertInto('ring_history')
    .values({ model_id: model.id, ring_id: ring.id, version_id: previous, previous_version_id: current, kind: 'rollback', moved_at: now, moved_by: input.by, reason: input.reason })
    .returning('seq')
    .executeTakeFirstOrThrow();
  const entry = toEntry(await historyQuery(trx, model.id, ring.id).where('h.seq', '=', inserted.seq).executeTakeFirstOrThrow());
  await audit(trx, ctx, {
    orgId: input.orgId,
    action: 'ring.rolled_back',
    targetType: 'model',
    targetId: model.id,
    details: { model: `${input.org}/${input.model}`, ring: input.ring, from: entry.previousVersion, to: entry.version, reason: input.reason, seq: entry.seq, ...(input.decision ? { decidedBy: input.decision } : {}) },
  });
  return entry;
}
