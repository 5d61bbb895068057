/**
 * The evidence archive format (docs/evidence-format.md): a gzip-compressed tar whose first member
 * is `index.json`, naming every other member with its kind, size and SHA-256, and every member
 * that could not be gathered with the reason.
 */
import { z } from 'zod';
import { Sha256HexSchema, StewardError, validateModelPath } from '@steward/domain';

export const EVIDENCE_FORMAT = 'steward-evidence';
export const EVIDENCE_FORMAT_VERSION = 1;
export const INDEX_PATH = 'index.json';

/** index.json is read into memory before anything else: bounded so a hostile archive cannot exhaust it. */
export const MAX_INDEX_BYTES = 16 * 1024 * 1024;
/** Members the verifier parses (JSON, text) are held in memory; larger ones are refused. */
export const MAX_PARSED_MEMBER_BYTES = 256 * 1024 * 1024;
/** No member of an evidence archive (no model weights go in) comes near this; beyond it the archive is refused. */
export const MAX_MEMBER_BYTES = 2 * 1024 * 1024 * 1024;
export const MAX_MEMBERS = 100_000;

/** What each member is; the verifier derives a member's kind from its path and refuses a mislabelled one. */
export const MEMBER_KINDS = [
  'manifest',
  'version',
  'signature-list',
  'signing-keys',
  'trusted-signers',
  'model-signature',
  'provenance-signature',
  'provenance',
  'scan-report',
  'policy-evaluations',
  'approvals',
  'audit-events',
  'audit-proofs',
  'audit-checkpoint',
  'audit-keys',
  'export-cyclonedx',
  'export-spdx',
  'export-model-card',
  'export-annex-iv',
  'export-annex-iv-html',
  'export-gpai-form',
  'export-gpai-form-html',
  'export-changelog',
] as const;
export type MemberKind = (typeof MEMBER_KINDS)[number];

/** Fixed paths; signature bundles are `signatures/model-<id>.sig` and `signatures/provenance-<id>.sig`. */
export const MEMBER_PATHS = {
  manifest: 'manifest.json',
  version: 'version.json',
  'signature-list': 'signatures/signatures.json',
  'signing-keys': 'signatures/signing-keys.json',
  'trusted-signers': 'signatures/trusted-signers.json',
  provenance: 'provenance.json',
  'scan-report': 'scan-report.json',
  'policy-evaluations': 'policy/evaluations.json',
  approvals: 'approvals.json',
  'audit-events': 'audit/events.jsonl',
  'audit-proofs': 'audit/proofs.json',
  'audit-checkpoint': 'audit/checkpoint.txt',
  'audit-keys': 'audit/keys.json',
  'export-cyclonedx': 'exports/cyclonedx.json',
  'export-spdx': 'exports/spdx.json',
  'export-model-card': 'exports/README.md',
  'export-annex-iv': 'exports/annex-iv.md',
  'export-annex-iv-html': 'exports/annex-iv.html',
  'export-gpai-form': 'exports/gpai-form.md',
  'export-gpai-form-html': 'exports/gpai-form.html',
  'export-changelog': 'exports/changelog.md',
} as const satisfies Partial<Record<MemberKind, string>>;

const SIGNATURE_FILE = /^signatures\/(model|provenance)-[A-Za-z0-9_-]{1,128}\.sig$/;

export function signaturePath(subject: 'model' | 'provenance', id: string): string {
  return `signatures/${subject}-${id.replace(/[^A-Za-z0-9_-]/g, '_')}.sig`;
}

/** The kind a path must have, or null for a path the format does not define. */
export function kindOfPath(path: string): MemberKind | null {
  for (const [kind, p] of Object.entries(MEMBER_PATHS)) if (p === path) return kind as MemberKind;
  const m = SIGNATURE_FILE.exec(path);
  if (m) return m[1] === 'model' ? 'model-signature' : 'provenance-signature';
  return null;
}

/** A member name that is safe to extract anywhere: relative, canonical, no `..`, no controls (the manifest path rules). */
export function memberPathProblem(path: string): string | null {
  try {
    validateModelPath(path);
    return null;
  } catch (err) {
    if (err instanceof StewardError) return (err.details as { reason?: string } | undefined)?.reason ?? err.message;
    throw err;
  }
}

const MemberPathSchema = z.string().superRefine((p, ctx) => {
  const problem = memberPathProblem(p);
  if (problem) ctx.addIssue({ code: 'custom', message: `unsafe member path (${problem})` });
  else if (p === INDEX_PATH) ctx.addIssue({ code: 'custom', message: 'index.json does not list itself' });
});

export const IndexMemberSchema = z.object({
  path: MemberPathSchema,
  kind: z.enum(MEMBER_KINDS),
  size: z.number().int().min(0).max(MAX_MEMBER_BYTES),
  sha256: Sha256HexSchema,
  mediaType: z.string().max(200),
});

export const AbsentMemberSchema = z.object({
  path: MemberPathSchema,
  kind: z.enum(MEMBER_KINDS),
  reason: z.string().min(1).max(2000),
});

export const EvidenceIndexSchema = z
  .object({
    format: z.literal(EVIDENCE_FORMAT),
    formatVersion: z.literal(EVIDENCE_FORMAT_VERSION),
    model: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'must be ORG/NAME'),
    version: z.string().min(1).max(200),
    versionId: z.string().max(200),
    manifestDigest: Sha256HexSchema,
    generatedAt: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 time'),
    generator: z.string().max(200),
    server: z.string().max(2048).nullable(),
    members: z.array(IndexMemberSchema).max(MAX_MEMBERS),
    absent: z.array(AbsentMemberSchema).max(MAX_MEMBERS),
  })
  .superRefine((index, ctx) => {
    const seen = new Set<string>();
    for (const [i, p] of [...index.members.map((m) => m.path), ...index.absent.map((a) => a.path)].entries()) {
      if (seen.has(p)) ctx.addIssue({ code: 'custom', path: ['members', i], message: `${p} is listed twice` });
      seen.add(p);
    }
  });

export type EvidenceIndex = z.infer<typeof EvidenceIndexSchema>;
export type IndexMember = z.infer<typeof IndexMemberSchema>;
export type AbsentMember = z.infer<typeof AbsentMemberSchema>;

export function mediaTypeOf(path: string): string {
  if (path.endsWith('.jsonl')) return 'application/x-ndjson';
  if (path.endsWith('.sig')) return 'application/vnd.dev.sigstore.bundle.v0.3+json';
  if (path.endsWith('.json')) return 'application/json';
  if (path.endsWith('.md')) return 'text/markdown; charset=utf-8';
  if (path.endsWith('.html')) return 'text/html; charset=utf-8';
  return 'text/plain; charset=utf-8';
}
