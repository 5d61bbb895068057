import { StewardError } from '@steward/domain';
import { audit, authorize, can, type ServiceContext } from './context.js';

/** Revokes a token by id or display prefix. Your own tokens always; others' as org admin. Idempotent. */
export async function revokeToken({ ctx, input }: { ctx: ServiceContext; input: { org: string; token: string } }): Promise<{ id: string; revokedAt: string }> {
  const scope = authorize(ctx, input.org, 'org.read');
  return ctx.db.transaction().execute(async (trx) => {
    const matches = await trx
      .selectFrom('api_tokens')
      .select(['id', 'user_id', 'revoked_at', 'name'])
      .where((eb) => eb.or([eb('id', '=', input.token), eb('prefix', '=', input.token)]))
      .execute();
    if (matches.length > 1) throw new StewardError('conflict', `"${input.token}" matches ${matches.length} tokens; use the token id`);
    const t = matches[0];
    const mayOthers = can(ctx, scope.orgName, 'token.manage_others');
    let visible = Boolean(t) && (t!.user_id === ctx.actor.userId || mayOthers);
    if (t && visible && t.user_id !== ctx.actor.userId) {
      const member = await trx.selectFrom('org_members').select('user_id').where('org_id', '=', scope.orgId).where('user_id', '=', t.user_id).executeTakeFirst();
      visible = Boolean(member);
    }
    if (!t || !visible) throw new StewardError('not_found', `token "${input.token}" not found`);
    if (t.revoked_at) return { id: t.id, revokedAt: t.revoked_at };
    const now = ctx.now().toISOString();
    await trx.updateTable('api_tokens').set({ revoked_at: now }).where('id', '=', t.id).execute();
    await audit(trx, ctx, { orgId: scope.orgId, action: 'token.revoked', targetType: 'token', targetId: t.id, details: { name: t.name } });
    return { id: t.id, revokedAt: now };
  });
}
