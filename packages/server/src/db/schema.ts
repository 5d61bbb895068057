/** Kysely table types. Times are ISO-8601 UTC strings (same text on SQLite and Postgres); JSON is stored as text. */
import type { Generated } from 'kysely';

export interface OrgsTable { id: string; name: string; created_at: string }
export interface UsersTable { id: string; name: string; created_at: string; disabled_at: string | null }
export interface OrgMembersTable { org_id: string; user_id: string; role: string; created_at: string }
export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  /** JSON array of token scopes (read|write|review|admin); null: not narrowed (0008). */
  scopes_json: string | null;
  /** JSON array of "org/name" models the token is narrowed to; null: any model (0008). */
  models_json: string | null;
  /** 1 for tokens issued to CI pipelines (0008). */
  ci: Generated<number>;
}
export interface ModelsTable {
  id: string;
  org_id: string;
  name: string;
  description: string;
  risk_tier: string | null;
  owners_json: string;
  tags_json: string;
  created_at: string;
  created_by: string;
}
/** Per-model roles (0008): owner > maintainer > contributor, one per user and model. */
export interface ModelRoleGrantsTable { org_id: string; model_id: string; user_id: string; role: string; granted_by: string; granted_at: string }
export interface ModelVersionsTable {
  id: string;
  model_id: string;
  version: string;
  manifest_digest: string;
  manifest_json: string;
  file_count: number;
  total_size: number;
  source_repo: string | null;
  source_commit: string | null;
  base_version_id: string | null;
  card_json: string | null;
  created_at: string;
  created_by: string;
  /** When the training code's commit was made (0009); lead time to production starts here. */
  source_commit_at?: string | null;
}
export interface VersionFilesTable { version_id: string; path: string; size: number; sha256: string }
/** Which org has proven it holds a blob's bytes (uploaded them). Never shared across orgs. */
export interface BlobPossessionsTable { org_id: string; digest: string; size: number; created_at: string }
export interface DatasetsTable {
  id: string;
  org_id: string;
  name: string;
  version: string;
  source_uri: string;
  license: string;
  transform_script_name: string | null;
  transform_script_sha256: string | null;
  transform_script_size: number | null;
  approved_by_user_id: string | null;
  sensitivity: string;
  digest: string | null;
  description: string;
  created_at: string;
  created_by: string;
}
export interface VersionDatasetsTable { version_id: string; dataset_id: string; relation: string }
export interface RingsTable { id: string; org_id: string; name: string; position: number }
export interface RingHistoryTable {
  seq: Generated<number>;
  model_id: string;
  ring_id: string;
  version_id: string | null;
  previous_version_id: string | null;
  kind: string;
  moved_at: string;
  moved_by: string;
  reason: string | null;
}
export interface AuditEventsTable {
  seq: Generated<number>;
  org_id: string | null;
  actor_user_id: string | null;
  actor_name: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  at: string;
  details_json: string;
  request_id: string | null;
  /** Ledger columns (0003): the log the event is a leaf of, its position, and the canonical leaf text. */
  log_id: string | null;
  leaf_index: number | string | null;
  entry: string | null;
  /** "org/name" when the event concerns a model (search index). */
  model: string | null;
  token_id: string | null;
  client_address: string | null;
}

export interface LedgerLogsTable {
  log_id: string;
  origin: string;
  size: number | string;
  frontier_json: string;
  updated_at: string;
}
export interface LedgerNodesTable {
  log_id: string;
  level: number;
  idx: number | string;
  hash: string;
}
export interface LedgerCheckpointsTable {
  log_id: string;
  size: number | string;
  root_hash: string;
  note: string;
  key_id: string;
  created_at: string;
}
export interface LedgerKeysTable {
  key_id: string;
  name: string;
  verifier_key: string;
  private_key_enc: string;
  created_at: string;
  retired_at: string | null;
  endorsement: string | null;
}

/** One scan of one version (pending -> running -> done|failed); rescans add rows, the newest is current. */
export interface ScanReportsTable {
  id: string;
  version_id: string;
  status: string;
  trigger: string;
  verdict: string | null;
  summary_json: string | null;
  report_json: string | null;
  /** The org allowlist entries the scan used, so a report says what it was judged against. */
  allowlist_json: string;
  scanner_version: string | null;
  error: string | null;
  requested_at: string;
  requested_by: string;
  started_at: string | null;
  finished_at: string | null;
}
export interface ScannerAllowlistTable { org_id: string; entry: string; reason: string; added_by: string; added_at: string }

