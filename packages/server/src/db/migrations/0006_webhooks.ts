// Committed migrations are never edited; add a new file instead.
import { type Kysely, sql } from 'kysely';

/**
 * Webhooks (ADR 0014): the audit ledger is the outbox.
 *
 * - webhook_subscriptions: per org, a URL, event filters and a signing secret (AES-256-GCM under
 *   the master key, like ledger keys). `after_index` is the org log's index of the subscription's
 *   own creation event: it receives events after it, never older ones the dispatcher had not reached.
 * - webhook_cursors: per org log, the next leaf index the dispatcher has not matched yet.
 * - webhook_deliveries: one event for one subscription (or a replay of one); the queue the worker
 *   claims from (pending/delivering rows by next_attempt_at, which is also a delivering row's lease).
 * - webhook_attempts: every HTTP attempt of a delivery, with its outcome.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhook_subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('events_json', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    // base64 of iv (12) || tag (16) || ciphertext; the AAD names the subscription.
    .addColumn('secret_enc', 'text', (c) => c.notNull())
    // During a rotation's grace period deliveries carry a second signature with the old secret.
    .addColumn('previous_secret_enc', 'text')
    .addColumn('previous_secret_expires_at', 'text')
    .addColumn('secret_rotated_at', 'text')
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('after_index', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('removed_at', 'text')
    .addColumn('removed_by', 'text')
    .execute();
  await db.schema.createIndex('webhook_subscriptions_org_idx').on('webhook_subscriptions').columns(['org_id', 'created_at']).execute();

  await db.schema
    .createTable('webhook_cursors')
    .addColumn('log_id', 'text', (c) => c.primaryKey())
    .addColumn('next_index', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('subscription_id', 'text', (c) => c.notNull().references('webhook_subscriptions.id'))
    .addColumn('audit_seq', 'bigint', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    // The exact JSON body signed and sent (the same bytes on every attempt).
    .addColumn('payload', 'text', (c) => c.notNull())
    // pending | delivering | succeeded | failed | dead
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'text')
    // Set when a worker claims the row; its result is recorded only while the claim is still its own.
    .addColumn('claim_id', 'text')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('last_duration_ms', 'integer')
    .addColumn('replay_of', 'text', (c) => c.references('webhook_deliveries.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_deliveries_due_idx').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('webhook_deliveries_org_idx').on('webhook_deliveries').columns(['org_id', 'created_at', 'id']).execute();
  // One delivery per event and subscription, so a dispatcher pass that is repeated enqueues nothing twice; replays are extra rows.
  await db.schema
    .createIndex('webhook_deliveries_event_uq')
    .on('webhook_deliveries')
    .columns(['subscription_id', 'audit_seq'])
    .unique()
    .where(sql.ref('replay_of'), 'is', null)
    .execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('delivery_id', 'text', (c) => c.notNull().references('webhook_deliveries.id'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    // succeeded | retry | failed | dead
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('response_excerpt', 'text')
    .addPrimaryKeyConstraint('webhook_attempts_pk', ['delivery_id', 'attempt'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Steward migrations are forward-only');
}
