import {
  AddSignatureBodySchema,
  AddSignatureResponseSchema,
  AddTrustedSignerBodySchema,
  CreateSigningKeyBodySchema,
  OrgParamsSchema,
  RotateSigningKeyBodySchema,
  RotatedSigningKeySchema,
  SignProvenanceBodySchema,
  SignVersionBodySchema,
  SignatureListSchema,
  SignatureParamsSchema,
  SignaturesQuerySchema,
  SignedBundleResponseSchema,
  SigningKeySchema,
  SigningKeysSchema,
  TrustedSignerParamsSchema,
  TrustedSignerSchema,
  TrustedSignersSchema,
  VersionParamsSchema,
} from '@steward/domain';
import { z } from 'zod';
import { defineRoute } from '../route.js';
import { listSigningKeys } from '../../services/list-signing-keys.js';
import { getSigningKey } from '../../services/get-signing-key.js';
import { createSigningKey } from '../../services/create-signing-key.js';
import { rotateSigningKey } from '../../services/rotate-signing-key.js';
import { listSigningTrust } from '../../services/list-signing-trust.js';
import { addSigningTrust } from '../../services/add-signing-trust.js';
import { removeSigningTrust } from '../../services/remove-signing-trust.js';
import { listSignatures } from '../../services/list-signatures.js';
import { addSignature } from '../../services/add-signature.js';
import { createVersionSignature } from '../../services/create-version-signature.js';
import { getSignatureBundle } from '../../services/get-signature-bundle.js';
import { signProvenance } from '../../services/sign-provenance.js';
import { getProvenance } from '../../services/get-provenance.js';

const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json; charset=utf-8';
const VERSION_URL = '/api/v1/orgs/:org/models/:model/versions/:ref';

