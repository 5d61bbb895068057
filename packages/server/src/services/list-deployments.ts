import type { Deployment } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { findModel } from './views.js';
import { deploymentViews } from '../telemetry/deployments.js';

/** The model's deployments, most recently seen first. */
export async function listDeployments({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string } }): Promise<Deployment[]> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  const model = await findModel(ctx.db, scope.orgId, input.model);
  const rows = await ctx.db.selectFrom('deployments').selectAll().where('model_id', '=', model.id).execute();
  rows.sort((a, b) => (b.last_seen_at ?? b.created_at).localeCompare(a.last_seen_at ?? a.created_at));
  return deploymentViews(ctx.db, rows);
}
