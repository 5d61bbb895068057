// Committed migrations are never edited; add a new file instead.
import { sql, type Kysely } from 'kysely';
import { isSqlite } from '../dialect.js';

/**
 * Production monitoring (issue 14, ADR 0021).
 *
 * - deployments: a (version, ring, environment) serving traffic, registered or implied by the ring
 *   pointer when telemetry names only the ring; telemetry claiming a ring the version is not in is
 *   counted on the deployment (flagged_points).
 * - telemetry_buckets: per deployment, granularity (m, h, d), bucket start and series (a feature,
 *   the output, latency, a score, the window's counters), one mergeable sketch or counter record.
 *   Never raw rows: storage grows with time and series, not with volume.
 * - telemetry_pending_labels: predictions waiting for a label that arrives later (joined by
 *   request id), capped per deployment and dropped after the join window.
 * - telemetry_samples: a capped reservoir of raw records per deployment, for inspection.
 * - dataset_profiles: the sketches of a dataset version (`steward profile`), a drift reference.
 * - alerts: one row per (alert rule, deployment): its lifecycle state, the figures that last
 *   decided it, acknowledgement and silence.
 * - incidents: opened by an alert rule's `incident` action.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const blob = isSqlite(db) ? 'blob' : sql`bytea`;
  await db.schema
    .createTable('deployments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
    .addColumn('version_id', 'text', (c) => c.notNull().references('model_versions.id'))
    .addColumn('ring_id', 'text', (c) => c.notNull().references('rings.id'))
    .addColumn('environment', 'text', (c) => c.notNull())
    // registered (steward deploy) | implied (telemetry named the ring; the version was its pointer)
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    // JSON: { kind: "dataset", dataset, datasetId } | { kind: "baseline", from, to } | null (default reference)
    .addColumn('reference_json', 'text')
    .addColumn('last_seen_at', 'text')
    .addColumn('flagged_points', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_flag', 'text')
    .addColumn('sample_seen', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('deployments_identity').unique().on('deployments').columns(['model_id', 'version_id', 'ring_id', 'environment']).execute();
  await db.schema.createIndex('deployments_org').on('deployments').columns(['org_id']).execute();

  await db.schema
    .createTable('telemetry_buckets')
    .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id'))
    // m | h | d
    .addColumn('granularity', 'text', (c) => c.notNull())
    .addColumn('bucket_start', 'text', (c) => c.notNull())
    .addColumn('series', 'text', (c) => c.notNull())
    // numeric (KLL) | categorical (frequency) | histogram (OTLP explicit buckets) | stats (JSON counters)
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('data', blob, (c) => c.notNull())
    .addPrimaryKeyConstraint('telemetry_buckets_pk', ['deployment_id', 'granularity', 'bucket_start', 'series'])
    .execute();

  await db.schema
    .createTable('telemetry_pending_labels')
    .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id'))
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('predicted_at', 'text', (c) => c.notNull())
    .addColumn('output', 'text', (c) => c.notNull())
    .addColumn('group_value', 'text')
    .addPrimaryKeyConstraint('telemetry_pending_labels_pk', ['deployment_id', 'request_id'])
    .execute();
  await db.schema.createIndex('telemetry_pending_labels_age').on('telemetry_pending_labels').columns(['deployment_id', 'predicted_at']).execute();

  await db.schema
    .createTable('telemetry_samples')
    .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id'))
    .addColumn('slot', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('record_json', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('telemetry_samples_pk', ['deployment_id', 'slot'])
    .execute();

  await db.schema
    .createTable('dataset_profiles')
    .addColumn('dataset_id', 'text', (c) => c.primaryKey().references('datasets.id'))
    .addColumn('rows', 'integer', (c) => c.notNull())
    // JSON: { features: { NAME: { kind, count, sketch (base64) } } }
    .addColumn('profile_json', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('attached_at', 'text', (c) => c.notNull())
    .addColumn('attached_by', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id'))
    // normal | pending | firing | nodata | error
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('state_since', 'text', (c) => c.notNull())
    .addColumn('pending_since', 'text')
    .addColumn('fired_at', 'text')
    .addColumn('resolved_at', 'text')
    .addColumn('evaluated_at', 'text', (c) => c.notNull())
    // The figures and the outcome of the evaluation that last changed the state.
    .addColumn('figures_json', 'text', (c) => c.notNull())
    .addColumn('policy_set_digest', 'text', (c) => c.notNull())
    .addColumn('blocks_promotion', 'integer', (c) => c.notNull())
    .addColumn('acked_at', 'text')
    .addColumn('acked_by', 'text')
    .addColumn('silenced_until', 'text')
    .addColumn('silenced_by', 'text')
    .addColumn('silence_reason', 'text')
    .execute();
  await db.schema.createIndex('alerts_instance').unique().on('alerts').columns(['org_id', 'rule_id', 'deployment_id']).execute();

  await db.schema
    .createTable('incidents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    // open | resolved
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('opened_by', 'text', (c) => c.notNull())
    .addColumn('alert_id', 'text')
    .addColumn('deployment_id', 'text')
    .addColumn('details_json', 'text', (c) => c.notNull())
    .execute();

  // Webhook bodies for chat and paging receivers (steward | slack | pagerduty); a PagerDuty
  // subscription's routing key is sealed under the master key like its secret.
  await db.schema.alterTable('webhook_subscriptions').addColumn('format', 'text', (c) => c.notNull().defaultTo('steward')).execute();
  await db.schema.alterTable('webhook_subscriptions').addColumn('routing_key_enc', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('webhook_subscriptions').dropColumn('routing_key_enc').execute();
  await db.schema.alterTable('webhook_subscriptions').dropColumn('format').execute();
  for (const t of ['incidents', 'alerts', 'dataset_profiles', 'telemetry_samples', 'telemetry_pending_labels', 'telemetry_buckets', 'deployments']) await db.schema.dropTable(t).execute();
}