export const signingRoutes = [
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/signing-keys',
    operationId: 'listSigningKeys',
    summary: 'The org\'s signing keys (public parts): the current one first, then retired ones',
    tag: 'signing',
    params: OrgParamsSchema,
    response: { status: 200, schema: SigningKeysSchema, description: 'Keys' },
    handler: ({ ctx, input }) => listSigningKeys({ ctx, input: input.params }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/signing-keys/current',
    operationId: 'getSigningKey',
    summary: 'The org\'s current signing key (public part): verify the org\'s signatures with publicKeyPem',
    tag: 'signing',
    params: OrgParamsSchema,
    response: { status: 200, schema: SigningKeySchema, description: 'The current key' },
    handler: ({ ctx, input }) => getSigningKey({ ctx, input: input.params }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/signing-keys',
    operationId: 'createSigningKey',
    summary: 'Create the org\'s signing key (admin; ECDSA P-256 by default); 409 when it has one',
    description: 'The private key is generated on the server and stored encrypted with the server master key; it never leaves the server.',
    tag: 'signing',
    params: OrgParamsSchema,
    body: CreateSigningKeyBodySchema,
    response: { status: 201, schema: SigningKeySchema, description: 'The new key' },
    errors: [409],
    handler: ({ ctx, input }) => createSigningKey({ ctx, input: { org: input.params.org, algorithm: input.body.algorithm } }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/signing-keys/rotate',
    operationId: 'rotateSigningKey',
    summary: 'Replace the org\'s signing key (admin); the retired key stays trusted for what it signed',
    tag: 'signing',
    params: OrgParamsSchema,
    body: RotateSigningKeyBodySchema,
    response: { status: 200, schema: RotatedSigningKeySchema, description: 'The retired and the new key' },
    errors: [422],
    handler: ({ ctx, input }) => rotateSigningKey({ ctx, input: { org: input.params.org, algorithm: input.body.algorithm } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/trusted-signers',
    operationId: 'listTrustedSigners',
    summary: 'Public keys and CA certificates the org trusts besides its own signing keys',
    tag: 'signing',
    params: OrgParamsSchema,
    response: { status: 200, schema: TrustedSignersSchema, description: 'Trusted signers' },
    handler: ({ ctx, input }) => listSigningTrust({ ctx, input: input.params }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/trusted-signers',
    operationId: 'addTrustedSigner',
    summary: 'Trust an ECDSA public key or a CA certificate for signatures (admin)',
    tag: 'signing',
    params: OrgParamsSchema,
    body: AddTrustedSignerBodySchema,
    response: { status: 201, schema: TrustedSignerSchema, description: 'Trusted' },
    errors: [409],
    handler: ({ ctx, input }) => addSigningTrust({ ctx, input: { org: input.params.org, body: input.body } }),
  }),
  defineRoute({
    method: 'DELETE',
    url: '/api/v1/orgs/:org/trusted-signers/:id',
    operationId: 'removeTrustedSigner',
    summary: 'Stop trusting a key or CA (admin); signatures it made stay, untrusted',
    tag: 'signing',
    params: TrustedSignerParamsSchema,
    response: { status: 200, schema: z.object({ id: z.string(), removed: z.literal(true) }), description: 'Removed' },
    handler: async ({ ctx, input }) => {
      await removeSigningTrust({ ctx, input: input.params });
      return { id: input.params.id, removed: true as const };
    },
  }),
  defineRoute({
    method: 'GET',
    url: `${VERSION_URL}/signatures`,
    operationId: 'listSignatures',
    summary: 'Signatures of a version (model files and provenance), with trust decided now',
    tag: 'signing',
    params: VersionParamsSchema,
    query: SignaturesQuerySchema,
    response: { status: 200, schema: SignatureListSchema, description: 'Signatures, oldest first' },
    handler: ({ ctx, input }) => listSignatures({ ctx, input: { ...input.params, subject: input.query.subject } }),
  }),
  defineRoute({
    method: 'POST',
    url: `${VERSION_URL}/signatures`,
    operationId: 'addSignature',
    summary: 'Attach a signature bundle, verified against the version\'s manifest before it is stored (contributor)',
    description:
      'The bundle must sign exactly the version\'s files (model) or name its manifest digest as subject (provenance), and verify with the org key, a trusted key or CA, or the key / CA certificates given (then stored as untrusted). The same bundle again: 200, nothing changes.',
    tag: 'signing',
    params: VersionParamsSchema,
    body: AddSignatureBodySchema,
    response: { status: 201, schema: AddSignatureResponseSchema, description: 'Stored (201) or already present (200)' },
    handler: async ({ ctx, input, reply }) => {
      const r = await addSignature({ ctx, input: { ...input.params, body: input.body } });
      reply.code(r.created ? 201 : 200);
      return r;
    },
  }),
  defineRoute({
    method: 'POST',
    url: `${VERSION_URL}/signatures/sign`,
    operationId: 'signVersion',
    summary: 'Sign the version\'s files with the org key (maintainer): an OpenSSF model-signing bundle over its manifest',
    description: 'The same bundle `steward sign DIR` writes for a directory named subjectName holding the version\'s files; `steward verify-signature DIR --public-key org.pub --signature FILE` accepts it.',
    tag: 'signing',
    params: VersionParamsSchema,
    body: SignVersionBodySchema,
    response: { status: 201, schema: SignedBundleResponseSchema, description: 'The stored signature and its bundle' },
    errors: [422],
    handler: async ({ ctx, input }) => {
      const r = await createVersionSignature({ ctx, input: { ...input.params, subjectName: input.body.subjectName } });
      return { signature: r.signature, bundle: r.bundleJson };
    },
  }),
  defineRoute({
    method: 'GET',
    url: `${VERSION_URL}/signatures/:id/bundle`,
    operationId: 'getSignatureBundle',
    summary: 'One stored signature bundle, byte for byte',
    tag: 'signing',
    params: SignatureParamsSchema,
    response: { status: 200, schema: 'text', description: 'Sigstore bundle v0.3 (JSON)' },
    handler: async ({ ctx, input, reply }) => {
      const r = await getSignatureBundle({ ctx, input: input.params });
      reply.type(BUNDLE_TYPE).header('content-disposition', `attachment; filename="${r.fileName}"`);
      return r.bundleJson;
    },
  }),
  defineRoute({
    method: 'POST',
    url: `${VERSION_URL}/provenance`,
    operationId: 'signProvenance',
    summary: 'Build the version\'s SLSA provenance v1 from the registry\'s records and sign it with the org key (maintainer)',
    tag: 'signing',
    params: VersionParamsSchema,
    body: SignProvenanceBodySchema,
    response: { status: 201, schema: SignedBundleResponseSchema, description: 'The stored signature (subject provenance) and its bundle' },
    errors: [422],
    handler: async ({ ctx, input }) => {
      const r = await signProvenance({ ctx, input: { ...input.params, builderId: input.body.builderId } });
      return { signature: r.signature, bundle: r.bundleJson };
    },
  }),
  defineRoute({
    method: 'GET',
    url: `${VERSION_URL}/provenance`,
    operationId: 'getProvenance',
    summary: 'The version\'s SLSA provenance v1 statement: the payload of its newest signed provenance (trusted first), byte for byte',
    tag: 'signing',
    params: VersionParamsSchema,
    response: { status: 200, schema: 'text', description: 'in-toto Statement v1 (JSON)' },
    handler: async ({ ctx, input, reply }) => {
      const r = await getProvenance({ ctx, input: input.params });
      reply.type('application/vnd.in-toto+json; charset=utf-8').header('content-disposition', `attachment; filename="${r.fileName}.json"`);
      return r.statementJson;
    },
  }),
  defineRoute({
    method: 'GET',
    url: `${VERSION_URL}/provenance/bundle`,
    operationId: 'getProvenanceBundle',
    summary: 'The version\'s newest signed provenance (trusted first) as its Sigstore bundle: verify with `steward verify-signature`',
    tag: 'signing',
    params: VersionParamsSchema,
    response: { status: 200, schema: 'text', description: 'Sigstore bundle v0.3 (JSON)' },
    handler: async ({ ctx, input, reply }) => {
      const r = await getProvenance({ ctx, input: input.params });
      reply.type(BUNDLE_TYPE).header('content-disposition', `attachment; filename="${r.fileName}.sig"`);
      return r.bundleJson;
    },
  }),
];
