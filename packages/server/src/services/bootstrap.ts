import { generateToken, hashToken, tokenDisplayPrefix } from '../auth/tokens.js';
import { audit, newId, type Deps, type Tx } from './context.js';

export const DEFAULT_RINGS = ['sandbox', 'beta', 'production'] as const;

export async function createRings(trx: Tx, orgId: string): Promise<void> {
  await trx
    .insertInto('rings')
    .values(DEFAULT_RINGS.map((name, position) => ({ id: newId(), org_id: orgId, name, position })))
    .execute();
}

/**
 * First start with an empty database: org `default`, user `admin` (org admin) and their token.
 * Returns the token when it was generated here (to print once), null when nothing was done or
 * the operator supplied it.
 */
export async function bootstrap({ deps }: { deps: Deps }): Promise<{ created: boolean; generatedToken: string | null }> {
  return deps.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('orgs').select('id').limit(1).executeTakeFirst();
    if (existing) return { created: false, generatedToken: null };
    const now = deps.now().toISOString();
    const orgId = newId();
    const userId = newId();
    const token = deps.config.bootstrapToken ?? generateToken();
    await trx.insertInto('orgs').values({ id: orgId, name: 'default', created_at: now }).execute();
    await createRings(trx, orgId);
    await trx.insertInto('users').values({ id: userId, name: 'admin', created_at: now, disabled_at: null }).execute();
    await trx.insertInto('org_members').values({ org_id: orgId, user_id: userId, role: 'admin', created_at: now }).execute();
    const tokenId = newId();
    await trx
      .insertInto('api_tokens')
      .values({ id: tokenId, user_id: userId, name: 'bootstrap', token_hash: hashToken(token), prefix: tokenDisplayPrefix(token), created_at: now, expires_at: null, revoked_at: null, last_used_at: null })
      .execute();
    await audit(trx, deps, { orgId, action: 'org.bootstrapped', targetType: 'org', targetId: orgId, details: { org: 'default', admin: 'admin', tokenId, tokenSupplied: Boolean(deps.config.bootstrapToken) } }, now);
    return { created: true, generatedToken: deps.config.bootstrapToken ? null : token };
  });
}
