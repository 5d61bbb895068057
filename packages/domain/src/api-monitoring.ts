/**
 * Production monitoring (issue 14, docs/monitoring.md): deployments, telemetry batches, monitored
 * figures, drift, alerts and dataset profiles. Shared by the server (validation, OpenAPI) and the CLI.
 */
import { z } from 'zod';
import { NameSchema, RingNameSchema, SemverSchema } from './names.js';
import { IsoDateSchema } from './api.js';

export const EnvironmentNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be lowercase letters, digits, ".", "_", "-" (at most 63)');

/** Feature, score and series names: what a dashboard and a CEL condition can spell. */
export const FeatureNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/, 'must start with a letter or "_" and use letters, digits, "_", ".", "-" (at most 128)');

const FeatureValueSchema = z.union([z.number(), z.string().max(1024), z.boolean(), z.null()]);

/** One prediction: what a serving process knows when it answers, and optionally its label later. */
export const TelemetryRecordSchema = z
  .object({
    requestId: z.string().min(1).max(200).optional().describe('Joins a label sent later to this prediction'),
    time: z.string().optional().describe('ISO-8601 time of the prediction; default: when received'),
    features: z.record(FeatureNameSchema, FeatureValueSchema).optional().describe('Input features: numbers are numeric, strings and booleans categorical, null missing'),
    output: z.union([z.number(), z.string().max(1024), z.boolean()]).optional().describe('The prediction (class or value)'),
    label: z.union([z.number(), z.string().max(1024), z.boolean()]).optional().describe('The true label, here or in a later record with the same requestId'),
    scores: z.record(FeatureNameSchema, z.number()).optional().describe('Evaluator scores of the output, e.g. toxicity in [0, 1]'),
    group: z.string().max(200).optional().describe('Group attribute value for fairness figures'),
    latencyMs: z.number().min(0).optional(),
    gpuMemoryMb: z.number().min(0).optional(),
    tokens: z.object({ input: z.number().int().min(0).optional(), output: z.number().int().min(0).optional() }).strict().optional(),
    error: z.boolean().optional().describe('The request failed'),
  })
  .strict();
export type TelemetryRecord = z.infer<typeof TelemetryRecordSchema>;

const batchFields = {
  ring: RingNameSchema,
  environment: EnvironmentNameSchema.default('production'),
  version: SemverSchema.optional().describe('The version serving; default: the version the ring points at now'),
};

/** The documented batch (OpenAPI, the CLI). */
export const TelemetryBatchSchema = z.object({ ...batchFields, records: z.array(TelemetryRecordSchema).min(1, 'a batch needs at least one record') }).strict();

/**
 * What the server validates with zod per request: the envelope. Its records are checked by
 * checkTelemetryRecords, which accepts exactly what TelemetryRecordSchema accepts (a test holds them
 * together) at a sixth of zod's cost on the ingest path, and asks zod to word the error of the first
 * record it refuses.
 */
export const TelemetryBatchEnvelopeSchema = z.object({ ...batchFields, records: z.array(z.unknown()).min(1, 'a batch needs at least one record') }).strict();

const FEATURE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
const RECORD_KEYS = new Set(['requestId', 'time', 'features', 'output', 'label', 'scores', 'group', 'latencyMs', 'gpuMemoryMb', 'tokens', 'error']);

/** As zod's object and record checks: a plain object (JSON.parse makes only these). */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isClassValue(v: unknown): boolean {
  return isFiniteNumber(v) || typeof v === 'boolean' || (typeof v === 'string' && v.length <= 1024);
}

function isCount(v: unknown): boolean {
  return v === undefined || (Number.isSafeInteger(v) && (v as number) >= 0);
}

