import { z } from 'zod';
import {
  CreateWebhookBodySchema,
  CreatedWebhookSchema,
  DeliveriesQuerySchema,
  DeliveryParamsSchema,
  OrgParamsSchema,
  RotateWebhookSecretBodySchema,
  RotatedWebhookSecretSchema,
  UpdateWebhookBodySchema,
  WebhookDeliveryDetailSchema,
  WebhookDeliverySchema,
  WebhookParamsSchema,
  WebhookSchema,
  pageOf,
} from '@steward/domain';
import { defineRoute } from '../route.js';
import { createWebhook } from '../../services/create-webhook.js';
import { listWebhooks } from '../../services/list-webhooks.js';
import { getWebhook } from '../../services/get-webhook.js';
import { updateWebhook } from '../../services/update-webhook.js';
import { removeWebhook } from '../../services/remove-webhook.js';
import { rotateWebhookSecret } from '../../services/rotate-webhook-secret.js';
import { pingWebhook } from '../../services/ping-webhook.js';
import { listWebhookDeliveries } from '../../services/list-webhook-deliveries.js';
import { getWebhookDelivery } from '../../services/get-webhook-delivery.js';
import { replayWebhookDelivery } from '../../services/replay-webhook-delivery.js';

export const webhookRoutes = [
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/webhooks',
    operationId: 'createWebhook',
    summary: 'Subscribe a URL to the org\'s events (maintainer); the signing secret is returned once',
    description: 'Events are audit actions (`version.pushed`, `ring.moved`, ...); filters are action names or globs such as `promotion.*`, or `*`. Deliveries are signed: see the README, "Webhooks".',
    tag: 'webhooks',
    params: OrgParamsSchema,
    body: CreateWebhookBodySchema,
    response: { status: 201, schema: CreatedWebhookSchema, description: 'The subscription, with its secret' },
    handler: ({ ctx, input }) => createWebhook({ ctx, input: { ...input.params, ...input.body } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/webhooks',
    operationId: 'listWebhooks',
    summary: 'The org\'s webhook subscriptions (maintainer)',
    tag: 'webhooks',
    params: OrgParamsSchema,
    response: { status: 200, schema: z.object({ items: z.array(WebhookSchema) }), description: 'Subscriptions, oldest first' },
    handler: async ({ ctx, input }) => ({ items: await listWebhooks({ ctx, input: input.params }) }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/webhooks/:id',
    operationId: 'getWebhook',
    summary: 'One webhook subscription (maintainer)',
    tag: 'webhooks',
    params: WebhookParamsSchema,
    response: { status: 200, schema: WebhookSchema, description: 'The subscription' },
    handler: ({ ctx, input }) => getWebhook({ ctx, input: input.params }),
  }),
  defineRoute({
    method: 'PATCH',
    url: '/api/v1/orgs/:org/webhooks/:id',
    operationId: 'updateWebhook',
    summary: 'Change a subscription\'s URL, event filters, description or active flag (maintainer)',
    tag: 'webhooks',
    params: WebhookParamsSchema,
    body: UpdateWebhookBodySchema,
    response: { status: 200, schema: WebhookSchema, description: 'The subscription after the change' },
    errors: [409],
    handler: ({ ctx, input }) => updateWebhook({ ctx, input: { ...input.params, ...input.body } }),
  }),
  defineRoute({
    method: 'DELETE',
    url: '/api/v1/orgs/:org/webhooks/:id',
    operationId: 'removeWebhook',
    summary: 'Remove a subscription for good; its delivery log stays readable (maintainer)',
    tag: 'webhooks',
    params: WebhookParamsSchema,
    response: { status: 200, schema: WebhookSchema, description: 'The removed subscription' },
    handler: ({ ctx, input }) => removeWebhook({ ctx, input: input.params }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/webhooks/:id/rotate-secret',
    operationId: 'rotateWebhookSecret',
    summary: 'Issue a new signing secret, returned once; the old one keeps signing during a grace period (maintainer)',
    tag: 'webhooks',
    params: WebhookParamsSchema,
    body: RotateWebhookSecretBodySchema,
    response: { status: 200, schema: RotatedWebhookSecretSchema, description: 'The new secret' },
    errors: [409],
    handler: ({ ctx, input }) => rotateWebhookSecret({ ctx, input: { ...input.params, ...input.body } }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/webhooks/:id/ping',
    operationId: 'pingWebhook',
    summary: 'Send a test event (webhook.pinged) to the subscription, whatever its filters (maintainer)',
    tag: 'webhooks',
    params: WebhookParamsSchema,
    response: { status: 202, schema: WebhookDeliverySchema, description: 'The delivery, queued' },
    errors: [409],
    handler: ({ ctx, input }) => pingWebhook({ ctx, input: input.params }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/webhook-deliveries',
    operationId: 'listWebhookDeliveries',
    summary: 'The delivery log, newest first; filter by status and subscription (maintainer)',
    tag: 'webhooks',
    params: OrgParamsSchema,
    query: DeliveriesQuerySchema,
    response: { status: 200, schema: pageOf(WebhookDeliverySchema), description: 'Deliveries' },
    handler: ({ ctx, input }) => listWebhookDeliveries({ ctx, input: { ...input.params, ...input.query } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/webhook-deliveries/:id',
    operationId: 'getWebhookDelivery',
    summary: 'One delivery: its payload and every attempt (status, duration, error) (maintainer)',
    tag: 'webhooks',
    params: DeliveryParamsSchema,
    response: { status: 200, schema: WebhookDeliveryDetailSchema, description: 'The delivery' },
    handler: ({ ctx, input }) => getWebhookDelivery({ ctx, input: input.params }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/webhook-deliveries/:id/replay',
    operationId: 'replayWebhookDelivery',
    summary: 'Send a delivery again, as a new delivery referencing it (maintainer)',
    tag: 'webhooks',
    params: DeliveryParamsSchema,
    response: { status: 202, schema: WebhookDeliverySchema, description: 'The new delivery, queued' },
    errors: [409],
    handler: ({ ctx, input }) => replayWebhookDelivery({ ctx, input: input.params }),
  }),
];
