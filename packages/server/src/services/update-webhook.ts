import { StewardError, type Webhook } from '@steward/domain';
import { findSubscription, urlForAudit, webhookView } from '../webhooks/views.js';
import { audit, authorize, type ServiceContext } from './context.js';

/**
 * Changes a subscription's URL, filters, description or active flag. Filters apply to events the
 * dispatcher has not reached yet; an inactive subscription gets no deliveries for events meanwhile.
 */
export async function updateWebhook({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { org: string; id: string; url?: string | undefined; events?: string[] | undefined; description?: string | undefined; active?: boolean | undefined };
}): Promise<Webhook> {
  const scope = authorize(ctx, input.org, 'webhook.manage');
  return ctx.db.transaction().execute(async (trx) => {
    const before = await findSubscription(trx, scope.orgId, input.id);
    if (before.removed_at) throw new StewardError('conflict', `webhook ${input.id} was removed; create a new one`);
    const set: { url?: string; events_json?: string; description?: string; active?: number } = {};
    const changes: Record<string, unknown> = {};
    if (input.url !== undefined && input.url !== before.url) {
      set.url = input.url;
      changes.url = { before: urlForAudit(before.url), after: urlForAudit(input.url) };
    }
    const beforeEvents = JSON.parse(before.events_json) as string[];
    if (input.events !== undefined && JSON.stringify(input.events) !== JSON.stringify(beforeEvents)) {
      set.events_json = JSON.stringify(input.events);
      changes.events = { before: beforeEvents, after: input.events };
    }
    if (input.description !== undefined && input.description !== before.description) {
      set.description = input.description;
      changes.description = { before: before.description, after: input.description };
    }
    if (input.active !== undefined && (input.active ? 1 : 0) !== before.active) {
      set.active = input.active ? 1 : 0;
      changes.active = { before: Boolean(before.active), after: input.active };
    }
    if (Object.keys(set).length === 0) return webhookView(before, scope.orgName);
    await trx
      .updateTable('webhook_subscriptions')
      .set({ ...set, updated_at: ctx.now().toISOString() })
      .where('id', '=', before.id)
      .execute();
    await audit(trx, ctx, { orgId: scope.orgId, action: 'webhook.updated', targetType: 'webhook', targetId: before.id, details: { changes } });
    return webhookView(await findSubscription(trx, scope.orgId, before.id), scope.orgName);
  });
}
