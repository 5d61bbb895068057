import { type SigningKey, type SigningKeyAlgorithm, StewardError } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';
import { currentSigningKey, lockOrg, newSigningKeyRow, signingKeyView } from '../signing/org-key.js';

/** Creates the org's first signing key (org admins). An org that has one rotates it instead. */
export async function createSigningKey({ ctx, input }: { ctx: ServiceContext; input: { org: string; algorithm: SigningKeyAlgorithm } }): Promise<SigningKey> {
  const scope = authorize(ctx, input.org, 'signing.manage');
  const at = ctx.now().toISOString();
  return ctx.db.transaction().execute(async (trx) => {
    await lockOrg(trx, ctx.dbKind, scope.orgId);
    const existing = await currentSigningKey(trx, scope.orgId);
    if (existing) {
      throw new StewardError('conflict', `org "${input.org}" already has a signing key (sha256:${existing.fingerprint}); rotate it with \`steward signing-key rotate\``, { fingerprint: existing.fingerprint });
    }
    const row = newSigningKeyRow(ctx.masterKey, scope.orgId, input.algorithm, ctx.actor.userName, at);
    await trx.insertInto('signing_keys').values(row).execute();
    await audit(trx, ctx, { orgId: scope.orgId, action: 'signing_key.created', targetType: 'signing_key', targetId: row.id, details: { algorithm: row.algorithm, fingerprint: row.fingerprint } }, at);
    return signingKeyView(row, true);
  });
}
