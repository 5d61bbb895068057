/**
 * HTTP API schemas of the org signing key, the signers an org trusts, signatures on versions,
 * signed provenance and compliance exports (ADR 0012, docs/signing.md). Signatures themselves are
 * `SignatureSchema` (api-governance.ts).
 */
import { z } from 'zod';
import { NameSchema, Sha256HexSchema } from './names.js';
import { IsoDateSchema } from './api.js';
import { SignatureSchema, SignatureSubjectSchema } from './api-governance.js';

/** Bundles are a few kilobytes; a certificate chain adds a few more. */
const MAX_BUNDLE_CHARS = 1_000_000;
const MAX_PEM_CHARS = 100_000;

// ---- the org signing key ----
export const SigningKeyAlgorithmSchema = z.enum(['ecdsa-p256', 'ecdsa-p384']);
export const SigningKeySchema = z.object({
  id: z.string(),
  algorithm: SigningKeyAlgorithmSchema,
  fingerprint: Sha256HexSchema.describe('SHA-256 of the SubjectPublicKeyInfo DER: the key\'s stable id'),
  publicKeyHint: Sha256HexSchema.describe('SHA-256 of the PEM text: what model_signing bundles carry as publicKey.hint'),
  publicKeyPem: z.string(),
  current: z.boolean(),
  createdAt: IsoDateSchema,
  createdBy: z.string(),
  retiredAt: IsoDateSchema.nullable(),
});
export const SigningKeysSchema = z.object({ keys: z.array(SigningKeySchema).describe('Current key first, then retired keys, newest first') });
export const CreateSigningKeyBodySchema = z.object({
  algorithm: SigningKeyAlgorithmSchema.default('ecdsa-p256'),
});
export const RotateSigningKeyBodySchema = z.object({
  algorithm: SigningKeyAlgorithmSchema.optional().describe('Default: the retiring key\'s algorithm'),
});
export const RotatedSigningKeySchema = z.object({ previous: SigningKeySchema, current: SigningKeySchema });

// ---- trusted signers ----
export const TrustedSignerKindSchema = z.enum(['key', 'ca']);
export const AddTrustedSignerBodySchema = z
  .object({
    name: z.string().min(1).max(200).describe('A label (team, vendor)'),
    publicKeyPem: z.string().max(MAX_PEM_CHARS).optional().describe('An ECDSA public key (PEM); its key signatures become trusted'),
    caCertificatePem: z.string().max(MAX_PEM_CHARS).optional().describe('One CA certificate (PEM); certificate signatures chaining to it become trusted'),
  })
  .refine((b) => (b.publicKeyPem === undefined) !== (b.caCertificatePem === undefined), 'give exactly one of publicKeyPem and caCertificatePem');
export const TrustedSignerSchema = z.object({
  id: z.string(),
  kind: TrustedSignerKindSchema,
  name: z.string(),
  fingerprint: Sha256HexSchema.describe('key: SHA-256 of the SubjectPublicKeyInfo DER; ca: SHA-256 of the certificate DER'),
  description: z.string().describe('key: the ECDSA curve; ca: the certificate subject and validity'),
  pem: z.string(),
  createdAt: IsoDateSchema,
  createdBy: z.string(),
});
export const TrustedSignersSchema = z.object({ items: z.array(TrustedSignerSchema) });
export const TrustedSignerParamsSchema = z.object({ org: NameSchema, id: z.string().min(1).max(100) });

// ---- signatures on a version ----
export const SignVersionBodySchema = z.object({
  subjectName: z
    .string()
    .min(1)
    .max(255)
    .refine((s) => !s.includes('/') && s !== '.' && s !== '..', 'must be a directory name (no "/")')
    .optional()
    .describe('The statement\'s subject name: the directory name a verifier checks (default: the model name)'),
});
export const AddSignatureBodySchema = z.object({
  bundle: z.string().min(1).max(MAX_BUNDLE_CHARS).describe('The Sigstore bundle (model_signing 1.x), JSON text as written by the signer'),
  subject: SignatureSubjectSchema.default('model').describe('model: a model_signing bundle over the files; provenance: a signed SLSA provenance statement about the version'),
  publicKeyPem: z.string().max(MAX_PEM_CHARS).optional().describe('Key signatures by a key the org does not trust yet: the public key (the signature is stored, untrusted)'),
  caCertificatesPem: z
    .array(z.string().max(MAX_PEM_CHARS))
    .max(10)
    .optional()
    .describe('Certificate signatures under a CA the org does not trust yet: the CA certificates (the signature is stored, untrusted)'),
});
export const SignaturesQuerySchema = z.object({ subject: SignatureSubjectSchema.optional() });
export const SignatureListSchema = z.object({ items: z.array(SignatureSchema) });
export const SignatureParamsSchema = z.object({ org: NameSchema, model: NameSchema, ref: z.string().min(1).max(256), id: z.string().min(1).max(100) });
export const AddSignatureResponseSchema = z.object({ created: z.boolean(), signature: SignatureSchema });
export const SignedBundleResponseSchema = z.object({
  signature: SignatureSchema,
  bundle: z.string().describe('The Sigstore bundle, JSON text: write it to a file as it is'),
});

// ---- provenance ----
export const SignProvenanceBodySchema = z.object({
  builderId: z.string().url().max(2048).optional().describe('builder.id: a URI naming the training platform or pipeline (default: the registry)'),
});

// ---- exports ----
export const EXPORT_FORMATS = ['cyclonedx', 'spdx', 'model-card', 'annex-iv', 'annex-iv-html', 'gpai-form', 'gpai-form-html'] as const;
export const ExportFormatSchema = z.enum(EXPORT_FORMATS);
export const ExportParamsSchema = z.object({ org: NameSchema, model: NameSchema, ref: z.string().min(1).max(256), format: ExportFormatSchema });
/** Response header carrying the export's warnings: base64url of a JSON array of strings. */
export const EXPORT_WARNINGS_HEADER = 'x-steward-export-warnings';

export type SigningKey = z.infer<typeof SigningKeySchema>;
export type SigningKeyAlgorithm = z.infer<typeof SigningKeyAlgorithmSchema>;
export type TrustedSigner = z.infer<typeof TrustedSignerSchema>;
export type AddSignatureBody = z.infer<typeof AddSignatureBodySchema>;
export type AddTrustedSignerBody = z.infer<typeof AddTrustedSignerBodySchema>;
export type ExportFormatName = z.infer<typeof ExportFormatSchema>;
