import type { MonitorSummary } from '@steward/domain';
import type { ServiceContext } from './context.js';
import { monitorTarget, type MonitorTargetInput } from './monitor-target.js';
import { deploymentViews } from '../telemetry/deployments.js';
import { alignWindow, computeTrend, computeWindow } from '../telemetry/monitor.js';
import { alertViews } from './list-alerts.js';

/** One deployment's window: figures, drift per feature with trends, and its open alerts. */
export async function getMonitorSummary({ ctx, input }: { ctx: ServiceContext; input: MonitorTargetInput & { points: number; toxicityThreshold: number; positiveLabel: string } }): Promise<MonitorSummary> {
  const t = await monitorTarget(ctx, input);
  // What this server accepted but has not flushed yet counts too.
  await ctx.telemetry.aggregator.flush();
  const w = await computeWindow(ctx.db, t.deployment, alignWindow(t.from, t.to), { toxicityThreshold: input.toxicityThreshold, positiveLabel: input.positiveLabel, withDrift: true });
  const trend = await computeTrend(ctx.db, t.deployment, w, input.points, undefined);
  const [deployment] = await deploymentViews(ctx.db, [t.deployment]);
  const alerts = await alertViews(ctx.db, ctx.db.selectFrom('alerts').selectAll().where('deployment_id', '=', t.deployment.id).where('state', '!=', 'normal'));
  return {
    deployment: deployment!,
    window: { from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString() },
    figures: w.figures,
    trend,
    drift: { ...w.drift, deployment: t.deployment.id },
    alerts,
  };
}
