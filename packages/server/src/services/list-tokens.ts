import type { Token, TokenScope } from '@steward/domain';
import { authorize, can, type ServiceContext } from './context.js';

/** The caller's own tokens; org admins see the tokens of every member of the org. */
export async function listTokens({ ctx, input }: { ctx: ServiceContext; input: { org: string } }): Promise<Token[]> {
  const scope = authorize(ctx, input.org, 'org.read');
  let q = ctx.db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.id', 't.name', 'u.name as user', 't.prefix', 't.created_at', 't.expires_at', 't.revoked_at', 't.last_used_at', 't.scopes_json', 't.models_json', 't.ci'])
    .orderBy('t.created_at')
    .orderBy('t.id');
  if (can(ctx, scope.orgName, 'token.manage_others')) {
    q = q.where('t.user_id', 'in', ctx.db.selectFrom('org_members').select('user_id').where('org_id', '=', scope.orgId));
  } else {
    q = q.where('t.user_id', '=', ctx.actor.userId);
  }
  const rows = await q.execute();
  return rows.map((r) => ({ id: r.id, name: r.name, user: r.user, prefix: r.prefix, createdAt: r.created_at, expiresAt: r.expires_at, revokedAt: r.revoked_at, lastUsedAt: r.last_used_at, scopes: r.scopes_json === null ? null : (JSON.parse(r.scopes_json) as TokenScope[]), models: r.models_json === null ? null : (JSON.parse(r.models_json) as string[]), ci: Number(r.ci) === 1 }));
}
