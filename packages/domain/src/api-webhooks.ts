/**
 * Webhook subscriptions and deliveries (ADR 0014): request and response schemas, the event filter
 * syntax and the URL rules, shared by the server (validation, OpenAPI) and the CLI.
 */
import { z } from 'zod';
import { NameSchema } from './names.js';
import { IsoDateSchema, PageQuerySchema } from './api.js';

/**
 * An event filter: an audit action (`version.pushed`), a glob over its dot-separated segments
 * where `*` stands for one whole segment (`promotion.*`, `*.created`), or `*` alone for every event.
 */
const FILTER_SEGMENT = /^(?:[a-z][a-z0-9_]*|\*)$/;

export function isEventFilter(text: string): boolean {
  if (text === '*') return true;
  const parts = text.split('.');
  return parts.length >= 2 && parts.length <= 4 && parts.every((p) => FILTER_SEGMENT.test(p));
}

/** Whether an audit action (the webhook's event type) matches a filter; filters are checked with isEventFilter first. */
export function eventFilterMatches(filter: string, action: string): boolean {
  if (filter === '*') return true;
  const f = filter.split('.');
  const a = action.split('.');
  return f.length === a.length && f.every((p, i) => p === '*' || p === a[i]);
}

export const EventFilterSchema = z
  .string()
  .max(200)
  .refine(isEventFilter, 'must be an event type such as "version.pushed", a glob such as "promotion.*" (one "*" per whole segment), or "*" for every event');

export const EventFiltersSchema = z
  .array(EventFilterSchema)
  .min(1, 'name at least one event filter (or "*" for every event)')
  .max(50)
  .transform((fs) => [...new Set(fs)]);

/**
 * Where deliveries go. URLs are trusted operator input (an admin or maintainer of the org sets
 * them), but only http(s) is accepted, and never credentials in the URL: the secret signs instead.
 */
export const WebhookUrlSchema = z
  .string()
  .max(2048)
  .superRefine((text, ctx) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute http:// or https:// URL' });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: `scheme "${url.protocol.replace(/:$/, '')}" is not allowed; use http or https` });
    else if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'must not carry credentials (user:password@); receivers verify the signature instead' });
    else if (!url.hostname) ctx.addIssue({ code: 'custom', message: 'must name a host' });
  });

/** The events Steward records today (webhook types are audit actions; new actions become events without a change here). */
export const KNOWN_WEBHOOK_EVENTS = [
  'model.created',
  'model.updated',
  'version.pushed',
  'version.scanned',
  'version.scan_failed',
  'version.rescan_requested',
  'policy.evaluated',
  'promotion.requested',
  'promotion.approved',
  'promotion.rejected',
  'promotion.escalated',
  'ring.moved',
  'ring.rolled_back',
  'ring.frozen',
  'webhook.pinged',
] as const;

export const WebhookStateSchema = z.enum(['active', 'inactive', 'removed']);

/** The body receivers get: Steward's signed event, a Slack-compatible message, or a PagerDuty Events v2 event. */
export const WebhookFormatSchema = z.enum(['steward', 'slack', 'pagerduty']);
export type WebhookFormat = z.infer<typeof WebhookFormatSchema>;

export const WebhookSchema = z.object({
  id: z.string(),
  org: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string(),
  state: WebhookStateSchema,
  createdAt: IsoDateSchema,
  createdBy: z.string(),
  updatedAt: IsoDateSchema,
  secretRotatedAt: IsoDateSchema.nullable(),
  /** While set, deliveries are signed with the previous secret too, so receivers can switch over. */
  previousSecretExpiresAt: IsoDateSchema.nullable(),
  removedAt: IsoDateSchema.nullable(),
  format: WebhookFormatSchema,
});
export const CreatedWebhookSchema = WebhookSchema.extend({
  secret: z.string().describe('Shown once: the HMAC-SHA256 key receivers verify signatures with. Stored encrypted under the master key.'),
});
export const RotatedWebhookSecretSchema = z.object({
  id: z.string(),
  secret: z.string().describe('Shown once. The previous secret still signs (second v1= value) until previousSecretExpiresAt.'),
  secretRotatedAt: IsoDateSchema,
  previousSecretExpiresAt: IsoDateSchema.nullable(),
});

