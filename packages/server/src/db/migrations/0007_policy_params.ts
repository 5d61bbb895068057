// Committed migrations are never edited; add a new file instead.
import type { Kysely } from 'kysely';

/**
 * Parameter overrides of a policy set (steward.yaml `policies.params`): part of its identity and
 * its digest, stored beside the files so an evaluation can be reproduced exactly.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('policy_sets').addColumn('params_json', 'text', (c) => c.notNull().defaultTo('{}')).execute();
}

export async function down(): Promise<void> {
  throw new Error('Steward migrations are forward-only');
}
