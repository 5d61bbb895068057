import { type RingHistoryEntry, StewardError } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';
import { deploymentStack, findRing, historyQuery, toEntry } from './ring-history-rows.js';
import { findModel } from './views.js';
import { assertNotFrozen, ringWithCriteria } from '../promotion/criteria.js';

/** Moves the ring back to the version it held before the current one (see deploymentStack). */
export async function rollbackRing({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; ring: string; reason?: string | undefined } }): Promise<RingHistoryEntry> {
  const scope = authorize(ctx, input.org, 'ring.move', { model: input.model, ring: input.ring });
  return ctx.db.transaction().execute(async (trx) => {
    const model = await findModel(trx, scope.orgId, input.model);
    // A rollback is a pointer move too: a freeze holds it (unfreeze first, on the record).
    await assertNotFrozen(trx, await ringWithCriteria(trx, scope.orgId, input.ring), model);
    const ring = await findRing(trx, scope.orgId, input.ring);
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
      .values({ model_id: model.id, ring_id: ring.id, version_id: previous, previous_version_id: current, kind: 'rollback', moved_at: now, moved_by: ctx.actor.userName, reason: input.reason ?? null })
      .returning('seq')
      .executeTakeFirstOrThrow();
    const entry = toEntry(await historyQuery(trx, model.id, ring.id).where('h.seq', '=', inserted.seq).executeTakeFirstOrThrow());
    await audit(trx, ctx, {
      orgId: scope.orgId,
      action: 'ring.rolled_back',
      targetType: 'model',
      targetId: model.id,
      details: { model: `${input.org}/${input.model}`, ring: input.ring, from: entry.previousVersion, to: entry.version, reason: input.reason ?? null, seq: entry.seq },
    });
    return entry;
  });
}
