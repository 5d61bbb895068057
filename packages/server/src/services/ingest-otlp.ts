import { NameSchema, RingNameSchema, SemverSchema, StewardError, EnvironmentNameSchema } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { findModel } from './views.js';
import { resolveDeployment } from '../telemetry/deployments.js';
import { decodeOtlpMetricsJson, decodeOtlpMetricsProtobuf, type OtlpAttributeValue, type OtlpMetric, type OtlpResourceMetrics } from '../telemetry/otlp.js';
import { SERIES, type HistogramValue } from '../telemetry/series.js';
import type { MinuteDelta } from '../telemetry/aggregator.js';

/**
 * Resource attributes that say which deployment a batch of metrics comes from. An OpenTelemetry
 * Collector sets them with its `resource` processor (docs/monitoring.md).
 */
export const OTLP_RESOURCE_ATTRIBUTES = {
  model: 'steward.model',
  version: 'steward.version',
  ring: 'steward.ring',
  environment: ['deployment.environment.name', 'deployment.environment'],
} as const;

/** GenAI semantic conventions (and the hardware ones for GPU memory) Steward reads by name. */
const DURATION_METRICS = new Set(['gen_ai.client.operation.duration', 'gen_ai.server.request.duration']);
const TOKEN_USAGE = 'gen_ai.client.token.usage';
const GPU_MEMORY = new Set(['hw.gpu.memory.usage', 'gpu.memory.usage']);

export interface OtlpIngestResult {
  partialSuccess?: { rejectedDataPoints: number; errorMessage: string };
}

