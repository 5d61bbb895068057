import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { type ModelRole, type Permission, type Role, StewardError, type TokenScope } from '@steward/domain';
import type { BlobStore } from '../blobs/types.js';
import type { DB } from '../db/schema.js';
import type { ServerConfig } from '../config.js';
import type { EventBus } from '../events.js';
import type { ReadCache } from '../db/read-cache.js';
import { appendEvent } from '../ledger/append.js';
import type { LedgerKeyring } from '../ledger/keys.js';
import { type AuthzDecision, cedarAuthorizer } from '../authz/cedar.js';
import type { Telemetry } from '../telemetry/runtime.js';

export interface Actor {
  userId: string;
  userName: string;
  tokenId: string;
  /** Org name -> role, for every org the user belongs to. */
  memberships: Map<string, { orgId: string; role: Role }>;
  /** Per-model roles (docs/authorization.md): "org/model" -> role. */
  modelRoles: Map<string, ModelRole>;
  /** The token was issued for CI (`steward tokens create --ci`). */
  tokenCi: boolean;
  /** The scopes the token is narrowed to; all of them when it is not narrowed. */
  tokenScopes: readonly TokenScope[];
  /** "org/model" names the token is narrowed to; null: any model. */
  tokenModels: readonly string[] | null;
  /**
   * Authorization decisions already made for this actor (filled by `decide`). An actor is rebuilt
   * after any write, so these never outlive a role change; a field rather than a WeakMap entry,
   * which on uncached (Postgres) requests would add one ephemeron per request (ADR 0010).
   */
  decisions?: Map<string, AuthzDecision>;
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
  /** Webhook dispatch (ADR 0014); `audit` wakes it, so committed events go out promptly. */
  webhooks: { wake(): void };
  /** The ledger's checkpoint signing keys. */
  ledger: LedgerKeyring;
  /** The server master key (AES-256): encrypts private keys at rest (ledger keys, org signing keys). */
  masterKey: Buffer;
  /** Derived-read cache, invalidated by any write; null when other processes may write (Postgres). */
  cache: ReadCache | null;
  /** Telemetry aggregation (ADR 0021). */
  telemetry: Telemetry;
  /** Alert evaluation; `wake` after telemetry is flushed. */
  alerts: { wake(): void };
}

/** What every service verb receives: dependencies, the authenticated actor, and the request id. */
export interface ServiceContext extends Deps {
  actor: Actor;
  requestId: string;
  /** The client's address as the server saw it (recorded in audit events). */
  clientAddress: string | null;
  /** The request's logger (authorization denials are logged here). */
  log?: { info(obj: object, msg?: string): void };
}

/**
 * A request's context, built field by field: `{ ...deps, actor, ... }` made V8 define each request
 * field through its slow path on every request (about 6% of a cached read's CPU; docs/benchmarks.md).
 */
export function requestContext(deps: Deps, req: { actor: Actor; requestId: string; clientAddress: string | null; log?: ServiceContext['log'] }): ServiceContext {
  return {
    db: deps.db,
    dbKind: deps.dbKind,
    blobs: deps.blobs,
    config: deps.config,
    now: deps.now,
    events: deps.events,
    scans: deps.scans,
    webhooks: deps.webhooks,
    ledger: deps.ledger,
    masterKey: deps.masterKey,
    cache: deps.cache,
    telemetry: deps.telemetry,
    alerts: deps.alerts,
    actor: req.actor,
    requestId: req.requestId,
    clientAddress: req.clientAddress,
    log: req.log,
  };
}

export interface OrgScope {
  orgId: string;
  orgName: string;
  role: Role;
}

/** What an authorization is about within the org: one model (by name), or one ring of one model. */
export interface AuthzResource {
  model?: string | undefined;
  ring?: string | undefined;
}

/**
 * Asks the Cedar policies (packages/server/authz/, ADR 0015) whether the actor may do `permission`
 * in the org, on the model (and ring) when given. Nothing is thrown or logged.
 */
export function decide(ctx: ServiceContext, orgName: string, permission: Permission, resource: AuthzResource = {}): AuthzDecision | null {
  const m = ctx.actor.memberships.get(orgName);
  if (!m) return null;
  const a = ctx.actor;
  const memo = (a.decisions ??= new Map());
  const key = `${permission}\u0000${orgName}\u0000${resource.model ?? ''}\u0000${resource.ring ?? ''}\u0000${resource.model === undefined ? 0 : 1}${resource.ring === undefined ? 0 : 1}`;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const d = decideUncached(a, m, orgName, permission, resource);
  if (memo.size < 1_000) memo.set(key, d);
  return d;
}

