import type { SigningKey } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { signingKeyView } from '../signing/org-key.js';

/** The org's signing keys (public parts), current first, then retired ones newest first. Every member may read them. */
export async function listSigningKeys({ ctx, input }: { ctx: ServiceContext; input: { org: string } }): Promise<{ keys: SigningKey[] }> {
  const scope = authorize(ctx, input.org, 'org.read');
  const rows = await ctx.db.selectFrom('signing_keys').selectAll().where('org_id', '=', scope.orgId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  const current = rows.find((r) => r.retired_at === null);
  const ordered = current ? [current, ...rows.filter((r) => r !== current)] : rows;
  return { keys: ordered.map((r) => signingKeyView(r, r === current)) };
}
