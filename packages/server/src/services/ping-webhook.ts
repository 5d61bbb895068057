import { StewardError, type WebhookDelivery } from '@steward/domain';
import { webhookPayload } from '../webhooks/payload.js';
import { deliveryView, findSubscription, lastAppendedEvent, pendingDelivery } from '../webhooks/views.js';
import { audit, authorize, newId, type ServiceContext } from './context.js';

/**
 * Sends a test event to one subscription, whatever its filters: the `webhook.pinged` audit event,
 * delivered like any other (signed, retried, logged). Other subscriptions get it only if their
 * filters match it, and this one never twice.
 */
export async function pingWebhook({ ctx, input }: { ctx: ServiceContext; input: { org: string; id: string } }): Promise<WebhookDelivery> {
  const scope = authorize(ctx, input.org, 'webhook.manage');
  const id = newId();
  return ctx.db.transaction().execute(async (trx) => {
    const sub = await findSubscription(trx, scope.orgId, input.id);
    if (!sub.active) throw new StewardError('conflict', `webhook ${sub.id} is ${sub.removed_at ? 'removed' : 'inactive'}`);
    await audit(trx, ctx, { orgId: scope.orgId, action: 'webhook.pinged', targetType: 'webhook', targetId: sub.id, details: { delivery: id } });
    const event = await lastAppendedEvent(trx, scope.orgId);
    const now = ctx.now().toISOString();
    await trx
      .insertInto('webhook_deliveries')
      .values(pendingDelivery({ id, orgId: scope.orgId, subscriptionId: sub.id, auditSeq: event.seq, eventType: 'webhook.pinged', payload: webhookPayload(event.seq, event.entry), now }))
      .execute();
    return deliveryView(await trx.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
  });
}
