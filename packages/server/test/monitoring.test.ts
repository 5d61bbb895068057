/**
 * Production monitoring end to end (issue 14) against a real server on loopback, on SQLite and
 * Postgres: deployments (registered and implied), telemetry batches and their refusals, label
 * joins, flagged points, figures, drift against a dataset profile, alert rules from the pushed
 * policy set with their lifecycle and actions, webhooks to a real receiver, and /metrics.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtobufMetricsSerializer, JsonMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { KllSketch, FrequencySketch, jensenShannonDistance, wassersteinDistanceNormed } from '@steward/monitor';
import { DB_KINDS } from './helpers/db.js';
import { pushFiles } from './helpers/push.js';
import { type Receiver, startReceiver, until } from './helpers/receiver.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { pruneTelemetry } from '../src/telemetry/retention.js';
import { nextState } from '../src/alerts/evaluator.js';
import { normal, rng } from './helpers/random.js';

const BASE = '/api/v1/orgs/default';



class CollectReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** What an OpenTelemetry SDK exports for a GenAI client: request durations (s), token usage, GPU memory, one custom gauge. */
async function otlpExport(resource: Record<string, string>) {
  const reader = new CollectReader();
  const provider = new MeterProvider({ resource: resourceFromAttributes(resource), readers: [reader] });
  const meter = provider.getMeter('test');
  const duration = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 0.2, 0.4, 0.8, 1.6] } });
  for (let i = 0; i < 90; i++) duration.record(0.15, { 'gen_ai.operation.name': 'chat' });
  for (let i = 0; i < 10; i++) duration.record(1.2, { 'gen_ai.operation.name': 'chat', 'error.type': 'timeout' });
  const tokens = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}' });
  tokens.record(300, { 'gen_ai.token.type': 'input' });
  tokens.record(100, { 'gen_ai.token.type': 'output' });
  meter.createGauge('hw.gpu.memory.usage', { unit: 'By' }).record(8_000_000_000);
  meter.createGauge('queue.depth').record(3);
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics;
}

const ALERTS = `alerts:
  - id: latency-high
    description: p99 latency above 800 ms rolls production back
    condition: latency.p99 > 800
    models: [classifier]
    rings: [production]
    window: 5m
    severity: critical
    actions: [notify, rollback, incident]
    blocksPromotion: true
  - id: errors-pending
    condition: error_rate > 0.5
    models: [errors]
    window: 1m
    for: 2s
    actions: [notify, freeze]
    rings: [beta]
  - id: starved
    condition: requests > 0
    models: [errors]
    window: 1m
    minRequests: 1000000
    noData: nodata
`;

