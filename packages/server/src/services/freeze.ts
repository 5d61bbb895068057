import { StewardError, type RingCriteria } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';
import { ringWithCriteria, writeRingCriteria } from '../promotion/criteria.js';
import { findModel } from './views.js';

/** Freezes or unfreezes a ring (admins): while frozen, no model's pointer in it moves. */
export async function setRingFrozen({ ctx, input }: { ctx: ServiceContext; input: { org: string; ring: string; frozen: boolean; reason?: string | undefined } }): Promise<RingCriteria> {
  const scope = authorize(ctx, input.org, 'ring.freeze', { ring: input.ring });
  return ctx.db.transaction().execute(async (trx) => {
    const ring = await ringWithCriteria(trx, scope.orgId, input.ring);
    if (Boolean(ring.criteria.frozen) === input.frozen) throw new StewardError('conflict', `ring "${input.ring}" is already ${input.frozen ? 'frozen' : 'not frozen'}`);
    const now = ctx.now().toISOString();
    const c = ring.criteria;
    const frozen = input.frozen ? { at: now, by: ctx.actor.userName, reason: input.reason ?? '' } : null;
    await writeRingCriteria(trx, ring.id, { ...c, frozen }, { at: now, by: ctx.actor.userName });
    await audit(trx, ctx, { orgId: scope.orgId, action: input.frozen ? 'ring.frozen' : 'ring.unfrozen', targetType: 'ring', targetId: ring.id, details: { ring: input.ring, reason: input.reason ?? null } });
    return { ...c, frozen };
  });
}

/** Freezes or unfreezes one model (admins): while frozen, none of its ring pointers move. */
export async function setModelFrozen({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; frozen: boolean; reason?: string | undefined } }): Promise<{ model: string; frozen: { at: string; by: string; reason: string } | null }> {
  const scope = authorize(ctx, input.org, 'ring.freeze', { model: input.model });
  return ctx.db.transaction().execute(async (trx) => {
    const model = await findModel(trx, scope.orgId, input.model);
    const existing = await trx.selectFrom('model_freezes').selectAll().where('model_id', '=', model.id).executeTakeFirst();
    if (Boolean(existing) === input.frozen) throw new StewardError('conflict', `model ${input.model} is already ${input.frozen ? 'frozen' : 'not frozen'}`);
    const now = ctx.now().toISOString();
    if (input.frozen) await trx.insertInto('model_freezes').values({ model_id: model.id, frozen_at: now, frozen_by: ctx.actor.userName, reason: input.reason ?? '' }).execute();
    else await trx.deleteFrom('model_freezes').where('model_id', '=', model.id).execute();
    await audit(trx, ctx, { orgId: scope.orgId, action: input.frozen ? 'model.frozen' : 'model.unfrozen', targetType: 'model', targetId: model.id, details: { model: `${input.org}/${input.model}`, reason: input.reason ?? null } });
    return { model: input.model, frozen: input.frozen ? { at: now, by: ctx.actor.userName, reason: input.reason ?? '' } : null };
  });
}