/** The fast check of one record parsed from JSON: the same acceptance as TelemetryRecordSchema, without building issues. */
export function isTelemetryRecord(r: unknown): r is TelemetryRecord {
  if (!isPlainObject(r)) return false;
  for (const k of Object.keys(r)) if (!RECORD_KEYS.has(k)) return false;
  if (r.requestId !== undefined && (typeof r.requestId !== 'string' || r.requestId.length < 1 || r.requestId.length > 200)) return false;
  if (r.time !== undefined && typeof r.time !== 'string') return false;
  if (r.features !== undefined) {
    if (!isPlainObject(r.features)) return false;
    for (const k of Object.keys(r.features)) {
      // zod's records skip a "__proto__" key (JSON.parse makes it an own one); so does ingestion.
      if (k === '__proto__') continue;
      if (!FEATURE_NAME.test(k)) return false;
      const v = r.features[k];
      if (v !== null && typeof v !== 'boolean' && !isFiniteNumber(v) && !(typeof v === 'string' && v.length <= 1024)) return false;
    }
  }
  if (r.output !== undefined && !isClassValue(r.output)) return false;
  if (r.label !== undefined && !isClassValue(r.label)) return false;
  if (r.scores !== undefined) {
    if (!isPlainObject(r.scores)) return false;
    for (const k of Object.keys(r.scores)) if (k !== '__proto__' && (!FEATURE_NAME.test(k) || !isFiniteNumber(r.scores[k]))) return false;
  }
  if (r.group !== undefined && (typeof r.group !== 'string' || r.group.length > 200)) return false;
  if (r.latencyMs !== undefined && !(isFiniteNumber(r.latencyMs) && r.latencyMs >= 0)) return false;
  if (r.gpuMemoryMb !== undefined && !(isFiniteNumber(r.gpuMemoryMb) && r.gpuMemoryMb >= 0)) return false;
  if (r.tokens !== undefined) {
    if (!isPlainObject(r.tokens)) return false;
    for (const k of Object.keys(r.tokens)) if (k !== 'input' && k !== 'output') return false;
    if (!isCount(r.tokens.input) || !isCount(r.tokens.output)) return false;
  }
  if (r.error !== undefined && typeof r.error !== 'boolean') return false;
  return true;
}

/** Checks every record; the first refused one is described by zod, with its index (`records[12].features.age: ...`). */
export function checkTelemetryRecords(records: readonly unknown[]): { ok: true; records: TelemetryRecord[] } | { ok: false; index: number; path: string; message: string } {
  for (let i = 0; i < records.length; i++) {
    if (isTelemetryRecord(records[i])) continue;
    const r = TelemetryRecordSchema.safeParse(records[i]);
    const issue = r.success ? undefined : r.error.issues[0];
    const path = ['records', i, ...(issue?.path ?? [])].map((k, j) => (typeof k === 'number' ? `[${k}]` : `${j === 0 ? '' : '.'}${String(k)}`)).join('');
    return { ok: false, index: i, path, message: issue?.message ?? 'is not a valid record' };
  }
  return { ok: true, records: records as TelemetryRecord[] };
}

export const DeploymentSchema = z.object({
  id: z.string(),
  model: z.string().describe('ORG/NAME'),
  version: z.string(),
  ring: z.string(),
  environment: z.string(),
  source: z.enum(['registered', 'implied']),
  createdAt: IsoDateSchema,
  createdBy: z.string(),
  reference: z
    .union([
      z.object({ kind: z.literal('dataset'), dataset: z.string() }),
      z.object({ kind: z.literal('baseline'), from: IsoDateSchema, to: IsoDateSchema }),
    ])
    .nullable()
    .describe('null: the version\'s evaluated_on (else trained_on) dataset profile, if any'),
  lastSeenAt: IsoDateSchema.nullable(),
  inRing: z.boolean().describe('The ring points at this version now'),
  flaggedPoints: z.number().int().describe('Telemetry points received while the version was not in the ring they claimed'),
  lastFlag: z.string().nullable(),
});
export type Deployment = z.infer<typeof DeploymentSchema>;

export const RegisterDeploymentBodySchema = z
  .object({
    version: SemverSchema,
    ring: RingNameSchema,
    environment: EnvironmentNameSchema.default('production'),
    referenceDataset: z.string().min(1).max(300).optional().describe('NAME@VERSION of a dataset with a profile'),
    baselineFrom: IsoDateSchema.optional(),
    baselineTo: IsoDateSchema.optional(),
  })
  .strict()
  .refine((b) => (b.baselineFrom === undefined) === (b.baselineTo === undefined), { message: 'give both baselineFrom and baselineTo', path: ['baselineFrom'] })
  .refine((b) => !(b.referenceDataset && b.baselineFrom), { message: 'choose a reference dataset or a baseline window, not both', path: ['referenceDataset'] });

export const IngestResultSchema = z.object({
  accepted: z.number().int(),
  labelsJoined: z.number().int(),
  deployment: DeploymentSchema,
  flagged: z.boolean().describe('The version is not in the ring the batch claims'),
  warnings: z.array(z.string()),
});

export const OtlpIngestResultSchema = z.object({
  partialSuccess: z.object({ rejectedDataPoints: z.number().int().optional(), errorMessage: z.string().optional() }).optional(),
});

export const TelemetrySamplesSchema = z.object({
  deployment: DeploymentSchema,
  seen: z.number().int().describe('Records the reservoir has sampled from'),
  items: z.array(z.object({ at: IsoDateSchema, record: z.record(z.string(), z.unknown()) })),
});

