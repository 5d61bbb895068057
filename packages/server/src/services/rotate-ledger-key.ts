import { OPERATOR_ORG, StewardError } from '@steward/domain';
import type { ServiceContext } from './context.js';
import { audit, authorize } from './context.js';
import type { PublishedKey } from '../ledger/keys.js';

/**
 * Replaces the checkpoint signing key. The retiring key signs an endorsement of the new one, so a
 * client pinned to the old key can follow the rotation; old keys stay published for old checkpoints.
 */
export async function rotateLedgerKey({ ctx, input }: { ctx: ServiceContext; input: { org: string } }): Promise<{ previous: PublishedKey; next: PublishedKey }> {
  if (input.org !== OPERATOR_ORG) throw new StewardError('forbidden', `ledger keys are server-wide: rotate them as an admin of the operator org "${OPERATOR_ORG}"`);
  authorize(ctx, input.org, 'ledger.rotate_key');
  const at = ctx.now().toISOString();
  const rotated = await ctx.db.transaction().execute(async (trx) => {
    const r = await ctx.ledger.rotate(trx, at);
    await audit(trx, ctx, { orgId: null, action: 'ledger.key_rotated', targetType: 'ledger_key', targetId: r.next.keyId, details: { previous: r.previous.verifierKey, next: r.next.verifierKey } }, at);
    return r;
  });
  rotated.commit();
  return { previous: rotated.previous, next: rotated.next };
}
