// Committed migrations are never edited; add a new file instead.
import { sql, type Kysely } from 'kysely';
import { isSqlite } from '../dialect.js';

/**
 * Policy as code on the server (issue 4) and signatures (issue 7), in one migration so both
 * lanes build on one schema.
 *
 * - policy_sets: immutable content-addressed policy files; policy_set_pushes: who made which set
 *   active, when (the active set of an org is its newest push).
 * - policy_evaluations: one evaluation of one version (at push, for a ring, on request), with the
 *   digest of the policy set and of the governance record it judged.
 * - policy_waivers: an exception for one rule (or rule glob) on one version, with approver and expiry.
 * - dataset_pii_reports: `steward pii` counts attached to a dataset version (newest wins).
 * - check_runs: `steward check --report` results, so failures caught before merge can be counted.
 * - signing_keys: an org's server-held signing key (private key encrypted with the master key).
 * - signatures: OMS bundles attached to a version (model or provenance), verified on arrival.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('policy_sets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('digest', 'text', (c) => c.notNull())
    // [{ path, sha256, text }]: the exact files, so any past evaluation can be reproduced.
    .addColumn('files_json', 'text', (c) => c.notNull())
    .addColumn('policy_count', 'integer', (c) => c.notNull())
    .addColumn('rule_count', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addUniqueConstraint('policy_sets_org_digest_uq', ['org_id', 'digest'])
    .execute();
  await db.schema
    .createTable('policy_set_pushes')
    .addColumn('seq', isSqlite(db) ? 'integer' : sql`bigserial`, (c) => (isSqlite(db) ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('policy_set_id', 'text', (c) => c.notNull().references('policy_sets.id'))
    .addColumn('pushed_at', 'text', (c) => c.notNull())
    .addColumn('pushed_by', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .execute();
  await db.schema.createIndex('policy_set_pushes_org_idx').on('policy_set_pushes').columns(['org_id', 'seq']).execute();

  await db.schema
    .createTable('policy_evaluations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('version_id', 'text', (c) => c.notNull().references('model_versions.id'))
    .addColumn('policy_set_id', 'text', (c) => c.notNull().references('policy_sets.id'))
    .addColumn('policy_set_digest', 'text', (c) => c.notNull())
    // push | rescan | request | promotion
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('ring', 'text')
    // passed | failed
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('counts_json', 'text', (c) => c.notNull())
    .addColumn('results_json', 'text', (c) => c.notNull())
    .addColumn('record_digest', 'text', (c) => c.notNull())
    .addColumn('evaluated_at', 'text', (c) => c.notNull())
    .addColumn('evaluated_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('policy_evaluations_version_idx').on('policy_evaluations').columns(['version_id', 'evaluated_at']).execute();

  await db.schema
    .createTable('policy_waivers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('version_id', 'text', (c) => c.notNull().references('model_versions.id'))
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('approver', 'text', (c) => c.notNull())
    .addColumn('expires', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('revoked_by', 'text')
    .execute();
  await db.schema.createIndex('policy_waivers_version_idx').on('policy_waivers').columns(['version_id', 'created_at']).execute();

  await db.schema
    .createTable('dataset_pii_reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id'))
    // { kind: count }
    .addColumn('counts_json', 'text', (c) => c.notNull())
    // The report without values: files scanned, counts by kind and location.
    .addColumn('report_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('dataset_pii_reports_dataset_idx').on('dataset_pii_reports').columns(['dataset_id', 'created_at']).execute();

  await db.schema
    .createTable('check_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('version', 'text')
    // passed | failed
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('policy_set_digest', 'text', (c) => c.notNull())
    .addColumn('counts_json', 'text', (c) => c.notNull())
    // [{ ruleId, severity, status, message }] of the rules that did not pass
    .addColumn('failures_json', 'text', (c) => c.notNull())
    .addColumn('source_repo', 'text')
    .addColumn('source_commit', 'text')
    .addColumn('ref', 'text')
    .addColumn('reported_at', 'text', (c) => c.notNull())
    .addColumn('reported_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('check_runs_org_idx').on('check_runs').columns(['org_id', 'model', 'reported_at']).execute();

  await db.schema
    .createTable('signing_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    // ecdsa-p256 | ecdsa-p384
    .addColumn('algorithm', 'text', (c) => c.notNull())
    .addColumn('public_key_pem', 'text', (c) => c.notNull())
    // SHA-256 of the SubjectPublicKeyInfo DER, hex: the key's stable id.
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('private_key_enc', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('retired_at', 'text')
    .execute();
  await db.schema.createIndex('signing_keys_org_idx').on('signing_keys').columns(['org_id', 'created_at']).execute();

  await db.schema
    .createTable('signatures')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('version_id', 'text', (c) => c.notNull().references('model_versions.id'))
    // model | provenance
    .addColumn('subject', 'text', (c) => c.notNull())
    // key | certificate | sigstore
    .addColumn('kind', 'text', (c) => c.notNull())
    // server (org key) | uploaded
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('signer', 'text', (c) => c.notNull())
    .addColumn('key_fingerprint', 'text')
    .addColumn('bundle_digest', 'text', (c) => c.notNull())
    .addColumn('bundle_json', 'text', (c) => c.notNull())
    // valid | invalid (kept only for the record; invalid uploads are refused, so rows are valid)
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('signed_at', 'text')
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addColumn('added_by', 'text', (c) => c.notNull())
    .addUniqueConstraint('signatures_version_bundle_uq', ['version_id', 'bundle_digest'])
    .execute();
  await db.schema.createIndex('signatures_version_idx').on('signatures').columns(['version_id', 'added_at']).execute();
}

export async function down(): Promise<void> {
  throw new Error('Steward migrations are forward-only');
}
