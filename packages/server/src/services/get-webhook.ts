import type { Webhook } from '@steward/domain';
import { findSubscription, webhookView } from '../webhooks/views.js';
import { authorize, type ServiceContext } from './context.js';

export async function getWebhook({ ctx, input }: { ctx: ServiceContext; input: { org: string; id: string } }): Promise<Webhook> {
  const scope = authorize(ctx, input.org, 'webhook.manage');
  return webhookView(await findSubscription(ctx.db, scope.orgId, input.id), scope.orgName);
}
