import type { PromotionRequest } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { promotionRequestView } from '../promotion/request-view.js';

const LIMIT = 200;

/**
 * Promotion requests of the org, newest first. `mine`: those the actor opened. `toReview`: open
 * requests the actor may still decide (a reviewing role, not the requester or pusher, not yet reviewed).
 */
export async function listPromotionRequests({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { org: string; status?: string | undefined; mine: boolean; toReview: boolean; model?: string | undefined; version?: string | undefined };
}): Promise<{ items: PromotionRequest[] }> {
  const scope = authorize(ctx, input.org, 'model.read');
  let q = ctx.db.selectFrom('promotion_requests as r').innerJoin('models as m', 'm.id', 'r.model_id').selectAll('r').where('r.org_id', '=', scope.orgId);
  if (input.status) q = q.where('r.status', '=', input.status);
  if (input.model) q = q.where('m.name', '=', input.model);
  if (input.version) q = q.where('r.version_id', 'in', (eb) => eb.selectFrom('model_versions').select('id').where('model_id', '=', eb.ref('m.id')).where('version', '=', input.version!));
  if (input.mine) q = q.where('r.requested_by', '=', ctx.actor.userName);
  if (input.toReview) q = q.where('r.status', '=', 'open').where('r.requested_by', '!=', ctx.actor.userName);
  const rows = await q.orderBy('r.requested_at', 'desc').orderBy('r.id').limit(LIMIT).execute();
  const items: PromotionRequest[] = [];
  for (const r of rows) {
    const view = await promotionRequestView(ctx.db, input.org, r);
    if (input.toReview) {
      // Reviewing for this ring: a role whose approvals count there.
      if (!(view.criteria.approverRoles as string[]).includes(scope.role)) continue;
      if (view.pushedBy === ctx.actor.userName || view.reviews.some((x) => x.reviewer === ctx.actor.userName)) continue;
    }
    items.push(view);
  }
  return { items };
}