function decideUncached(a: Actor, m: { orgId: string; role: Role }, orgName: string, permission: Permission, resource: AuthzResource): AuthzDecision {
  let pushesModels = false;
  for (const key of a.modelRoles.keys()) if (key.startsWith(`${orgName}/`)) pushesModels = true;
  const prefix = `${orgName}/`;
  return cedarAuthorizer().decide({
    action: permission,
    org: { id: m.orgId, name: orgName },
    user: { id: a.userId, name: a.userName, role: m.role, pushesModels },
    modelRole: resource.model === undefined ? null : (a.modelRoles.get(`${orgName}/${resource.model}`) ?? null),
    resource: resource.model === undefined ? {} : resource,
    token: { id: a.tokenId, ci: a.tokenCi, scopes: a.tokenScopes, models: a.tokenModels === null ? null : a.tokenModels.filter((x) => x.startsWith(prefix)).map((x) => x.slice(prefix.length)) },
  });
}

/** Whether the actor may do `permission` (for verbs that widen or filter what they show). */
export function can(ctx: ServiceContext, orgName: string, permission: Permission, resource?: AuthzResource): boolean {
  return decide(ctx, orgName, permission, resource)?.decision === 'allow';
}

/**
 * Resolves the org named in the request and asks the Cedar policies whether the actor may do
 * `permission` there (on `resource.model`, and `resource.ring` of it, when given). A user who is not
 * a member gets not_found rather than forbidden, so org names do not leak; a member who may not gets
 * forbidden, with the decision (action, resource, deciding policies) in the details. Every denial
 * is logged on the request's logger.
 */
export function authorize(ctx: ServiceContext, orgName: string, permission: Permission, resource?: AuthzResource): OrgScope {
  const m = ctx.actor.memberships.get(orgName);
  if (!m) {
    ctx.log?.info({ authz: { decision: 'deny', action: permission, org: orgName, user: ctx.actor.userName, reason: 'not a member of the org' } }, 'authorization denied');
    throw new StewardError('not_found', `org "${orgName}" not found`);
  }
  const d = decide(ctx, orgName, permission, resource)!;
  if (d.decision !== 'allow') {
    ctx.log?.info({ authz: { ...d, user: ctx.actor.userName, role: m.role, token: ctx.actor.tokenId } }, 'authorization denied');
    const on = d.target.ring !== undefined ? ` on ring "${d.target.ring}" of model "${d.target.model}"` : d.target.model !== undefined ? ` on model "${d.target.model}"` : '';
    const why = d.policies.length > 0 ? ` (${d.reason})` : '';
    throw new StewardError('forbidden', `role "${m.role}" in org "${orgName}" may not ${permission.replace('.', ' ')}${on}${why}`, {
      permission,
      role: m.role,
      decision: { decision: d.decision, action: d.action, resource: d.resource, target: d.target, policies: d.policies, reason: d.reason },
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
  /** "org/name" of the model concerned; defaults to `details.model` when that is a string. */
  model?: string | null;
  /** The change: after-state, and before-state where something was replaced. */
  details?: Record<string, unknown>;
}

/** Who and where an audit event comes from: a request's context, or the server itself (`deps`). */
export interface AuditContext {
  config: Pick<ServerConfig, 'ledgerName'>;
  now: () => Date;
  actor?: Actor | null;
  requestId?: string | null;
  clientAddress?: string | null;
  /** Nudged after each append (the dispatcher reads only committed events; polling covers the rest). */
  webhooks?: { wake(): void };
}

/**
 * Appends the audit event to the org's ledger inside the mutation's transaction: if it cannot be
 * written, the change rolls back. Given the database rather than a transaction, it opens its own.
 */
export async function audit(trx: Tx | Kysely<DB>, ctx: AuditContext, event: AuditInput, at?: string): Promise<void> {
  const details = event.details ?? {};
  const append = (t: Tx) =>
    appendEvent(t, ctx.config.ledgerName, {
      orgId: event.orgId,
      at: at ?? ctx.now().toISOString(),
      actor: ctx.actor ? { userId: ctx.actor.userId, userName: ctx.actor.userName, tokenId: ctx.actor.tokenId } : null,
      action: event.action,
      targetType: event.targetType,
      targetId: event.targetId,
      model: event.model ?? (typeof details.model === 'string' ? details.model : null),
      details,
      requestId: ctx.requestId ?? null,
      clientAddress: ctx.clientAddress ?? null,
    });
  if (trx.isTransaction) await append(trx as Tx);
  else await trx.transaction().execute(append);
  ctx.webhooks?.wake();
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
