import { StewardError, type PromotionRequest } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';
import { promotionRequestView } from '../promotion/request-view.js';

/** The requester (or an admin) withdraws an open request. */
export async function withdrawPromotionRequest({ ctx, input }: { ctx: ServiceContext; input: { org: string; id: string; reason?: string | undefined } }): Promise<PromotionRequest> {
  const scope = authorize(ctx, input.org, 'promotion.request');
  return ctx.db.transaction().execute(async (trx) => {
    const r = await trx.selectFrom('promotion_requests').selectAll().where('org_id', '=', scope.orgId).where('id', '=', input.id).executeTakeFirst();
    if (!r) throw new StewardError('not_found', `promotion request ${input.id} not found in org "${input.org}"`);
    if (r.requested_by !== ctx.actor.userName && scope.role !== 'admin') throw new StewardError('forbidden', `only ${r.requested_by} (who opened it) or an admin may withdraw request ${r.id}`);
    if (r.status !== 'open') throw new StewardError('conflict', `promotion request ${r.id} is ${r.status.replace('_', ' ')}, not open`);
    const now = ctx.now().toISOString();
    await trx.updateTable('promotion_requests').set({ status: 'withdrawn', decided_at: now, decided_by: ctx.actor.userName, decision_reason: input.reason ?? null }).where('id', '=', r.id).execute();
    const model = await trx.selectFrom('models').select('name').where('id', '=', r.model_id).executeTakeFirstOrThrow();
    await audit(trx, ctx, { orgId: scope.orgId, action: 'promotion.withdrawn', targetType: 'promotion_request', targetId: r.id, details: { model: `${input.org}/${model.name}`, requestId: r.id, reason: input.reason ?? null } });
    return promotionRequestView(trx, input.org, { ...r, status: 'withdrawn', decided_at: now, decided_by: ctx.actor.userName, decision_reason: input.reason ?? null });
  });
}
