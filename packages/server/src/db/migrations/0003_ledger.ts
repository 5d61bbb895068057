// Committed migrations are never edited; add a new file instead.
import type { Kysely } from 'kysely';

/**
 * The tamper-evident ledger (ADR 0011). Each org has its own append-only Merkle log of its audit
 * events (`_system` holds events of no org); `audit_events.entry` is the canonical leaf text, and
 * the other columns are search indexes derived from it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_events').addColumn('log_id', 'text').execute();
  await db.schema.alterTable('audit_events').addColumn('leaf_index', 'bigint').execute();
  await db.schema.alterTable('audit_events').addColumn('entry', 'text').execute();
  await db.schema.alterTable('audit_events').addColumn('model', 'text').execute();
  await db.schema.alterTable('audit_events').addColumn('token_id', 'text').execute();
  await db.schema.alterTable('audit_events').addColumn('client_address', 'text').execute();
  await db.schema.createIndex('audit_events_leaf_idx').on('audit_events').columns(['log_id', 'leaf_index']).unique().execute();
  await db.schema.createIndex('audit_events_action_idx').on('audit_events').columns(['org_id', 'action', 'seq']).execute();
  await db.schema.createIndex('audit_events_model_idx').on('audit_events').columns(['org_id', 'model', 'seq']).execute();
  await db.schema.createIndex('audit_events_actor_idx').on('audit_events').columns(['org_id', 'actor_name', 'seq']).execute();

  await db.schema
    .createTable('ledger_logs')
    .addColumn('log_id', 'text', (c) => c.primaryKey())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    // The maximal complete subtrees of the current tree: all an append needs (O(log n)).
    .addColumn('frontier_json', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('ledger_nodes')
    .addColumn('log_id', 'text', (c) => c.notNull())
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('idx', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('ledger_nodes_pk', ['log_id', 'level', 'idx'])
    .execute();
  await db.schema
    .createTable('ledger_checkpoints')
    .addColumn('log_id', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('root_hash', 'text', (c) => c.notNull())
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('ledger_checkpoints_pk', ['log_id', 'size'])
    .execute();
  await db.schema
    .createTable('ledger_keys')
    .addColumn('key_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('verifier_key', 'text', (c) => c.notNull())
    // AES-256-GCM under the master key: base64 of iv (12) || tag (16) || ciphertext.
    .addColumn('private_key_enc', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('retired_at', 'text')
    // A signed note by the previous key naming this one, so a client pinned to the old key can follow a rotation.
    .addColumn('endorsement', 'text')
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Steward migrations are forward-only');
}
