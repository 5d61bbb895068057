/**
 * Request and response schemas of the HTTP API. The server validates with them and generates
 * its OpenAPI document from them; the CLI's client parses responses with them.
 */
import { z } from 'zod';
import {
  DatasetVersionSchema,
  LineageRelationSchema,
  NameSchema,
  RingNameSchema,
  RiskTierSchema,
  RoleSchema,
  SemverSchema,
  SensitivitySchema,
  Sha256HexSchema,
  TokenScopeSchema,
} from './names.js';
import { LicenseSchema } from './license.js';

export const IsoDateSchema = z.string().meta({ format: 'date-time' });

export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(512).optional(),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const OrgParamsSchema = z.object({ org: NameSchema });
export const ModelParamsSchema = z.object({ org: NameSchema, model: NameSchema });
export const VersionParamsSchema = z.object({
  org: NameSchema,
  model: NameSchema,
  /** A semantic version, or a ring name resolving to the version the ring points at. */
  ref: z.string().min(1).max(256),
});

// ---- identity ----
export const OrgSchema = z.object({ id: z.string(), name: z.string(), role: RoleSchema, createdAt: IsoDateSchema });
export const WhoAmISchema = z.object({
  user: z.object({ id: z.string(), name: z.string() }),
  token: z.object({ id: z.string(), name: z.string(), expiresAt: IsoDateSchema.nullable() }),
  orgs: z.array(OrgSchema),
});

export const CreateUserBodySchema = z.object({ name: NameSchema, role: RoleSchema });
export const UserSchema = z.object({ id: z.string(), name: z.string(), role: RoleSchema, createdAt: IsoDateSchema });

export const CreateTokenBodySchema = z.object({
  name: z.string().min(1).max(128),
  /** Issue the token to another user (admins only); defaults to the caller. */
  user: NameSchema.optional(),
  expiresAt: IsoDateSchema.optional(),
  /** Narrow the token to these scopes (docs/authorization.md); every scope when absent. */
  scopes: z.array(TokenScopeSchema).min(1).max(5).optional(),
  /** Narrow the token to these models, ORG/NAME (they need not exist yet); any model when absent. */
  models: z.array(z.string().max(300).regex(/^[^/]+\/[^/]+$/, 'must be ORG/NAME')).min(1).max(100).optional(),
  /** Issued to a CI pipeline (rings may accept promotion requests from CI tokens only). */
  ci: z.boolean().optional(),
});
export const TokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  user: z.string(),
  prefix: z.string(),
  createdAt: IsoDateSchema,
  expiresAt: IsoDateSchema.nullable(),
  revokedAt: IsoDateSchema.nullable(),
  lastUsedAt: IsoDateSchema.nullable(),
  scopes: z.array(TokenScopeSchema).nullable().describe('null: not narrowed'),
  models: z.array(z.string()).nullable().describe('ORG/NAME; null: any model'),
  ci: z.boolean(),
});
export const CreatedTokenSchema = TokenSchema.extend({ token: z.string().describe('Shown once; only its hash is stored.') });

// ---- blobs ----
export const MissingBlobsBodySchema = z.object({ digests: z.array(Sha256HexSchema).max(100_000) });
export const MissingBlobsResponseSchema = z.object({ missing: z.array(Sha256HexSchema) });
export const BlobParamsSchema = z.object({ org: NameSchema, digest: Sha256HexSchema });
export const BlobUploadResponseSchema = z.object({ digest: Sha256HexSchema, size: z.number().int(), created: z.boolean() });

// ---- manifest ----
export const ManifestFileSchema = z.object({
  path: z.string().min(1).max(4096),
  size: z.number().int().min(0),
  sha256: Sha256HexSchema,
});
export const ManifestSchema = z.object({
  serialization: z.object({
    method: z.literal('files'),
    hash_type: z.literal('sha256'),
    allow_symlinks: z.boolean(),
    ignore_paths: z.array(z.string()),
  }),
  files: z.array(ManifestFileSchema),
  rootDigest: Sha256HexSchema,
});

// ---- models and versions ----
export const ModelSchema = z.object({
  id: z.string(),
  org: z.string(),
  name: z.string(),
  description: z.string(),
  riskTier: RiskTierSchema.nullable(),
  owners: z.array(z.string()),
  tags: z.array(z.string()),
  createdAt: IsoDateSchema,
  createdBy: z.string(),
  latestVersion: z.string().nullable(),
  rings: z.record(z.string(), z.string().nullable()),
});

