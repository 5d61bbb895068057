import { StewardError, type PolicyWaiver } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';
import { waiverView } from './waiver-view.js';

/** Ends a waiver before its expiry; the record of it stays. */
export async function revokeWaiver({ ctx, input }: { ctx: ServiceContext; input: { org: string; id: string; reason?: string | undefined } }): Promise<PolicyWaiver> {
  const scope = authorize(ctx, input.org, 'policy.waive');
  return ctx.db.transaction().execute(async (trx) => {
    const w = await trx
      .selectFrom('policy_waivers as w')
      .innerJoin('model_versions as v', 'v.id', 'w.version_id')
      .innerJoin('models as m', 'm.id', 'v.model_id')
      .selectAll('w')
      .select(['v.version', 'm.name as model'])
      .where('w.org_id', '=', scope.orgId)
      .where('w.id', '=', input.id)
      .executeTakeFirst();
    if (!w) throw new StewardError('not_found', `waiver ${input.id} not found in org "${input.org}"`);
    if (w.revoked_at !== null) throw new StewardError('conflict', `waiver ${input.id} was already revoked by ${w.revoked_by} at ${w.revoked_at}`);
    const now = ctx.now();
    const revokedAt = now.toISOString();
    await trx.updateTable('policy_waivers').set({ revoked_at: revokedAt, revoked_by: ctx.actor.userName }).where('id', '=', w.id).execute();
    await audit(trx, ctx, {
      orgId: scope.orgId,
      action: 'policy.waiver_revoked',
      targetType: 'model_version',
      targetId: w.version_id,
      details: { model: `${input.org}/${w.model}`, version: w.version, waiverId: w.id, ruleId: w.rule_id, reason: input.reason ?? null },
    });
    return waiverView({ ...w, revoked_at: revokedAt, revoked_by: ctx.actor.userName }, { model: w.model, version: w.version }, now);
  });
}
