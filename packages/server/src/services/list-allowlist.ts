import type { AllowlistEntry } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';

/** The org's additions to the scanner's built-in pickle allowlist. */
export async function listAllowlist({ ctx, input }: { ctx: ServiceContext; input: { org: string } }): Promise<AllowlistEntry[]> {
  const scope = authorize(ctx, input.org, 'org.read');
  const rows = await ctx.db.selectFrom('scanner_allowlist').selectAll().where('org_id', '=', scope.orgId).orderBy('entry').execute();
  return rows.map((r) => ({ entry: r.entry, reason: r.reason, addedBy: r.added_by, addedAt: r.added_at }));
}
