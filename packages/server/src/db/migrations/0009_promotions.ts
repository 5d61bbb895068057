// Committed migrations are never edited; add a new file instead.
import type { Kysely } from 'kysely';

/**
 * Release rings with entry criteria, promotion requests and their reviews (issue 5).
 *
 * - ring_criteria: what entering a ring takes (approvals from which roles, extra board approvals by
 *   risk tier, whether the policy must pass, review deadline, CI-only requests) and its freeze.
 * - model_freezes: a frozen model's pointers do not move in any ring.
 * - promotion_requests: a change proposal to point a ring at a version, with the policy evaluation
 *   and the diff against the ring's current version taken when it was opened, and its decision.
 * - promotion_reviews: one decision per reviewer per request (approve, reject, request changes).
 * - model_versions.source_commit_at: the training code's commit time (lead time to production).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ring_criteria')
    .addColumn('ring_id', 'text', (c) => c.primaryKey().references('rings.id'))
    .addColumn('required_approvals', 'integer', (c) => c.notNull())
    // JSON list of org roles whose approvals count
    .addColumn('approver_roles_json', 'text', (c) => c.notNull())
    // JSON { riskTier: number of governance-board approvals required on top }
    .addColumn('board_approvals_json', 'text', (c) => c.notNull())
    .addColumn('policy_must_pass', 'integer', (c) => c.notNull())
    .addColumn('review_deadline_hours', 'integer')
    .addColumn('ci_only', 'integer', (c) => c.notNull())
    .addColumn('frozen_at', 'text')
    .addColumn('frozen_by', 'text')
    .addColumn('freeze_reason', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('model_freezes')
    .addColumn('model_id', 'text', (c) => c.primaryKey().references('models.id'))
    .addColumn('frozen_at', 'text', (c) => c.notNull())
    .addColumn('frozen_by', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('promotion_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
    .addColumn('version_id', 'text', (c) => c.notNull().references('model_versions.id'))
    .addColumn('ring_id', 'text', (c) => c.notNull().references('rings.id'))
    // The version the ring pointed at when the request was opened; a move since makes it stale.
    .addColumn('base_version_id', 'text')
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    // open | promoted | rejected | changes_requested | withdrawn | stale
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('evaluation_id', 'text')
    .addColumn('diff_json', 'text')
    // The criteria in force when it was opened (JSON), so a decision says what it was judged against.
    .addColumn('criteria_json', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'text')
    .addColumn('decided_by', 'text')
    .addColumn('decision_reason', 'text')
    .addColumn('decision_evaluation_id', 'text')
    .addColumn('ring_seq', 'bigint')
    .addColumn('escalated_at', 'text')
    .addColumn('assigned_role', 'text')
    .execute();
  await db.schema.createIndex('promotion_requests_org_idx').on('promotion_requests').columns(['org_id', 'status', 'requested_at']).execute();
  await db.schema.createIndex('promotion_requests_model_idx').on('promotion_requests').columns(['model_id', 'requested_at']).execute();
  await db.schema
    .createTable('promotion_reviews')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull().references('promotion_requests.id'))
    .addColumn('reviewer', 'text', (c) => c.notNull())
    .addColumn('reviewer_role', 'text', (c) => c.notNull())
    // approve | reject | request_changes
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('comment', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('promotion_reviews_one_per_reviewer', ['request_id', 'reviewer'])
    .execute();
  await db.schema.alterTable('model_versions').addColumn('source_commit_at', 'text').execute();
}

export async function down(): Promise<void> {
  throw new Error('Steward migrations are forward-only');
}
