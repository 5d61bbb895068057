import type { PolicyWaiver } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { recordSubject } from '../policy/governance-record.js';
import { waiverView } from './waiver-view.js';

/** Every waiver of a version (revoked and expired ones included, marked inactive), oldest first. */
export async function listWaivers({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; ref: string } }): Promise<{ items: PolicyWaiver[] }> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  const subject = await recordSubject(ctx.db, scope, input.model, input.ref);
  const rows = await ctx.db.selectFrom('policy_waivers').selectAll().where('version_id', '=', subject.version.id).orderBy('created_at').orderBy('id').execute();
  const now = ctx.now();
  return { items: rows.map((r) => waiverView(r, { model: input.model, version: subject.version.version }, now)) };
}
