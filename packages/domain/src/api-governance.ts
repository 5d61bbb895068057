/**
 * HTTP API schemas of policy-as-code on the server (policy sets, evaluations, waivers, check runs,
 * PII reports) and of signatures. Shared by the server (validation, OpenAPI), the CLI and exports.
 */
import { z } from 'zod';
import { NameSchema, RingNameSchema, Sha256HexSchema } from './names.js';
import { IsoDateSchema, RegisterDatasetBodySchema } from './api.js';

/** `sha256:<hex>`: how policy set and record digests are written everywhere (CLI output, results, reports). */
export const PrefixedSha256Schema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 lowercase hex>');

// ---- policy sets ----
export const PolicyFileUploadSchema = z.object({
  path: z.string().min(1).max(1024).describe('The file\'s path in the repository (shown in results)'),
  text: z.string().max(1_000_000),
});
/** `{ policy: { param: value } }`, as in steward.yaml's `policies.params`. */
export const PolicyParamsSchema = z.record(z.string().max(100), z.record(z.string().max(100), z.unknown()));
export const PushPolicySetBodySchema = z.object({
  files: z.array(PolicyFileUploadSchema).min(1).max(200),
  params: PolicyParamsSchema.default({}).describe('Parameter overrides (part of the set and its digest)'),
  comment: z.string().max(2000).optional(),
});
export const PolicySetSchema = z.object({
  digest: PrefixedSha256Schema.describe('Digest of the files (paths and contents), the same one `steward check` prints'),
  files: z.array(z.object({ path: z.string(), sha256: Sha256HexSchema })),
  params: PolicyParamsSchema,
  policies: z.number().int(),
  rules: z.number().int(),
  createdAt: IsoDateSchema,
  createdBy: z.string(),
  active: z.boolean(),
  pushes: z.array(z.object({ pushedAt: IsoDateSchema, pushedBy: z.string(), comment: z.string().nullable() })),
});
export const PushPolicySetResponseSchema = z.object({ created: z.boolean(), policySet: PolicySetSchema });
export const PolicySetParamsSchema = z.object({ org: NameSchema, digest: z.string().regex(/^(sha256:)?[0-9a-f]{64}$/, 'must be sha256:<64 lowercase hex>').transform((d) => (d.startsWith('sha256:') ? d : `sha256:${d}`)) });

// ---- evaluations ----
export const PolicyRuleStatusSchema = z.enum(['pass', 'fail', 'error', 'waived', 'skipped']);
export const PolicyWaiverTermsSchema = z.object({ ruleId: z.string(), reason: z.string(), approver: z.string(), expires: z.string() });
export const PolicyRuleResultSchema = z.object({
  ruleId: z.string(),
  policy: z.string(),
  severity: z.enum(['error', 'warning']),
  status: PolicyRuleStatusSchema,
  waivedStatus: z.enum(['fail', 'error']).nullable(),
  message: z.string().nullable(),
  error: z.string().nullable(),
  reads: z.array(z.object({ source: z.string(), value: z.unknown() })),
  waiver: PolicyWaiverTermsSchema.nullable(),
  expiredWaiver: PolicyWaiverTermsSchema.nullable(),
  skipReason: z.string().nullable(),
  location: z.object({ file: z.string(), line: z.number().int(), column: z.number().int() }).nullable(),
});
export const PolicyCountsSchema = z.object({
  pass: z.number().int(),
  fail: z.number().int(),
  error: z.number().int(),
  waived: z.number().int(),
  skipped: z.number().int(),
});
export const PolicyEvaluationSchema = z.object({
  id: z.string(),
  org: z.string(),
  model: z.string(),
  version: z.string(),
  trigger: z.enum(['push', 'rescan', 'request', 'promotion']).describe('push and rescan: evaluated by the server when the version\'s scan finished; request: on demand; promotion: by a promotion request'),
  ring: z.string().nullable(),
  outcome: z.enum(['passed', 'failed']).describe('failed when any error-severity rule failed or errored without a waiver'),
  /** Error-severity rules that failed or errored and are not waived: what blocks promotion. */
  blocking: z.array(z.string()),
  policySetDigest: PrefixedSha256Schema,
  recordDigest: PrefixedSha256Schema.describe('SHA-256 of the canonical JSON of the governance record judged'),
  counts: PolicyCountsSchema,
  results: z.array(PolicyRuleResultSchema),
  evaluatedAt: IsoDateSchema,
  evaluatedBy: z.string(),
});
export const EvaluateVersionBodySchema = z.object({
  ring: RingNameSchema.nullable().default(null).describe('The ring to judge the version for; null: the push-time checks'),
  record: z.boolean().default(true).describe('Store the evaluation (false: a dry run, nothing stored)'),
});
export const PolicyEvaluationsQuerySchema = z.object({
  ring: RingNameSchema.optional(),
  latest: z.enum(['true', 'false']).default('true').transform((v) => v === 'true').describe('Only the newest evaluation per ring'),
});

