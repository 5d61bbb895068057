import { type ModelRole, StewardError } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';
import { findModel } from './views.js';

/** Removes a user's role on one model (model owners and org admins). */
export async function revokeModelRole({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; user: string } }): Promise<{ model: string; user: string; role: ModelRole }> {
  const scope = authorize(ctx, input.org, 'model.grant', { model: input.model });
  return ctx.db.transaction().execute(async (trx) => {
    const model = await findModel(trx, scope.orgId, input.model);
    const grant = await trx
      .selectFrom('model_role_grants as g')
      .innerJoin('users as u', 'u.id', 'g.user_id')
      .select(['g.user_id', 'g.role', 'u.name'])
      .where('g.model_id', '=', model.id)
      .where('u.name', '=', input.user)
      .executeTakeFirst();
    if (!grant) throw new StewardError('not_found', `user "${input.user}" has no role on model "${input.model}"`);
    await trx.deleteFrom('model_role_grants').where('model_id', '=', model.id).where('user_id', '=', grant.user_id).execute();
    const name = `${input.org}/${model.name}`;
    await audit(trx, ctx, { orgId: scope.orgId, action: 'model.role_revoked', targetType: 'model', targetId: model.id, details: { model: name, user: grant.name, role: grant.role } });
    return { model: name, user: grant.name, role: grant.role as ModelRole };
  });
}
