import { StewardError } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';

/** Stops trusting a key or CA (org admins). Signatures it made stay stored, now untrusted. */
export async function removeSigningTrust({ ctx, input }: { ctx: ServiceContext; input: { org: string; id: string } }): Promise<void> {
  const scope = authorize(ctx, input.org, 'signing.manage');
  const at = ctx.now().toISOString();
  await ctx.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('trusted_signers').selectAll().where('org_id', '=', scope.orgId).where('id', '=', input.id).where('removed_at', 'is', null).executeTakeFirst();
    if (!row) throw new StewardError('not_found', `trusted signer ${input.id} not found in org "${input.org}"`);
    await trx.updateTable('trusted_signers').set({ removed_at: at, removed_by: ctx.actor.userName }).where('id', '=', row.id).execute();
    await audit(trx, ctx, { orgId: scope.orgId, action: 'signing_trust.removed', targetType: 'trusted_signer', targetId: row.id, details: { kind: row.kind, name: row.name, fingerprint: row.fingerprint } }, at);
  });
}
