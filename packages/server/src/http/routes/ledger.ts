import {
  AuditExportQuerySchema,
  ConsistencyProofQuerySchema,
  ConsistencyProofSchema,
  InclusionProofParamsSchema,
  InclusionProofQuerySchema,
  InclusionProofSchema,
  LeafHashesSchema,
  LedgerIntegritySchema,
  LedgerKeysSchema,
  LedgerLogQuerySchema,
  LedgerRangeQuerySchema,
  OrgParamsSchema,
} from '@steward/domain';
import { z } from 'zod';
import { defineRoute } from '../route.js';
import { getLedgerCheckpoint } from '../../services/get-ledger-checkpoint.js';
import { listLedgerEntries } from '../../services/list-ledger-entries.js';
import { getInclusionProof } from '../../services/get-inclusion-proof.js';
import { getConsistencyProof } from '../../services/get-consistency-proof.js';
import { listLeafHashes } from '../../services/list-leaf-hashes.js';
import { listLedgerKeys } from '../../services/list-ledger-keys.js';
import { rotateLedgerKey } from '../../services/rotate-ledger-key.js';
import { checkLedgerIntegrity } from '../../services/check-ledger-integrity.js';
import { exportAudit } from '../../services/export-audit.js';

export const ledgerRoutes = [
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/ledger/checkpoint',
    operationId: 'getLedgerCheckpoint',
    summary: 'The latest signed checkpoint of the org\'s audit ledger (C2SP signed note, Ed25519)',
    description: 'Text: origin, tree size, base64 RFC 9162 root, blank line, signature lines. Signed now if events arrived since the last batch.',
    tag: 'audit',
    params: OrgParamsSchema,
    query: LedgerLogQuerySchema,
    response: { status: 200, schema: 'text', description: 'The signed note' },
    handler: async ({ ctx, input, reply }) => {
      const cp = await getLedgerCheckpoint({ ctx, input: { org: input.params.org, log: input.query.log } });
      reply.type('text/plain; charset=utf-8');
      return cp.note;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/ledger/entries',
    operationId: 'listLedgerEntries',
    summary: 'Ledger entries [start, end) as canonical leaf text, one per line (at most 10,000; audited)',
    tag: 'audit',
    params: OrgParamsSchema,
    query: LedgerRangeQuerySchema,
    response: { status: 200, schema: 'text', description: 'JSON Lines; line i is the entry of leaf start + i' },
    handler: async ({ ctx, input, reply }) => {
      const text = await listLedgerEntries({ ctx, input: { org: input.params.org, ...input.query } });
      reply.type('application/x-ndjson; charset=utf-8');
      return text;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/ledger/leaf-hashes',
    operationId: 'listLeafHashes',
    summary: 'Stored leaf hashes [start, end), to locate an entry that no longer matches',
    tag: 'audit',
    params: OrgParamsSchema,
    query: LedgerRangeQuerySchema,
    response: { status: 200, schema: LeafHashesSchema, description: 'Hex hashes from start' },
    handler: ({ ctx, input }) => listLeafHashes({ ctx, input: { org: input.params.org, ...input.query } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/audit-events/:seq/proof',
    operationId: 'getInclusionProof',
    summary: 'Inclusion proof of one audit event in a signed checkpoint (default: the latest)',
    tag: 'audit',
    params: InclusionProofParamsSchema,
    query: InclusionProofQuerySchema,
    response: { status: 200, schema: InclusionProofSchema, description: 'Entry, leaf hash, proof and checkpoint' },
    handler: ({ ctx, input }) => getInclusionProof({ ctx, input: { org: input.params.org, seq: input.params.seq, size: input.query.size } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/ledger/consistency',
    operationId: 'getConsistencyProof',
    summary: 'Consistency proof between two tree sizes (RFC 9162 §2.1.4)',
    tag: 'audit',
    params: OrgParamsSchema,
    query: ConsistencyProofQuerySchema,
    response: { status: 200, schema: ConsistencyProofSchema, description: 'Hex hashes' },
    handler: ({ ctx, input }) => getConsistencyProof({ ctx, input: { org: input.params.org, ...input.query } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/ledger/keys',
    operationId: 'listLedgerKeys',
    summary: 'The checkpoint signing keys (current first) with the endorsements that chain rotations',
    tag: 'audit',
    params: OrgParamsSchema,
    response: { status: 200, schema: LedgerKeysSchema, description: 'Public keys' },
    handler: ({ ctx, input }) => listLedgerKeys({ ctx, input: { org: input.params.org } }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/ledger/keys/rotate',
    operationId: 'rotateLedgerKey',
    summary: 'Rotate the checkpoint signing key (admin of the operator org)',
    tag: 'audit',
    params: OrgParamsSchema,
    body: z.object({}).strict(),
    response: { status: 200, schema: z.object({ previous: LedgerKeysSchema.shape.keys.element, next: LedgerKeysSchema.shape.keys.element }), description: 'The retired and the new key' },
    handler: ({ ctx, input }) => rotateLedgerKey({ ctx, input: { org: input.params.org } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/ledger/integrity',
    operationId: 'checkLedgerIntegrity',
    summary: 'Server self-check: every event row against its stored leaf hash and the signed root',
    tag: 'audit',
    params: OrgParamsSchema,
    query: LedgerLogQuerySchema,
    response: { status: 200, schema: LedgerIntegritySchema, description: 'Problems found, by index' },
    handler: ({ ctx, input }) => checkLedgerIntegrity({ ctx, input: { org: input.params.org, log: input.query.log } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/audit-export',
    operationId: 'exportAudit',
    summary: 'Audit events with inclusion proofs against one signed checkpoint, as JSON Lines (audited)',
    tag: 'audit',
    params: OrgParamsSchema,
    query: AuditExportQuerySchema,
    response: { status: 200, schema: 'text', description: 'First line: the checkpoint; then one event per line' },
    handler: async ({ ctx, input, reply }) => {
      const stream = await exportAudit({ ctx, input: { org: input.params.org, ...input.query } });
      reply.type('application/x-ndjson; charset=utf-8');
      return stream;
    },
  }),
];