function text(v: OtlpAttributeValue | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

interface Identity {
  org: string;
  model: string;
  ring: string;
  environment: string;
  version: string | undefined;
}

function identityOf(ctx: ServiceContext, r: OtlpResourceMetrics, i: number): Identity {
  const where = `resourceMetrics[${i}].resource`;
  const named = text(r.resource[OTLP_RESOURCE_ATTRIBUTES.model]);
  if (!named) throw new StewardError('bad_request', `${where}: attribute "${OTLP_RESOURCE_ATTRIBUTES.model}" (ORG/NAME of the model) is missing`, { path: where });
  let org: string;
  let model: string;
  if (named.includes('/')) [org, model] = named.split('/', 2) as [string, string];
  else {
    const orgs = [...ctx.actor.memberships.keys()];
    if (orgs.length !== 1) throw new StewardError('bad_request', `${where}: "${OTLP_RESOURCE_ATTRIBUTES.model}" must be ORG/NAME (the token's user belongs to ${orgs.length} orgs)`, { path: where });
    org = orgs[0]!;
    model = named;
  }
  const ring = text(r.resource[OTLP_RESOURCE_ATTRIBUTES.ring]) ?? 'production';
  const environment = OTLP_RESOURCE_ATTRIBUTES.environment.map((k) => text(r.resource[k])).find((v) => v !== undefined) ?? 'production';
  const version = text(r.resource[OTLP_RESOURCE_ATTRIBUTES.version]);
  const check = (ok: boolean, attr: string, value: string) => {
    if (!ok) throw new StewardError('bad_request', `${where}: attribute "${attr}" has an invalid value "${value}"`, { path: where });
  };
  check(NameSchema.safeParse(org).success && NameSchema.safeParse(model).success, OTLP_RESOURCE_ATTRIBUTES.model, named);
  check(RingNameSchema.safeParse(ring).success, OTLP_RESOURCE_ATTRIBUTES.ring, ring);
  check(EnvironmentNameSchema.safeParse(environment).success, 'deployment.environment.name', environment);
  if (version !== undefined) check(SemverSchema.safeParse(version).success, OTLP_RESOURCE_ATTRIBUTES.version, version);
  return { org, model, ring, environment, version };
}

/**
 * Accepts an OTLP/HTTP metrics export (protobuf or JSON). The whole request is decoded and checked
 * before anything is kept; metrics Steward has no use for are counted as rejected in the OTLP
 * partial-success answer, never silently dropped.
 */
export async function ingestOtlp({ ctx, input }: { ctx: ServiceContext; input: { body: Uint8Array | unknown; protobuf: boolean } }): Promise<OtlpIngestResult> {
  const decoded = input.protobuf ? decodeOtlpMetricsProtobuf(input.body as Uint8Array) : decodeOtlpMetricsJson(input.body);
  const nowMs = ctx.now().getTime();
  const maxFuture = ctx.config.telemetryMaxFutureSeconds * 1000;
  const maxAge = ctx.config.telemetryMaxAgeSeconds * 1000;
  const groups = decoded.map((r, i) => ({ r, i, id: identityOf(ctx, r, i) }));
  const scopes = groups.map((g) => authorize(ctx, g.id.org, 'telemetry.write', { model: g.id.model }));
  // Times first: a point far in the future or too old refuses the request.
  groups.forEach(({ r, i }) =>
    r.scopes.forEach((s, si) =>
      s.metrics.forEach((m, mi) =>
        m.points.forEach((p, pi) => {
          const t = Number(p.timeUnixNano / 1_000_000n);
          const where = `resourceMetrics[${i}].scopeMetrics[${si}].metrics[${mi}](${m.name}).dataPoints[${pi}].timeUnixNano`;
          if (t > nowMs + maxFuture) throw new StewardError('bad_request', `${where}: ${new Date(t).toISOString()} is more than ${maxFuture / 1000} s in the future`, { path: where });
          if (t < nowMs - maxAge) throw new StewardError('bad_request', `${where}: ${t === 0 ? 'missing (0)' : new Date(t).toISOString()}; points older than ${maxAge / 86_400_000} days are not accepted`, { path: where });
        }),
      ),
    ),
  );
  const at = new Date(nowMs).toISOString();
  const resolved = await ctx.db.transaction().execute(async (trx) => {
    const out: { deploymentId: string; inRing: boolean }[] = [];
    for (const [k, g] of groups.entries()) {
      const scope = scopes[k]!;
      const model = await findModel(trx, scope.orgId, g.id.model);
      const d = await resolveDeployment(trx, { orgId: scope.orgId, modelId: model.id, modelName: `${g.id.org}/${g.id.model}`, ring: g.id.ring, environment: g.id.environment, version: g.id.version, actor: ctx.actor.userName, at });
      const points = g.r.scopes.reduce((n, s) => n + s.metrics.reduce((a, m) => a + m.points.length, 0), 0);
      await trx
        .updateTable('deployments')
        .set({ last_seen_at: at, flagged_points: Number(d.row.flagged_points) + (d.inRing ? 0 : points), ...(d.inRing ? {} : { last_flag: `${at}: ${points} OTLP points claimed ring "${g.id.ring}" for ${d.versionName}, which the ring does not point at` }) })
        .where('id', '=', d.row.id)
        .execute();
      out.push({ deploymentId: d.row.id, inRing: d.inRing });
    }
    return out;
  });
  let rejected = 0;
  const unused = new Set<string>();
  groups.forEach((g, k) => {
    const { deploymentId, inRing } = resolved[k]!;
    for (const s of g.r.scopes) for (const m of s.metrics) {
      const n = foldMetric(ctx, deploymentId, m, inRing);
      if (n > 0) {
        rejected += n;
        unused.add(m.name);
      }
    }
  });
  return rejected > 0 ? { partialSuccess: { rejectedDataPoints: rejected, errorMessage: `not used by Steward: ${[...unused].slice(0, 10).join(', ')} (docs/monitoring.md lists the metrics it reads)` } } : {};
}

/** Folds one metric's points into the minute deltas; returns how many points it could not use. */
function foldMetric(ctx: ServiceContext, deploymentId: string, m: OtlpMetric, inRing: boolean): number {
  const agg = ctx.telemetry.aggregator;
  const minuteOf = (ns: bigint): MinuteDelta => agg.minute(deploymentId, Number(ns / 1_000_000n));
  let rejected = 0;
  for (const p of m.points) {
    const delta = minuteOf(p.timeUnixNano);
    if (DURATION_METRICS.has(m.name) || m.name === TOKEN_USAGE) {
      const h = p.histogram ? explicitHistogram(p.histogram, m.name === TOKEN_USAGE || m.unit !== 's' ? 1 : 1000) : p.exponentialHistogram ? exponentialAsExplicit(p.exponentialHistogram, m.name === TOKEN_USAGE || m.unit !== 's' ? 1 : 1000) : null;
      if (!h) {
        rejected++;
        continue;
      }
      if (m.name === TOKEN_USAGE) {
        const type = p.attributes['gen_ai.token.type'];
        delta.histogram(type === 'output' ? SERIES.tokensOutputHistogram : SERIES.tokensInputHistogram, h);
      } else {
        delta.histogram(SERIES.latencyHistogram, h);
        if (p.attributes['error.type'] !== undefined) delta.stats.errors += h.count;
        if (!inRing) delta.stats.flagged += h.count;
      }
      continue;
    }
    if (p.value !== undefined) {
      if (GPU_MEMORY.has(m.name)) delta.numeric(SERIES.gpuMemory).update(m.unit === 'By' ? p.value / 1_000_000 : p.value);
      else delta.numeric(SERIES.otel(m.name)).update(p.value);
      continue;
    }
    if (p.histogram) {
      delta.histogram(SERIES.otel(m.name), explicitHistogram(p.histogram, 1));
      continue;
    }
    rejected++;
  }
  return rejected;
}

function explicitHistogram(h: NonNullable<OtlpMetric['points'][number]['histogram']>, scale: number): HistogramValue {
  return { bounds: h.explicitBounds.map((b) => b * scale), counts: [...h.bucketCounts], count: h.count, sum: (h.sum ?? 0) * scale, min: h.min === null ? null : h.min * scale, max: h.max === null ? null : h.max * scale };
}

/** Base-2 exponential buckets as explicit bounds (positive values only: durations and counts are never negative). */
function exponentialAsExplicit(h: NonNullable<OtlpMetric['points'][number]['exponentialHistogram']>, scale: number): HistogramValue {
  const base = 2 ** (2 ** -h.scale);
  const bounds: number[] = [];
  const counts: number[] = [h.zeroCount];
  bounds.push(0);
  h.positive.bucketCounts.forEach((c, i) => {
    bounds.push(base ** (h.positive.offset + i + 1) * scale);
    counts.push(c);
  });
  counts.push(0);
  return { bounds, counts, count: h.count, sum: (h.sum ?? 0) * scale, min: h.min === null ? null : h.min * scale, max: h.max === null ? null : h.max * scale };
}