export const UpdateModelBodySchema = z
  .object({
    description: z.string().max(10_000).optional(),
    riskTier: RiskTierSchema.nullable().optional(),
    owners: z.array(NameSchema).max(100).optional(),
    tags: z.array(z.string().min(1).max(128)).max(100).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'at least one field must be given');

export const DatasetLinkSchema = z.object({
  name: NameSchema,
  version: DatasetVersionSchema,
  relation: LineageRelationSchema,
});

export const PushVersionBodySchema = z.object({
  version: SemverSchema,
  manifest: z.object({
    serialization: ManifestSchema.shape.serialization,
    files: z.array(ManifestFileSchema).max(100_000),
    /** The client's root digest; the server recomputes it and refuses a mismatch. */
    rootDigest: Sha256HexSchema,
  }),
  datasets: z.array(DatasetLinkSchema).max(1000).default([]),
  baseModel: z.string().max(512).optional().describe('ORG/NAME@VERSION of the base model version'),
  sourceRepo: z.string().url().max(2048).optional(),
  sourceCommit: z.string().regex(/^[0-9a-fA-F]{7,64}$/, 'must be a hex commit id (7-64 characters)').optional(),
  sourceCommitTime: z
    .string()
    .refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 time')
    .optional()
    .describe('When the source commit was made (lead time from commit to production)'),
  /** Model metadata applied only when this push creates the model. */
  description: z.string().max(10_000).optional(),
  riskTier: RiskTierSchema.optional(),
  tags: z.array(z.string().min(1).max(128)).max(100).optional(),
});

export const CardProblemSchema = z.object({
  line: z.number().int(),
  column: z.number().int().optional(),
  field: z.string().optional(),
  severity: z.enum(['error', 'warning']),
  message: z.string(),
});
export const ModelCardSchema = z.object({
  path: z.string(),
  sha256: Sha256HexSchema,
  metadata: z.record(z.string(), z.unknown()),
  sections: z.array(z.object({ title: z.string(), level: z.number().int(), line: z.number().int(), kind: z.string().nullable() })),
  recognizedSections: z.array(z.string()),
  missingRecommendedSections: z.array(z.string()),
  problems: z.array(CardProblemSchema),
});

export const LineageDatasetSchema = z.object({
  name: z.string(),
  version: z.string(),
  relation: LineageRelationSchema,
  license: z.string(),
  sensitivity: SensitivitySchema,
});

// ---- scanning ----
export const ScanVerdictSchema = z.enum(['safe', 'unknown', 'inconclusive', 'unsafe']);
export const ScanStatusSchema = z.object({
  id: z.string(),
  status: z.enum(['pending', 'running', 'done', 'failed']),
  trigger: z.enum(['push', 'rescan']),
  verdict: ScanVerdictSchema.nullable(),
  summary: z
    .object({ files: z.number().int(), members: z.number().int(), safe: z.number().int(), unknown: z.number().int(), inconclusive: z.number().int(), unsafe: z.number().int() })
    .nullable(),
  allowlist: z.array(z.string()),
  scannerVersion: z.string().nullable(),
  error: z.string().nullable(),
  requestedAt: IsoDateSchema,
  requestedBy: z.string(),
  startedAt: IsoDateSchema.nullable(),
  finishedAt: IsoDateSchema.nullable(),
});
export const ScanReportResponseSchema = ScanStatusSchema.extend({
  report: z.record(z.string(), z.unknown()).nullable().describe('The scanner report (docs/scanner.md), when done'),
});
/** `module.name` or `module.*` (a whole module); Python identifiers separated by dots. */
export const AllowlistEntryTextSchema = z
  .string()
  .max(512)
  .regex(/^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\.(?:[A-Za-z_]\w*|\*)$/, 'must be module.name or module.* (for example sklearn.linear_model._base.LinearRegression)');
export const AllowlistEntrySchema = z.object({ entry: z.string(), reason: z.string(), addedBy: z.string(), addedAt: IsoDateSchema });
export const AddAllowlistEntryBodySchema = z.object({ entry: AllowlistEntryTextSchema, reason: z.string().min(1).max(2000) });

export const VersionSchema = z.object({
  id: z.string(),
  org: z.string(),
  model: z.string(),
  version: z.string(),
  manifestDigest: Sha256HexSchema,
  manifest: ManifestSchema,
  fileCount: z.number().int(),
  totalSize: z.number().int(),
  sourceRepo: z.string().nullable(),
  sourceCommit: z.string().nullable(),
  baseModel: z.string().nullable(),
  datasets: z.array(LineageDatasetSchema),
  card: ModelCardSchema.nullable(),
  scan: ScanStatusSchema.nullable().describe('The newest scan of this version'),
  rings: z.array(z.string()),
  createdAt: IsoDateSchema,
  createdBy: z.string(),
});
export const PushVersionResponseSchema = z.object({ created: z.boolean(), modelCreated: z.boolean(), version: VersionSchema });
export const VersionSummarySchema = VersionSchema.pick({
  id: true,
  version: true,
  manifestDigest: true,
  fileCount: true,
  totalSize: true,
  rings: true,
  createdAt: true,
  createdBy: true,
});

// ---- datasets ----
export const RegisterDatasetBodySchema = z.object({
  name: NameSchema,
  version: DatasetVersionSchema,
  sourceUri: z.string().url().max(4096),
  license: LicenseSchema,
  transformScript: z
    .object({ name: z.string().min(1).max(255), sha256: Sha256HexSchema, size: z.number().int().min(0) })
    .optional()
    .describe('Uploaded as a blob first; stored with its digest'),
  approvedBy: NameSchema.optional(),
  sensitivity: SensitivitySchema.default('internal'),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 lowercase hex>').optional(),
  description: z.string().max(10_000).optional(),
});
export const DatasetSchema = z.object({
  id: z.string(),
  org: z.string(),
  name: z.string(),
  version: z.string(),
  sourceUri: z.string(),
  license: z.string(),
  transformScript: z.object({ name: z.string(), sha256: z.string(), size: z.number().int() }).nullable(),
  approvedBy: z.string().nullable(),
  sensitivity: SensitivitySchema,
  digest: z.string().nullable(),
  description: z.string(),
  createdAt: IsoDateSchema,
  createdBy: z.string(),
});
export const DatasetParamsSchema = z.object({ org: NameSchema, dataset: NameSchema, version: DatasetVersionSchema });

// ---- lineage ----
export interface LineageNode {
  kind: 'model_version' | 'dataset';
  id: string;
  label: string;
}
export const LineageSchema = z.object({
  root: z.string(),
  nodes: z.array(z.object({ id: z.string(), kind: z.enum(['model_version', 'dataset']), label: z.string(), detail: z.record(z.string(), z.unknown()) })),
  edges: z.array(z.object({ from: z.string(), to: z.string(), relation: z.enum(['trained_on', 'evaluated_on', 'derived_from']) })),
  sourceCommits: z.array(z.object({ version: z.string(), repo: z.string().nullable(), commit: z.string() })),
});

// ---- rings ----
export const RingParamsSchema = z.object({ org: NameSchema, model: NameSchema, ring: RingNameSchema });
export const MoveRingBodySchema = z.object({ version: SemverSchema, reason: z.string().max(2000).optional() });
export const RollbackRingBodySchema = z.object({ reason: z.string().max(2000).optional() });
export const RingHistoryEntrySchema = z.object({
  seq: z.number().int(),
  ring: z.string(),
  version: z.string().nullable(),
  previousVersion: z.string().nullable(),
  kind: z.enum(['set', 'rollback']),
  movedAt: IsoDateSchema,
  movedBy: z.string(),
  reason: z.string().nullable(),
});
export const RingPointerSchema = z.object({ ring: z.string(), version: z.string().nullable(), movedAt: IsoDateSchema.nullable() });
export const RingHistoryQuerySchema = PageQuerySchema.extend({
  at: z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 time')
    .optional(),
});
export const RingAtResponseSchema = z.object({ ring: z.string(), at: IsoDateSchema, version: z.string().nullable(), entry: RingHistoryEntrySchema.nullable() });

// ---- operations ----
export const GcResponseSchema = z.object({
  blobsDeleted: z.number().int(),
  bytesFreed: z.number().int(),
  possessionsDeleted: z.number().int(),
  temporariesDeleted: z.number().int(),
});

export const AuditEventSchema = z.object({
  seq: z.number().int().describe('Event id'),
  /** Position in the org's ledger (null only for events the ledger has not adopted yet). */
  index: z.number().int().nullable(),
  at: IsoDateSchema,
  actor: z.string().nullable(),
  tokenId: z.string().nullable(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  model: z.string().nullable(),
  requestId: z.string().nullable(),
  client: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  /** The canonical leaf text (RFC 8785 JSON) the ledger hashed; the fields above are read from it. */
  entry: z.string().nullable(),
});

export const AuditQuerySchema = PageQuerySchema.extend({
  actor: z.string().max(200).optional(),
  action: z.string().max(200).optional(),
  model: z.string().max(300).optional().describe('"org/name" or just "name"'),
  since: IsoDateSchema.optional(),
});

// ---- ledger ----
/** `system` is the log of events that belong to no org; only the operator org (`default`) may read it. */
export const LedgerLogQuerySchema = z.object({ log: z.enum(['org', 'system']).default('org') });
export const LedgerRangeQuerySchema = LedgerLogQuerySchema.extend({
  start: z.coerce.number().int().min(0),
  end: z.coerce.number().int().min(1),
}).refine((q) => q.end > q.start, { message: 'end must be greater than start', path: ['end'] });
export const InclusionProofParamsSchema = z.object({ org: NameSchema, seq: z.coerce.number().int().min(1) });
export const InclusionProofQuerySchema = z.object({ size: z.coerce.number().int().min(1).optional() });
export const InclusionProofSchema = z.object({
  seq: z.number().int(),
  index: z.number().int(),
  size: z.number().int(),
  leafHash: z.string().describe('hex'),
  proof: z.array(z.string()).describe('hex hashes, RFC 9162 order'),
  entry: z.string(),
  checkpoint: z.string().describe('the signed note of a checkpoint of exactly this size'),
});
export const ConsistencyProofQuerySchema = LedgerLogQuerySchema.extend({
  from: z.coerce.number().int().min(0),
  to: z.coerce.number().int().min(1),
}).refine((q) => q.to >= q.from, { message: 'to must be at least from', path: ['to'] });
export const ConsistencyProofSchema = z.object({ from: z.number().int(), to: z.number().int(), proof: z.array(z.string()) });
export const LeafHashesSchema = z.object({ start: z.number().int(), hashes: z.array(z.string()) });
export const LedgerKeySchema = z.object({
  keyId: z.string(),
  verifierKey: z.string().describe('C2SP signed-note verifier key: name+keyid+base64(0x01||ed25519 key)'),
  createdAt: IsoDateSchema,
  retiredAt: IsoDateSchema.nullable(),
  endorsement: z.string().nullable().describe('signed note by the previous key handing over to this one'),
});
export const LedgerKeysSchema = z.object({ ledgerName: z.string(), keys: z.array(LedgerKeySchema) });
export const LedgerIntegritySchema = z.object({
  origin: z.string(),
  size: z.number().int(),
  checkpointSize: z.number().int(),
  ok: z.boolean(),
  problems: z.array(z.object({ index: z.number().int().nullable(), problem: z.string() })),
});
export const AuditExportQuerySchema = z.object({ since: IsoDateSchema.optional(), log: z.enum(['org', 'system']).default('org') });

export type Org = z.infer<typeof OrgSchema>;
export type WhoAmI = z.infer<typeof WhoAmISchema>;
export type Model = z.infer<typeof ModelSchema>;
export type Version = z.infer<typeof VersionSchema>;
export type VersionSummary = z.infer<typeof VersionSummarySchema>;
export type PushVersionBody = z.infer<typeof PushVersionBodySchema>;
export type Dataset = z.infer<typeof DatasetSchema>;
export type RegisterDatasetBody = z.infer<typeof RegisterDatasetBodySchema>;
export type Lineage = z.infer<typeof LineageSchema>;
export type RingHistoryEntry = z.infer<typeof RingHistoryEntrySchema>;
export type RingPointer = z.infer<typeof RingPointerSchema>;
export type Token = z.infer<typeof TokenSchema>;
export type CreatedToken = z.infer<typeof CreatedTokenSchema>;
export type User = z.infer<typeof UserSchema>;
export type AuditEvent = z.infer<typeof AuditEventSchema>;
export type InclusionProof = z.infer<typeof InclusionProofSchema>;
export type LedgerKey = z.infer<typeof LedgerKeySchema>;
export type LedgerIntegrity = z.infer<typeof LedgerIntegritySchema>;
export type ManifestWire = z.infer<typeof ManifestSchema>;
export type ScanStatus = z.infer<typeof ScanStatusSchema>;
export type AllowlistEntry = z.infer<typeof AllowlistEntrySchema>;
