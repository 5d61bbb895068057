// Acceptance (issue 14), each against a real `steward server` process on SQLite:
// - ingest: at least 50,000 prediction records per second (10 numeric and 2 categorical features
//   each, batches of 1,000), server RSS under 300 MB, storage growth independent of volume (bytes
//   per feature per bucket stated);
// - OTLP metrics: at least 100,000 data points per second (protobuf, from the OpenTelemetry SDK's
//   own serializer);
// - drift of 50 features over 30 days of hourly buckets: under 100 ms (the whole HTTP request);
// - from the ingest that crosses a threshold to the webhook delivery of alert.firing (pending
//   period 0): under 5 s.
//
// The load comes from this process over loopback keep-alive connections (4 requests in flight);
// bodies are serialized before the clock starts, so the figure is the server's. Both share the
// machine's 2 cores.
//
// Usage: node bench/monitoring.bench.js   (build first: npx tsc -b)
// BENCH_QUICK=1: shorter phases (a smoke run; targets still judged).
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { KllSketch, FrequencySketch } from '@steward/monitor';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { DATA, median, runSteward, startSteward } from './lib/server.js';

const QUICK = process.env.BENCH_QUICK === '1';
const TARGETS = { ingestRecordsPerS: 50_000, rssMB: 300, otlpPointsPerS: 100_000, driftMs: 100, alertMs: 5_000 };
const INGEST_SECONDS = QUICK ? 4 : 20;
const OTLP_SECONDS = QUICK ? 3 : 15;
const IN_FLIGHT = 4;

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });

function post(url, token, body, contentType = 'application/json') {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': contentType, 'content-length': body.length } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function api(srv, method, path, body) {
  const res = await fetch(srv.url + path, { method, headers: { authorization: `Bearer ${srv.token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

/** Sends prepared bodies round-robin with IN_FLIGHT requests outstanding, for `seconds`; returns how many were accepted. */
async function drive(url, token, bodies, seconds, contentType) {
  const deadline = performance.now() + seconds * 1000;
  let sent = 0;
  let failed = null;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, lane) => {
      for (let i = lane; performance.now() < deadline && !failed; i += IN_FLIGHT) {
        const r = await post(url, token, bodies[i % bodies.length], contentType);
        if (r.status >= 300) failed = `${r.status} ${r.text.slice(0, 300)}`;
        else sent++;
      }
    }),
  );
  if (failed) throw new Error(`ingest refused: ${failed}`);
  return { requests: sent, seconds: (performance.now() - t0) / 1000 };
}

async function pushModel(srv, name, versions = ['1.0.0']) {
  const dir = join(DATA, 'monitor-model', name);
  mkdirSync(dir, { recursive: true });
  const env = { STEWARD_SERVER: srv.url, STEWARD_TOKEN: srv.token };
  for (const v of versions) {
    writeFileSync(join(dir, 'model.safetensors'), `weights of ${name} ${v}`);
    await runSteward(['push', dir, '--model', `default/${name}`, '--version', v], { env });
    await api(srv, 'PUT', `/api/v1/orgs/default/models/${name}/rings/production`, { version: v, reason: 'bench' });
  }
}

function predictionBatch(r, n, ring = 'production') {
  const records = [];
  for (let i = 0; i < n; i++) {
    const features = {};
    for (let f = 0; f < 10; f++) features[`x${f}`] = f * 10 + r() * 5;
    features.country = ['de', 'fr', 'it', 'es', 'nl'][Math.floor(r() * 5)];
    features.device = r() < 0.7 ? 'mobile' : 'desktop';
    records.push({ features, output: r() < 0.3 ? '1' : '0', latencyMs: 20 + 30 * r() });
  }
  return Buffer.from(JSON.stringify({ ring, records }));
}

async function ingestPhase() {
  const srv = await startSteward({ dataDir: join(DATA, 'monitor-ingest'), env: { STEWARD_RATE_LIMIT_MAX: '100000000' } });
  try {
    await pushModel(srv, 'ingest');
    const idleRssMb = Math.round((srv.memory()?.rssKiB ?? 0) / 1024);
    let peakSampledMb = 0;
    const sampler = setInterval(() => (peakSampledMb = Math.max(peakSampledMb, Math.round((srv.memory()?.rssKiB ?? 0) / 1024))), 200);
    const r = rng(1);
    const bodies = Array.from({ length: 16 }, () => predictionBatch(r, 1000));
    const url = `${srv.url}/api/v1/orgs/default/models/ingest/telemetry`;
    await drive(url, srv.token, bodies, 1, 'application/json'); // warm-up (JIT, prepared statements)
    const first = await drive(url, srv.token, bodies, INGEST_SECONDS / 2, 'application/json');
    await new Promise((res) => setTimeout(res, 1500)); // a flush
    const db = new Database(join(srv.dataDir, 'steward.db'), { readonly: true });
    const sizeAt = () => db.prepare("select count(*) as rows, sum(length(data)) as bytes from telemetry_buckets where series like 'f:%'").get();
    const half = sizeAt();
    const second = await drive(url, srv.token, bodies, INGEST_SECONDS / 2, 'application/json');
    await new Promise((res) => setTimeout(res, 1500));
    const full = sizeAt();
    const perBucket = db.prepare("select granularity, count(*) as rows, avg(length(data)) as avg_bytes, max(length(data)) as max_bytes from telemetry_buckets where series like 'f:x%' group by granularity").all();
    const categorical = db.prepare("select avg(length(data)) as avg_bytes from telemetry_buckets where series = 'f:country'").get();
    db.close();
    clearInterval(sampler);
    const mem = await srv.stop();
    const records = (first.requests + second.requests) * 1000;
    const seconds = first.seconds + second.seconds;
    return {
      records,
      seconds: Number(seconds.toFixed(2)),
      records_per_s: Math.round(records / seconds),
      server_peak_rss_mb: mem.peakRssKiB ? Math.round(mem.peakRssKiB / 1024) : null,
      server_idle_rss_mb_before_load: idleRssMb,
      server_rss_mb_sampled_max: peakSampledMb,
      storage: {
        after_first_half: { records: first.requests * 1000, feature_rows: half.rows, feature_bytes: half.bytes },
        after_both_halves: { records, feature_rows: full.rows, feature_bytes: full.bytes },
        bytes_per_numeric_feature_per_bucket: Object.fromEntries(perBucket.map((g) => [g.granularity, { avg: Math.round(g.avg_bytes), max: g.max_bytes, rows: g.rows }])),
        bytes_per_categorical_feature_per_bucket_avg: Math.round(categorical.avg_bytes),
      },
    };
  } catch (err) {
    await srv.stop();
    throw err;
  }
}

class CollectReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  }
  onForceFlush() {
    return Promise.resolve();
  }
  onShutdown() {
    return Promise.resolve();
  }
}

/** One OTLP request from the SDK: 1,000 data points (GenAI duration and token histograms, a gauge) over 250 attribute sets. */
async function otlpBody() {
  const reader = new CollectReader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'gateway', 'steward.model': 'default/otlp', 'steward.ring': 'production', 'deployment.environment.name': 'production' }),
    readers: [reader],
  });
  const meter = provider.getMeter('bench');
  const duration = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24] } });
  const tokens = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}', advice: { explicitBucketBoundaries: [1, 4, 16, 64, 256, 1024, 4096, 16384] } });
  const gpu = meter.createGauge('hw.gpu.memory.usage', { unit: 'By' });
  const r = rng(3);
  for (let s = 0; s < 250; s++) {
    const attrs = { 'gen_ai.operation.name': 'chat', 'server.address': `pod-${s}` };
    for (let i = 0; i < 4; i++) duration.record(0.05 + r() * 0.5, attrs);
    tokens.record(Math.floor(r() * 500), { ...attrs, 'gen_ai.token.type': 'input' });
    tokens.record(Math.floor(r() * 200), { ...attrs, 'gen_ai.token.type': 'output' });
    gpu.record(8e9 + r() * 1e9, attrs);
  }
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  const points = resourceMetrics.scopeMetrics.reduce((n, s) => n + s.metrics.reduce((a, m) => a + m.dataPoints.length, 0), 0);
  return { body: Buffer.from(ProtobufMetricsSerializer.serializeRequest(resourceMetrics)), points };
}

async function otlpPhase() {
  const srv = await startSteward({ dataDir: join(DATA, 'monitor-otlp'), env: { STEWARD_RATE_LIMIT_MAX: '100000000' } });
  try {
    await pushModel(srv, 'otlp');
    const { body, points } = await otlpBody();
    const url = `${srv.url}/v1/metrics`;
    const check = await post(url, srv.token, body, 'application/x-protobuf');
    if (check.status !== 200) throw new Error(`OTLP refused: ${check.status} ${check.text}`);
    await drive(url, srv.token, [body], 1, 'application/x-protobuf');
    const run = await drive(url, srv.token, [body], OTLP_SECONDS, 'application/x-protobuf');
    const mem = await srv.stop();
    return { points_per_request: points, request_bytes: body.length, requests: run.requests, seconds: Number(run.seconds.toFixed(2)), points_per_s: Math.round((run.requests * points) / run.seconds), server_peak_rss_mb: mem.peakRssKiB ? Math.round(mem.peakRssKiB / 1024) : null };
  } catch (err) {
    await srv.stop();
    throw err;
  }
}

async function driftPhase() {
  const days = 30;
  const srv = await startSteward({ dataDir: join(DATA, 'monitor-drift'), env: { STEWARD_RATE_LIMIT_MAX: '100000000', STEWARD_TELEMETRY_MAX_AGE_SECONDS: String((days + 1) * 86_400) } });
  try {
    await pushModel(srv, 'drift');
    const r = rng(5);
    // The reference: 5,000 rows of 50 numeric features, profiled with the server's own sketches.
    const sketches = Array.from({ length: 50 }, () => new KllSketch());
    for (let i = 0; i < 5000; i++) for (let f = 0; f < 50; f++) sketches[f].update(f + r());
    await api(srv, 'POST', '/api/v1/orgs/default/datasets', { name: 'bench-ref', version: '1', sourceUri: 'https://example.com/ref', license: 'CC0-1.0', sensitivity: 'public' });
    const features = Object.fromEntries(sketches.map((s, f) => [`f${f}`, { kind: 'numeric', count: s.count, sketch: Buffer.from(s.toBytes()).toString('base64') }]));
    await api(srv, 'PUT', '/api/v1/orgs/default/datasets/bench-ref/versions/1/profile', { rows: 5000, features });
    await api(srv, 'POST', '/api/v1/orgs/default/models/drift/deployments', { version: '1.0.0', ring: 'production', referenceDataset: 'bench-ref@1' });
    // 30 days of hourly traffic: 60 records an hour (every hour's sketches hold data), the last 10 days drifted on half the features.
    const now = Date.now();
    const start = now - days * 86_400_000;
    let batch = [];
    const url = `${srv.url}/api/v1/orgs/default/models/drift/telemetry`;
    for (let h = 0; h < days * 24; h++) {
      const t = start + h * 3_600_000;
      const drifted = h >= (days - 10) * 24;
      for (let i = 0; i < 60; i++) {
        const features = {};
        for (let f = 0; f < 50; f++) features[`f${f}`] = f + r() + (drifted && f % 2 === 0 ? 0.5 : 0);
        batch.push({ time: new Date(t + i * 60_000).toISOString(), features });
      }
      if (batch.length >= 2000) {
        const res = await post(url, srv.token, Buffer.from(JSON.stringify({ ring: 'production', records: batch })));
        if (res.status !== 202) throw new Error(`drift setup refused: ${res.status} ${res.text.slice(0, 300)}`);
        batch = [];
      }
    }
    if (batch.length) await post(url, srv.token, Buffer.from(JSON.stringify({ ring: 'production', records: batch })));
    const q = `/api/v1/orgs/default/models/drift/drift?ring=production&window=${days}d&points=0`;
    await api(srv, 'GET', q); // flushes what the setup left in memory
    const wall = [];
    const server = [];
    let last;
    for (let i = 0; i < (QUICK ? 5 : 20); i++) {
      const t0 = performance.now();
      last = await api(srv, 'GET', q);
      wall.push(performance.now() - t0);
      server.push(last.computeMs);
    }
    const db = new Database(join(srv.dataDir, 'steward.db'), { readonly: true });
    const hourly = db.prepare("select count(*) as n from telemetry_buckets where granularity = 'h' and series like 'f:%'").get().n;
    db.close();
    await srv.stop();
    return {
      features: last.features.length,
      hourly_feature_buckets: hourly,
      drifted_features: last.features.filter((f) => f.drifted).length,
      share: last.share,
      request_ms_median: Number(median(wall).toFixed(1)),
      request_ms_max: Number(Math.max(...wall).toFixed(1)),
      compute_ms_median: Number(median(server).toFixed(1)),
    };
  } catch (err) {
    await srv.stop();
    throw err;
  }
}

async function alertPhase() {
  const srv = await startSteward({ dataDir: join(DATA, 'monitor-alert'), env: { STEWARD_RATE_LIMIT_MAX: '100000000' } });
  const received = [];
  const receiver = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ at: performance.now(), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.end('ok');
    });
  });
  await new Promise((res) => receiver.listen(0, '127.0.0.1', res));
  try {
    const trials = QUICK ? 2 : 5;
    for (let i = 0; i < trials; i++) await pushModel(srv, `alerting-${i}`);
    await api(srv, 'POST', '/api/v1/orgs/default/webhooks', { url: `http://127.0.0.1:${receiver.address().port}/hook`, events: ['alert.firing'] });
    const rules = `alerts:\n  - id: latency\n    condition: latency.p99 > 800\n    window: 5m\n    for: 0s\n    severity: critical\n`;
    await api(srv, 'POST', '/api/v1/orgs/default/policy-sets', { files: [{ path: 'alerts.yaml', text: rules }] });
    const latencies = [];
    for (let i = 0; i < trials; i++) {
      const model = `alerting-${i}`;
      const ok = Buffer.from(JSON.stringify({ ring: 'production', records: Array.from({ length: 100 }, () => ({ latencyMs: 50 })) }));
      await post(`${srv.url}/api/v1/orgs/default/models/${model}/telemetry`, srv.token, ok);
      await new Promise((res) => setTimeout(res, 1500));
      const slow = Buffer.from(JSON.stringify({ ring: 'production', records: Array.from({ length: 100 }, () => ({ latencyMs: 2000 })) }));
      const t0 = performance.now();
      const r = await post(`${srv.url}/api/v1/orgs/default/models/${model}/telemetry`, srv.token, slow);
      if (r.status !== 202) throw new Error(`alert trial ingest refused: ${r.status} ${r.text}`);
      const deadline = t0 + 30_000;
      let hit;
      while (!(hit = received.find((x) => x.body.model === `default/${model}`)) && performance.now() < deadline) await new Promise((res) => setTimeout(res, 5));
      if (!hit) throw new Error(`no alert.firing for ${model} within 30 s`);
      latencies.push(hit.at - t0);
    }
    await srv.stop();
    return { trials, ms: latencies.map((x) => Math.round(x)), ms_median: Math.round(median(latencies)), ms_max: Math.round(Math.max(...latencies)) };
  } catch (err) {
    await srv.stop();
    throw err;
  } finally {
    receiver.close();
  }
}

export default async function run() {
  // BENCH_MONITORING_PHASES=ingest,otlp runs only those (the others report null and fail their checks).
  const only = process.env.BENCH_MONITORING_PHASES?.split(',');
  const want = (p) => !only || only.includes(p);
  const ingest = want('ingest') ? await ingestPhase() : null;
  const otlp = want('otlp') ? await otlpPhase() : null;
  const drift = want('drift') ? await driftPhase() : null;
  const alert = want('alert') ? await alertPhase() : null;
  if (only) return { name: 'monitoring', partial: only, results: { ingest, otlp, drift, alert }, pass: false };
  const growth = ingest.storage.after_both_halves.feature_bytes - ingest.storage.after_first_half.feature_bytes;
  const checks = {
    ingest_records_per_s: ingest.records_per_s >= TARGETS.ingestRecordsPerS,
    ingest_rss: ingest.server_peak_rss_mb !== null && ingest.server_peak_rss_mb < TARGETS.rssMB,
    otlp_points_per_s: otlp.points_per_s >= TARGETS.otlpPointsPerS,
    drift_ms: drift.request_ms_median < TARGETS.driftMs && drift.features === 50,
    alert_ms: alert.ms_max < TARGETS.alertMs,
  };
  return {
    name: 'monitoring',
    targets: TARGETS,
    results: { ingest, otlp, drift, alert, storage_growth_second_half_bytes: growth },
    checks,
    pass: Object.values(checks).every(Boolean),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await run();
  console.log(JSON.stringify(r, null, 2));
  process.exitCode = r.pass ? 0 : 1;
}
