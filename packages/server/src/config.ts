/**
 * The one configuration schema. Built from environment variables and command-line flags at boot;
 * nothing else in the server reads process.env.
 */
import path from 'node:path';
import { z } from 'zod';
import type { BlobStoreConfig } from './blobs/types.js';

const boolish = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);

export const ServerConfigSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.coerce.number().int().min(0).max(65535).default(8080),
    dataDir: z.string().default('.steward'),
    /** `sqlite:PATH`, a bare file path, or `postgres://...`. Default: SQLite in the data dir. */
    databaseUrl: z.string().optional(),
    /** `file:DIR` (default: blobs/ in the data dir) or `s3://bucket[/prefix]`. */
    blobStore: z.string().optional(),
    s3Endpoint: z.string().url().optional(),
    s3Region: z.string().default('us-east-1'),
    s3AccessKeyId: z.string().optional(),
    s3SecretAccessKey: z.string().optional(),
    s3ForcePathStyle: boolish.default(true),
    tlsCert: z.string().optional(),
    tlsKey: z.string().optional(),
    bootstrapToken: z.string().min(32, 'STEWARD_BOOTSTRAP_TOKEN must be at least 32 characters').optional(),
    /** JSON request bodies (manifests); blob uploads have their own limit. */
    bodyLimitBytes: z.coerce.number().int().min(1024).default(32 * 1024 * 1024),
    maxBlobBytes: z.coerce.number().int().min(1).default(256 * 1024 ** 3),
    rateLimitMax: z.coerce.number().int().min(1).default(6000),
    rateLimitWindowMs: z.coerce.number().int().min(1000).default(60_000),
    gcGraceSeconds: z.coerce.number().int().min(0).default(3600),
    gcIntervalSeconds: z.coerce.number().int().min(0).default(6 * 3600),
    /** How often overdue promotion requests are escalated to the governance board; 0 turns it off. */
    escalationIntervalSeconds: z.coerce.number().int().min(0).default(300),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * 32 bytes, base64: encrypts the ledger signing keys at rest. Unset: a key file is created in
     * the data dir on first start (fine for one machine; set it explicitly for anything else).
     */
    masterKey: z
      .string()
      .refine((v) => Buffer.from(v, 'base64').length === 32 && /^[A-Za-z0-9+/]+={0,2}$/.test(v), 'STEWARD_MASTER_KEY must be 32 bytes in base64')
      .optional(),
    /** Names this server's ledger: the checkpoint key name and the prefix of every log origin. */
    ledgerName: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._\-/]{0,99}$/, 'STEWARD_LEDGER_NAME: letters, digits, ".", "_", "-", "/" only')
      .default('steward.local'),
    /** How often grown logs get a new signed checkpoint. */
    checkpointIntervalMs: z.coerce.number().int().min(10).default(1000),
    /** Webhooks (ADR 0014): how long one delivery attempt may take before it counts as failed. */
    webhookTimeoutMs: z.coerce.number().int().min(100).max(120_000).default(10_000),
    /** Attempts per delivery (the first and its retries) before it is marked dead. */
    webhookMaxAttempts: z.coerce.number().int().min(1).max(50).default(12),
    /** First retry delay; each retry doubles it (with jitter) up to webhookBackoffMaxMs. */
    webhookBackoffBaseMs: z.coerce.number().int().min(1).default(5_000),
    webhookBackoffMaxMs: z.coerce.number().int().min(1).default(6 * 3600 * 1000),
    /** How often the dispatcher and the sender look for work other server processes committed. */
    webhookPollIntervalMs: z.coerce.number().int().min(10).default(1000),
    /** Deliveries sent at once by this process. */
    webhookConcurrency: z.coerce.number().int().min(1).max(64).default(4),
    /** How long a rotated-out secret keeps signing alongside the new one. */
    webhookSecretGraceSeconds: z.coerce.number().int().min(0).default(86_400),
    /** Monitoring (ADR 0021): how often accepted telemetry is merged into the database. */
    telemetryFlushMs: z.coerce.number().int().min(10).max(60_000).default(1000),
    /** Records in one JSON telemetry batch. */
    telemetryMaxBatchRecords: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
    /** Telemetry stamped further ahead of the server's clock than this is refused. */
    telemetryMaxFutureSeconds: z.coerce.number().int().min(0).default(300),
    /** Telemetry older than this is refused (it would rewrite closed buckets). */
    telemetryMaxAgeSeconds: z.coerce.number().int().min(60).default(7 * 86_400),
    /** How long minute, hour and day buckets are kept. */
    telemetryMinuteRetentionHours: z.coerce.number().int().min(1).default(48),
    telemetryHourRetentionDays: z.coerce.number().int().min(1).default(90),
    telemetryDayRetentionDays: z.coerce.number().int().min(1).default(400),
    /** Raw records kept per deployment (a reservoir sample, for inspection); 0 keeps none. */
    telemetrySampleSize: z.coerce.number().int().min(0).max(100_000).default(200),
    /** Predictions waiting for a label: per deployment at most this many, for at most the join window. */
    telemetryPendingLabelsMax: z.coerce.number().int().min(0).default(100_000),
    telemetryLabelJoinHours: z.coerce.number().int().min(1).default(168),
    /** How often alert rules are evaluated (besides after every telemetry flush); 0 only after flushes. */
    alertEvalIntervalMs: z.coerce.number().int().min(0).default(15_000),
  })
  .refine((c) => Boolean(c.tlsCert) === Boolean(c.tlsKey), { message: 'TLS needs both a certificate and a key', path: ['tlsCert'] });

