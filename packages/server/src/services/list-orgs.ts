import type { Org } from '@steward/domain';
import type { ServiceContext } from './context.js';

export async function listOrgs({ ctx }: { ctx: ServiceContext }): Promise<Org[]> {
  const ids = [...ctx.actor.memberships.values()].map((m) => m.orgId);
  if (ids.length === 0) return [];
  const rows = await ctx.db.selectFrom('orgs').select(['id', 'name', 'created_at']).where('id', 'in', ids).orderBy('name').execute();
  return rows.map((o) => ({ id: o.id, name: o.name, role: ctx.actor.memberships.get(o.name)!.role, createdAt: o.created_at }));
}
