import type { TrustedSigner } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { trustedSignerView } from '../signing/trusted-signer-view.js';

/** The keys and CAs the org trusts besides its own signing keys, oldest first. Every member may read them. */
export async function listSigningTrust({ ctx, input }: { ctx: ServiceContext; input: { org: string } }): Promise<{ items: TrustedSigner[] }> {
  const scope = authorize(ctx, input.org, 'org.read');
  const rows = await ctx.db.selectFrom('trusted_signers').selectAll().where('org_id', '=', scope.orgId).where('removed_at', 'is', null).orderBy('created_at').orderBy('id').execute();
  return { items: rows.map(trustedSignerView) };
}
