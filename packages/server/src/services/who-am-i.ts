import type { WhoAmI } from '@steward/domain';
import type { ServiceContext } from './context.js';
import { listOrgs } from './list-orgs.js';

export async function whoAmI({ ctx }: { ctx: ServiceContext }): Promise<WhoAmI> {
  const token = await ctx.db.selectFrom('api_tokens').select(['id', 'name', 'expires_at']).where('id', '=', ctx.actor.tokenId).executeTakeFirstOrThrow();
  return {
    user: { id: ctx.actor.userId, name: ctx.actor.userName },
    token: { id: token.id, name: token.name, expiresAt: token.expires_at },
    orgs: await listOrgs({ ctx }),
  };
}