export interface PolicySetsTable {
  id: string;
  org_id: string;
  digest: string;
  files_json: string;
  policy_count: number;
  rule_count: number;
  /** Parameter overrides, `{ policy: { param: value } }` (0007). */
  params_json: string;
  created_at: string;
  created_by: string;
}
export interface PolicySetPushesTable { seq: Generated<number>; org_id: string; policy_set_id: string; pushed_at: string; pushed_by: string; comment: string | null }
export interface PolicyEvaluationsTable {
  id: string;
  org_id: string;
  version_id: string;
  policy_set_id: string;
  policy_set_digest: string;
  trigger: string;
  ring: string | null;
  outcome: string;
  counts_json: string;
  results_json: string;
  record_digest: string;
  evaluated_at: string;
  evaluated_by: string;
}
export interface PolicyWaiversTable {
  id: string;
  org_id: string;
  version_id: string;
  rule_id: string;
  reason: string;
  approver: string;
  expires: string;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
  revoked_by: string | null;
}
export interface DatasetPiiReportsTable { id: string; dataset_id: string; counts_json: string; report_json: string; created_at: string; created_by: string }
export interface CheckRunsTable {
  id: string;
  org_id: string;
  model: string;
  version: string | null;
  outcome: string;
  policy_set_digest: string;
  counts_json: string;
  failures_json: string;
  source_repo: string | null;
  source_commit: string | null;
  ref: string | null;
  reported_at: string;
  reported_by: string;
}
export interface SigningKeysTable {
  id: string;
  org_id: string;
  algorithm: string;
  public_key_pem: string;
  fingerprint: string;
  private_key_enc: string;
  created_at: string;
  created_by: string;
  retired_at: string | null;
}
export interface SignaturesTable {
  id: string;
  org_id: string;
  version_id: string;
  subject: string;
  kind: string;
  source: string;
  signer: string;
  key_fingerprint: string | null;
  bundle_digest: string;
  bundle_json: string;
  status: string;
  signed_at: string | null;
  added_at: string;
  added_by: string;
  /** 0005: for certificate signatures, SHA-256 (DER, hex) of the CA certificate the chain was verified up to. */
  trust_anchor: string | null;
}
/** 0005: public keys and CA certificates an org trusts besides its own signing key. */
export interface TrustedSignersTable {
  id: string;
  org_id: string;
  kind: string;
  name: string;
  pem: string;
  fingerprint: string;
  description: string;
  created_at: string;
  created_by: string;
  removed_at: string | null;
  removed_by: string | null;
}

/** 0006 (ADR 0014): webhook subscriptions, the dispatcher's cursor per org log, deliveries and their attempts. */
export interface WebhookSubscriptionsTable {
  id: string;
  org_id: string;
  url: string;
  events_json: string;
  description: string;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_expires_at: string | null;
  secret_rotated_at: string | null;
  /** 1 or 0. */
  active: number;
  /** The org log's leaf index of the creation event: only later events are delivered. */
  after_index: number | string;
  created_at: string;
  created_by: string;
  updated_at: string;
  removed_at: string | null;
  removed_by: string | null;
  /** steward | slack | pagerduty (0010). */
  format: string;
  routing_key_enc: string | null;
}
export interface WebhookCursorsTable { log_id: string; next_index: number | string; updated_at: string }
export interface WebhookDeliveriesTable {
  id: string;
  org_id: string;
  subscription_id: string;
  audit_seq: number | string;
  event_type: string;
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  claim_id: string | null;
  last_status_code: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  replay_of: string | null;
  created_at: string;
  updated_at: string;
}
export interface WebhookAttemptsTable {
  delivery_id: string;
  attempt: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  outcome: string;
  response_excerpt: string | null;
}