export type ServerConfigInput = z.input<typeof ServerConfigSchema>;

export interface ServerConfig extends z.output<typeof ServerConfigSchema> {
  database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };
  blobs: BlobStoreConfig;
}

/** Environment variable names for each config key, documented in docs/configuration.md. */
export const CONFIG_ENV: Record<keyof ServerConfigInput, string> = {
  host: 'STEWARD_HOST',
  port: 'STEWARD_PORT',
  dataDir: 'STEWARD_DATA_DIR',
  databaseUrl: 'STEWARD_DATABASE_URL',
  blobStore: 'STEWARD_BLOB_STORE',
  s3Endpoint: 'STEWARD_S3_ENDPOINT',
  s3Region: 'STEWARD_S3_REGION',
  s3AccessKeyId: 'STEWARD_S3_ACCESS_KEY_ID',
  s3SecretAccessKey: 'STEWARD_S3_SECRET_ACCESS_KEY',
  s3ForcePathStyle: 'STEWARD_S3_FORCE_PATH_STYLE',
  tlsCert: 'STEWARD_TLS_CERT',
  tlsKey: 'STEWARD_TLS_KEY',
  bootstrapToken: 'STEWARD_BOOTSTRAP_TOKEN',
  bodyLimitBytes: 'STEWARD_BODY_LIMIT_BYTES',
  maxBlobBytes: 'STEWARD_MAX_BLOB_BYTES',
  rateLimitMax: 'STEWARD_RATE_LIMIT_MAX',
  rateLimitWindowMs: 'STEWARD_RATE_LIMIT_WINDOW_MS',
  gcGraceSeconds: 'STEWARD_GC_GRACE_SECONDS',
  gcIntervalSeconds: 'STEWARD_GC_INTERVAL_SECONDS',
  escalationIntervalSeconds: 'STEWARD_ESCALATION_INTERVAL_SECONDS',
  logLevel: 'STEWARD_LOG_LEVEL',
  masterKey: 'STEWARD_MASTER_KEY',
  ledgerName: 'STEWARD_LEDGER_NAME',
  checkpointIntervalMs: 'STEWARD_CHECKPOINT_INTERVAL_MS',
  webhookTimeoutMs: 'STEWARD_WEBHOOK_TIMEOUT_MS',
  webhookMaxAttempts: 'STEWARD_WEBHOOK_MAX_ATTEMPTS',
  webhookBackoffBaseMs: 'STEWARD_WEBHOOK_BACKOFF_BASE_MS',
  webhookBackoffMaxMs: 'STEWARD_WEBHOOK_BACKOFF_MAX_MS',
  webhookPollIntervalMs: 'STEWARD_WEBHOOK_POLL_INTERVAL_MS',
  webhookConcurrency: 'STEWARD_WEBHOOK_CONCURRENCY',
  webhookSecretGraceSeconds: 'STEWARD_WEBHOOK_SECRET_GRACE_SECONDS',
  telemetryFlushMs: 'STEWARD_TELEMETRY_FLUSH_MS',
  telemetryMaxBatchRecords: 'STEWARD_TELEMETRY_MAX_BATCH_RECORDS',
  telemetryMaxFutureSeconds: 'STEWARD_TELEMETRY_MAX_FUTURE_SECONDS',
  telemetryMaxAgeSeconds: 'STEWARD_TELEMETRY_MAX_AGE_SECONDS',
  telemetryMinuteRetentionHours: 'STEWARD_TELEMETRY_MINUTE_RETENTION_HOURS',
  telemetryHourRetentionDays: 'STEWARD_TELEMETRY_HOUR_RETENTION_DAYS',
  telemetryDayRetentionDays: 'STEWARD_TELEMETRY_DAY_RETENTION_DAYS',
  telemetrySampleSize: 'STEWARD_TELEMETRY_SAMPLE_SIZE',
  telemetryPendingLabelsMax: 'STEWARD_TELEMETRY_PENDING_LABELS_MAX',
  telemetryLabelJoinHours: 'STEWARD_TELEMETRY_LABEL_JOIN_HOURS',
  alertEvalIntervalMs: 'STEWARD_ALERT_EVAL_INTERVAL_MS',
};

