import { z } from 'zod';
import { AddAllowlistEntryBodySchema, AllowlistEntrySchema, AllowlistEntryTextSchema, OrgParamsSchema, ScanReportResponseSchema, ScanStatusSchema, VersionParamsSchema } from '@steward/domain';
import { defineRoute } from '../route.js';
import { rescanVersion } from '../../services/rescan-version.js';
import { getScan } from '../../services/get-scan.js';
import { listAllowlist } from '../../services/list-allowlist.js';
import { addAllowlistEntry } from '../../services/add-allowlist-entry.js';
import { removeAllowlistEntry } from '../../services/remove-allowlist-entry.js';

export const scanRoutes = [
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/models/:model/versions/:ref/scan',
    operationId: 'getScan',
    summary: 'The newest scan of a version, with its full report when done (?id= for an older one)',
    tag: 'scanning',
    params: VersionParamsSchema,
    query: z.object({ id: z.string().max(64).optional() }),
    response: { status: 200, schema: ScanReportResponseSchema, description: 'Scan status and report' },
    handler: ({ ctx, input }) => getScan({ ctx, input: { ...input.params, scanId: input.query.id } }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/models/:model/versions/:ref/scans',
    operationId: 'rescanVersion',
    summary: 'Queue a new scan of a version against the org\'s current allowlist',
    tag: 'scanning',
    params: VersionParamsSchema,
    response: { status: 202, schema: ScanStatusSchema, description: 'Queued' },
    handler: ({ ctx, input }) => rescanVersion({ ctx, input: input.params }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/scanner/allowlist',
    operationId: 'listAllowlist',
    summary: 'The org\'s additions to the built-in pickle import allowlist',
    tag: 'scanning',
    params: OrgParamsSchema,
    response: { status: 200, schema: z.object({ items: z.array(AllowlistEntrySchema) }), description: 'Entries' },
    handler: async ({ ctx, input }) => ({ items: await listAllowlist({ ctx, input: input.params }) }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/scanner/allowlist',
    operationId: 'addAllowlistEntry',
    summary: 'Allow a pickle import (module.name or module.*) with a reason (admin); rescan to apply',
    tag: 'scanning',
    params: OrgParamsSchema,
    body: AddAllowlistEntryBodySchema,
    response: { status: 201, schema: AllowlistEntrySchema, description: 'Added' },
    errors: [409],
    handler: ({ ctx, input }) => addAllowlistEntry({ ctx, input: { org: input.params.org, ...input.body } }),
  }),
  defineRoute({
    method: 'DELETE',
    url: '/api/v1/orgs/:org/scanner/allowlist/:entry',
    operationId: 'removeAllowlistEntry',
    summary: 'Remove an allowlist entry (admin)',
    tag: 'scanning',
    params: OrgParamsSchema.extend({ entry: AllowlistEntryTextSchema }),
    response: { status: 200, schema: z.object({ entry: z.string(), removed: z.literal(true) }), description: 'Removed' },
    handler: ({ ctx, input }) => removeAllowlistEntry({ ctx, input: input.params }),
  }),
];