export const WebhookParamsSchema = z.object({ org: NameSchema, id: z.string().uuid() });
export const CreateWebhookBodySchema = z
  .object({
    url: WebhookUrlSchema,
    events: EventFiltersSchema,
    description: z.string().max(2000).optional(),
    active: z.boolean().optional(),
    format: WebhookFormatSchema.default('steward'),
    routingKey: z.string().min(1).max(200).optional().describe('PagerDuty integration (routing) key; required with format pagerduty'),
  })
  .refine((b) => (b.format === 'pagerduty') === (b.routingKey !== undefined), { message: 'format pagerduty needs routingKey, and only it takes one', path: ['routingKey'] });
export const UpdateWebhookBodySchema = z
  .object({
    url: WebhookUrlSchema.optional(),
    events: EventFiltersSchema.optional(),
    description: z.string().max(2000).optional(),
    active: z.boolean().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'name at least one of url, events, description, active' });
export const RotateWebhookSecretBodySchema = z.object({
  /** Seconds the previous secret keeps signing alongside the new one; default: the server's webhookSecretGraceSeconds. */
  graceSeconds: z.number().int().min(0).max(30 * 86_400).optional(),
});

export const DeliveryStatusSchema = z.enum(['pending', 'delivering', 'succeeded', 'failed', 'dead']);
export const WebhookDeliverySchema = z.object({
  id: z.string().describe('Also the Steward-Webhook-Id header: the same on every retry of this delivery'),
  webhookId: z.string(),
  eventId: z.number().int().describe('The audit event (its seq; `steward audit proof <eventId>` proves it is in the ledger)'),
  eventType: z.string(),
  status: DeliveryStatusSchema,
  attempts: z.number().int(),
  nextAttemptAt: IsoDateSchema.nullable(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  lastDurationMs: z.number().int().nullable(),
  replayOf: z.string().nullable(),
  createdAt: IsoDateSchema,
  updatedAt: IsoDateSchema,
});
export const WebhookAttemptSchema = z.object({
  attempt: z.number().int(),
  startedAt: IsoDateSchema,
  durationMs: z.number().int(),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  /** What the attempt led to: succeeded, retry (scheduled again), failed (not retried) or dead (out of attempts). */
  outcome: z.enum(['succeeded', 'retry', 'failed', 'dead']),
  /** The first bytes of the receiver's response body. */
  response: z.string().nullable(),
});
export const WebhookDeliveryDetailSchema = WebhookDeliverySchema.extend({
  url: z.string(),
  payload: z.unknown().describe('The JSON body that was (or will be) sent'),
  attemptLog: z.array(WebhookAttemptSchema),
});
export const DeliveryParamsSchema = z.object({ org: NameSchema, id: z.string().uuid() });
export const DeliveriesQuerySchema = PageQuerySchema.extend({
  status: DeliveryStatusSchema.optional(),
  webhook: z.string().uuid().optional(),
});

/** What a receiver gets: one audit event, as the ledger recorded it. */
export const WebhookPayloadSchema = z.object({
  id: z.number().int().describe('The audit event\'s seq'),
  type: z.string().describe('The audit action, e.g. version.pushed'),
  occurredAt: IsoDateSchema,
  org: z.string(),
  model: z.string().nullable(),
  actor: z.object({ name: z.string(), userId: z.string().nullable() }),
  target: z.object({ type: z.string(), id: z.string().nullable() }),
  details: z.record(z.string(), z.unknown()),
  ledger: z.object({ log: z.string(), index: z.number().int() }),
});

export type Webhook = z.infer<typeof WebhookSchema>;
export type CreatedWebhook = z.infer<typeof CreatedWebhookSchema>;
export type RotatedWebhookSecret = z.infer<typeof RotatedWebhookSecretSchema>;
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;
export type WebhookDeliveryDetail = z.infer<typeof WebhookDeliveryDetailSchema>;
export type WebhookAttempt = z.infer<typeof WebhookAttemptSchema>;
export type DeliveryStatus = z.infer<typeof DeliveryStatusSchema>;
export type WebhookPayload = z.infer<typeof WebhookPayloadSchema>;
