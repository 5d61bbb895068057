import type { SigningKey, SigningKeyAlgorithm } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';
import { lockOrg, newSigningKeyRow, requireSigningKey, signingKeyView } from '../signing/org-key.js';

/**
 * Replaces the org's signing key (org admins). The retired key stays listed and trusted: what it
 * signed stays valid (rotation is not revocation, ADR 0012). Default algorithm: the retiring key's.
 */
export async function rotateSigningKey({ ctx, input }: { ctx: ServiceContext; input: { org: string; algorithm?: SigningKeyAlgorithm | undefined } }): Promise<{ previous: SigningKey; current: SigningKey }> {
  const scope = authorize(ctx, input.org, 'signing.manage');
  const at = ctx.now().toISOString();
  return ctx.db.transaction().execute(async (trx) => {
    await lockOrg(trx, ctx.dbKind, scope.orgId);
    const old = await requireSigningKey(trx, scope.orgId, input.org);
    const row = newSigningKeyRow(ctx.masterKey, scope.orgId, input.algorithm ?? (old.algorithm as SigningKeyAlgorithm), ctx.actor.userName, at);
    await trx.updateTable('signing_keys').set({ retired_at: at }).where('id', '=', old.id).execute();
    await trx.insertInto('signing_keys').values(row).execute();
    await audit(trx, ctx, {
      orgId: scope.orgId,
      action: 'signing_key.rotated',
      targetType: 'signing_key',
      targetId: row.id,
      details: { previous: old.fingerprint, fingerprint: row.fingerprint, algorithm: row.algorithm },
    }, at);
    return { previous: signingKeyView({ ...old, retired_at: at }, false), current: signingKeyView(row, true) };
  });
}
