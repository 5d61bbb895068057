import { type Alert, StewardError } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';
import { alertViews } from './list-alerts.js';

/** The alert's model name (to authorize on it); not_found for an alert of another org. */
export async function alertWithModel(ctx: ServiceContext, org: string, alertId: string): Promise<{ model: string }> {
  const scope = authorize(ctx, org, 'org.read');
  const row = await ctx.db
    .selectFrom('alerts as a')
    .innerJoin('deployments as d', 'd.id', 'a.deployment_id')
    .innerJoin('models as m', 'm.id', 'd.model_id')
    .select(['m.name'])
    .where('a.id', '=', alertId)
    .where('a.org_id', '=', scope.orgId)
    .executeTakeFirst();
  if (!row) throw new StewardError('not_found', `alert ${alertId} not found`);
  return { model: row.name };
}

/** At most this far ahead: a silence is a pause with a reason, not a way to switch a rule off (change the rule for that). */
const MAX_SILENCE_MS = 30 * 86_400_000;

/** Silences an alert until a time, with a reason: its transitions are still recorded, nobody is notified. */
export async function silenceAlert({ ctx, input }: { ctx: ServiceContext; input: { org: string; alert: string; until: string; reason: string } }): Promise<Alert> {
  const found = await alertWithModel(ctx, input.org, input.alert);
  const scope = authorize(ctx, input.org, 'alert.manage', { model: found.model });
  const until = Date.parse(input.until);
  const nowMs = ctx.now().getTime();
  if (!Number.isFinite(until)) throw new StewardError('bad_request', `until: "${input.until}" is not a time`, { field: 'until' });
  if (until <= nowMs) throw new StewardError('bad_request', `until: ${input.until} is not in the future`, { field: 'until' });
  if (until > nowMs + MAX_SILENCE_MS) throw new StewardError('bad_request', 'until: a silence lasts at most 30 days; change the rule instead', { field: 'until' });
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('alerts').selectAll().where('id', '=', input.alert).executeTakeFirstOrThrow();
    const untilIso = new Date(until).toISOString();
    await trx.updateTable('alerts').set({ silenced_until: untilIso, silenced_by: ctx.actor.userName, silence_reason: input.reason }).where('id', '=', row.id).execute();
    await audit(trx, ctx, { orgId: scope.orgId, action: 'alert.silenced', targetType: 'alert', targetId: row.id, details: { model: `${input.org}/${found.model}`, alert: row.id, rule: row.rule_id, until: untilIso, reason: input.reason } });
    const [view] = await alertViews(trx, trx.selectFrom('alerts').selectAll().where('id', '=', row.id));
    return view!;
  });
}