export interface RingCriteriaTable {
  ring_id: string;
  required_approvals: number;
  approver_roles_json: string;
  board_approvals_json: string;
  policy_must_pass: number;
  review_deadline_hours: number | null;
  ci_only: number;
  frozen_at: string | null;
  frozen_by: string | null;
  freeze_reason: string | null;
  updated_at: string;
  updated_by: string;
}
export interface ModelFreezesTable { model_id: string; frozen_at: string; frozen_by: string; reason: string }
export interface PromotionRequestsTable {
  id: string;
  org_id: string;
  model_id: string;
  version_id: string;
  ring_id: string;
  base_version_id: string | null;
  requested_by: string;
  requested_at: string;
  reason: string;
  status: string;
  evaluation_id: string | null;
  diff_json: string | null;
  criteria_json: string;
  decided_at: string | null;
  decided_by: string | null;
  decision_reason: string | null;
  decision_evaluation_id: string | null;
  ring_seq: number | string | null;
  escalated_at: string | null;
  assigned_role: string | null;
}
export interface PromotionReviewsTable {
  id: string;
  request_id: string;
  reviewer: string;
  reviewer_role: string;
  decision: string;
  comment: string;
  created_at: string;
}

export interface DB {
  orgs: OrgsTable;
  users: UsersTable;
  org_members: OrgMembersTable;
  api_tokens: ApiTokensTable;
  models: ModelsTable;
  model_role_grants: ModelRoleGrantsTable;
  model_versions: ModelVersionsTable;
  version_files: VersionFilesTable;
  blob_possessions: BlobPossessionsTable;
  datasets: DatasetsTable;
  version_datasets: VersionDatasetsTable;
  rings: RingsTable;
  ring_history: RingHistoryTable;
  audit_events: AuditEventsTable;
  scan_reports: ScanReportsTable;
  scanner_allowlist: ScannerAllowlistTable;
  ledger_logs: LedgerLogsTable;
  ledger_nodes: LedgerNodesTable;
  ledger_checkpoints: LedgerCheckpointsTable;
  ledger_keys: LedgerKeysTable;
  policy_sets: PolicySetsTable;
  policy_set_pushes: PolicySetPushesTable;
  policy_evaluations: PolicyEvaluationsTable;
  policy_waivers: PolicyWaiversTable;
  dataset_pii_reports: DatasetPiiReportsTable;
  check_runs: CheckRunsTable;
  signing_keys: SigningKeysTable;
  signatures: SignaturesTable;
  ring_criteria: RingCriteriaTable;
  model_freezes: ModelFreezesTable;
  promotion_requests: PromotionRequestsTable;
  promotion_reviews: PromotionReviewsTable;
  trusted_signers: TrustedSignersTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_cursors: WebhookCursorsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  deployments: DeploymentsTable;
  telemetry_buckets: TelemetryBucketsTable;
  telemetry_pending_labels: TelemetryPendingLabelsTable;
  telemetry_samples: TelemetrySamplesTable;
  dataset_profiles: DatasetProfilesTable;
  alerts: AlertsTable;
  incidents: IncidentsTable;
}

/** Monitoring (0010, ADR 0021). */
export interface DeploymentsTable {
  id: string;
  org_id: string;
  model_id: string;
  version_id: string;
  ring_id: string;
  environment: string;
  source: string;
  created_at: string;
  created_by: string;
  reference_json: string | null;
  last_seen_at: string | null;
  flagged_points: number;
  last_flag: string | null;
  sample_seen: number;
}
export interface TelemetryBucketsTable { deployment_id: string; granularity: string; bucket_start: string; series: string; kind: string; data: Uint8Array }
export interface TelemetryPendingLabelsTable { deployment_id: string; request_id: string; predicted_at: string; output: string; group_value: string | null }
export interface TelemetrySamplesTable { deployment_id: string; slot: number; at: string; record_json: string }
export interface DatasetProfilesTable { dataset_id: string; rows: number; profile_json: string; sha256: string; attached_at: string; attached_by: string }
export interface AlertsTable {
  id: string;
  org_id: string;
  rule_id: string;
  deployment_id: string;
  state: string;
  severity: string;
  state_since: string;
  pending_since: string | null;
  fired_at: string | null;
  resolved_at: string | null;
  evaluated_at: string;
  figures_json: string;
  policy_set_digest: string;
  blocks_promotion: number;
  acked_at: string | null;
  acked_by: string | null;
  silenced_until: string | null;
  silenced_by: string | null;
  silence_reason: string | null;
}
export interface IncidentsTable { id: string; org_id: string; title: string; severity: string; status: string; opened_at: string; opened_by: string; alert_id: string | null; deployment_id: string | null; details_json: string }