export const MonitorQuerySchema = z.object({
  ring: RingNameSchema.optional(),
  environment: EnvironmentNameSchema.optional(),
  version: SemverSchema.optional(),
  since: IsoDateSchema.optional().describe('Window start (default: one hour before `until`)'),
  until: IsoDateSchema.optional().describe('Window end (default: now)'),
  window: z.string().regex(/^\d+[smhd]$/).optional().describe('Window length instead of since, e.g. 15m, 24h, 30d'),
  points: z.coerce.number().int().min(0).max(200).default(24).describe('Points of each trend series'),
  toxicityThreshold: z.coerce.number().min(0).max(1).default(0.5),
  positiveLabel: z.string().min(1).max(200).default('1'),
});

const FigureSchema = z.record(z.string(), z.unknown());

export const DriftFeatureSchema = z.object({
  feature: z.string(),
  kind: z.enum(['numeric', 'categorical']),
  method: z.string(),
  statistic: z.number().nullable().describe('null: infinite (chi-square with a category the reference never saw)'),
  pValue: z.number().nullable(),
  threshold: z.number(),
  drifted: z.boolean(),
  errorBound: z.number().nullable().describe('Absolute bound on the statistic from sketch error; 0 exact; null: unbounded'),
  nReference: z.number().int(),
  nCurrent: z.number().int(),
  trend: z.array(z.number().nullable()).describe('The statistic per sub-window, oldest first'),
});

export const DriftReportSchema = z.object({
  deployment: z.string(),
  window: z.object({ from: IsoDateSchema, to: IsoDateSchema }),
  reference: z.object({ kind: z.string(), description: z.string(), rows: z.number().int() }).nullable(),
  share: z.number().nullable(),
  driftShare: z.number(),
  drifted: z.boolean().nullable(),
  features: z.array(DriftFeatureSchema),
  output: DriftFeatureSchema.nullable(),
  computeMs: z.number(),
});
export type DriftReport = z.infer<typeof DriftReportSchema>;

export const MonitorSummarySchema = z.object({
  deployment: DeploymentSchema,
  window: z.object({ from: IsoDateSchema, to: IsoDateSchema }),
  figures: FigureSchema.describe('The figures alert conditions read (docs/monitoring.md), each with n'),
  trend: z.array(z.object({ from: IsoDateSchema, requests: z.number(), errorRate: z.number().nullable(), latencyP99: z.number().nullable(), driftShare: z.number().nullable() })),
  drift: DriftReportSchema,
  alerts: z.array(z.lazy(() => AlertSchema)),
});
export type MonitorSummary = z.infer<typeof MonitorSummarySchema>;

export const ALERT_STATES = ['normal', 'pending', 'firing', 'nodata', 'error'] as const;

export const AlertSchema = z.object({
  id: z.string(),
  rule: z.string(),
  model: z.string(),
  version: z.string(),
  ring: z.string(),
  environment: z.string(),
  state: z.enum(ALERT_STATES),
  severity: z.string(),
  stateSince: IsoDateSchema,
  pendingSince: IsoDateSchema.nullable(),
  firedAt: IsoDateSchema.nullable(),
  resolvedAt: IsoDateSchema.nullable(),
  evaluatedAt: IsoDateSchema,
  figures: z.record(z.string(), z.unknown()).describe('What the evaluation that set the state saw'),
  policySet: z.string(),
  blocksPromotion: z.boolean(),
  acknowledged: z.object({ at: IsoDateSchema, by: z.string() }).nullable(),
  silenced: z.object({ until: IsoDateSchema, by: z.string(), reason: z.string() }).nullable(),
});
export type Alert = z.infer<typeof AlertSchema>;

export const AlertListQuerySchema = z.object({
  model: NameSchema.optional(),
  state: z.enum(ALERT_STATES).optional(),
  all: z.enum(['true', 'false']).optional().describe('Include normal (resolved) instances'),
});

export const AlertParamsSchema = z.object({ org: NameSchema, alert: z.string().uuid() });
export const SilenceAlertBodySchema = z.object({ until: IsoDateSchema, reason: z.string().min(1).max(2000) }).strict();

export const IncidentSchema = z.object({
  id: z.string(),
  title: z.string(),
  severity: z.string(),
  status: z.string(),
  openedAt: IsoDateSchema,
  openedBy: z.string(),
  alert: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

/** A dataset version's profile (`steward profile`): per feature, a sketch in @steward/monitor's binary form (base64). */
export const DatasetProfileSchema = z
  .object({
    rows: z.number().int().min(1),
    features: z.record(
      FeatureNameSchema,
      z.object({ kind: z.enum(['numeric', 'categorical']), count: z.number().int().min(0), sketch: z.string().max(4_000_000).describe('base64') }).strict(),
    ),
  })
  .strict();
export type DatasetProfile = z.infer<typeof DatasetProfileSchema>;
