import type { Role, User } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';

export async function listUsers({ ctx, input }: { ctx: ServiceContext; input: { org: string } }): Promise<User[]> {
  const scope = authorize(ctx, input.org, 'org.read');
  const rows = await ctx.db
    .selectFrom('org_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.name', 'm.role', 'm.created_at'])
    .where('m.org_id', '=', scope.orgId)
    .orderBy('u.name')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, role: r.role as Role, createdAt: r.created_at }));
}
