import type { Alert } from '@steward/domain';
import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { AlertsTable, DB } from '../db/schema.js';
import { authorize, can, parseJson, type ServiceContext, type Tx } from './context.js';
import { findModel } from './views.js';

type AlertQuery = SelectQueryBuilder<DB, 'alerts', AlertsTable>;

/** Alert rows as the API shows them, with their deployment's model, version, ring and environment. */
export async function alertViews(db: Kysely<DB> | Tx, query: AlertQuery): Promise<Alert[]> {
  const rows = await query.orderBy('state_since', 'desc').execute();
  if (rows.length === 0) return [];
  const deployments = await db
    .selectFrom('deployments as d')
    .innerJoin('models as m', 'm.id', 'd.model_id')
    .innerJoin('orgs as o', 'o.id', 'd.org_id')
    .innerJoin('rings as r', 'r.id', 'd.ring_id')
    .innerJoin('model_versions as v', 'v.id', 'd.version_id')
    .select(['d.id', 'd.environment', 'm.name as model', 'o.name as org', 'r.name as ring', 'v.version'])
    .where('d.id', 'in', [...new Set(rows.map((r) => r.deployment_id))])
    .execute();
  const by = new Map(deployments.map((d) => [d.id, d]));
  return rows.map((r) => {
    const d = by.get(r.deployment_id);
    return {
      id: r.id,
      rule: r.rule_id,
      model: d ? `${d.org}/${d.model}` : '',
      version: d?.version ?? '',
      ring: d?.ring ?? '',
      environment: d?.environment ?? '',
      state: r.state as Alert['state'],
      severity: r.severity,
      stateSince: r.state_since,
      pendingSince: r.pending_since,
      firedAt: r.fired_at,
      resolvedAt: r.resolved_at,
      evaluatedAt: r.evaluated_at,
      figures: parseJson<Record<string, unknown>>(r.figures_json, {}),
      policySet: r.policy_set_digest,
      blocksPromotion: r.blocks_promotion === 1,
      acknowledged: r.acked_at ? { at: r.acked_at, by: r.acked_by ?? '' } : null,
      silenced: r.silenced_until ? { until: r.silenced_until, by: r.silenced_by ?? '', reason: r.silence_reason ?? '' } : null,
    };
  });
}

/** The org's alerts: open ones (pending, firing, no data, error) unless `all`; only models the actor may read. */
export async function listAlerts({ ctx, input }: { ctx: ServiceContext; input: { org: string; model?: string | undefined; state?: Alert['state'] | undefined; all?: boolean } }): Promise<Alert[]> {
  const scope = authorize(ctx, input.org, 'model.read', input.model ? { model: input.model } : {});
  let q = ctx.db.selectFrom('alerts').selectAll().where('org_id', '=', scope.orgId);
  if (input.model) {
    const model = await findModel(ctx.db, scope.orgId, input.model);
    q = q.where('deployment_id', 'in', ctx.db.selectFrom('deployments').select('id').where('model_id', '=', model.id));
  }
  if (input.state) q = q.where('state', '=', input.state);
  else if (!input.all) q = q.where('state', '!=', 'normal');
  const views = await alertViews(ctx.db, q);
  return views.filter((a) => can(ctx, input.org, 'model.read', { model: a.model.split('/')[1] }));
}