// ---- waivers ----
export const CreateWaiverBodySchema = z.object({
  ruleId: z.string().min(1).max(200).regex(/^[A-Za-z0-9_.*-]+$/, 'must be a rule id or a glob such as "card.*"'),
  reason: z.string().min(1).max(4000),
  expires: z
    .string()
    .refine((s) => /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(s) && !Number.isNaN(Date.parse(s)), 'must be a date (YYYY-MM-DD) or an ISO-8601 time'),
});
export const PolicyWaiverSchema = z.object({
  id: z.string(),
  model: z.string(),
  version: z.string(),
  ruleId: z.string(),
  reason: z.string(),
  approver: z.string(),
  expires: z.string(),
  createdAt: IsoDateSchema,
  createdBy: z.string(),
  revokedAt: IsoDateSchema.nullable(),
  revokedBy: z.string().nullable(),
  active: z.boolean().describe('Not revoked and not expired'),
});
export const WaiverParamsSchema = z.object({ org: NameSchema, id: z.string().min(1).max(100) });

// ---- check runs (`steward check --report`) ----
export const CheckRunBodySchema = z.object({
  model: NameSchema,
  version: z.string().max(200).nullable().default(null),
  outcome: z.enum(['passed', 'failed']),
  policySetDigest: PrefixedSha256Schema,
  counts: PolicyCountsSchema,
  failures: z
    .array(z.object({ ruleId: z.string().max(200), severity: z.enum(['error', 'warning']), status: PolicyRuleStatusSchema, message: z.string().max(4000).nullable() }))
    .max(1000),
  sourceRepo: z.string().max(2048).nullable().default(null),
  sourceCommit: z.string().max(200).nullable().default(null),
  ref: z.string().max(1024).nullable().default(null).describe('Branch or pull request the run checked'),
});
export const CheckRunSchema = CheckRunBodySchema.extend({ id: z.string(), org: z.string(), reportedAt: IsoDateSchema, reportedBy: z.string() });

// ---- PII reports on datasets ----
export const PiiReportBodySchema = z.object({
  counts: z.record(z.string().max(50), z.number().int().min(0)).describe('Findings by kind (email, phone, ssn, creditCard, iban, ipv4, ipv6), as `steward pii --json` prints them'),
  files: z
    .array(z.object({ path: z.string().max(4096), counts: z.record(z.string().max(50), z.number().int().min(0)), locations: z.array(z.string().max(4096)).max(100).default([]) }))
    .max(10_000)
    .default([]),
  scannedAt: IsoDateSchema.optional(),
  tool: z.string().max(200).optional(),
});
/** Dataset registration may carry its PII report, so the counts enter governance records from the start. */
export const RegisterDatasetWithPiiBodySchema = RegisterDatasetBodySchema.extend({
  piiReport: PiiReportBodySchema.optional().describe('A `steward pii` report of the dataset\'s samples (counts and locations, never values)'),
});
export const PiiReportSchema = PiiReportBodySchema.extend({ id: z.string(), dataset: z.string(), version: z.string(), createdAt: IsoDateSchema, createdBy: z.string() });

// ---- signatures (issue 7) ----
export const SignatureSubjectSchema = z.enum(['model', 'provenance']);
export const SignatureSchema = z.object({
  id: z.string(),
  subject: SignatureSubjectSchema,
  kind: z.enum(['key', 'certificate', 'sigstore']),
  source: z.enum(['server', 'uploaded']).describe('server: signed with the org key on request; uploaded: a user bundle verified on arrival'),
  signer: z.string().describe('Key fingerprint (sha256:...) or certificate subject'),
  keyFingerprint: z.string().nullable(),
  trusted: z.boolean().describe('Signed by the org key or a key the org trusts'),
  status: z.enum(['valid', 'invalid']),
  bundleDigest: Sha256HexSchema,
  signedAt: IsoDateSchema.nullable(),
  addedAt: IsoDateSchema,
  addedBy: z.string(),
});

export type PolicySet = z.infer<typeof PolicySetSchema>;
export type PolicyEvaluation = z.infer<typeof PolicyEvaluationSchema>;
export type PolicyRuleResult = z.infer<typeof PolicyRuleResultSchema>;
export type PolicyWaiver = z.infer<typeof PolicyWaiverSchema>;
export type CheckRun = z.infer<typeof CheckRunSchema>;
export type CheckRunBody = z.infer<typeof CheckRunBodySchema>;
export type RegisterDatasetWithPiiBody = z.infer<typeof RegisterDatasetWithPiiBodySchema>;
export type PiiReport = z.infer<typeof PiiReportSchema>;
export type Signature = z.infer<typeof SignatureSchema>;
