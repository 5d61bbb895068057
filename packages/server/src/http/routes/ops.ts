import { AuditEventSchema, GcResponseSchema, OrgParamsSchema, PageQuerySchema, pageOf } from '@steward/domain';
import { defineRoute } from '../route.js';
import { runGc } from '../../services/run-gc.js';
import { listAuditEvents } from '../../services/list-audit-events.js';

export const opsRoutes = [
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/gc',
    operationId: 'runGc',
    summary: 'Collect blobs left by abandoned pushes (admin)',
    tag: 'operations',
    params: OrgParamsSchema,
    response: { status: 200, schema: GcResponseSchema, description: 'What was removed' },
    handler: ({ ctx, input }) => runGc({ ctx, input: { org: input.params.org } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/audit-events',
    operationId: 'listAuditEvents',
    summary: 'The org\'s audit events, newest first (auditor, admin)',
    tag: 'operations',
    params: OrgParamsSchema,
    query: PageQuerySchema,
    response: { status: 200, schema: pageOf(AuditEventSchema), description: 'A page of events' },
    handler: ({ ctx, input }) => listAuditEvents({ ctx, input: { org: input.params.org, ...input.query } }),
  }),
];
