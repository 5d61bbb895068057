// Committed migrations are never edited; add a new file instead.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('scan_reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('version_id', 'text', (c) => c.notNull().references('model_versions.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('verdict', 'text')
    .addColumn('summary_json', 'text')
    .addColumn('report_json', 'text')
    .addColumn('allowlist_json', 'text', (c) => c.notNull())
    .addColumn('scanner_version', 'text')
    .addColumn('error', 'text')
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('scan_reports_version_idx').on('scan_reports').columns(['version_id', 'requested_at']).execute();
  await db.schema.createIndex('scan_reports_status_idx').on('scan_reports').column('status').execute();
  await db.schema
    .createTable('scanner_allowlist')
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('entry', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('added_by', 'text', (c) => c.notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('scanner_allowlist_pk', ['org_id', 'entry'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Steward migrations are forward-only');
}
