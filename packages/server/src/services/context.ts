import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { type Permission, type Role, StewardError, roleAllows } from '@steward/domain';
import type { BlobStore } from '../blobs/types.js';
import type { DB } from '../db/schema.js';
import type { ServerConfig } from '../config.js';
import type { EventBus } from '../events.js';
import type { ReadCache } from '../db/read-cache.js';

export interface Actor {
  userId: string;
  userName: string;
  tokenId: string;
  /** Org name -> role, for every org the user belongs to. */
  memberships: Map<string, { orgId: string; role: Role }>;
}

export interface Deps {
  db: Kysely<DB>;
  dbKind: 'sqlite' | 'postgres';
  blobs: BlobStore;
  config: ServerConfig;
  now: () => Date;
  events: EventBus;
  /** Background scanning; `wake` after committing a pending scan row. */
  scans: { wake(): void };
  /** Derived-read cache, invalidated by any write; null when other processes may write (Postgres). */
  cache: ReadCache | null;
}

/** What every service verb receives: dependencies, the authenticated actor, and the request id. */
export interface ServiceContext extends Deps {
  actor: Actor;
  requestId: string;
}

export interface OrgScope {
  orgId: string;
  orgName: string;
  role: Role;
}

/**
 * Resolves the org named in the request and checks the actor's role allows `permission` there.
 * A user who is not a member gets not_found rather than forbidden, so org names do not leak.
 */
export function authorize(ctx: ServiceContext, orgName: string, permission: Permission): OrgScope {
  const m = ctx.actor.memberships.get(orgName);
  if (!m) throw new StewardError('not_found', `org "${orgName}" not found`);
  if (!roleAllows(m.role, permission)) {
    throw new StewardError('forbidden', `role "${m.role}" in org "${orgName}" may not ${permission.replace('.', ' ')}`, {
      permission,
      role: m.role,
    });
  }
  return { orgId: m.orgId, orgName, role: m.role };
}

export type Tx = Transaction<DB>;

export interface AuditInput {
  orgId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  details?: Record<string, unknown>;
}

/** Writes the audit event inside the mutation's transaction: if it fails, the change rolls back. */
export async function audit(trx: Tx | Kysely<DB>, ctx: Pick<ServiceContext, 'actor' | 'requestId' | 'now'> | null, event: AuditInput, at?: string): Promise<void> {
  await trx
    .insertInto('audit_events')
    .values({
      org_id: event.orgId,
      actor_user_id: ctx?.actor.userId ?? null,
      actor_name: ctx?.actor.userName ?? 'system',
      action: event.action,
      target_type: event.targetType,
      target_id: event.targetId,
      at: at ?? (ctx ? ctx.now() : new Date()).toISOString(),
      details_json: JSON.stringify(event.details ?? {}),
      request_id: ctx?.requestId ?? null,
    })
    .execute();
}

export function newId(): string {
  return randomUUID();
}

export function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  return JSON.parse(text) as T;
}

/** Opaque cursors: base64url JSON of the last row's sort key. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T>(cursor: string | undefined, check: (v: unknown) => v is T): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (check(v)) return v;
  } catch {
    // fall through
  }
  throw new StewardError('validation_failed', 'cursor is not one this server issued', { field: 'cursor' });
}

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