/** Flags win over environment variables, which win over defaults. */
export function loadServerConfig(env: Record<string, string | undefined>, flags: Partial<ServerConfigInput> = {}): ServerConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, envName] of Object.entries(CONFIG_ENV)) {
    const v = env[envName];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  for (const [key, v] of Object.entries(flags)) if (v !== undefined) raw[key] = v;
  const parsed = ServerConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      const envName = CONFIG_ENV[key as keyof ServerConfigInput];
      return `${key}${envName ? ` (${envName})` : ''}: ${i.message}`;
    });
    throw new Error(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const c = parsed.data;
  const dataDir = path.resolve(c.dataDir);
  return { ...c, dataDir, database: resolveDatabase(c.databaseUrl, dataDir), blobs: resolveBlobs(c, dataDir) };
}

function resolveDatabase(url: string | undefined, dataDir: string): ServerConfig['database'] {
  if (!url) return { kind: 'sqlite', file: path.join(dataDir, 'steward.db') };
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', url };
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', file: path.resolve(url.slice('sqlite:'.length)) };
  if (url.includes('://')) throw new Error(`invalid configuration:\n  databaseUrl (STEWARD_DATABASE_URL): unsupported scheme in "${url.split('://')[0]}://"; use postgres:// or sqlite:PATH`);
  return { kind: 'sqlite', file: path.resolve(url) };
}

function resolveBlobs(c: z.output<typeof ServerConfigSchema>, dataDir: string): BlobStoreConfig {
  const spec = c.blobStore;
  if (!spec) return { kind: 'local', dir: path.join(dataDir, 'blobs') };
  if (spec.startsWith('file:')) return { kind: 'local', dir: path.resolve(spec.slice('file:'.length)) };
  if (spec.startsWith('s3://')) {
    const rest = spec.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    let prefix = slash === -1 ? '' : rest.slice(slash + 1);
    if (prefix && !prefix.endsWith('/')) prefix += '/';
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new Error(`invalid configuration:\n  blobStore (STEWARD_BLOB_STORE): "${bucket}" is not a valid S3 bucket name`);
    }
    return {
      kind: 's3',
      bucket,
      prefix,
      region: c.s3Region,
      forcePathStyle: c.s3ForcePathStyle,
      spoolDir: path.join(dataDir, 'spool'),
      ...(c.s3Endpoint ? { endpoint: c.s3Endpoint } : {}),
      ...(c.s3AccessKeyId ? { accessKeyId: c.s3AccessKeyId } : {}),
      ...(c.s3SecretAccessKey ? { secretAccessKey: c.s3SecretAccessKey } : {}),
    };
  }
  throw new Error(`invalid configuration:\n  blobStore (STEWARD_BLOB_STORE): expected file:DIR or s3://bucket[/prefix], got "${spec}"`);
}
