import { type Role, StewardError, type User } from '@steward/domain';
import { audit, authorize, isUniqueViolation, newId, type ServiceContext } from './context.js';

/** Creates a user and makes them a member of the org with the given role. Existing users are added to the org. */
export async function createUser({ ctx, input }: { ctx: ServiceContext; input: { org: string; name: string; role: Role } }): Promise<User> {
  const scope = authorize(ctx, input.org, 'user.manage');
  const now = ctx.now().toISOString();
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      let user = await trx.selectFrom('users').select(['id', 'created_at']).where('name', '=', input.name).executeTakeFirst();
      if (!user) {
        user = { id: newId(), created_at: now };
        await trx.insertInto('users').values({ id: user.id, name: input.name, created_at: now, disabled_at: null }).execute();
      }
      await trx.insertInto('org_members').values({ org_id: scope.orgId, user_id: user.id, role: input.role, created_at: now }).execute();
      await audit(trx, ctx, { orgId: scope.orgId, action: 'user.added', targetType: 'user', targetId: user.id, details: { name: input.name, role: input.role } });
      return { id: user.id, name: input.name, role: input.role, createdAt: now };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new StewardError('conflict', `user "${input.name}" is already a member of org "${input.org}"`);
    throw err;
  }
}
