import { z } from 'zod';
import {
  ModelParamsSchema,
  MoveRingBodySchema,
  RingAtResponseSchema,
  RingHistoryEntrySchema,
  RingHistoryQuerySchema,
  RingParamsSchema,
  RingPointerSchema,
  RollbackRingBodySchema,
  pageOf,
} from '@steward/domain';
import { defineRoute } from '../route.js';
import { moveRing } from '../../services/move-ring.js';
import { rollbackRing } from '../../services/rollback-ring.js';
import { ringHistory } from '../../services/ring-history.js';
import { ringAt } from '../../services/ring-at.js';
import { listRingPointers } from '../../services/list-ring-pointers.js';

export const ringRoutes = [
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/models/:model/rings',
    operationId: 'listRingPointers',
    summary: 'Where each ring of the model points now',
    tag: 'rings',
    params: ModelParamsSchema,
    response: { status: 200, schema: z.object({ items: z.array(RingPointerSchema) }), description: 'Ring pointers' },
    handler: async ({ ctx, input }) => ({ items: await listRingPointers({ ctx, input: input.params }) }),
  }),
  defineRoute({
    method: 'PUT',
    url: '/api/v1/orgs/:org/models/:model/rings/:ring',
    operationId: 'moveRing',
    summary: 'Point a ring at a version (maintainer)',
    tag: 'rings',
    params: RingParamsSchema,
    body: MoveRingBodySchema,
    response: { status: 200, schema: RingHistoryEntrySchema, description: 'The history entry recorded' },
    errors: [409],
    handler: ({ ctx, input }) => moveRing({ ctx, input: { ...input.params, ...input.body } }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/models/:model/rings/:ring/rollback',
    operationId: 'rollbackRing',
    summary: 'Move the ring back to the version it held before the current one',
    tag: 'rings',
    params: RingParamsSchema,
    body: RollbackRingBodySchema,
    response: { status: 200, schema: RingHistoryEntrySchema, description: 'The history entry recorded' },
    errors: [409],
    handler: ({ ctx, input }) => rollbackRing({ ctx, input: { ...input.params, ...input.body } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/models/:model/rings/:ring/history',
    operationId: 'ringHistory',
    summary: 'Every move of the ring, newest first; with ?at=TIME, the version it pointed at then',
    tag: 'rings',
    params: RingParamsSchema,
    query: RingHistoryQuerySchema,
    response: { status: 200, schema: z.union([pageOf(RingHistoryEntrySchema), RingAtResponseSchema]), description: 'History page, or the pointer at a time' },
    handler: async ({ ctx, input }) => {
      const { at, ...page } = input.query;
      if (at !== undefined) return ringAt({ ctx, input: { ...input.params, at } });
      return ringHistory({ ctx, input: { ...input.params, ...page } });
    },
  }),
];
