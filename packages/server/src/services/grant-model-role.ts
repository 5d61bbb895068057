import { type ModelRole, type ModelRoleGrant, StewardError } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';
import { findModel } from './views.js';

/**
 * Grants a member of the org a role on one model (replacing the role they had on it). Model owners
 * and org admins grant (`model.grant`). An external contributor's only rights come from these grants.
 */
export async function grantModelRole({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; user: string; role: ModelRole } }): Promise<ModelRoleGrant> {
  const scope = authorize(ctx, input.org, 'model.grant', { model: input.model });
  return ctx.db.transaction().execute(async (trx) => {
    const model = await findModel(trx, scope.orgId, input.model);
    const user = await trx
      .selectFrom('users as u')
      .innerJoin('org_members as m', 'm.user_id', 'u.id')
      .select(['u.id', 'u.name'])
      .where('u.name', '=', input.user)
      .where('m.org_id', '=', scope.orgId)
      .executeTakeFirst();
    if (!user) throw new StewardError('not_found', `user "${input.user}" is not a member of org "${input.org}" (add them first: steward users create ${input.user} --role external)`);
    const previous = await trx.selectFrom('model_role_grants').select('role').where('model_id', '=', model.id).where('user_id', '=', user.id).executeTakeFirst();
    const now = ctx.now().toISOString();
    if (previous) {
      await trx.updateTable('model_role_grants').set({ role: input.role, granted_by: ctx.actor.userName, granted_at: now }).where('model_id', '=', model.id).where('user_id', '=', user.id).execute();
    } else {
      await trx.insertInto('model_role_grants').values({ org_id: scope.orgId, model_id: model.id, user_id: user.id, role: input.role, granted_by: ctx.actor.userName, granted_at: now }).execute();
    }
    const name = `${input.org}/${model.name}`;
    await audit(trx, ctx, { orgId: scope.orgId, action: 'model.role_granted', targetType: 'model', targetId: model.id, details: { model: name, user: user.name, role: input.role, previousRole: previous?.role ?? null } });
    return { model: name, user: user.name, role: input.role, grantedBy: ctx.actor.userName, grantedAt: now };
  });
}
