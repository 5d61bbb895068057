/**
 * The governance record: everything a policy rule may read about one model version, in one
 * documented shape (published as docs/governance-record.schema.json).
 *
 * Conventions, so rules have one defined meaning:
 * - Field names are camelCase; every field is always present.
 * - A value that may be unknown is `null` (test it with `x != null`). Lists are empty, never null.
 * - Nested objects are never null (CEL message types cannot be null and stay type-checked); where
 *   absence matters they carry a `present` flag instead (`record.card.present`).
 * - `has(record.a.b)` is therefore true for every declared field; use `!= null` for "is known".
 */
import { RiskTierSchema, SensitivitySchema } from '@steward/domain/names';
import { z } from 'zod';
import { PII_KINDS, type PiiKind } from './pii/kinds.js';

export const RECORD_SCHEMA_VERSION = 1;

export const VerdictSchema = z.enum(['safe', 'unknown', 'inconclusive', 'unsafe']);
export type Verdict = z.infer<typeof VerdictSchema>;

export const FINDING_SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];

const count = () => z.int().min(0);

export const FindingCountsSchema = z
  .object({ critical: count(), high: count(), medium: count(), low: count(), info: count() })
  .describe('Scanner findings counted by severity, members included (an unsafe pickle import is a critical pickle.unsafe-import finding)');

export const CardSectionSchema = z
  .object({
    present: z.boolean().describe('A heading of this kind exists in the card'),
    text: z.string().nullable().describe('The section body, trimmed; null when only the section list is known (registry cards)'),
    wordCount: z.int().min(0).nullable().describe('Words in the body; null when the text is not known'),
  })
  .describe('One recognized section of the model card');

export const CardSchema = z.object({
  present: z.boolean().describe('A model card (README.md) exists'),
  path: z.string().nullable(),
  sha256: z.string().nullable(),
  intendedUse: CardSectionSchema,
  outOfScopeUse: CardSectionSchema,
  limitations: CardSectionSchema,
  trainingData: CardSectionSchema,
  evaluation: CardSectionSchema,
  ethicalConsiderations: CardSectionSchema,
  recognizedSections: z.array(z.string()).describe('Section kinds found (intended_use, limitations, ...)'),
  missingRecommendedSections: z.array(z.string()),
  license: z.string().nullable().describe('`license` from the front matter, as written'),
  licenseName: z.string().nullable(),
  licenseLink: z.string().nullable(),
  datasets: z.array(z.string()).describe('`datasets` from the front matter'),
  baseModels: z.array(z.string()).describe('`base_model` from the front matter'),
  pipelineTag: z.string().nullable(),
  libraryName: z.string().nullable(),
  eccn: z.string().nullable().describe('Export Control Classification Number: `export_control.eccn` or `eccn` in the front matter (e.g. EAR99, 4E091)'),
  parameterCount: z.int().min(0).nullable().describe('`parameter_count` (or `num_parameters`) from the front matter'),
  errors: count().describe('Card problems of severity error (unparseable front matter, wrongly typed fields)'),
  warnings: count(),
});

export const ModelInfoSchema = z.object({
  org: z.string().nullable(),
  name: z.string(),
  version: z.string().nullable(),
  ref: z.string().describe('ORG/NAME@VERSION (or NAME@VERSION, NAME when parts are unknown), for messages'),
  description: z.string().nullable(),
  owners: z.array(z.string()),
  tags: z.array(z.string()),
  riskTier: RiskTierSchema.nullable().describe('minimal | limited | high | unacceptable; null when not assessed'),
  useCaseCategory: z.string().nullable().describe('Free-form use-case category (e.g. credit-scoring, chat-assistant)'),
  parameterCount: z.int().min(0).nullable().describe('The card\'s parameter count, else the count the scanner read from safetensors headers'),
  sourceRepo: z.string().nullable(),
  sourceCommit: z.string().nullable(),
  createdBy: z.string().nullable(),
});

export const LicenseInfoSchema = z.object({
  declared: z.string().nullable().describe('The declared license (SPDX expression or "other"): the repository configuration, else the card'),
  declaredValid: z.boolean().describe('declared is a valid SPDX expression (false for null and "other")'),
  cardLicense: z.string().nullable(),
  files: z
    .array(z.object({ path: z.string(), detected: z.string().nullable().describe('SPDX id recognized from the text; null when not recognized or not read') }))
    .describe('LICENSE*, COPYING*, NOTICE* files of the model'),
});

export const FileInfoSchema = z.object({
  path: z.string(),
  size: z.int().min(0),
  sha256: z.string().nullable(),
  format: z.string().nullable().describe('Scanner format id (safetensors, pickle, pytorch-zip, ...); null when not scanned'),
  verdict: VerdictSchema.nullable().describe('Scanner verdict for this file; null when not scanned'),
  findings: FindingCountsSchema,
});

export const IntegritySchema = z.object({
  manifestDigest: z.string().nullable(),
  lockPresent: z.boolean().describe('A lock (steward.lock) or a content-addressed manifest pins the files'),
  verified: z.boolean().describe('Every file matches its pinned digest and no file is missing or unpinned'),
  mismatches: z.array(
    z.object({
      path: z.string(),
      expected: z.string().nullable().describe('Pinned digest; null for a file the lock does not know'),
      actual: z.string().nullable().describe('Digest found; null for a pinned file that is missing'),
    }),
  ),
});

export const ImportSeenSchema = z.object({ file: z.string(), module: z.string(), name: z.string(), verdict: z.string() });

