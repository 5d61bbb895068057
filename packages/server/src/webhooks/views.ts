/** Rows to API shapes, and lookups the webhook verbs share. */
import crypto from 'node:crypto';
import type { Insertable, Kysely, Selectable } from 'kysely';
import { type DeliveryStatus, StewardError, type Webhook, type WebhookDelivery } from '@steward/domain';
import type { DB, WebhookDeliveriesTable, WebhookSubscriptionsTable } from '../db/schema.js';
import type { Tx } from '../services/context.js';

type Db = Kysely<DB> | Tx;
type SubscriptionRow = Selectable<WebhookSubscriptionsTable>;

export async function findSubscription(db: Db, orgId: string, id: string): Promise<SubscriptionRow> {
  const row = await db.selectFrom('webhook_subscriptions').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  if (!row) throw new StewardError('not_found', `webhook ${id} not found`);
  return row;
}

export function webhookView(row: SubscriptionRow, org: string): Webhook {
  return {
    id: row.id,
    org,
    url: row.url,
    events: JSON.parse(row.events_json) as string[],
    description: row.description,
    state: row.removed_at ? 'removed' : row.active ? 'active' : 'inactive',
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
    secretRotatedAt: row.secret_rotated_at,
    previousSecretExpiresAt: row.previous_secret_enc ? row.previous_secret_expires_at : null,
    removedAt: row.removed_at,
    format: row.format as Webhook['format'],
  };
}

export function deliveryView(row: Selectable<WebhookDeliveriesTable>): WebhookDelivery {
  const status = row.status as DeliveryStatus;
  return {
    id: row.id,
    webhookId: row.subscription_id,
    eventId: Number(row.audit_seq),
    eventType: row.event_type,
    status,
    attempts: row.attempts,
    nextAttemptAt: status === 'pending' || status === 'delivering' ? row.next_attempt_at : null,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    lastDurationMs: row.last_duration_ms,
    replayOf: row.replay_of,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * The event the caller's transaction just appended to the org's log (the last leaf: on Postgres
 * the transaction holds the log's head row, on SQLite the only writer).
 */
export async function lastAppendedEvent(trx: Tx, orgId: string): Promise<{ seq: number; index: number; entry: string }> {
  const row = await trx
    .selectFrom('audit_events')
    .select(['seq', 'leaf_index', 'entry'])
    .where('log_id', '=', orgId)
    .orderBy('leaf_index', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  if (row.entry === null || row.leaf_index === null) throw new Error('webhooks: the event just appended has no ledger entry');
  return { seq: Number(row.seq), index: Number(row.leaf_index), entry: row.entry };
}

/**
 * What the ledger records about a URL: its origin and a digest, not the URL itself, whose path or
 * query may carry a receiver's own token (chat webhooks do) and the ledger is never rewritten.
 */
export function urlForAudit(url: string): { urlOrigin: string; urlSha256: string } {
  return { urlOrigin: new URL(url).origin, urlSha256: crypto.createHash('sha256').update(url).digest('hex') };
}

/** A delivery row waiting for its first attempt (enqueued by the dispatcher, a ping or a replay). */
export function pendingDelivery(d: { id: string; orgId: string; subscriptionId: string; auditSeq: Insertable<WebhookDeliveriesTable>['audit_seq']; eventType: string; payload: string; replayOf?: string | null; now: string }): Insertable<WebhookDeliveriesTable> {
  return {
    id: d.id,
    org_id: d.orgId,
    subscription_id: d.subscriptionId,
    audit_seq: d.auditSeq,
    event_type: d.eventType,
    payload: d.payload,
    status: 'pending',
    attempts: 0,
    next_attempt_at: d.now,
    claim_id: null,
    last_status_code: null,
    last_error: null,
    last_duration_ms: null,
    replay_of: d.replayOf ?? null,
    created_at: d.now,
    updated_at: d.now,
  };
}
