import { type RotatedWebhookSecret, StewardError } from '@steward/domain';
import { generateWebhookSecret, sealWebhookSecret } from '../webhooks/secrets.js';
import { findSubscription } from '../webhooks/views.js';
import { audit, authorize, type ServiceContext } from './context.js';

/**
 * Issues a new secret (returned once). For `graceSeconds` (default: webhookSecretGraceSeconds) the
 * old one keeps signing too, as a second `v1=` value, so receivers can switch without dropping deliveries.
 */
export async function rotateWebhookSecret({ ctx, input }: { ctx: ServiceContext; input: { org: string; id: string; graceSeconds?: number | undefined } }): Promise<RotatedWebhookSecret> {
  const scope = authorize(ctx, input.org, 'webhook.manage');
  const grace = input.graceSeconds ?? ctx.config.webhookSecretGraceSeconds;
  return ctx.db.transaction().execute(async (trx) => {
    const row = await findSubscription(trx, scope.orgId, input.id);
    if (row.removed_at) throw new StewardError('conflict', `webhook ${input.id} was removed`);
    const now = ctx.now();
    const secret = generateWebhookSecret();
    const expiresAt = grace > 0 ? new Date(now.getTime() + grace * 1000).toISOString() : null;
    await trx
      .updateTable('webhook_subscriptions')
      .set({
        secret_enc: sealWebhookSecret(ctx.masterKey, row.id, secret),
        previous_secret_enc: expiresAt ? row.secret_enc : null,
        previous_secret_expires_at: expiresAt,
        secret_rotated_at: now.toISOString(),
        updated_at: now.toISOString(),
      })
      .where('id', '=', row.id)
      .execute();
    await audit(trx, ctx, { orgId: scope.orgId, action: 'webhook.secret_rotated', targetType: 'webhook', targetId: row.id, details: { previousSecretExpiresAt: expiresAt } });
    return { id: row.id, secret, secretRotatedAt: now.toISOString(), previousSecretExpiresAt: expiresAt };
  });
}
