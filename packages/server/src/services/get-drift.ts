import type { DriftReport } from '@steward/domain';
import type { DriftMethod } from '@steward/monitor';
import type { ServiceContext } from './context.js';
import { monitorTarget, type MonitorTargetInput } from './monitor-target.js';
import { alignWindow, computeTrend, computeWindow } from '../telemetry/monitor.js';

/** Drift per feature (and of the output) of one deployment's window against its reference. */
export async function getDrift({ ctx, input }: { ctx: ServiceContext; input: MonitorTargetInput & { points: number; method?: DriftMethod | undefined; threshold?: number | undefined; share?: number | undefined; binning?: 'evidently' | 'reference-quantiles' | undefined } }): Promise<DriftReport> {
  const t = await monitorTarget(ctx, input);
  await ctx.telemetry.aggregator.flush();
  const drift = { method: input.method, threshold: input.threshold, share: input.share, binning: input.binning };
  const w = await computeWindow(ctx.db, t.deployment, alignWindow(t.from, t.to), { toxicityThreshold: 0.5, positiveLabel: '1', drift, withDrift: true });
  if (input.points > 0) await computeTrend(ctx.db, t.deployment, w, input.points, drift);
  return { ...w.drift, deployment: t.deployment.id };
}
