import type { Webhook } from '@steward/domain';
import { findSubscription, urlForAudit, webhookView } from '../webhooks/views.js';
import { audit, authorize, type ServiceContext } from './context.js';

/**
 * Removes a subscription: it stops receiving events for good, and deliveries not yet sent fail
 * (as "webhook is inactive"). The row and its delivery log stay readable. Idempotent.
 */
export async function removeWebhook({ ctx, input }: { ctx: ServiceContext; input: { org: string; id: string } }): Promise<Webhook> {
  const scope = authorize(ctx, input.org, 'webhook.manage');
  return ctx.db.transaction().execute(async (trx) => {
    const row = await findSubscription(trx, scope.orgId, input.id);
    if (row.removed_at) return webhookView(row, scope.orgName);
    const now = ctx.now().toISOString();
    await trx
      .updateTable('webhook_subscriptions')
      .set({ active: 0, removed_at: now, removed_by: ctx.actor.userName, updated_at: now, previous_secret_enc: null, previous_secret_expires_at: null })
      .where('id', '=', row.id)
      .execute();
    await audit(trx, ctx, { orgId: scope.orgId, action: 'webhook.removed', targetType: 'webhook', targetId: row.id, details: urlForAudit(row.url) });
    return webhookView(await findSubscription(trx, scope.orgId, row.id), scope.orgName);
  });
}
