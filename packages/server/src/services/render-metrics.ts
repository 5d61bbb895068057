import { authorize, can, type ServiceContext } from './context.js';
import { alignWindow, computeWindow } from '../telemetry/monitor.js';

/** The window the exported figures cover: Prometheus scrapes often; five minutes smooths a quiet model. */
const WINDOW_MS = 5 * 60_000;

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/**
 * Prometheus text exposition (version 0.0.4): this server's health, and per deployment seen in the
 * last day the monitored figures of the last five minutes, labelled by model, version, ring and
 * environment, for every org and model the token may read.
 */
export async function renderMetrics({ ctx }: { ctx: ServiceContext; input: Record<string, never> }): Promise<string> {
  const lines: string[] = [];
  const gauge = (name: string, help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
  const mem = process.memoryUsage();
  gauge('steward_up', 'The server answers.');
  lines.push('steward_up 1');
  gauge('steward_process_resident_memory_bytes', 'Resident set size of the server process.');
  lines.push(`steward_process_resident_memory_bytes ${mem.rss}`);
  gauge('steward_process_heap_used_bytes', 'V8 heap in use.');
  lines.push(`steward_process_heap_used_bytes ${mem.heapUsed}`);
  gauge('steward_process_uptime_seconds', 'Seconds since the process started.');
  lines.push(`steward_process_uptime_seconds ${process.uptime().toFixed(0)}`);

  await ctx.telemetry.aggregator.flush();
  const nowMs = ctx.now().getTime();
  const series: Record<string, string[]> = {};
  const put = (name: string, labels: string, value: unknown) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return;
    (series[name] ??= []).push(`${name}{${labels}} ${value}`);
  };
  for (const [org] of ctx.actor.memberships) {
    const scope = authorize(ctx, org, 'org.read');
    const deployments = await ctx.db
      .selectFrom('deployments as d')
      .innerJoin('models as m', 'm.id', 'd.model_id')
      .innerJoin('rings as r', 'r.id', 'd.ring_id')
      .innerJoin('model_versions as v', 'v.id', 'd.version_id')
      .selectAll('d')
      .select(['m.name as model_name', 'r.name as ring_name', 'v.version as version_name'])
      .where('d.org_id', '=', scope.orgId)
      .where('d.last_seen_at', '>=', new Date(nowMs - 86_400_000).toISOString())
      .execute();
    for (const d of deployments) {
      if (!can(ctx, org, 'model.read', { model: d.model_name })) continue;
      const { model_name, ring_name, version_name, ...row } = d;
      const w = await computeWindow(ctx.db, row, alignWindow(nowMs - WINDOW_MS, nowMs), { toxicityThreshold: 0.5, positiveLabel: '1', withDrift: true });
      const f = w.figures as Record<string, any>;
      const l = `org="${label(org)}",model="${label(model_name)}",version="${label(version_name)}",ring="${label(ring_name)}",environment="${label(d.environment)}"`;
      put('steward_model_requests', l, f.requests);
      put('steward_model_error_rate', l, f.error_rate);
      for (const q of ['p50', 'p95', 'p99']) put('steward_model_latency_ms', `${l},quantile="0.${q.slice(1)}"`, f.latency?.[q]);
      put('steward_model_accuracy', l, f.accuracy);
      put('steward_model_f1', l, f.f1);
      put('steward_model_toxicity_rate', l, f.toxicity?.rate);
      put('steward_model_fairness_dpd', l, f.fairness?.dpd);
      put('steward_model_fairness_eod', l, f.fairness?.eod);
      put('steward_model_gpu_memory_mb', `${l},quantile="0.95"`, f.gpu_memory?.p95);
      put('steward_model_tokens_per_request', l, f.tokens?.per_request);
      put('steward_model_drift_share', l, f.drift?.share);
      for (const df of w.drift.features) put('steward_model_feature_drift', `${l},feature="${label(df.feature)}",method="${df.method}"`, df.statistic);
      put('steward_model_flagged_points_total', l, Number(d.flagged_points));
    }
    const firing = await ctx.db.selectFrom('alerts').select(['rule_id', 'severity']).where('org_id', '=', scope.orgId).where('state', '=', 'firing').execute();
    const counts = new Map<string, number>();
    for (const a of firing) counts.set(`${a.rule_id}\u0000${a.severity}`, (counts.get(`${a.rule_id}\u0000${a.severity}`) ?? 0) + 1);
    for (const [k, n] of counts) {
      const [rule, severity] = k.split('\u0000');
      put('steward_alerts_firing', `org="${label(org)}",rule="${label(rule!)}",severity="${label(severity!)}"`, n);
    }
  }
  const help: Record<string, string> = {
    steward_model_requests: 'Prediction records and OTLP requests in the last 5 minutes.',
    steward_model_error_rate: 'Failed requests / requests, last 5 minutes.',
    steward_model_latency_ms: 'Latency quantiles (ms), last 5 minutes.',
    steward_model_accuracy: 'Accuracy from joined labels, last 5 minutes.',
    steward_model_f1: 'F1 of the positive label, last 5 minutes.',
    steward_model_toxicity_rate: 'Share of outputs with toxicity score >= 0.5, last 5 minutes.',
    steward_model_fairness_dpd: 'Demographic parity difference across groups, last 5 minutes.',
    steward_model_fairness_eod: 'Equalized odds difference across groups, last 5 minutes.',
    steward_model_gpu_memory_mb: 'GPU memory (MB), last 5 minutes.',
    steward_model_tokens_per_request: 'Tokens per request, last 5 minutes.',
    steward_model_drift_share: 'Share of drifted features against the reference, last 5 minutes.',
    steward_model_feature_drift: 'Drift statistic per feature, last 5 minutes.',
    steward_model_flagged_points_total: 'Telemetry points that claimed a ring not pointing at their version.',
    steward_alerts_firing: 'Firing alert instances.',
  };
  for (const [name, rows] of Object.entries(series)) {
    gauge(name, help[name] ?? name);
    lines.push(...rows);
  }
  return lines.join('\n') + '\n';
}
