// Committed migrations are never edited; add a new file instead.
import type { Kysely } from 'kysely';

/**
 * Access control with Cedar (ADR 0015).
 *
 * - model_role_grants: per-model roles (owner | maintainer | contributor), one per user and model,
 *   with who granted it and when. The creator of a model is granted owner by its first push.
 * - api_tokens gain restrictions: `scopes_json` (null: every scope; else a JSON array of
 *   read|write|review|admin), `models_json` (null: any model; else a JSON array of "org/name"),
 *   and `ci` (1 for tokens issued to CI pipelines).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('model_role_grants')
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('granted_by', 'text', (c) => c.notNull())
    .addColumn('granted_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_role_grants_pk', ['model_id', 'user_id'])
    .execute();
  await db.schema.createIndex('model_role_grants_user_idx').on('model_role_grants').columns(['user_id']).execute();

  await db.schema.alterTable('api_tokens').addColumn('scopes_json', 'text').execute();
  await db.schema.alterTable('api_tokens').addColumn('models_json', 'text').execute();
  await db.schema.alterTable('api_tokens').addColumn('ci', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(): Promise<void> {
  throw new Error('Steward migrations are forward-only');
}