describe.each(DB_KINDS)('monitoring (%s)', (kind) => {
  let srv: TestServer;
  let receiver: Receiver;
  let telemetryToken: string;

  beforeAll(async () => {
    srv = await startTestServer(kind, { telemetryFlushMs: 50, alertEvalIntervalMs: 0, webhookPollIntervalMs: 50, webhookBackoffBaseMs: 50 });
    receiver = await startReceiver();
    for (const v of ['1.0.0', '1.1.0']) {
      const r = await pushFiles(srv, 'classifier', v, [{ path: 'model.safetensors', content: `weights ${v}` }]);
      expect(r.status).toBe(201);
    }
    const e = await pushFiles(srv, 'errors', '1.0.0', [{ path: 'model.safetensors', content: 'errors 1' }]);
    expect(e.status).toBe(201);
    for (const v of ['1.0.0', '1.1.0']) expect((await srv.api('PUT', `${BASE}/models/classifier/rings/production`, { body: { version: v, reason: 'test' } })).status).toBe(200);
    expect((await srv.api('PUT', `${BASE}/models/errors/rings/beta`, { body: { version: '1.0.0', reason: 'test' } })).status).toBe(200);
    const tok = await srv.api('POST', `${BASE}/tokens`, { body: { name: 'serving', scopes: ['telemetry'], models: ['default/classifier'] } });
    expect(tok.status).toBe(201);
    telemetryToken = tok.json.token;
  });

  afterAll(async () => {
    await receiver?.close();
    await srv?.stop();
  });

  it('accepts a batch, attributes it to the deployment the ring implies, and computes figures with their sample sizes', async () => {
    const r = rng(1);
    const records = Array.from({ length: 400 }, (_, i) => ({
      requestId: `req-${i}`,
      features: { age: 30 + 5 * normal(r), income: 1000 + 100 * normal(r), country: r() < 0.5 ? 'de' : 'fr' },
      output: i % 4 === 0 ? '1' : '0',
      ...(i < 200 ? { label: i % 8 === 0 ? '1' : '0' } : {}),
      group: i % 2 === 0 ? 'a' : 'b',
      latencyMs: 50 + 10 * r(),
      scores: { toxicity: i % 20 === 0 ? 0.9 : 0.1 },
      tokens: { input: 10, output: 5 },
      ...(i % 50 === 0 ? { error: true } : {}),
    }));
    const res = await srv.api('POST', `${BASE}/models/classifier/telemetry`, { token: telemetryToken, body: { ring: 'production', records } });
    expect(res.status, res.text).toBe(202);
    expect(res.json.accepted).toBe(400);
    expect(res.json.flagged).toBe(false);
    expect(res.json.deployment).toMatchObject({ model: 'default/classifier', version: '1.1.0', ring: 'production', environment: 'production', source: 'implied', inRing: true });

    // Labels arrive later for the other half, joined by request id.
    const labels = Array.from({ length: 200 }, (_, k) => ({ requestId: `req-${200 + k}`, label: (200 + k) % 8 === 0 ? '1' : '0' }));
    const joined = await srv.api('POST', `${BASE}/models/classifier/telemetry`, { token: telemetryToken, body: { ring: 'production', records: [...labels, { requestId: 'nobody', label: '1' }] } });
    expect(joined.status, joined.text).toBe(202);
    expect(joined.json.labelsJoined).toBe(200);
    expect(joined.json.warnings.join(' ')).toMatch(/1 labels matched no pending prediction/);

    const m = await srv.api('GET', `${BASE}/models/classifier/monitor?ring=production&window=1h`);
    expect(m.status, m.text).toBe(200);
    const f = m.json.figures;
    expect(f.requests).toBe(400);
    expect(f.errors).toBe(8);
    expect(f.error_rate).toBeCloseTo(8 / 400, 12);
    expect(f.labeled).toBe(400);
    // outputs '1' at i%4==0, labels '1' at i%8==0: every positive label was predicted positive.
    expect(f.recall).toBe(1);
    expect(f.precision).toBeCloseTo(50 / 100, 12);
    expect(f.accuracy).toBeCloseTo(350 / 400, 12);
    expect(f.latency.n).toBe(400);
    expect(f.latency.p50).toBeGreaterThan(50);
    expect(f.latency.p99).toBeLessThan(60);
    expect(f.toxicity.n).toBe(400);
    expect(Math.abs(f.toxicity.rate - 20 / 400)).toBeLessThanOrEqual(f.toxicity.rank_error + 1e-12);
    expect(f.toxicity.low).toBeLessThan(0.05);
    expect(f.toxicity.high).toBeGreaterThan(0.05);
    // Group a holds every even i, so every predicted positive (i%4==0): selection 0.5 vs 0.
    expect(f.fairness.dpd).toBeCloseTo(0.5, 12);
    expect(f.tokens).toMatchObject({ input: 4000, output: 2000, per_request: 15 });
    expect(m.json.deployment.inRing).toBe(true);
    expect(m.json.drift.reference).toBeNull();
  });

  it('refuses bad telemetry with a 4xx that names the problem, and keeps nothing of that batch', async () => {
    const before = (await srv.api('GET', `${BASE}/models/classifier/monitor?ring=production&window=1h`)).json.figures.requests;
    const send = (body: unknown, token: string | undefined = telemetryToken) => srv.api('POST', `${BASE}/models/classifier/telemetry`, { token, body });
    const good = { features: { age: 1 } };

    const unknown = await srv.api('POST', `${BASE}/models/nope/telemetry`, { body: { ring: 'production', records: [good] } });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.message).toMatch(/model "nope" not found/);

    const inf = await srv.api('POST', `${BASE}/models/classifier/telemetry`, { token: telemetryToken, raw: `{"ring":"production","records":[{"features":{"age":1}},{"features":{"age":1e999}}]}`, headers: { 'content-type': 'application/json' } });
    expect(inf.status).toBe(400);
    expect(inf.text).toMatch(/records\.1\.features\.age|records\[1\]/);

    const nan = await srv.api('POST', `${BASE}/models/classifier/telemetry`, { token: telemetryToken, raw: `{"ring":"production","records":[{"features":{"age":NaN}}]}`, headers: { 'content-type': 'application/json' } });
    expect(nan.status).toBe(400);

    const future = await send({ ring: 'production', records: [good, { ...good, time: new Date(Date.now() + 3_600_000).toISOString() }] });
    expect(future.status).toBe(400);
    expect(future.json.error.message).toMatch(/records\[1\]\.time: .* in the future/);

    const old = await send({ ring: 'production', records: [{ ...good, time: '2020-01-01T00:00:00Z' }] });
    expect(old.status).toBe(400);
    expect(old.json.error.message).toMatch(/records\[0\]\.time: .*older than/);

    const mixed = await send({ ring: 'production', records: [good, { features: { age: 'old' } }] });
    expect(mixed.status).toBe(400);
    expect(mixed.json.error.message).toMatch(/records\[1\]\.features\.age: a string or boolean, but records\[0\]\.features\.age is a number/);

    const stored = await send({ ring: 'production', records: [{ features: { country: 3 } }] });
    expect(stored.status).toBe(400);
    expect(stored.json.error.message).toMatch(/records\[0\]\.features\.country: a number, but this deployment has recorded features\.country as categorical/);

    const tooMany = await send({ ring: 'production', records: Array.from({ length: 10_001 }, () => good) });
    expect(tooMany.status).toBe(413);
    expect(tooMany.json.error.message).toMatch(/10001 records in one batch; at most 10000/);

    const badRing = await send({ ring: 'nowhere', records: [good] });
    expect(badRing.status).toBe(404);

    const orphanLabel = await send({ ring: 'production', records: [{ label: '1' }] });
    expect(orphanLabel.status).toBe(400);
    expect(orphanLabel.json.error.message).toMatch(/records\[0\]: a label without an output needs the requestId/);

    // Scope: a telemetry token may do nothing else; a read-only token may not send.
    expect((await srv.api('GET', `${BASE}/models/classifier`, { token: telemetryToken })).status).toBe(403);
    const reader = await srv.api('POST', `${BASE}/tokens`, { body: { name: 'reader', scopes: ['read'] } });
    const denied = await send({ ring: 'production', records: [good] }, reader.json.token);
    expect(denied.status).toBe(403);
    expect(denied.json.error.message).toMatch(/telemetry/);
    // Narrowed to another model.
    const other = await srv.api('POST', `${BASE}/models/errors/telemetry`, { token: telemetryToken, body: { ring: 'beta', records: [good] } });
    expect(other.status).toBe(403);

    const after = (await srv.api('GET', `${BASE}/models/classifier/monitor?ring=production&window=1h`)).json.figures.requests;
    expect(after).toBe(before);
  });

  it('accepts OTLP/HTTP metrics in protobuf and JSON, maps GenAI conventions to figures, and refuses malformed requests naming where', async () => {
    expect((await pushFiles(srv, 'gateway', '1.0.0', [{ path: 'model.safetensors', content: 'gateway' }])).status).toBe(201);
    expect((await srv.api('PUT', `${BASE}/models/gateway/rings/production`, { body: { version: '1.0.0' } })).status).toBe(200);
    const rm = await otlpExport({ 'service.name': 'gw', 'steward.model': 'default/gateway', 'steward.ring': 'production', 'deployment.environment.name': 'eu' });
    const proto = Buffer.from(ProtobufMetricsSerializer.serializeRequest(rm)!);
    const r = await srv.api('POST', '/v1/metrics', { raw: proto, headers: { 'content-type': 'application/x-protobuf' } });
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/application\/x-protobuf/);
    const json = Buffer.from(JsonMetricsSerializer.serializeRequest(rm)!);
    const j = await srv.api('POST', '/v1/metrics', { raw: json, headers: { 'content-type': 'application/json' } });
    expect(j.status, j.text).toBe(200);
    expect(j.json).toEqual({});
    const m = await srv.api('GET', `${BASE}/models/gateway/monitor?ring=production&environment=eu&window=1h`);
    expect(m.status, m.text).toBe(200);
    const f = m.json.figures;
    expect(m.json.deployment).toMatchObject({ environment: 'eu', version: '1.0.0', source: 'implied' });
    expect(f.requests).toBe(200);
    expect(f.errors).toBe(20);
    expect(f.latency.p50).toBeGreaterThanOrEqual(100);
    expect(f.latency.p50).toBeLessThanOrEqual(200);
    expect(f.latency.p99).toBeGreaterThan(800);
    expect(f.tokens).toMatchObject({ input: 600, output: 200, per_request: 4 });
    expect(f.gpu_memory.max).toBe(8000);

    // Malformed: truncated protobuf, a NaN gauge in JSON, a missing steward.model, a wrong content type; nothing of them is kept.
    const cut = await srv.api('POST', '/v1/metrics', { raw: proto.subarray(0, proto.length - 7), headers: { 'content-type': 'application/x-protobuf' } });
    expect(cut.status).toBe(400);
    expect(cut.json.error.message).toMatch(/resourceMetrics\[0\]/);
    const doc = JSON.parse(json.toString('utf8'));
    const gauge = doc.resourceMetrics[0].scopeMetrics[0].metrics.find((x: { name: string }) => x.name === 'queue.depth');
    gauge.gauge.dataPoints[0].asDouble = 'NaN';
    const nan = await srv.api('POST', '/v1/metrics', { body: doc });
    expect(nan.status).toBe(400);
    expect(nan.json.error.message).toMatch(/gauge\.dataPoints\[0\]/);
    const noModel = await otlpExport({ 'service.name': 'gw' });
    const anon = await srv.api('POST', '/v1/metrics', { raw: Buffer.from(ProtobufMetricsSerializer.serializeRequest(noModel)!), headers: { 'content-type': 'application/x-protobuf' } });
    expect(anon.status).toBe(400);
    expect(anon.json.error.message).toMatch(/resourceMetrics\[0\]\.resource: attribute "steward.model"/);
    const text = await srv.api('POST', '/v1/metrics', { raw: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(400);
    expect(text.json.error.message).toMatch(/content-type "text\/plain": OTLP\/HTTP takes application\/x-protobuf or application\/json/);
    expect((await srv.api('POST', '/v1/metrics', { raw: proto, headers: { 'content-type': 'application/x-protobuf' }, token: (await srv.api('POST', `${BASE}/tokens`, { body: { name: 'ro', scopes: ['read'] } })).json.token })).status).toBe(403);
    const after = await srv.api('GET', `${BASE}/models/gateway/monitor?ring=production&environment=eu&window=1h`);
    expect(after.json.figures.requests).toBe(200);
  });

  it('flags telemetry for a version the ring does not point at', async () => {
    const r = await srv.api('POST', `${BASE}/models/classifier/telemetry`, { token: telemetryToken, body: { ring: 'production', version: '1.0.0', records: [{ latencyMs: 5 }, { latencyMs: 6 }] } });
    expect(r.status, r.text).toBe(202);
    expect(r.json.flagged).toBe(true);
    expect(r.json.deployment).toMatchObject({ version: '1.0.0', inRing: false, flaggedPoints: 2 });
    expect(r.json.warnings[0]).toMatch(/ring "production" does not point at classifier@1.0.0/);
    const list = await srv.api('GET', `${BASE}/models/classifier/deployments`);
    expect(list.json.items.map((d: { version: string }) => d.version).sort()).toEqual(['1.0.0', '1.1.0']);
  });

  it('computes drift per feature against a dataset profile, with Evidently-style default tests, within the stated bounds', async () => {
    expect((await pushFiles(srv, 'drifter', '1.0.0', [{ path: 'model.safetensors', content: 'drifter' }])).status).toBe(201);
    expect((await srv.api('PUT', `${BASE}/models/drifter/rings/production`, { body: { version: '1.0.0' } })).status).toBe(200);
    // The reference: 3,000 rows profiled into the same sketches `steward profile` makes.
    const r = rng(7);
    const raw = { age: [[], []] as number[][], income: [[], []] as number[][], country: [new Map<string, number>(), new Map<string, number>()] };
    const row = (shift: number, side: 0 | 1) => {
      const age = 30 + 5 * normal(r);
      const income = 1000 + shift + 100 * normal(r);
      const country = r() < (side === 0 ? 0.5 : 0.52) ? 'de' : 'fr';
      raw.age[side]!.push(age);
      raw.income[side]!.push(income);
      raw.country[side]!.set(country, (raw.country[side]!.get(country) ?? 0) + 1);
      return { age, income, country };
    };
    const age = new KllSketch();
    const income = new KllSketch();
    const country = new FrequencySketch();
    for (let i = 0; i < 3000; i++) {
      const x = row(0, 0);
      age.update(x.age);
      income.update(x.income);
      country.update(x.country);
    }
    const b64 = (s: { toBytes(): Uint8Array }) => Buffer.from(s.toBytes()).toString('base64');
    expect((await srv.api('POST', `${BASE}/datasets`, { body: { name: 'census', version: '2026', sourceUri: 'https://example.com/census', license: 'CC-BY-4.0', sensitivity: 'public' } })).status).toBe(201);
    const profile = { rows: 3000, features: { age: { kind: 'numeric', count: 3000, sketch: b64(age) }, income: { kind: 'numeric', count: 3000, sketch: b64(income) }, country: { kind: 'categorical', count: 3000, sketch: b64(country) } } };
    const bad = await srv.api('PUT', `${BASE}/datasets/census/versions/2026/profile`, { body: { ...profile, features: { age: { kind: 'numeric', count: 1, sketch: 'AAAA' } } } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/features\.age\.sketch: not a numeric sketch/);
    const attached = await srv.api('PUT', `${BASE}/datasets/census/versions/2026/profile`, { body: profile });
    expect(attached.status, attached.text).toBe(200);

    const missing = await srv.api('POST', `${BASE}/models/drifter/deployments`, { body: { version: '1.0.0', ring: 'production', referenceDataset: 'census@missing' } });
    expect(missing.status).toBe(404);
    const dep = await srv.api('POST', `${BASE}/models/drifter/deployments`, { body: { version: '1.0.0', ring: 'production', referenceDataset: 'census@2026' } });
    expect(dep.status, dep.text).toBe(201);
    expect(dep.json.deployment).toMatchObject({ source: 'registered', reference: { kind: 'dataset', dataset: 'census@2026' } });

    // Live traffic: income shifted by 2 sd, age as in the reference; sent in batches (several sketches merged).
    for (let b = 0; b < 4; b++) {
      const records = Array.from({ length: 1000 }, () => ({ features: row(200, 1) }));
      expect((await srv.api('POST', `${BASE}/models/drifter/telemetry`, { body: { ring: 'production', records } })).status).toBe(202);
    }
    // Ten rows from a country the reference never saw.
    const novel = Array.from({ length: 10 }, () => {
      const x = row(200, 1);
      raw.country[1]!.set(x.country, raw.country[1]!.get(x.country)! - 1);
      raw.country[1]!.set('it', (raw.country[1]!.get('it') ?? 0) + 1);
      return { features: { ...x, country: 'it' } };
    });
    expect((await srv.api('POST', `${BASE}/models/drifter/telemetry`, { body: { ring: 'production', records: novel } })).status).toBe(202);
    const d = await srv.api('GET', `${BASE}/models/drifter/drift?ring=production&window=1h&points=4`);
    expect(d.status, d.text).toBe(200);
    const by = Object.fromEntries(d.json.features.map((x: { feature: string }) => [x.feature, x]));
    expect(d.json.reference).toMatchObject({ kind: 'dataset', rows: 3000 });
    // More than 1,000 reference rows: Wasserstein (normed by the reference's std) for numeric, Jensen-Shannon for categorical.
    expect(by.income).toMatchObject({ method: 'wasserstein', drifted: true, nReference: 3000, nCurrent: 4010 });
    expect(by.age).toMatchObject({ method: 'wasserstein', nReference: 3000, nCurrent: 4010 });
    expect(by.country).toMatchObject({ method: 'jensenshannon', drifted: false });
    // Sketch figures agree with the exact statistic on the raw values within their stated bound.
    for (const f of ['age', 'income'] as const) {
      const exact = wassersteinDistanceNormed(raw[f][0]!, raw[f][1]!);
      expect(Math.abs(by[f].statistic - exact), f).toBeLessThanOrEqual(by[f].errorBound);
    }
    expect(by.age.statistic).toBeLessThan(0.1);
    expect(by.country.statistic).toBeCloseTo(jensenShannonDistance(raw.country[0], raw.country[1]), 9);
    expect(by.income.trend).toHaveLength(4);
    expect(d.json.share).toBeCloseTo(1 / 3, 12);
    expect(d.json.drifted).toBe(false);
    // A policy (or a query) may override the test and the dataset share.
    const ks = await srv.api('GET', `${BASE}/models/drifter/drift?ring=production&window=1h&method=ks&share=0.3`);
    expect(ks.status, ks.text).toBe(200);
    // KS needs ordered values: the categorical feature keeps its default test.
    expect(ks.json.features.map((x: { feature: string; method: string }) => `${x.feature}:${x.method}`)).toEqual(['age:ks', 'country:jensenshannon', 'income:ks']);
    expect(ks.json.drifted).toBe(true);
    // PSI over bins of equal reference mass: the shifted feature far past 0.1, the other near 0.
    const psi = await srv.api('GET', `${BASE}/models/drifter/drift?ring=production&window=1h&method=psi&binning=reference-quantiles`);
    expect(psi.status, psi.text).toBe(200);
    const byPsi = Object.fromEntries(psi.json.features.map((x: { feature: string }) => [x.feature, x]));
    expect(byPsi.income).toMatchObject({ method: 'psi', drifted: true });
    expect(byPsi.age.statistic).toBeLessThan(0.05);
    expect(byPsi.income.statistic).toBeGreaterThan(1);
    // Chi-square with a category only the current window has: an infinite statistic (null in JSON), drifted.
    const chi = await srv.api('GET', `${BASE}/models/drifter/drift?ring=production&window=1h&method=chisquare`);
    expect(chi.status, chi.text).toBe(200);
    expect(chi.json.features.find((x: { feature: string }) => x.feature === 'country')).toMatchObject({ method: 'chisquare', statistic: null, pValue: 0, drifted: true });
  });

  it('fires, acts and notifies: rollback and incident from a rule in the pushed policy set, webhook delivery, promotion blocked', async () => {
    const hook = await srv.api('POST', `${BASE}/webhooks`, { body: { url: `${receiver.url}/hook`, events: ['alert.*', 'ring.rolled_back', 'incident.opened'] } });
    expect(hook.status, hook.text).toBe(201);
    const slack = await srv.api('POST', `${BASE}/webhooks`, { body: { url: `${receiver.url}/slack`, events: ['alert.firing'], format: 'slack' } });
    expect(slack.status, slack.text).toBe(201);
    const pd = await srv.api('POST', `${BASE}/webhooks`, { body: { url: `${receiver.url}/pd`, events: ['alert.*'], format: 'pagerduty', routingKey: 'R0UT1NGKEY' } });
    expect(pd.status, pd.text).toBe(201);
    const bad = await srv.api('POST', `${BASE}/policy-sets`, { body: { files: [{ path: 'alerts.yaml', text: ALERTS.replace('latency.p99 > 800', 'latncy.p99 > 800') }] } });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/Unknown variable: latncy/);
    // The alert rules beside the library's governance policies (what `steward policy push` sends).
    const governance = fs.readFileSync(new URL('../../policy/library/governance.yaml', import.meta.url), 'utf8');
    const pushed = await srv.api('POST', `${BASE}/policy-sets`, { body: { files: [{ path: 'alerts.yaml', text: ALERTS }, { path: 'builtin:governance.yaml', text: governance }] } });
    expect(pushed.status, pushed.text).toBe(201);

    const slow = Array.from({ length: 100 }, () => ({ latencyMs: 1500 }));
    expect((await srv.api('POST', `${BASE}/models/classifier/telemetry`, { token: telemetryToken, body: { ring: 'production', records: slow } })).status).toBe(202);
    await srv.running.telemetry.aggregator.flush();
    await srv.running.alerts.evaluateAll();

    const firing = await until(() => receiver.at('/hook').find((x) => JSON.parse(x.body).type === 'alert.firing'), 'alert.firing delivered');
    const event = JSON.parse(firing.body);
    expect(event.details).toMatchObject({ rule: 'latency-high', severity: 'critical', ring: 'production', condition: 'latency.p99 > 800', notify: true });
    expect(event.details.figures.latency.p99).toBeGreaterThan(800);
    await until(() => receiver.at('/hook').find((x) => JSON.parse(x.body).type === 'ring.rolled_back'), 'rollback delivered');
    const rolled = JSON.parse(receiver.at('/hook').find((x) => JSON.parse(x.body).type === 'ring.rolled_back')!.body);
    expect(rolled.details).toMatchObject({ from: '1.1.0', to: '1.0.0', decidedBy: { kind: 'alert-rule', rule: 'latency-high' } });
    expect((await srv.api('GET', `${BASE}/models/classifier/rings`)).json.items.find((p: { ring: string }) => p.ring === 'production').version).toBe('1.0.0');
    const incidents = await srv.api('GET', `${BASE}/incidents`);
    expect(incidents.json.items[0]).toMatchObject({ severity: 'critical', status: 'open', openedBy: 'alert:latency-high' });

    // Slack and PagerDuty bodies.
    const s = await until(() => receiver.at('/slack')[0], 'slack delivery');
    expect(JSON.parse(s.body).text).toMatch(/\[FIRING\] latency-high on default\/classifier in production\/production/);
    const p = await until(() => receiver.at('/pd').find((x) => JSON.parse(x.body).event_action === 'trigger'), 'pagerduty trigger');
    expect(JSON.parse(p.body)).toMatchObject({ routing_key: 'R0UT1NGKEY', event_action: 'trigger', payload: { severity: 'critical', source: 'default/classifier' } });

    // The firing alert blocks promotion: a policy input, judged like any rule.
    const ev = await srv.api('POST', `${BASE}/models/classifier/versions/1.1.0/policy/evaluate`, { body: { ring: 'production', record: false } });
    expect(ev.status, ev.text).toBe(200);
    const rule = ev.json.results.find((x: { ruleId: string }) => x.ruleId === 'governance.no-blocking-alerts');
    expect(rule).toMatchObject({ status: 'fail' });
    expect(rule.message).toMatch(/latency-high \(critical\) in production\/production/);

    const alerts = await srv.api('GET', `${BASE}/alerts`);
    const a = alerts.json.items.find((x: { rule: string }) => x.rule === 'latency-high');
    expect(a).toMatchObject({ state: 'firing', blocksPromotion: true, version: '1.1.0' });
    const ack = await srv.api('POST', `${BASE}/alerts/${a.id}/ack`, { body: {} });
    expect(ack.status, ack.text).toBe(200);
    expect(ack.json.acknowledged.by).toBe('admin');
    expect((await srv.api('POST', `${BASE}/alerts/${a.id}/ack`, { body: {} })).status).toBe(409);
    await until(() => receiver.at('/pd').find((x) => JSON.parse(x.body).event_action === 'acknowledge'), 'pagerduty acknowledge');
  });

  it('walks pending -> firing -> resolved -> firing (flapping), no data, and silences', async () => {
    const send = (records: unknown[]) => srv.api('POST', `${BASE}/models/errors/telemetry`, { body: { ring: 'beta', records } });
    const state = async (rule: string) => (await srv.api('GET', `${BASE}/alerts?all=true&model=errors`)).json.items.find((x: { rule: string }) => x.rule === rule);
    const evaluate = async () => {
      await srv.running.telemetry.aggregator.flush();
      await srv.running.alerts.evaluateAll();
    };
    expect((await send(Array.from({ length: 10 }, () => ({ error: true })))).status).toBe(202);
    await evaluate();
    expect((await state('errors-pending')).state).toBe('pending');
    expect((await state('starved')).state).toBe('nodata');
    await new Promise((r) => setTimeout(r, 2100));
    await evaluate();
    const fired = await state('errors-pending');
    expect(fired.state).toBe('firing');
    // Its freeze action froze ring beta.
    const criteria = await srv.api('GET', `${BASE}/rings`);
    expect(criteria.json.items.find((c: { ring: string }) => c.ring === 'beta').frozen.by).toBe('alert:errors-pending');

    // Enough good requests: resolved. Then errors again: pending (for: 2s) again.
    expect((await send(Array.from({ length: 30 }, () => ({ latencyMs: 1 })))).status).toBe(202);
    await evaluate();
    expect((await state('errors-pending')).state).toBe('normal');
    expect((await state('errors-pending')).resolvedAt).not.toBeNull();

    const silence = await srv.api('POST', `${BASE}/alerts/${fired.id}/silence`, { body: { until: new Date(Date.now() + 3_600_000).toISOString(), reason: 'known flaky upstream' } });
    expect(silence.status, silence.text).toBe(200);
    const past = await srv.api('POST', `${BASE}/alerts/${fired.id}/silence`, { body: { until: '2020-01-01T00:00:00Z', reason: 'x' } });
    expect(past.status).toBe(400);
    expect((await send(Array.from({ length: 60 }, () => ({ error: true })))).status).toBe(202);
    await evaluate();
    expect((await state('errors-pending')).state).toBe('pending');

    // Every transition is in the ledger; the silenced one is marked, and webhooks skip it.
    const log = await srv.api('GET', `${BASE}/audit-events?action=alert.*&limit=200`);
    expect(log.status, log.text).toBe(200);
    const mine = log.json.items.filter((e: { details: { rule?: string } }) => e.details.rule === 'errors-pending').map((e: { action: string; details: { notify: boolean } }) => [e.action, e.details.notify]);
    expect(mine).toEqual(expect.arrayContaining([['alert.pending', true], ['alert.firing', true], ['alert.resolved', true], ['alert.silenced', undefined], ['alert.pending', false]]));
    await new Promise((r) => setTimeout(r, 300));
    const delivered = receiver.at('/hook').map((x) => JSON.parse(x.body)).filter((e) => e.details.rule === 'errors-pending' && e.type === 'alert.pending');
    expect(delivered).toHaveLength(1);
  });

  it('exports figures to Prometheus on /metrics', async () => {
    const r = await srv.api('GET', '/metrics');
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/plain; version=0\.0\.4/);
    expect(r.text).toMatch(/^steward_up 1$/m);
    expect(r.text).toMatch(/^steward_model_requests\{org="default",model="classifier",version="1.1.0",ring="production",environment="production"\} \d+$/m);
    expect(r.text).toMatch(/^steward_model_latency_ms\{.*quantile="0.99"\} [\d.]+$/m);
    expect(r.text).toMatch(/^steward_alerts_firing\{org="default",rule="latency-high",severity="critical"\} 1$/m);
    expect((await srv.api('GET', '/metrics', { token: null })).status).toBe(401);
  });

  it('keeps storage bounded: pending labels capped per deployment and expired after the join window, buckets past retention dropped', async () => {
    const db = srv.running.deps.db;
    const send = (records: unknown[]) => srv.api('POST', `${BASE}/models/errors/telemetry`, { body: { ring: 'beta', records } });
    const t0 = Date.now() - 10 * 60_000;
    const preds = Array.from({ length: 5 }, (_, i) => ({ requestId: `cap-${i}`, output: '1', time: new Date(t0 + i * 60_000).toISOString() }));
    expect((await send(preds)).status).toBe(202);
    const pending = async () => (await db.selectFrom('telemetry_pending_labels').select('request_id').where('request_id', 'like', 'cap-%').orderBy('request_id').execute()).map((r) => r.request_id);
    expect(await pending()).toEqual(['cap-0', 'cap-1', 'cap-2', 'cap-3', 'cap-4']);
    const far = { m: 1e12, h: 1e12, d: 1e12 };
    // Cap 2 for the deployment's 5 (plus what earlier tests left): the newest stay.
    const capped = await pruneTelemetry(db, Date.now(), { buckets: far, labelJoinMs: 1e12, pendingLabelsMax: 2 });
    expect(capped.labels).toBeGreaterThanOrEqual(3);
    expect(await pending()).toEqual(['cap-3', 'cap-4']);
    // A label for a dropped prediction joins nothing; for a kept one it does.
    const late = await send([{ requestId: 'cap-0', label: '1' }, { requestId: 'cap-4', label: '1' }]);
    expect(late.json.labelsJoined).toBe(1);
    expect(late.json.warnings.join(' ')).toMatch(/1 labels matched no pending prediction/);
    // The join window: older than 5 minutes goes.
    const expired = await pruneTelemetry(db, Date.now(), { buckets: far, labelJoinMs: 5 * 60_000, pendingLabelsMax: 1e9 });
    expect(expired.labels).toBeGreaterThanOrEqual(1);
    expect(await pending()).toEqual([]);
    // Buckets: minute rows older than 1 ms go, hour and day rows stay (everything accepted is flushed first).
    await srv.running.telemetry.aggregator.flush();
    const before = await db.selectFrom('telemetry_buckets').select(['granularity']).execute();
    const dropped = await pruneTelemetry(db, Date.now() + 3 * 86_400_000, { buckets: { m: 1, h: 1e12, d: 1e12 }, labelJoinMs: 1e12, pendingLabelsMax: 1e9 });
    const after = await db.selectFrom('telemetry_buckets').select(['granularity']).execute();
    expect(dropped.buckets).toBe(before.filter((b) => b.granularity === 'm').length);
    expect(after.every((b) => b.granularity !== 'm')).toBe(true);
    expect(after.length).toBe(before.length - dropped.buckets);
  });

});

