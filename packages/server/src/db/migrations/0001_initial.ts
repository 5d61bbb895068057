// Committed migrations are never edited; add a new file instead.
import { type Kysely, type CreateTableBuilder, sql } from 'kysely';
import { isSqlite } from '../dialect.js';

function serialPk<T extends string>(db: Kysely<unknown>, t: CreateTableBuilder<T, never>, col: string) {
  return isSqlite(db)
    ? t.addColumn(col, 'integer', (c) => c.primaryKey().autoIncrement())
    : t.addColumn(col, 'bigserial', (c) => c.primaryKey());
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('orgs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('disabled_at', 'text')
    .execute();
  await db.schema
    .createTable('org_members')
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('org_members_pk', ['org_id', 'user_id'])
    .execute();
  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('last_used_at', 'text')
    .execute();
  await db.schema
    .createTable('models')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('risk_tier', 'text')
    .addColumn('owners_json', 'text', (c) => c.notNull())
    .addColumn('tags_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addUniqueConstraint('models_org_name_uq', ['org_id', 'name'])
    .execute();
  await db.schema
    .createTable('model_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('manifest_digest', 'text', (c) => c.notNull())
    .addColumn('manifest_json', 'text', (c) => c.notNull())
    .addColumn('file_count', 'integer', (c) => c.notNull())
    .addColumn('total_size', 'bigint', (c) => c.notNull())
    .addColumn('source_repo', 'text')
    .addColumn('source_commit', 'text')
    .addColumn('base_version_id', 'text', (c) => c.references('model_versions.id'))
    .addColumn('card_json', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addUniqueConstraint('model_versions_model_version_uq', ['model_id', 'version'])
    .execute();
  await db.schema.createIndex('model_versions_base_idx').on('model_versions').column('base_version_id').execute();
  await db.schema
    .createTable('version_files')
    .addColumn('version_id', 'text', (c) => c.notNull().references('model_versions.id'))
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('version_files_pk', ['version_id', 'path'])
    .execute();
  await db.schema.createIndex('version_files_sha256_idx').on('version_files').column('sha256').execute();
  await db.schema
    .createTable('blob_possessions')
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('blob_possessions_pk', ['org_id', 'digest'])
    .execute();
  await db.schema.createIndex('blob_possessions_digest_idx').on('blob_possessions').column('digest').execute();
  await db.schema
    .createTable('datasets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('source_uri', 'text', (c) => c.notNull())
    .addColumn('license', 'text', (c) => c.notNull())
    .addColumn('transform_script_name', 'text')
    .addColumn('transform_script_sha256', 'text')
    .addColumn('transform_script_size', 'bigint')
    .addColumn('approved_by_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('sensitivity', 'text', (c) => c.notNull())
    .addColumn('digest', 'text')
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addUniqueConstraint('datasets_org_name_version_uq', ['org_id', 'name', 'version'])
    .execute();
  await db.schema
    .createTable('version_datasets')
    .addColumn('version_id', 'text', (c) => c.notNull().references('model_versions.id'))
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id'))
    .addColumn('relation', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('version_datasets_pk', ['version_id', 'dataset_id', 'relation'])
    .execute();
  await db.schema.createIndex('version_datasets_dataset_idx').on('version_datasets').column('dataset_id').execute();
  await db.schema
    .createTable('rings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addUniqueConstraint('rings_org_name_uq', ['org_id', 'name'])
    .execute();
  await serialPk(db, db.schema.createTable('ring_history'), 'seq')
    .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
    .addColumn('ring_id', 'text', (c) => c.notNull().references('rings.id'))
    .addColumn('version_id', 'text', (c) => c.references('model_versions.id'))
    .addColumn('previous_version_id', 'text', (c) => c.references('model_versions.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('moved_at', 'text', (c) => c.notNull())
    .addColumn('moved_by', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .execute();
  await db.schema.createIndex('ring_history_lookup_idx').on('ring_history').columns(['model_id', 'ring_id', 'moved_at']).execute();
  await serialPk(db, db.schema.createTable('audit_events'), 'seq')
    .addColumn('org_id', 'text')
    .addColumn('actor_user_id', 'text')
    .addColumn('actor_name', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('details_json', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .execute();
  await db.schema.createIndex('audit_events_org_idx').on('audit_events').columns(['org_id', 'seq']).execute();
  void sql;
}

export async function down(): Promise<void> {
  throw new Error('Steward migrations are forward-only');
}
