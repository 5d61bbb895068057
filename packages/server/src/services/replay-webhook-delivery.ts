import { StewardError, type WebhookDelivery } from '@steward/domain';
import { deliveryView, findSubscription, pendingDelivery } from '../webhooks/views.js';
import { audit, authorize, newId, type ServiceContext } from './context.js';

/**
 * Sends a delivery again, whatever became of it: a new delivery (new id, its own attempts) with
 * the same payload, to the subscription's current URL, signed with its current secret. Receivers
 * that dedupe on the payload's event id see the same event.
 */
export async function replayWebhookDelivery({ ctx, input }: { ctx: ServiceContext; input: { org: string; id: string } }): Promise<WebhookDelivery> {
  const scope = authorize(ctx, input.org, 'webhook.manage');
  const id = newId();
  return ctx.db.transaction().execute(async (trx) => {
    const original = await trx.selectFrom('webhook_deliveries').selectAll().where('org_id', '=', scope.orgId).where('id', '=', input.id).executeTakeFirst();
    if (!original) throw new StewardError('not_found', `webhook delivery ${input.id} not found`);
    const sub = await findSubscription(trx, scope.orgId, original.subscription_id);
    if (!sub.active) throw new StewardError('conflict', `webhook ${sub.id} is ${sub.removed_at ? 'removed' : 'inactive'}; activate it to replay its deliveries`);
    const now = ctx.now().toISOString();
    await trx
      .insertInto('webhook_deliveries')
      .values(pendingDelivery({ id, orgId: scope.orgId, subscriptionId: sub.id, auditSeq: original.audit_seq, eventType: original.event_type, payload: original.payload, replayOf: original.id, now }))
      .execute();
    await audit(trx, ctx, {
      orgId: scope.orgId,
      action: 'webhook.delivery_replayed',
      targetType: 'webhook_delivery',
      targetId: id,
      details: { webhook: sub.id, replayOf: original.id, eventId: Number(original.audit_seq), eventType: original.event_type },
    });
    return deliveryView(await trx.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
  });
}
