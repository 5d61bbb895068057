import type { DeliveryStatus, WebhookDelivery } from '@steward/domain';
import { deliveryView } from '../webhooks/views.js';
import { authorize, decodeCursor, encodeCursor, type ServiceContext } from './context.js';

type Key = [createdAt: string, id: string];
const isKey = (v: unknown): v is Key => Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string';

/** The org's delivery log, newest first; by status and by subscription. */
export async function listWebhookDeliveries({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { org: string; limit: number; cursor?: string | undefined; status?: DeliveryStatus | undefined; webhook?: string | undefined };
}): Promise<{ items: WebhookDelivery[]; nextCursor: string | null }> {
  const scope = authorize(ctx, input.org, 'webhook.manage');
  const after = decodeCursor(input.cursor, isKey);
  let q = ctx.db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('org_id', '=', scope.orgId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(input.limit + 1);
  if (after) q = q.where((eb) => eb.or([eb('created_at', '<', after[0]), eb.and([eb('created_at', '=', after[0]), eb('id', '<', after[1])])]));
  if (input.status) q = q.where('status', '=', input.status);
  if (input.webhook) q = q.where('subscription_id', '=', input.webhook);
  const rows = await q.execute();
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return { items: page.map(deliveryView), nextCursor: rows.length > input.limit && last ? encodeCursor([last.created_at, last.id]) : null };
}
