import { StewardError, type PromotionRequest } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { promotionRequestView } from '../promotion/request-view.js';

export async function getPromotionRequest({ ctx, input }: { ctx: ServiceContext; input: { org: string; id: string } }): Promise<PromotionRequest> {
  const scope = authorize(ctx, input.org, 'model.read');
  const r = await ctx.db.selectFrom('promotion_requests').selectAll().where('org_id', '=', scope.orgId).where('id', '=', input.id).executeTakeFirst();
  if (!r) throw new StewardError('not_found', `promotion request ${input.id} not found in org "${input.org}"`);
  return promotionRequestView(ctx.db, input.org, r);
}
