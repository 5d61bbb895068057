import type { Webhook } from '@steward/domain';
import { webhookView } from '../webhooks/views.js';
import { authorize, type ServiceContext } from './context.js';

/** The org's webhook subscriptions, oldest first, removed ones included (their deliveries stay readable). */
export async function listWebhooks({ ctx, input }: { ctx: ServiceContext; input: { org: string } }): Promise<Webhook[]> {
  const scope = authorize(ctx, input.org, 'webhook.manage');
  const rows = await ctx.db.selectFrom('webhook_subscriptions').selectAll().where('org_id', '=', scope.orgId).orderBy('created_at').orderBy('id').execute();
  return rows.map((r) => webhookView(r, scope.orgName));
}
