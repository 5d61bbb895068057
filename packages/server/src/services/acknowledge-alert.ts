import { type Alert, StewardError } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';
import { alertViews } from './list-alerts.js';
import { alertWithModel } from './silence-alert.js';

/** Acknowledges a firing or pending alert: someone is on it (cleared when it resolves). */
export async function acknowledgeAlert({ ctx, input }: { ctx: ServiceContext; input: { org: string; alert: string } }): Promise<Alert> {
  const found = await alertWithModel(ctx, input.org, input.alert);
  const scope = authorize(ctx, input.org, 'alert.manage', { model: found.model });
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('alerts').selectAll().where('id', '=', input.alert).where('org_id', '=', scope.orgId).executeTakeFirstOrThrow();
    if (row.state !== 'firing' && row.state !== 'pending') throw new StewardError('conflict', `alert ${input.alert} is ${row.state}; only pending or firing alerts are acknowledged`);
    if (row.acked_at) throw new StewardError('conflict', `alert ${input.alert} was already acknowledged by ${row.acked_by} at ${row.acked_at}`);
    const at = ctx.now().toISOString();
    await trx.updateTable('alerts').set({ acked_at: at, acked_by: ctx.actor.userName }).where('id', '=', row.id).execute();
    await audit(trx, ctx, { orgId: scope.orgId, action: 'alert.acknowledged', targetType: 'alert', targetId: row.id, details: { model: `${input.org}/${found.model}`, alert: row.id, rule: row.rule_id, state: row.state } });
    const [view] = await alertViews(trx, trx.selectFrom('alerts').selectAll().where('id', '=', row.id));
    return view!;
  });
}
