import type { ModelRole, ModelRoleGrant } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { findModel } from './views.js';

/** Who holds which role on one model. */
export async function listModelRoles({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string } }): Promise<ModelRoleGrant[]> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  const model = await findModel(ctx.db, scope.orgId, input.model);
  const rows = await ctx.db
    .selectFrom('model_role_grants as g')
    .innerJoin('users as u', 'u.id', 'g.user_id')
    .select(['u.name', 'g.role', 'g.granted_by', 'g.granted_at'])
    .where('g.model_id', '=', model.id)
    .orderBy('u.name')
    .execute();
  return rows.map((r) => ({ model: `${input.org}/${model.name}`, user: r.name, role: r.role as ModelRole, grantedBy: r.granted_by, grantedAt: r.granted_at }));
}
