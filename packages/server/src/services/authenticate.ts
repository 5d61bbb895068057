import { type ModelRole, type Role, StewardError, TokenScopeSchema } from '@steward/domain';
import { hashToken } from '../auth/tokens.js';
import type { Actor, Deps } from './context.js';

const LAST_USED_RESOLUTION_MS = 60_000;

/** A resolved token, reused until any write (revocation, role change...) or its expiry. */
interface CachedActor {
  actor: Actor;
  expiresAt: number | null;
  lastUsedAt: number;
}

/**
 * The actor of an already resolved token, without touching the database; null when it must be
 * resolved again (not cached, written since, expired, or its last use is due to be recorded).
 * Keyed by the token's hash itself: 64 hex digits, which no other cache key is.
 */
export function cachedActor(deps: Pick<Deps, 'cache' | 'now'>, tokenHash: string, now: Date = deps.now()): Actor | null {
  const cached = deps.cache?.get<CachedActor>(tokenHash);
  if (cached && (cached.expiresAt === null || cached.expiresAt > now.getTime()) && now.getTime() - cached.lastUsedAt <= LAST_USED_RESOLUTION_MS) return cached.actor;
  return null;
}

/** Resolves a bearer token to its user and memberships; 401 for anything missing, unknown, revoked or expired. */
export async function authenticate({ deps, input }: { deps: Deps; input: { authorization: string | undefined; tokenHash?: string | null } }): Promise<Actor> {
  const header = input.authorization;
  if (!header) throw new StewardError('unauthenticated', 'missing bearer token (Authorization: Bearer <token>)');
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m?.[1]) throw new StewardError('unauthenticated', 'malformed Authorization header; expected "Bearer <token>"');
  const tokenHash = input.tokenHash ?? hashToken(m[1]);
  const now = deps.now();
  const cached = cachedActor(deps, tokenHash, now);
  if (cached) return cached;
  const gen = deps.cache?.generation ?? 0;
  const row = await deps.db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.id as token_id', 't.expires_at', 't.revoked_at', 't.last_used_at', 't.scopes_json', 't.models_json', 't.ci', 'u.id as user_id', 'u.name as user_name', 'u.disabled_at'])
    .where('t.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row) throw new StewardError('unauthenticated', 'unknown token');
  if (row.revoked_at) throw new StewardError('unauthenticated', 'token has been revoked');
  if (row.expires_at && Date.parse(row.expires_at) <= now.getTime()) throw new StewardError('unauthenticated', 'token has expired');
  if (row.disabled_at) throw new StewardError('unauthenticated', 'user is disabled');
  const members = await deps.db
    .selectFrom('org_members as m')
    .innerJoin('orgs as o', 'o.id', 'm.org_id')
    .select(['o.id', 'o.name', 'm.role'])
    .where('m.user_id', '=', row.user_id)
    .execute();
  const grants = await deps.db
    .selectFrom('model_role_grants as g')
    .innerJoin('models as md', 'md.id', 'g.model_id')
    .innerJoin('orgs as o', 'o.id', 'g.org_id')
    .select(['o.name as org', 'md.name as model', 'g.role'])
    .where('g.user_id', '=', row.user_id)
    .execute();
  const actor: Actor = {
    userId: row.user_id,
    userName: row.user_name,
    tokenId: row.token_id,
    memberships: new Map(members.map((o) => [o.name, { orgId: o.id, role: o.role as Role }])),
    modelRoles: new Map(grants.map((g) => [`${g.org}/${g.model}`, g.role as ModelRole])),
    tokenCi: Number(row.ci) === 1,
    tokenScopes: row.scopes_json === null ? TokenScopeSchema.options : (JSON.parse(row.scopes_json) as string[]).filter((x) => TokenScopeSchema.safeParse(x).success) as typeof TokenScopeSchema.options,
    tokenModels: row.models_json === null ? null : (JSON.parse(row.models_json) as string[]),
  };
  // Recording every use would turn each read into a write; minute resolution is enough to spot stale tokens.
  let lastUsedAt = row.last_used_at ? Date.parse(row.last_used_at) : 0;
  let cacheGen = gen;
  if (now.getTime() - lastUsedAt > LAST_USED_RESOLUTION_MS) {
    await deps.db.updateTable('api_tokens').set({ last_used_at: now.toISOString() }).where('id', '=', row.token_id).execute();
    lastUsedAt = now.getTime();
    // That write moved the generation on; this actor was read before it and is still current.
    cacheGen = deps.cache?.generation ?? 0;
  }
  deps.cache?.set(tokenHash, cacheGen, { actor, expiresAt: row.expires_at ? Date.parse(row.expires_at) : null, lastUsedAt });
  return actor;
}
