import { checkTelemetryRecords, StewardError, type TelemetryRecord } from '@steward/domain';
import { audit, authorize, type ServiceContext, type Tx } from './context.js';
import { findModel } from './views.js';
import { deploymentViews, resolveDeployment } from '../telemetry/deployments.js';
import { addLabeled, addPrediction, SERIES, type SeriesKind } from '../telemetry/series.js';
import type { MinuteDelta } from '../telemetry/aggregator.js';
import { randomInt } from 'node:crypto';

export interface IngestInput {
  org: string;
  model: string;
  ring: string;
  environment: string;
  version?: string | undefined;
  /** Checked here (checkTelemetryRecords), not by the route's zod schema: the ingest hot path. */
  records: unknown[];
}

export interface IngestResult {
  accepted: number;
  labelsJoined: number;
  deployment: Awaited<ReturnType<typeof deploymentViews>>[number];
  flagged: boolean;
  warnings: string[];
}

function labelText(v: string | number | boolean): string {
  return typeof v === 'string' ? v : String(v);
}

/**
 * Accepts one batch of prediction records (ADR 0021). Everything is checked before anything is
 * kept: a bad record refuses the whole batch with its index and field. Pending labels, the sample
 * reservoir and the deployment's counters commit in one transaction; the figures are folded into
 * the in-memory minute deltas after it (they cannot fail) and reach the database at the next flush.
 */