export const ScanInfoSchema = z.object({
  status: z.enum(['none', 'pending', 'running', 'done', 'failed']),
  verdict: VerdictSchema.nullable(),
  scannerVersion: z.string().nullable(),
  summary: z.object({ files: count(), members: count(), safe: count(), unknown: count(), inconclusive: count(), unsafe: count() }),
  findings: FindingCountsSchema,
  imports: z.array(ImportSeenSchema).describe('Imports seen by the pickle scanner in any file or member, deduplicated per file'),
  allowlist: z.array(z.string()).describe('Extra imports allowed for this scan'),
});

const piiShape = Object.fromEntries(PII_KINDS.map((k) => [k, count()])) as Record<PiiKind, ReturnType<typeof count>>;
export const PiiCountsSchema = z
  .object({ scanned: z.boolean().describe('Samples of the dataset were scanned for PII'), total: count(), ...piiShape })
  .describe('PII found in the dataset samples, counted by kind (zero when not scanned)');

export const DatasetInfoSchema = z.object({
  name: z.string(),
  version: z.string().nullable(),
  relation: z.string().nullable().describe('trained_on | evaluated_on'),
  registered: z.boolean().describe('The dataset is registered (in the registry, or declared in steward.yaml)'),
  source: z.string().nullable(),
  license: z.string().nullable(),
  approvedBy: z.string().nullable(),
  sensitivity: SensitivitySchema.nullable(),
  digest: z.string().nullable(),
  pii: PiiCountsSchema,
});

export const BaseModelInfoSchema = z.object({
  ref: z.string(),
  registered: z.boolean(),
  version: z.string().nullable(),
  verdict: VerdictSchema.nullable(),
  license: z.string().nullable(),
});

export const EvaluationInfoSchema = z.object({
  benchmark: z.string().describe('Benchmark (or model-index dataset) name'),
  dataset: z.string().nullable(),
  datasetRevision: z.string().nullable().describe('Frozen revision (commit, version) of the benchmark data'),
  split: z.string().nullable(),
  task: z.string().nullable(),
  source: z.string().nullable(),
  verified: z.boolean(),
  metrics: z.array(z.object({ name: z.string(), value: z.number() })),
});

export const SignatureInfoSchema = z.object({
  status: z.enum(['valid', 'invalid', 'unverified']),
  signer: z.string().nullable(),
  keyId: z.string().nullable(),
  trusted: z.boolean().describe('Signed by a key on the trusted list'),
  signedAt: z.string().nullable(),
});

export const WaiverSchema = z
  .object({
    ruleId: z.string().min(1).describe('Rule id, or a glob such as "card.*"'),
    reason: z.string().min(1),
    approver: z.string().min(1),
    expires: z
      .string()
      .refine((s) => !Number.isNaN(Date.parse(s)), 'must be a date (YYYY-MM-DD) or an ISO-8601 time')
      .describe('A bare date is valid through the end of that day (UTC)'),
  })
  .strict();
export type Waiver = z.infer<typeof WaiverSchema>;

export const PromotionSchema = z.object({
  ring: z.string().nullable(),
  requestedBy: z.string().nullable(),
  approvals: z.array(z.object({ by: z.string(), role: z.string().nullable(), at: z.string().nullable() })),
  blockingAlerts: z
    .array(z.object({ rule: z.string(), ring: z.string(), environment: z.string(), severity: z.string(), firedAt: z.string().nullable() }))
    .describe('Firing production alerts of this model whose rule blocks promotion (blocksPromotion: true); empty offline'),
});

export const GovernanceRecordSchema = z
  .object({
    schemaVersion: z.literal(RECORD_SCHEMA_VERSION),
    origin: z.enum(['registry', 'local']).describe('registry: built from the server API; local: from a checkout (steward check)'),
    model: ModelInfoSchema,
    targetRing: z.string().nullable().describe('The ring this version is to enter (the ring under evaluation)'),
    currentRings: z.array(z.string()).describe('Rings that point at this version now'),
    card: CardSchema,
    license: LicenseInfoSchema,
    files: z.array(FileInfoSchema),
    integrity: IntegritySchema,
    scan: ScanInfoSchema,
    datasets: z.array(DatasetInfoSchema),
    baseModels: z.array(BaseModelInfoSchema),
    evaluations: z.array(EvaluationInfoSchema),
    signatures: z.array(SignatureInfoSchema),
    promotion: PromotionSchema,
    waivers: z.array(WaiverSchema),
  })
  .meta({ title: 'Steward governance record', description: 'What a policy rule may read about one model version (packages/policy/src/record.ts)' });

export type GovernanceRecord = z.infer<typeof GovernanceRecordSchema>;
export type CardSection = z.infer<typeof CardSectionSchema>;
export type FindingCounts = z.infer<typeof FindingCountsSchema>;
export type PiiCounts = z.infer<typeof PiiCountsSchema>;
export type DatasetInfo = z.infer<typeof DatasetInfoSchema>;
export type FileInfo = z.infer<typeof FileInfoSchema>;
export type EvaluationInfo = z.infer<typeof EvaluationInfoSchema>;
export type SignatureInfo = z.infer<typeof SignatureInfoSchema>;
export type BaseModelInfo = z.infer<typeof BaseModelInfoSchema>;

/** The JSON Schema published at docs/governance-record.schema.json (stable formatting, trailing newline). */
export function governanceRecordJsonSchemaText(): string {
  const schema = z.toJSONSchema(GovernanceRecordSchema, { target: 'draft-2020-12', io: 'output' });
  return `${JSON.stringify({ ...schema, $id: 'https://steward.dev/schemas/governance-record.schema.json' }, null, 2)}\n`;
}
