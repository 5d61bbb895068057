import { AuditEventSchema, AuditQuerySchema, GcResponseSchema, OrgParamsSchema, pageOf } from '@steward/domain';
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
    summary: 'Search the org\'s audit events, newest first (auditor, admin); each read is itself audited',
    description: 'Filters: actor (user name), action (exact, or a prefix ending in *), model ("org/name" or "name"), since (ISO time). Events are rendered from their canonical ledger entry.',
    tag: 'audit',
    params: OrgParamsSchema,
    query: AuditQuerySchema,
    response: { status: 200, schema: pageOf(AuditEventSchema), description: 'A page of events' },
    handler: ({ ctx, input }) => listAuditEvents({ ctx, input: { org: input.params.org, ...input.query } }),
  }),
];