export async function ingestTelemetry({ ctx, input }: { ctx: ServiceContext; input: IngestInput }): Promise<IngestResult> {
  const scope = authorize(ctx, input.org, 'telemetry.write', { model: input.model });
  const cfg = ctx.config;
  if (input.records.length > cfg.telemetryMaxBatchRecords) {
    throw new StewardError('payload_too_large', `records: ${input.records.length} records in one batch; at most ${cfg.telemetryMaxBatchRecords} (STEWARD_TELEMETRY_MAX_BATCH_RECORDS)`, { field: 'records', limit: cfg.telemetryMaxBatchRecords });
  }
  const checked = checkTelemetryRecords(input.records);
  if (!checked.ok) throw new StewardError('validation_failed', `${checked.path}: ${checked.message}`, { issues: [{ field: checked.path, message: checked.message }] });
  const records = checked.records;
  const nowMs = ctx.now().getTime();
  const times = checkRecords(records, nowMs, cfg.telemetryMaxFutureSeconds * 1000, cfg.telemetryMaxAgeSeconds * 1000);
  const kinds = batchKinds(records);
  const at = new Date(nowMs).toISOString();

  const result = await ctx.db.transaction().execute(async (trx) => {
    const model = await findModel(trx, scope.orgId, input.model);
    const d = await resolveDeployment(trx, { orgId: scope.orgId, modelId: model.id, modelName: `${input.org}/${input.model}`, ring: input.ring, environment: input.environment, version: input.version, actor: ctx.actor.userName, at });
    const known = await ctx.telemetry.seriesKinds(trx, d.row.id);
    for (const [series, { kind, index, field }] of kinds) {
      const have = known.get(series);
      if (have && have !== kind) {
        throw new StewardError('bad_request', `records[${index}].${field}: ${kind === 'numeric' ? 'a number' : 'a string or boolean'}, but this deployment has recorded ${field} as ${have}`, { field: `records[${index}].${field}`, expected: have });
      }
    }
    if (d.created) {
      await audit(trx, ctx, { orgId: scope.orgId, action: 'deployment.implied', targetType: 'deployment', targetId: d.row.id, details: { model: `${input.org}/${input.model}`, version: d.versionName, ring: input.ring, environment: input.environment } });
    }
    // Labels that arrive after their prediction: joined by request id, counted in the prediction's minute.
    const labelOnly: { index: number; requestId: string; label: string }[] = [];
    const pending: { deployment_id: string; request_id: string; predicted_at: string; output: string; group_value: string | null }[] = [];
    records.forEach((r, i) => {
      if (r.requestId === undefined) return;
      if (r.output === undefined && r.label !== undefined) labelOnly.push({ index: i, requestId: r.requestId, label: labelText(r.label) });
      else if (r.output !== undefined && r.label === undefined) pending.push({ deployment_id: d.row.id, request_id: r.requestId, predicted_at: new Date(times[i]!).toISOString(), output: labelText(r.output), group_value: r.group ?? null });
    });
    const joined: { predictedAt: number; output: string; group: string; label: string }[] = [];
    for (let i = 0; i < labelOnly.length; i += 500) {
      const chunk = labelOnly.slice(i, i + 500);
      const rows = await trx.selectFrom('telemetry_pending_labels').selectAll().where('deployment_id', '=', d.row.id).where('request_id', 'in', chunk.map((c) => c.requestId)).execute();
      const byId = new Map(rows.map((r) => [r.request_id, r]));
      for (const c of chunk) {
        const p = byId.get(c.requestId);
        if (p) joined.push({ predictedAt: Date.parse(p.predicted_at), output: p.output, group: p.group_value ?? '', label: c.label });
      }
      if (rows.length > 0) await trx.deleteFrom('telemetry_pending_labels').where('deployment_id', '=', d.row.id).where('request_id', 'in', rows.map((r) => r.request_id)).execute();
    }
    for (let i = 0; i < pending.length; i += 200) {
      await trx.insertInto('telemetry_pending_labels').values(pending.slice(i, i + 200)).onConflict((oc) => oc.columns(['deployment_id', 'request_id']).doNothing()).execute();
    }
    const seen = await sampleRecords(trx, d.row.id, Number(d.row.sample_seen), records, times, cfg.telemetrySampleSize);
    const flaggedNow = d.inRing ? 0 : records.length;
    const flag = d.inRing ? d.row.last_flag : `${at}: ${records.length} records claimed ring "${input.ring}" for ${d.versionName}, which the ring does not point at`;
    await trx
      .updateTable('deployments')
      .set({ last_seen_at: at, sample_seen: seen, flagged_points: Number(d.row.flagged_points) + flaggedNow, last_flag: flag })
      .where('id', '=', d.row.id)
      .execute();
    const row = { ...d.row, last_seen_at: at, sample_seen: seen, flagged_points: Number(d.row.flagged_points) + flaggedNow, last_flag: flag };
    return { d, row, joined, unmatchedLabels: labelOnly.length - joined.length };
  });

  // Committed: fold the batch into the minute deltas.
  const agg = ctx.telemetry.aggregator;
  const deploymentId = result.row.id;
  let delta: MinuteDelta | null = null;
  let deltaMinute = -1;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const t = times[i]!;
    const minute = t - (t % 60_000);
    if (minute !== deltaMinute) {
      delta = agg.minute(deploymentId, t);
      deltaMinute = minute;
    }
    foldRecord(delta!, r, !result.d.inRing);
  }
  for (const j of result.joined) addLabeled(agg.minute(deploymentId, j.predictedAt).stats, j.group, j.label, j.output);
  ctx.telemetry.rememberKinds(deploymentId, kinds);

  const warnings: string[] = [];
  if (!result.d.inRing) warnings.push(`ring "${input.ring}" does not point at ${input.model}@${result.d.versionName}: these records are flagged`);
  if (result.unmatchedLabels > 0) warnings.push(`${result.unmatchedLabels} labels matched no pending prediction (unknown request id, or older than the join window)`);
  const [view] = await deploymentViews(ctx.db, [result.row]);
  return { accepted: records.length, labelsJoined: result.joined.length, deployment: view!, flagged: !result.d.inRing, warnings };
}

/** Adds one record to its minute: the hot path of ingestion, so no allocation beyond the sketches. */
export function foldRecord(delta: MinuteDelta, r: TelemetryRecord, flagged: boolean): void {
  const stats = delta.stats;
  const labelOnly = r.output === undefined && r.label !== undefined && r.requestId !== undefined;
  if (labelOnly) return;
  stats.requests++;
  if (flagged) stats.flagged++;
  if (r.error) stats.errors++;
  if (r.features) {
    for (const name in r.features) {
      const v = r.features[name];
      if (v === null || v === undefined || name === '__proto__') continue;
      if (typeof v === 'number') delta.numeric(SERIES.feature(name)).update(v);
      else delta.categorical(SERIES.feature(name)).update(typeof v === 'string' ? v : String(v));
    }
  }
  if (r.output !== undefined) {
    if (typeof r.output === 'number') delta.numeric(SERIES.output).update(r.output);
    else delta.categorical(SERIES.output).update(String(r.output));
    const group = r.group ?? '';
    const predicted = labelText(r.output);
    addPrediction(stats, group, predicted);
    if (r.label !== undefined) addLabeled(stats, group, labelText(r.label), predicted);
  }
  if (r.scores) for (const name in r.scores) if (name !== '__proto__') delta.numeric(SERIES.score(name)).update(r.scores[name]!);
  if (r.latencyMs !== undefined) delta.numeric(SERIES.latency).update(r.latencyMs);
  if (r.gpuMemoryMb !== undefined) delta.numeric(SERIES.gpuMemory).update(r.gpuMemoryMb);
  if (r.tokens) {
    if (r.tokens.input !== undefined) {
      stats.tokensInput += r.tokens.input;
      delta.numeric(SERIES.tokensInput).update(r.tokens.input);
    }
    if (r.tokens.output !== undefined) {
      stats.tokensOutput += r.tokens.output;
      delta.numeric(SERIES.tokensOutput).update(r.tokens.output);
    }
  }
}

