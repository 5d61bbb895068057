import type { CreatedWebhook, WebhookFormat } from '@steward/domain';
import { generateWebhookSecret, sealRoutingKey, sealWebhookSecret } from '../webhooks/secrets.js';
import { lastAppendedEvent, urlForAudit, webhookView } from '../webhooks/views.js';
import { audit, authorize, newId, type ServiceContext } from './context.js';

/**
 * Subscribes a URL to the org's events matching the filters. The secret is returned once and kept
 * encrypted under the master key. The subscription receives events after its own creation event.
 */
export async function createWebhook({ ctx, input }: { ctx: ServiceContext; input: { org: string; url: string; events: string[]; description?: string | undefined; active?: boolean | undefined; format?: WebhookFormat | undefined; routingKey?: string | undefined } }): Promise<CreatedWebhook> {
  const scope = authorize(ctx, input.org, 'webhook.manage');
  const id = newId();
  const secret = generateWebhookSecret();
  const now = ctx.now().toISOString();
  return ctx.db.transaction().execute(async (trx) => {
    await audit(trx, ctx, {
      orgId: scope.orgId,
      action: 'webhook.created',
      targetType: 'webhook',
      targetId: id,
      details: { ...urlForAudit(input.url), events: input.events, active: input.active ?? true, format: input.format ?? 'steward' },
    });
    const created = await lastAppendedEvent(trx, scope.orgId);
    await trx
      .insertInto('webhook_subscriptions')
      .values({
        id,
        org_id: scope.orgId,
        url: input.url,
        events_json: JSON.stringify(input.events),
        description: input.description ?? '',
        secret_enc: sealWebhookSecret(ctx.masterKey, id, secret),
        previous_secret_enc: null,
        previous_secret_expires_at: null,
        secret_rotated_at: null,
        active: input.active === false ? 0 : 1,
        after_index: created.index,
        created_at: now,
        created_by: ctx.actor.userName,
        updated_at: now,
        removed_at: null,
        removed_by: null,
        format: input.format ?? 'steward',
        routing_key_enc: input.routingKey ? sealRoutingKey(ctx.masterKey, id, input.routingKey) : null,
      })
      .execute();
    // The org's first subscription starts its log's cursor here; older events are never dispatched.
    await trx
      .insertInto('webhook_cursors')
      .values({ log_id: scope.orgId, next_index: created.index + 1, updated_at: now })
      .onConflict((oc) => oc.column('log_id').doNothing())
      .execute();
    const row = await trx.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return { ...webhookView(row, scope.orgName), secret };
  });
}
