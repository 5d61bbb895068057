import { authorize, parseJson, type ServiceContext } from './context.js';

/** The org's incidents, newest first (opened by alert rules with the `incident` action). */
export async function listIncidents({ ctx, input }: { ctx: ServiceContext; input: { org: string } }) {
  const scope = authorize(ctx, input.org, 'org.read');
  const rows = await ctx.db.selectFrom('incidents').selectAll().where('org_id', '=', scope.orgId).orderBy('opened_at', 'desc').limit(500).execute();
  return rows.map((r) => ({ id: r.id, title: r.title, severity: r.severity, status: r.status, openedAt: r.opened_at, openedBy: r.opened_by, alert: r.alert_id, details: parseJson<Record<string, unknown>>(r.details_json, {}) }));
}