/** Each record's time (ms): given, or now. Far future and too old are refused, naming the record. */
function checkRecords(records: TelemetryRecord[], nowMs: number, maxFutureMs: number, maxAgeMs: number): number[] {
  const times = new Array<number>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.label !== undefined && r.output === undefined && r.requestId === undefined) throw new StewardError('bad_request', `records[${i}]: a label without an output needs the requestId of its prediction`, { field: `records[${i}].requestId` });
    if (r.time === undefined) {
      times[i] = nowMs;
      continue;
    }
    const t = Date.parse(r.time);
    if (!Number.isFinite(t) || !/^\d{4}-\d{2}-\d{2}T/.test(r.time)) throw new StewardError('bad_request', `records[${i}].time: "${r.time}" is not an ISO-8601 time`, { field: `records[${i}].time` });
    if (t > nowMs + maxFutureMs) throw new StewardError('bad_request', `records[${i}].time: ${r.time} is more than ${maxFutureMs / 1000} s in the future (server time ${new Date(nowMs).toISOString()})`, { field: `records[${i}].time` });
    if (t < nowMs - maxAgeMs) throw new StewardError('bad_request', `records[${i}].time: ${r.time} is older than ${maxAgeMs / 86_400_000} days; older telemetry is not accepted`, { field: `records[${i}].time` });
    times[i] = t;
  }
  return times;
}

/** The kind of every series the batch writes, with the first record that shows it; a series written as both kinds is refused. */
function batchKinds(records: TelemetryRecord[]): Map<string, { kind: SeriesKind; index: number; field: string }> {
  const kinds = new Map<string, { kind: SeriesKind; index: number; field: string }>();
  const note = (series: string, kind: SeriesKind, index: number, field: string) => {
    const have = kinds.get(series);
    if (!have) kinds.set(series, { kind, index, field });
    else if (have.kind !== kind) {
      throw new StewardError('bad_request', `records[${index}].${field}: ${kind === 'numeric' ? 'a number' : 'a string or boolean'}, but records[${have.index}].${have.field} is ${have.kind === 'numeric' ? 'a number' : 'a string or boolean'}; a feature has one type`, { field: `records[${index}].${field}` });
    }
  };
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.features) for (const name in r.features) {
      const v = r.features[name];
      if (v !== null && v !== undefined && name !== '__proto__') note(SERIES.feature(name), typeof v === 'number' ? 'numeric' : 'categorical', i, `features.${name}`);
    }
    if (r.output !== undefined) note(SERIES.output, typeof r.output === 'number' ? 'numeric' : 'categorical', i, 'output');
  }
  return kinds;
}

/** Reservoir sampling (Algorithm R) of raw records: the first `size` fill it, later ones replace a slot with probability size/seen. */
async function sampleRecords(trx: Tx, deploymentId: string, seen: number, records: TelemetryRecord[], times: number[], size: number): Promise<number> {
  if (size === 0) return seen + records.length;
  const writes = new Map<number, { at: string; record: TelemetryRecord }>();
  for (let i = 0; i < records.length; i++) {
    seen++;
    const slot = seen <= size ? seen - 1 : randomInt(seen);
    if (slot < size) writes.set(slot, { at: new Date(times[i]!).toISOString(), record: records[i]! });
  }
  const rows = [...writes].map(([slot, w]) => ({ deployment_id: deploymentId, slot, at: w.at, record_json: JSON.stringify(w.record) }));
  for (let i = 0; i < rows.length; i += 200) {
    await trx
      .insertInto('telemetry_samples')
      .values(rows.slice(i, i + 200))
      .onConflict((oc) => oc.columns(['deployment_id', 'slot']).doUpdateSet((eb) => ({ at: eb.ref('excluded.at'), record_json: eb.ref('excluded.record_json') })))
      .execute();
  }
  return seen;
}
