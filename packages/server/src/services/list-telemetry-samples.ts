import { parseJson, type ServiceContext } from './context.js';
import { monitorTarget, type MonitorTargetInput } from './monitor-target.js';
import { deploymentViews } from '../telemetry/deployments.js';

/**
 * The deployment's reservoir of raw records (a uniform sample of everything it received, at most
 * `telemetrySampleSize`), oldest first: for looking at real inputs behind a figure.
 */
export async function listTelemetrySamples({ ctx, input }: { ctx: ServiceContext; input: MonitorTargetInput }) {
  const t = await monitorTarget(ctx, input);
  const rows = await ctx.db.selectFrom('telemetry_samples').select(['slot', 'at', 'record_json']).where('deployment_id', '=', t.deployment.id).orderBy('at').orderBy('slot').execute();
  const [deployment] = await deploymentViews(ctx.db, [t.deployment]);
  return { deployment: deployment!, seen: Number(t.deployment.sample_seen), items: rows.map((r) => ({ at: r.at, record: parseJson<Record<string, unknown>>(r.record_json, {}) })) };
}
