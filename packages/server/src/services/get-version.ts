import type { Version } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { findModel, resolveVersion, versionView } from './views.js';

export async function getVersion({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; ref: string } }): Promise<Version> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  const compute = async () => {
    const model = await findModel(ctx.db, scope.orgId, input.model);
    const v = await resolveVersion(ctx.db, scope.orgId, model, input.ref);
    return versionView(ctx.db, input.org, scope.orgId, model, v);
  };
  // The same object is returned for every hit, so the HTTP layer also reuses its serialization.
  return ctx.cache ? ctx.cache.memo(`version:${scope.orgId}/${input.model}@${input.ref}`, compute) : compute();
}
