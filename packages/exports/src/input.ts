/**
 * What every export is rendered from: one model version and the registry records around it,
 * composed from the HTTP API's schemas so that a caller can pass API responses straight in.
 * Renderers parse it here, at the edge; everything past this point trusts the shape.
 */
import { z } from 'zod';
import {
  DatasetSchema,
  ModelSchema,
  RingHistoryEntrySchema,
  Sha256HexSchema,
  VersionSchema,
  VersionSummarySchema,
} from '@steward/domain';

const IsoTimeSchema = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 time');

/** A base model version as the registry knows it; `manifestDigest` is null when it is not in the registry. */
export const BaseModelRefSchema = z.object({
  /** `ORG/NAME@VERSION` for a registry model, or any other identifier (a Hub id, a URL). */
  ref: z.string().min(1),
  manifestDigest: Sha256HexSchema.nullable(),
});

/** One signature over the version's manifest (signing lands later; the shape is what exports need). */
export const SignatureSummarySchema = z.object({
  /** `key`, `certificate` or `sigstore` (OMS signing methods). */
  kind: z.string().min(1),
  signer: z.string().min(1),
  verified: z.boolean(),
  /** SHA-256 of the Sigstore bundle file. */
  bundleDigest: Sha256HexSchema,
});

/** A policy evaluation, kept opaque: exports only list it. */
export const PolicyResultSummarySchema = z.object({
  policy: z.string().min(1),
  /** Free text such as pass, warn, fail. */
  outcome: z.string().min(1),
  message: z.string().optional(),
  evaluatedAt: IsoTimeSchema.optional(),
});

export const ApprovalSummarySchema = z.object({
  by: z.string().min(1),
  at: IsoTimeSchema,
  /** What was approved, e.g. "promotion to prod". */
  subject: z.string().min(1),
  decision: z.enum(['approved', 'rejected']).default('approved'),
  comment: z.string().optional(),
});

export const ExportInputSchema = z
  .object({
    org: z.string().min(1),
    model: ModelSchema,
    version: VersionSchema,
    /** Full records of the datasets the version links to (version.datasets holds only the links). */
    datasets: z.array(DatasetSchema).default([]),
    baseModels: z.array(BaseModelRefSchema).default([]),
    /** The model's version line, for change history; any order (exports sort by semantic version). */
    versions: z.array(VersionSummarySchema).default([]),
    /** The version before this one, for file and card diffs. */
    previousVersion: VersionSchema.optional(),
    ringHistory: z.array(RingHistoryEntrySchema).optional(),
    signatures: z.array(SignatureSummarySchema).optional(),
    policyResults: z.array(PolicyResultSummarySchema).optional(),
    approvals: z.array(ApprovalSummarySchema).optional(),
    /**
     * The model card's README.md text (the blob `version.card.sha256`). The API stores only the
     * card's headings, so section bodies (uses, limitations, training...) come from here.
     */
    cardText: z.string().optional(),
    /** Public base URL of the Steward server (no trailing path), for download locations and links. */
    registryUrl: z.string().url().optional(),
    /** Every timestamp the exports write about themselves comes from here, never from the clock. */
    generatedAt: IsoTimeSchema,
    tool: z.object({ name: z.string().min(1), version: z.string().min(1) }),
  })
  .superRefine((input, ctx) => {
    // A mismatch here means the caller assembled records of different models: refuse rather than mix them.
    if (input.model.org !== input.org) ctx.addIssue({ code: 'custom', path: ['model', 'org'], message: `is "${input.model.org}", expected org "${input.org}"` });
    if (input.version.org !== input.org) ctx.addIssue({ code: 'custom', path: ['version', 'org'], message: `is "${input.version.org}", expected org "${input.org}"` });
    if (input.version.model !== input.model.name) {
      ctx.addIssue({ code: 'custom', path: ['version', 'model'], message: `is "${input.version.model}", expected model "${input.model.name}"` });
    }
    if (input.previousVersion && input.previousVersion.model !== input.model.name) {
      ctx.addIssue({ code: 'custom', path: ['previousVersion', 'model'], message: `is "${input.previousVersion.model}", expected model "${input.model.name}"` });
    }
  });

export type ExportInput = z.infer<typeof ExportInputSchema>;
/** What callers may pass: defaults (empty lists) filled in by parsing. */
export type ExportInputData = z.input<typeof ExportInputSchema>;
export type BaseModelRef = z.infer<typeof BaseModelRefSchema>;
export type SignatureSummary = z.infer<typeof SignatureSummarySchema>;
export type PolicyResultSummary = z.infer<typeof PolicyResultSummarySchema>;
export type ApprovalSummary = z.infer<typeof ApprovalSummarySchema>;

/** The input failed validation; `issues` name each bad field by its path. */
export class ExportInputError extends Error {
  override readonly name = 'ExportInputError';
  constructor(readonly issues: { path: string; message: string }[]) {
    super(`invalid export input: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
  }
}

export function parseExportInput(raw: unknown): ExportInput {
  const r = ExportInputSchema.safeParse(raw);
  if (!r.success) {
    throw new ExportInputError(r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
  }
  return r.data;
}
