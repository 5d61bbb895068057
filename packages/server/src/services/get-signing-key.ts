import { type SigningKey, StewardError } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { currentSigningKey, signingKeyView } from '../signing/org-key.js';

/** The org's current signing key (public part). Every member may read it. */
export async function getSigningKey({ ctx, input }: { ctx: ServiceContext; input: { org: string } }): Promise<SigningKey> {
  const scope = authorize(ctx, input.org, 'org.read');
  const row = await currentSigningKey(ctx.db, scope.orgId);
  if (!row) throw new StewardError('not_found', `org "${input.org}" has no signing key: an org admin creates one with \`steward signing-key create\``);
  return signingKeyView(row, true);
}
