import { StewardError, type WebhookAttempt, type WebhookDeliveryDetail } from '@steward/domain';
import { deliveryView } from '../webhooks/views.js';
import { authorize, type ServiceContext } from './context.js';

/** One delivery with its payload and every attempt. */
export async function getWebhookDelivery({ ctx, input }: { ctx: ServiceContext; input: { org: string; id: string } }): Promise<WebhookDeliveryDetail> {
  const scope = authorize(ctx, input.org, 'webhook.manage');
  const row = await ctx.db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
    .selectAll('d')
    .select('s.url')
    .where('d.org_id', '=', scope.orgId)
    .where('d.id', '=', input.id)
    .executeTakeFirst();
  if (!row) throw new StewardError('not_found', `webhook delivery ${input.id} not found`);
  const attempts = await ctx.db.selectFrom('webhook_attempts').selectAll().where('delivery_id', '=', row.id).orderBy('attempt').execute();
  return {
    ...deliveryView(row),
    url: row.url,
    payload: JSON.parse(row.payload) as unknown,
    attemptLog: attempts.map(
      (a): WebhookAttempt => ({
        attempt: a.attempt,
        startedAt: a.started_at,
        durationMs: a.duration_ms,
        statusCode: a.status_code,
        error: a.error,
        outcome: a.outcome as WebhookAttempt['outcome'],
        response: a.response_excerpt,
      }),
    ),
  };
}