describe('the alert state machine (Grafana semantics for for: and no data)', () => {
  const rule = (forSeconds: number, noData: 'nodata' | 'alerting' | 'ok' | 'keep' = 'nodata') => ({ forSeconds, noData });
  const at = (s: number) => Date.parse('2026-12-08T00:00:00Z') + s * 1000;
  const since = '2026-12-08T00:00:00.000Z';
  it('fires at once without a pending period, after it with one, and resolves, clears or goes no-data', () => {
    expect(nextState({ state: 'normal', pendingSince: null }, 'true', rule(0), at(0))).toMatchObject({ to: 'firing', action: 'alert.firing', fired: true });
    expect(nextState({ state: 'normal', pendingSince: null }, 'true', rule(60), at(0))).toMatchObject({ to: 'pending', action: 'alert.pending' });
    expect(nextState({ state: 'pending', pendingSince: since }, 'true', rule(60), at(59))).toMatchObject({ to: 'pending', action: null });
    expect(nextState({ state: 'pending', pendingSince: since }, 'true', rule(60), at(60))).toMatchObject({ to: 'firing', action: 'alert.firing', fired: true });
    expect(nextState({ state: 'firing', pendingSince: since }, 'true', rule(60), at(600))).toMatchObject({ to: 'firing', action: null });
    expect(nextState({ state: 'firing', pendingSince: since }, 'false', rule(60), at(600))).toMatchObject({ to: 'normal', action: 'alert.resolved', resolved: true });
    expect(nextState({ state: 'pending', pendingSince: since }, 'false', rule(60), at(30))).toMatchObject({ to: 'normal', action: 'alert.cleared' });
    expect(nextState({ state: 'normal', pendingSince: null }, 'false', rule(0), at(0))).toMatchObject({ to: 'normal', action: null });
    expect(nextState({ state: 'firing', pendingSince: since }, 'nodata', rule(0), at(0))).toMatchObject({ to: 'nodata', action: 'alert.nodata', resolved: true });
    expect(nextState({ state: 'nodata', pendingSince: null }, 'nodata', rule(0), at(0))).toMatchObject({ to: 'nodata', action: null });
    expect(nextState({ state: 'nodata', pendingSince: null }, 'false', rule(0), at(0))).toMatchObject({ to: 'normal', action: 'alert.recovered' });
    expect(nextState({ state: 'normal', pendingSince: null }, 'error', rule(0), at(0))).toMatchObject({ to: 'error', action: 'alert.error' });
  });
  it('treats no data as the rule says: alerting, ok, or keep the state', () => {
    expect(nextState({ state: 'normal', pendingSince: null }, 'nodata', rule(0, 'alerting'), at(0))).toMatchObject({ to: 'firing', fired: true });
    expect(nextState({ state: 'firing', pendingSince: since }, 'nodata', rule(0, 'ok'), at(0))).toMatchObject({ to: 'normal', action: 'alert.resolved' });
    expect(nextState({ state: 'firing', pendingSince: since }, 'nodata', rule(0, 'keep'), at(0))).toMatchObject({ to: 'firing', action: null });
    expect(nextState({ state: 'pending', pendingSince: since }, 'nodata', rule(60, 'keep'), at(0))).toMatchObject({ to: 'pending', action: null });
  });
});
