import type { Model } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { findModel, modelView } from './views.js';

export async function getModel({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string } }): Promise<Model> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  return modelView(ctx.db, input.org, scope.orgId, await findModel(ctx.db, scope.orgId, input.model));
}
