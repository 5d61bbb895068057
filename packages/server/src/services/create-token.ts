import { type CreatedToken, StewardError, type TokenScope } from '@steward/domain';
import { generateToken, hashToken, tokenDisplayPrefix } from '../auth/tokens.js';
import { audit, authorize, can, newId, type ServiceContext } from './context.js';

/**
 * Issues a token for the caller, or (org admins) for another member of the org.
 * The token is returned once; only its SHA-256 is stored.
 */
export async function createToken({ ctx, input }: { ctx: ServiceContext; input: { org: string; name: string; user?: string | undefined; expiresAt?: string | undefined; scopes?: TokenScope[] | undefined; models?: string[] | undefined; ci?: boolean | undefined } }): Promise<CreatedToken> {
  const forOther = input.user !== undefined && input.user !== ctx.actor.userName;
  const scope = authorize(ctx, input.org, forOther ? 'token.manage_others' : 'org.read');
  const now = ctx.now();
  if (input.expiresAt !== undefined) {
    const t = Date.parse(input.expiresAt);
    if (Number.isNaN(t)) throw new StewardError('validation_failed', `expiresAt "${input.expiresAt}" is not an ISO-8601 time`, { field: 'expiresAt' });
    if (t <= now.getTime()) throw new StewardError('validation_failed', `expiresAt ${input.expiresAt} is in the past`, { field: 'expiresAt' });
  }
  const expiresAt = input.expiresAt === undefined ? null : new Date(input.expiresAt).toISOString();
  // A token never mints a wider one: a narrowed caller's new token is at most as narrow (docs/authorization.md).
  const mine = ctx.actor;
  const narrowedScopes = mine.tokenScopes.length < 4;
  const scopes = input.scopes ? [...new Set(input.scopes)].sort() : narrowedScopes ? [...mine.tokenScopes] : null;
  if (scopes && narrowedScopes && scopes.some((x) => !mine.tokenScopes.includes(x))) {
    throw new StewardError('forbidden', `this token is narrowed to scopes ${mine.tokenScopes.join(', ')}; it cannot issue a token with scopes ${scopes.join(', ')}`, { field: 'scopes' });
  }
  const models = input.models ? [...new Set(input.models)].sort() : mine.tokenModels ? [...mine.tokenModels] : null;
  if (models && mine.tokenModels && models.some((x) => !mine.tokenModels!.includes(x))) {
    throw new StewardError('forbidden', `this token is narrowed to models ${mine.tokenModels.join(', ')}; it cannot issue a token for other models`, { field: 'models' });
  }
  // Rings may accept promotions from CI tokens only, so a CI token is issued by an org admin.
  const ci = input.ci === true;
  if (ci && !can(ctx, input.org, 'token.manage_others')) throw new StewardError('forbidden', 'only org admins issue CI tokens (--ci)', { field: 'ci' });
  return ctx.db.transaction().execute(async (trx) => {
    let userId = ctx.actor.userId;
    let userName = ctx.actor.userName;
    if (forOther) {
      const u = await trx
        .selectFrom('users as u')
        .innerJoin('org_members as m', 'm.user_id', 'u.id')
        .select(['u.id', 'u.name'])
        .where('u.name', '=', input.user!)
        .where('m.org_id', '=', scope.orgId)
        .executeTakeFirst();
      if (!u) throw new StewardError('not_found', `user "${input.user}" is not a member of org "${input.org}"`);
      userId = u.id;
      userName = u.name;
    }
    const token = generateToken();
    const id = newId();
    const createdAt = now.toISOString();
    await trx
      .insertInto('api_tokens')
      .values({ id, user_id: userId, name: input.name, token_hash: hashToken(token), prefix: tokenDisplayPrefix(token), created_at: createdAt, expires_at: expiresAt, revoked_at: null, last_used_at: null, scopes_json: scopes ? JSON.stringify(scopes) : null, models_json: models ? JSON.stringify(models) : null, ci: ci ? 1 : 0 })
      .execute();
    await audit(trx, ctx, { orgId: scope.orgId, action: 'token.created', targetType: 'token', targetId: id, details: { user: userName, name: input.name, expiresAt, scopes, models, ci } });
    return { id, name: input.name, user: userName, prefix: tokenDisplayPrefix(token), createdAt, expiresAt, revokedAt: null, lastUsedAt: null, scopes: scopes as TokenScope[] | null, models, ci, token };
  });
}
