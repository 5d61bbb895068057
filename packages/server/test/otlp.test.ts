import { ValueType } from '@opentelemetry/api';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  InstrumentType,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { StewardError } from '@steward/domain';
import { describe, expect, it } from 'vitest';
import {
  countOtlpPoints,
  decodeOtlpMetricsJson,
  decodeOtlpMetricsProtobuf,
  type OtlpAttributeValue,
  type OtlpPoint,
  type OtlpResourceMetrics,
} from '../src/telemetry/otlp.js';

// ---------------------------------------------------------------------------------------------
// A minimal protobuf writer for hand-built bodies (including ones no real encoder would produce).

type Part = Uint8Array | number[];
const te = new TextEncoder();

function cat(...parts: Part[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function varintBytes(v: number | bigint): number[] {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x !== 0n) b |= 0x80;
    out.push(b);
  } while (x !== 0n);
  return out;
}

const pb = {
  tag: (f: number, wt: number): number[] => varintBytes(f * 8 + wt),
  varint: (f: number, v: number | bigint): Uint8Array => cat(pb.tag(f, 0), varintBytes(v)),
  sint: (f: number, v: number): Uint8Array => pb.varint(f, v >= 0 ? 2 * v : -2 * v - 1),
  fixed64: (f: number, v: bigint): Uint8Array => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    return cat(pb.tag(f, 1), b);
  },
  double: (f: number, v: number): Uint8Array => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    return cat(pb.tag(f, 1), b);
  },
  fixed32: (f: number, v: number): Uint8Array => cat(pb.tag(f, 5), [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff]),
  bytes: (f: number, data: Part): Uint8Array => cat(pb.tag(f, 2), varintBytes(data.length), data),
  str: (f: number, s: string): Uint8Array => pb.bytes(f, te.encode(s)),
  msg: (f: number, ...parts: Part[]): Uint8Array => pb.bytes(f, cat(...parts)),
  packedDoubles: (f: number, vs: number[]): Uint8Array => pb.bytes(f, cat(...vs.map((v) => pb.double(1, v).subarray(1)))),
  packedFixed64: (f: number, vs: Array<number | bigint>): Uint8Array => pb.bytes(f, cat(...vs.map((v) => pb.fixed64(1, BigInt(v)).subarray(1)))),
};

// OTLP messages
const any = {
  str: (s: string): Uint8Array => pb.str(1, s),
  bool: (b: boolean): Uint8Array => pb.varint(2, b ? 1 : 0),
  int: (v: number | bigint): Uint8Array => pb.varint(3, v),
  double: (v: number): Uint8Array => pb.double(4, v),
  array: (...values: Part[]): Uint8Array => pb.msg(5, ...values.map((v) => pb.msg(1, v))),
  kvlist: (...kvs: Part[]): Uint8Array => pb.msg(6, ...kvs.map((kv) => pb.msg(1, kv))),
  bytes: (b: number[]): Uint8Array => pb.bytes(7, b),
};
const kv = (key: string | Part, value?: Part): Uint8Array =>
  cat(typeof key === 'string' ? pb.str(1, key) : pb.bytes(1, key), value === undefined ? [] : pb.msg(2, value));

interface PointOptions {
  attrs?: Part[];
  start?: bigint;
  time?: bigint;
  flags?: number;
}
const T0 = 1_700_000_000_000_000_000n;
function pointHeader(o: PointOptions, attrField: number): Uint8Array {
  return cat(
    ...(o.attrs ?? []).map((a) => pb.msg(attrField, a)),
    pb.fixed64(2, o.start ?? T0),
    pb.fixed64(3, o.time ?? T0 + 1000n),
    o.flags === undefined ? [] : pb.varint(attrField === 1 ? 10 : attrField === 9 ? 10 : 8, o.flags),
  );
}
const numberPoint = (o: PointOptions & { double?: number; int?: number | bigint } = {}): Uint8Array =>
  cat(pointHeader(o, 7), o.double === undefined ? [] : pb.double(4, o.double), o.int === undefined ? [] : pb.fixed64(6, BigInt(o.int)));
const histogramPoint = (
  o: PointOptions & { count?: number | bigint; sum?: number; min?: number; max?: number; bounds?: number[]; counts?: Array<number | bigint> } = {},
): Uint8Array =>
  cat(
    pointHeader(o, 9),
    o.count === undefined ? [] : pb.fixed64(4, BigInt(o.count)),
    o.sum === undefined ? [] : pb.double(5, o.sum),
    o.counts === undefined ? [] : pb.packedFixed64(6, o.counts),
    o.bounds === undefined ? [] : pb.packedDoubles(7, o.bounds),
    o.min === undefined ? [] : pb.double(11, o.min),
    o.max === undefined ? [] : pb.double(12, o.max),
  );
const expPoint = (
  o: PointOptions & { count?: number; sum?: number; scale?: number; zeroCount?: number; positive?: [number, number[]]; negative?: [number, number[]] } = {},
): Uint8Array =>
  cat(
    pointHeader(o, 1),
    o.count === undefined ? [] : pb.fixed64(4, BigInt(o.count)),
    o.sum === undefined ? [] : pb.double(5, o.sum),
    o.scale === undefined ? [] : pb.sint(6, o.scale),
    o.zeroCount === undefined ? [] : pb.fixed64(7, BigInt(o.zeroCount)),
    o.positive === undefined ? [] : pb.msg(8, pb.sint(1, o.positive[0]), pb.bytes(2, o.positive[1].flatMap((c) => varintBytes(c)))),
    o.negative === undefined ? [] : pb.msg(9, pb.sint(1, o.negative[0]), pb.bytes(2, o.negative[1].flatMap((c) => varintBytes(c)))),
  );
const summaryPoint = (o: PointOptions & { count?: number; sum?: number; quantiles?: Array<[number, number]> } = {}): Uint8Array =>
  cat(
    pointHeader(o, 7),
    o.count === undefined ? [] : pb.fixed64(4, BigInt(o.count)),
    o.sum === undefined ? [] : pb.double(5, o.sum),
    ...(o.quantiles ?? []).map(([q, v]) => pb.msg(6, pb.double(1, q), pb.double(2, v))),
  );

const KIND_FIELD = { gauge: 5, sum: 7, histogram: 9, exponentialHistogram: 10, summary: 11 } as const;
function metric(name: string | null, kind: keyof typeof KIND_FIELD | null, points: Part[], extra: Part[] = []): Uint8Array {
  return cat(
    name === null ? [] : pb.str(1, name),
    kind === null ? [] : pb.msg(KIND_FIELD[kind], ...points.map((p) => pb.msg(1, p)), ...extra),
  );
}
/** One resource, one scope, these metrics. */
const body = (...metrics: Part[]): Uint8Array => pb.msg(1, pb.msg(2, ...metrics.map((m) => pb.msg(2, m))));
const M0 = 'resourceMetrics[0].scopeMetrics[0].metrics[0]';

function rejection(fn: () => unknown): StewardError {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(StewardError);
  const se = err as StewardError;
  expect(se.code).toBe('bad_request');
  return se;
}

/** Asserts the error names this path and a problem (exact text, or a pattern). */
function expectRejected(fn: () => unknown, path: string, problem: string | RegExp): StewardError {
  const se = rejection(fn);
  const details = se.details as { path: string; problem: string };
  expect(details.path).toBe(path);
  if (typeof problem === 'string') expect(details.problem).toBe(problem);
  else expect(details.problem).toMatch(problem);
  expect(se.message).toBe(`${path === '' ? 'ExportMetricsServiceRequest' : path}: ${details.problem}`);
  return se;
}

const firstPoints = (r: OtlpResourceMetrics[]): OtlpPoint[] => r[0]!.scopes[0]!.metrics[0]!.points;

// ---------------------------------------------------------------------------------------------
// Real requests from the OpenTelemetry JS SDK and its OTLP serializers.

class TestReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

async function sdkRequest(opts: { bytes?: boolean } = {}): Promise<ResourceMetrics> {
  const reader = new TestReader({
    aggregationTemporalitySelector: (t) => (t === InstrumentType.COUNTER ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE),
  });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.name': 'inference-gateway',
      'gen_ai.request.model': 'llama-3.1-8b-instruct',
      'deployment.environment.name': 'prod',
      'steward.replicas': 3,
      'steward.canary': true,
      'steward.zones': ['eu-west-1a', 'eu-west-1b'],
    }),
    readers: [reader],
    views: [{ instrumentName: 'gen_ai.server.time_to_first_token', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('steward.test', '1.2.3');

  const tokens = meter.createCounter('gen_ai.client.token.usage', { unit: '{token}', description: 'Tokens used' });
  const every: Record<string, unknown> = {
    'gen_ai.token.type': 'input',
    'steward.version': 7,
    'steward.ratio': 0.25,
    'steward.cached': false,
    'steward.tags': ['a', 'ü', '模型'],
    'steward.ints': [1, -2, 3],
    'steward.flags': [true, false],
    'steward.empty': '',
    'steward.nested': { region: 'eu', shard: 4, inner: { deep: [1.5, 'x'] } },
    'steward.null': null,
  };
  if (opts.bytes === true) every['steward.blob'] = new Uint8Array([1, 2, 3, 250]);
  tokens.add(1200, every as never);
  tokens.add(34.5, { 'gen_ai.token.type': 'output', 'steward.version': 7 });

  const inflight = meter.createUpDownCounter('gen_ai.server.requests.inflight', { valueType: ValueType.INT });
  inflight.add(5, { route: '/v1/chat' });
  inflight.add(-7, { route: '/v1/embed' });
  inflight.add(Number.MAX_SAFE_INTEGER, { route: '/big' });

  const queue = meter.createGauge('gen_ai.server.queue.depth', { unit: '{request}' });
  queue.record(12.75, { 'server.address': 'pod-1' });
  queue.record(-0.5, { 'server.address': 'pod-2' });

  const latency = meter.createHistogram('gen_ai.server.request.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 0.5, 1, 5] } });
  for (const v of [0.05, 0.2, 0.3, 2, 7, 0.7]) latency.record(v, { 'gen_ai.operation.name': 'chat' });
  latency.record(0.4, { 'gen_ai.operation.name': 'embeddings' });

  const ttft = meter.createHistogram('gen_ai.server.time_to_first_token', { unit: 's' });
  // The SDK drops negative histogram measurements, so no negative buckets here (hand-built cases cover them).
  for (const v of [0.012, 0.5, 0, 3.25, 0.013]) ttft.record(v);

  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  await provider.shutdown();
  return resourceMetrics;
}

const ns = (t: [number, number]): bigint => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

function toAttribute(v: unknown): OtlpAttributeValue {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(toAttribute);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toAttribute(x)]));
  return v as OtlpAttributeValue;
}
const toAttributes = (a: Record<string, unknown>): Record<string, OtlpAttributeValue> =>
  Object.fromEntries(Object.entries(a).map(([k, v]) => [k, toAttribute(v)]));

/** What the decoders must produce for an SDK collection, derived independently from the SDK's own data. */
function expectedFromSdk(rm: ResourceMetrics): OtlpResourceMetrics[] {
  const temporality = (t: AggregationTemporality): 'delta' | 'cumulative' => (t === AggregationTemporality.DELTA ? 'delta' : 'cumulative');
  return [
    {
      resource: toAttributes(rm.resource.attributes),
      scopes: rm.scopeMetrics.map((sm) => ({
        name: sm.scope.name,
        version: sm.scope.version ?? '',
        attributes: {},
        metrics: sm.metrics.map((m) => {
          const base = { name: m.descriptor.name, unit: m.descriptor.unit, description: m.descriptor.description };
          const points = m.dataPoints.map((dp) => ({
            attributes: toAttributes(dp.attributes),
            startTimeUnixNano: ns(dp.startTime),
            timeUnixNano: ns(dp.endTime),
          }));
          switch (m.dataPointType) {
            case DataPointType.SUM:
              return {
                ...base,
                kind: 'sum' as const,
                temporality: temporality(m.aggregationTemporality),
                monotonic: m.isMonotonic,
                points: m.dataPoints.map((dp, i) => ({ ...points[i]!, value: dp.value })),
              };
            case DataPointType.GAUGE:
              return { ...base, kind: 'gauge' as const, temporality: null, monotonic: null, points: m.dataPoints.map((dp, i) => ({ ...points[i]!, value: dp.value })) };
            case DataPointType.HISTOGRAM:
              return {
                ...base,
                kind: 'histogram' as const,
                temporality: temporality(m.aggregationTemporality),
                monotonic: null,
                points: m.dataPoints.map((dp, i) => ({
                  ...points[i]!,
                  histogram: {
                    count: dp.value.count,
                    sum: dp.value.sum ?? null,
                    min: dp.value.min ?? null,
                    max: dp.value.max ?? null,
                    explicitBounds: dp.value.buckets.boundaries,
                    bucketCounts: dp.value.buckets.counts,
                  },
                })),
              };
            case DataPointType.EXPONENTIAL_HISTOGRAM:
              return {
                ...base,
                kind: 'exponentialHistogram' as const,
                temporality: temporality(m.aggregationTemporality),
                monotonic: null,
                points: m.dataPoints.map((dp, i) => ({
                  ...points[i]!,
                  exponentialHistogram: {
                    count: dp.value.count,
                    sum: dp.value.sum ?? null,
                    min: dp.value.min ?? null,
                    max: dp.value.max ?? null,
                    scale: dp.value.scale,
                    zeroCount: dp.value.zeroCount,
                    positive: dp.value.positive,
                    negative: dp.value.negative,
                  },
                })),
              };
          }
        }),
      })),
    },
  ];
}

const parseJson = (b: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(b));

describe('OTLP metrics from the OpenTelemetry JS SDK', () => {
  it('decodes protobuf and JSON to the same, correct result', async () => {
    const rm = await sdkRequest();
    const proto = ProtobufMetricsSerializer.serializeRequest(rm)!;
    const json = parseJson(JsonMetricsSerializer.serializeRequest(rm)!);
    const fromProto = decodeOtlpMetricsProtobuf(proto);
    const fromJson = decodeOtlpMetricsJson(json);
    expect(fromJson).toEqual(fromProto);
    expect(fromProto).toEqual(expectedFromSdk(rm));

    // Spot checks against the recorded values, independent of the reference mapping.
    expect(fromProto[0]!.resource).toEqual({
      'service.name': 'inference-gateway',
      'gen_ai.request.model': 'llama-3.1-8b-instruct',
      'deployment.environment.name': 'prod',
      'steward.replicas': 3,
      'steward.canary': true,
      'steward.zones': ['eu-west-1a', 'eu-west-1b'],
    });
    const scope = fromProto[0]!.scopes[0]!;
    expect([scope.name, scope.version]).toEqual(['steward.test', '1.2.3']);
    const byName = new Map(scope.metrics.map((m) => [m.name, m]));
    const tokens = byName.get('gen_ai.client.token.usage')!;
    expect([tokens.kind, tokens.temporality, tokens.monotonic, tokens.unit, tokens.description]).toEqual(['sum', 'delta', true, '{token}', 'Tokens used']);
    const input = tokens.points.find((p) => p.attributes['gen_ai.token.type'] === 'input')!;
    expect(input.value).toBe(1200);
    expect(input.attributes).toEqual({
      'gen_ai.token.type': 'input',
      'steward.version': 7,
      'steward.ratio': 0.25,
      'steward.cached': false,
      'steward.tags': ['a', 'ü', '模型'],
      'steward.ints': [1, -2, 3],
      'steward.flags': [true, false],
      'steward.empty': '',
      'steward.nested': { region: 'eu', shard: 4, inner: { deep: [1.5, 'x'] } },
      'steward.null': null,
    });
    expect(input.timeUnixNano).toBeGreaterThan(1_600_000_000_000_000_000n);
    const inflight = byName.get('gen_ai.server.requests.inflight')!;
    expect([inflight.kind, inflight.temporality, inflight.monotonic]).toEqual(['sum', 'cumulative', false]);
    expect(inflight.points.map((p) => [p.attributes.route, p.value])).toEqual([
      ['/v1/chat', 5],
      ['/v1/embed', -7],
      ['/big', Number.MAX_SAFE_INTEGER],
    ]);
    const queue = byName.get('gen_ai.server.queue.depth')!;
    expect([queue.kind, queue.temporality, queue.monotonic]).toEqual(['gauge', null, null]);
    expect(queue.points.map((p) => p.value)).toEqual([12.75, -0.5]);
    const latency = byName.get('gen_ai.server.request.duration')!;
    expect(latency.kind).toBe('histogram');
    expect(latency.points[0]!.histogram).toEqual({ count: 6, sum: 10.25, min: 0.05, max: 7, explicitBounds: [0.1, 0.5, 1, 5], bucketCounts: [1, 2, 1, 1, 1] });
    const ttft = byName.get('gen_ai.server.time_to_first_token')!;
    expect(ttft.kind).toBe('exponentialHistogram');
    const e = ttft.points[0]!.exponentialHistogram!;
    expect([e.count, e.zeroCount, e.min, e.max]).toEqual([5, 1, 0, 3.25]);
    expect(e.positive.bucketCounts.reduce((a, b) => a + b, 0)).toBe(4);
    expect(e.negative.bucketCounts).toEqual([]);
    expect(countOtlpPoints(fromProto)).toBe(2 + 3 + 2 + 2 + 1);
  });

  it('decodes bytes attributes to base64 (the JSON serializer of this SDK version mangles them, so JSON is hand-written)', async () => {
    const rm = await sdkRequest({ bytes: true });
    const fromProto = decodeOtlpMetricsProtobuf(ProtobufMetricsSerializer.serializeRequest(rm)!);
    expect(fromProto).toEqual(expectedFromSdk(rm));
    const point = fromProto[0]!.scopes[0]!.metrics.find((m) => m.name === 'gen_ai.client.token.usage')!.points[0]!;
    expect(point.attributes['steward.blob']).toBe('AQID+g==');
    // The SDK's JSON turns a Uint8Array into {"0":1,...}: refused with its location, not misread.
    const json = parseJson(JsonMetricsSerializer.serializeRequest(rm)!);
    const se = rejection(() => decodeOtlpMetricsJson(json));
    expect(se.message).toMatch(/^resourceMetrics\[0\]\.scopeMetrics\[0\]\.metrics\[\d\]\.sum\.dataPoints\[0\]\.attributes\[10\]\.value: bytesValue must be a base64 string, got an object$/);
  });

  it('accepts a Buffer that is a view into a larger pooled ArrayBuffer', async () => {
    const proto = ProtobufMetricsSerializer.serializeRequest(await sdkRequest())!;
    const big = Buffer.alloc(proto.length + 37, 0xff);
    big.set(proto, 17);
    expect(decodeOtlpMetricsProtobuf(big.subarray(17, 17 + proto.length))).toEqual(decodeOtlpMetricsProtobuf(proto));
  });
});

// ---------------------------------------------------------------------------------------------

describe('OTLP protobuf decoding details', () => {
  it('decodes an empty request and empty containers', () => {
    expect(decodeOtlpMetricsProtobuf(new Uint8Array(0))).toEqual([]);
    expect(decodeOtlpMetricsProtobuf(pb.msg(1))).toEqual([{ resource: {}, scopes: [] }]);
    expect(decodeOtlpMetricsProtobuf(pb.msg(1, pb.msg(2)))).toEqual([{ resource: {}, scopes: [{ name: '', version: '', attributes: {}, metrics: [] }] }]);
    expect(decodeOtlpMetricsProtobuf(body(metric('m', 'gauge', [])))[0]!.scopes[0]!.metrics[0]).toEqual({
      name: 'm',
      unit: '',
      description: '',
      kind: 'gauge',
      temporality: null,
      monotonic: null,
      points: [],
    });
  });

  it('skips unknown fields of every wire type at every level, and the fields Steward does not use', () => {
    const junk = (f: number): Uint8Array => cat(pb.varint(f, 123456789), pb.fixed64(f + 1, 5n), pb.str(f + 2, 'x'), pb.fixed32(f + 3, 7));
    const point = cat(
      junk(100),
      numberPoint({ double: 2.5 }),
      pb.msg(5, pb.fixed64(2, 1n), pb.double(3, 1), pb.bytes(4, [1, 2]), pb.bytes(5, [3])), // exemplar
      pb.varint(8, 0), // flags
    );
    const request = cat(
      pb.msg(
        1,
        pb.msg(1, pb.msg(1, kv('service.name', any.str('svc'))), pb.varint(2, 3), pb.msg(3, pb.str(1, 'schema')), junk(50)),
        pb.msg(
          2,
          pb.msg(1, pb.str(1, 'scope'), pb.str(2, '9'), pb.msg(3, kv('s', any.int(1))), pb.varint(4, 0), junk(60)),
          pb.msg(2, pb.str(1, 'm'), pb.str(2, 'desc'), pb.str(3, 'ms'), pb.msg(5, pb.msg(1, point), junk(70)), pb.msg(12, kv('meta', any.str('x'))), junk(80)),
          pb.str(3, 'https://schema'),
          junk(90),
        ),
        pb.str(3, 'https://schema'),
        junk(40),
      ),
      junk(20),
    );
    expect(decodeOtlpMetricsProtobuf(request)).toEqual([
      {
        resource: { 'service.name': 'svc' },
        scopes: [
          {
            name: 'scope',
            version: '9',
            attributes: { s: 1 },
            metrics: [
              {
                name: 'm',
                unit: 'ms',
                description: 'desc',
                kind: 'gauge',
                temporality: null,
                monotonic: null,
                points: [{ attributes: {}, startTimeUnixNano: T0, timeUnixNano: T0 + 1000n, value: 2.5 }],
              },
            ],
          },
        ],
      },
    ]);
  });

  it('decodes every AnyValue kind, exact int64s, full-range timestamps, and ignores Profiling string indexes', () => {
    const attrs = [
      kv('s', any.str('héllo')),
      kv('t', any.bool(true)),
      kv('f', any.bool(false)),
      kv('i', any.int(-5)),
      kv('max', any.int(2n ** 53n)),
      kv('min', any.int(-(2n ** 53n))),
      kv('d', any.double(-0.125)),
      kv('a', any.array(any.str('x'), any.int(2), any.array(), any.kvlist(kv('k', any.bool(true))))),
      kv('kv', any.kvlist(kv('x', any.str('y')), kv('n', any.kvlist()))),
      kv('b', any.bytes([0, 255, 16])),
      kv('empty'),
      kv('emptyValue', []),
      kv('idx', pb.varint(8, 3)),
      cat(pb.varint(3, 9), pb.msg(2, any.str('key from a string table'))),
      kv('__proto__', any.str('data, not a prototype')),
    ];
    const r = decodeOtlpMetricsProtobuf(body(metric('m', 'gauge', [numberPoint({ attrs, int: -(2n ** 53n), start: 0n, time: 2n ** 64n - 1n })])));
    const p = firstPoints(r)[0]!;
    expect(p.value).toBe(-(2 ** 53));
    expect(p.startTimeUnixNano).toBe(0n);
    expect(p.timeUnixNano).toBe(18446744073709551615n);
    expect({ ...p.attributes }).toEqual({
      s: 'héllo',
      t: true,
      f: false,
      i: -5,
      max: 2 ** 53,
      min: -(2 ** 53),
      d: -0.125,
      a: ['x', 2, [], { k: true }],
      kv: { x: 'y', n: {} },
      b: 'AP8Q',
      empty: null,
      emptyValue: null,
      idx: null,
      '': 'key from a string table',
      ['__proto__']: 'data, not a prototype',
    });
    expect(Object.getPrototypeOf(p.attributes)).toBe(Object.prototype);
    expect(Object.hasOwn(p.attributes, '__proto__')).toBe(true);
  });

  it('accepts packed and unpacked repeated scalars, and merges a repeated singular message as protobuf does', () => {
    const h = cat(
      pb.fixed64(2, 1n),
      pb.fixed64(3, 2n),
      pb.fixed64(4, 3n),
      pb.fixed64(6, 1n),
      pb.packedFixed64(6, [1, 1]),
      pb.double(7, 1),
      pb.packedDoubles(7, [2]),
    );
    const e = cat(pb.fixed64(4, 3n), pb.msg(8, pb.sint(1, -3), pb.varint(2, 1), pb.bytes(2, [2])));
    const r = decodeOtlpMetricsProtobuf(
      cat(
        pb.msg(1, pb.msg(1, pb.msg(1, kv('a', any.int(1)))), pb.msg(1, pb.msg(1, kv('b', any.int(2))))),
        body(metric('h', 'histogram', [h], [pb.varint(2, 1)]), metric('e', 'exponentialHistogram', [e])),
      ),
    );
    expect(r[0]!.resource).toEqual({ a: 1, b: 2 });
    expect(r[0]!.scopes).toEqual([]);
    const [hm, em] = r[1]!.scopes[0]!.metrics;
    expect(hm!.temporality).toBe('delta');
    expect(hm!.points[0]!.histogram).toEqual({ count: 3, sum: null, min: null, max: null, explicitBounds: [1, 2], bucketCounts: [1, 1, 1] });
    expect(em!.temporality).toBe('unspecified');
    expect(em!.points[0]!.exponentialHistogram!.positive).toEqual({ offset: -3, bucketCounts: [1, 2] });
    // The same oneof member twice merges its points.
    const twice = decodeOtlpMetricsProtobuf(body(cat(pb.str(1, 'm'), pb.msg(7, pb.msg(1, numberPoint({ int: 1 }))), pb.msg(7, pb.msg(1, numberPoint({ int: 2 })), pb.varint(3, 1)))));
    const m = twice[0]!.scopes[0]!.metrics[0]!;
    expect([m.kind, m.monotonic, m.points.map((p) => p.value)]).toEqual(['sum', true, [1, 2]]);
  });

  it('decodes summaries and drops points flagged as having no recorded value', () => {
    const r = decodeOtlpMetricsProtobuf(
      body(
        metric('s', 'summary', [summaryPoint({ count: 4, sum: 10, quantiles: [[0, 1], [0.5, 2], [1, 4]] })]),
        metric('g', 'gauge', [numberPoint({ flags: 1 }), numberPoint({ flags: 1, double: NaN }), numberPoint({ double: 1, flags: 2 })]),
        metric('h', 'histogram', [histogramPoint({ flags: 1, sum: NaN })]),
      ),
    );
    const [s, g, h] = r[0]!.scopes[0]!.metrics;
    expect(s!.points[0]!.summary).toEqual({ count: 4, sum: 10, quantiles: [{ quantile: 0, value: 1 }, { quantile: 0.5, value: 2 }, { quantile: 1, value: 4 }] });
    expect([s!.temporality, s!.monotonic]).toEqual([null, null]);
    expect(g!.points.map((p) => p.value)).toEqual([1]);
    expect(h!.points).toEqual([]);
  });

  it('gives every point its own attribute objects, even when the bytes repeat', () => {
    const attrs = [kv('model', any.str('m1')), kv('list', any.array(any.int(1)))];
    const r = decodeOtlpMetricsProtobuf(body(metric('g', 'gauge', [numberPoint({ attrs, double: 1 }), numberPoint({ attrs, double: 2 })])));
    const [a, b] = firstPoints(r);
    expect(a!.attributes).toEqual(b!.attributes);
    expect(a!.attributes).not.toBe(b!.attributes);
    expect(a!.attributes.list).not.toBe(b!.attributes.list);
  });
});

describe('OTLP protobuf rejections name the location', () => {
  it('every truncation of a real request is refused as truncated', async () => {
    const proto = ProtobufMetricsSerializer.serializeRequest(await sdkRequest())!;
    for (let n = 1; n < proto.length; n++) {
      const se = rejection(() => decodeOtlpMetricsProtobuf(proto.subarray(0, n)));
      expect(se.message).toMatch(/^(ExportMetricsServiceRequest|resourceMetrics\[0\][^:]*): truncated protobuf: /);
    }
  });

  it('truncated and overflowing varints, lengths past the end, bad tags', () => {
    expectRejected(() => decodeOtlpMetricsProtobuf(cat([0x0a, 10], [1, 2, 3])), 'resourceMetrics[0]', 'truncated protobuf: length-delimited field of 10 bytes at byte 1 runs past the end (the body ends at byte 5)');
    expectRejected(() => decodeOtlpMetricsProtobuf(new Uint8Array([0x10, 0x80, 0x80])), '', 'truncated protobuf: varint at byte 1 runs past the end (the body ends at byte 3)');
    expectRejected(() => decodeOtlpMetricsProtobuf(new Uint8Array([0x10, ...Array<number>(9).fill(0xff), 0x02])), '', 'invalid protobuf: varint at byte 1 overflows 64 bits');
    expectRejected(() => decodeOtlpMetricsProtobuf(new Uint8Array([0x10, ...Array<number>(12).fill(0xff)])), '', 'invalid protobuf: varint at byte 1 overflows 64 bits');
    expectRejected(() => decodeOtlpMetricsProtobuf(new Uint8Array([0x00, 0x01])), '', /^invalid protobuf: tag 0 at byte 0 has field number 0/);
    // A nested length that fits the body but not its enclosing message.
    const metricBytes = cat(pb.str(1, 'm'), pb.tag(5, 2), varintBytes(20), [0x0a, 0x00]);
    const request = cat(pb.msg(1, pb.msg(2, pb.msg(2, metricBytes))), pb.str(9, 'padding so the body is long enough for 20 bytes'));
    expectRejected(() => decodeOtlpMetricsProtobuf(request), `${M0}.gauge`, /^truncated protobuf: length-delimited field of 20 bytes at byte \d+ runs past the end \(its enclosing message ends at byte \d+\)$/);
    // A fixed64 cut short by its message's end.
    expectRejected(() => decodeOtlpMetricsProtobuf(body(metric('m', 'gauge', [cat(pb.tag(3, 1), [1, 2, 3])]))), `${M0}.gauge.dataPoints[0]`, /^truncated protobuf: 8-byte fixed-width field at byte \d+ runs past the end/);
  });

  it('wrong wire types for known fields, group and invalid wire types', () => {
    expectRejected(
      () => decodeOtlpMetricsProtobuf(body(metric('m', 'gauge', [cat(pb.varint(3, 5), pb.double(4, 1))]))),
      `${M0}.gauge.dataPoints[0]`,
      /^invalid protobuf: field 3 \(timeUnixNano\) at byte \d+ has wire type 0 \(varint\), want 1 \(fixed64\)$/,
    );
    expectRejected(() => decodeOtlpMetricsProtobuf(body(pb.varint(1, 7))), M0, /^invalid protobuf: field 1 \(name\) at byte \d+ has wire type 0 \(varint\), want 2 \(length-delimited\)$/);
    expectRejected(() => decodeOtlpMetricsProtobuf(pb.varint(1, 1)), '', /field 1 \(resourceMetrics\) at byte 1 has wire type 0/);
    expectRejected(() => decodeOtlpMetricsProtobuf(body(metric('m', 'sum', [], [pb.str(2, 'x')]))), `${M0}.sum`, /field 2 \(aggregationTemporality\) .* want 0 \(varint\)/);
    expectRejected(
      () => decodeOtlpMetricsProtobuf(body(metric('m', 'gauge', [numberPoint({ attrs: [cat(pb.str(1, 'k'), pb.varint(2, 1))], double: 1 })]))),
      `${M0}.gauge.dataPoints[0].attributes[0]`,
      /field 2 \(value\) .* has wire type 0 \(varint\), want 2/,
    );
    expectRejected(() => decodeOtlpMetricsProtobuf(new Uint8Array([...pb.tag(2, 3), ...pb.tag(2, 4)])), '', 'invalid protobuf: field 2 at byte 1 uses the group wire type 3, which OTLP never uses');
    expectRejected(() => decodeOtlpMetricsProtobuf(body(metric('m', 'gauge', [cat(pb.tag(99, 4))]))), `${M0}.gauge.dataPoints[0]`, /uses the group wire type 4/);
    expectRejected(() => decodeOtlpMetricsProtobuf(new Uint8Array([...pb.tag(3, 6), 0])), '', /^invalid protobuf: field 3 at byte 1 has invalid wire type 6$/);
    expectRejected(() => decodeOtlpMetricsProtobuf(new Uint8Array(pb.tag(3, 7))), '', /has invalid wire type 7$/);
    expectRejected(
      () => decodeOtlpMetricsProtobuf(body(metric('h', 'histogram', [cat(pb.bytes(6, [1, 2, 3]))]))),
      `${M0}.histogram.dataPoints[0]`,
      'packed bucketCounts is 3 bytes long, not a multiple of 8',
    );
  });

  it('invalid UTF-8 in names, keys and values', () => {
    for (const bad of [[0xc3, 0x28], [0xed, 0xa0, 0x80], [0xc0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]]) {
      expectRejected(() => decodeOtlpMetricsProtobuf(body(cat(pb.bytes(1, bad), pb.msg(5)))), M0, 'name is not valid UTF-8');
    }
    expectRejected(
      () => decodeOtlpMetricsProtobuf(body(metric('m', 'gauge', [numberPoint({ attrs: [kv([0x66, 0xff], any.str('v'))], double: 1 })]))),
      `${M0}.gauge.dataPoints[0].attributes[0]`,
      'key is not valid UTF-8',
    );
    const longBad = [...te.encode('x'.repeat(100)), 0xff];
    expectRejected(
      () => decodeOtlpMetricsProtobuf(pb.msg(1, pb.msg(1, pb.msg(1, kv('k', pb.bytes(1, longBad)))))),
      'resourceMetrics[0].resource.attributes[0].value',
      'stringValue is not valid UTF-8',
    );
    expectRejected(() => decodeOtlpMetricsProtobuf(pb.msg(1, pb.msg(2, pb.msg(1, pb.bytes(2, [0x80]))))), 'resourceMetrics[0].scopeMetrics[0].scope', 'version is not valid UTF-8');
    // A BOM is content, not stripped.
    const bom = decodeOtlpMetricsProtobuf(body(cat(pb.bytes(1, [0xef, 0xbb, 0xbf, 0x6d]), pb.msg(5))));
    expect(bom[0]!.scopes[0]!.metrics[0]!.name).toBe('\ufeffm');
  });

  it('NaN and infinities in values, sums, minimums and maximums', () => {
    const suffix = '; NaN and ±Infinity are not accepted as telemetry values';
    expectRejected(() => decodeOtlpMetricsProtobuf(body(metric('m', 'gauge', [numberPoint({ double: 1 }), numberPoint({ double: NaN })]))), `${M0}.gauge.dataPoints[1]`, `asDouble is NaN${suffix}`);
    expectRejected(() => decodeOtlpMetricsProtobuf(body(metric('m', 'sum', [numberPoint({ double: Infinity })]))), `${M0}.sum.dataPoints[0]`, `asDouble is Infinity${suffix}`);
    const h = (o: Parameters<typeof histogramPoint>[0]): Uint8Array => body(metric('h', 'histogram', [histogramPoint({ count: 1, bounds: [], counts: [1], ...o })]));
    expectRejected(() => decodeOtlpMetricsProtobuf(h({ sum: NaN })), `${M0}.histogram.dataPoints[0]`, `sum is NaN${suffix}`);
    expectRejected(() => decodeOtlpMetricsProtobuf(h({ min: -Infinity })), `${M0}.histogram.dataPoints[0]`, `min is -Infinity${suffix}`);
    expectRejected(() => decodeOtlpMetricsProtobuf(h({ max: Infinity })), `${M0}.histogram.dataPoints[0]`, `max is Infinity${suffix}`);
    expectRejected(() => decodeOtlpMetricsProtobuf(body(metric('e', 'exponentialHistogram', [expPoint({ count: 0, sum: NaN })]))), `${M0}.exponentialHistogram.dataPoints[0]`, `sum is NaN${suffix}`);
    expectRejected(() => decodeOtlpMetricsProtobuf(body(metric('s', 'summary', [summaryPoint({ sum: Infinity })]))), `${M0}.summary.dataPoints[0]`, `sum is Infinity${suffix}`);
    // Except NaN quantiles of a summary (Prometheus' empty window): dropped; infinite ones are still refused.
    const emptyWindow = decodeOtlpMetricsProtobuf(body(metric('s', 'summary', [summaryPoint({ quantiles: [[0.5, NaN], [0.9, 2]] })])));
    expect(emptyWindow[0]!.scopes[0]!.metrics[0]!.points[0]!.summary!.quantiles).toEqual([{ quantile: 0.9, value: 2 }]);
    expectRejected(() => decodeOtlpMetricsProtobuf(body(metric('s', 'summary', [summaryPoint({ quantiles: [[0.5, Infinity]] })]))), `${M0}.summary.dataPoints[0]`, `quantileValues[0].value is Infinity${suffix}`);
    expectRejected(
      () => decodeOtlpMetricsProtobuf(body(metric('m', 'gauge', [numberPoint({ attrs: [kv('d', any.double(NaN))], double: 1 })]))),
      `${M0}.gauge.dataPoints[0].attributes[0].value`,
      `doubleValue is NaN${suffix}`,
    );
  });

  it('histogram shape: bounds, bucket counts, count, min and max', () => {
    // The example from the project rule, at scopeMetrics[1].metrics[3] dataPoints[2].
    const good = histogramPoint({ count: 2, bounds: [1, 2, 3, 4], counts: [1, 0, 0, 0, 1] });
    const bad = histogramPoint({ count: 2, bounds: [1, 2, 3, 4], counts: [1, 0, 1] });
    const request = pb.msg(
      1,
      pb.msg(2, pb.msg(2, metric('x', 'gauge', []))),
      pb.msg(2, ...[metric('a', 'gauge', []), metric('b', 'sum', []), metric('c', 'summary', []), metric('d', 'histogram', [good, good, bad])].map((m) => pb.msg(2, m))),
    );
    expectRejected(
      () => decodeOtlpMetricsProtobuf(request),
      'resourceMetrics[0].scopeMetrics[1].metrics[3].histogram.dataPoints[2]',
      'bucketCounts has 3 entries, want explicitBounds.length + 1 = 5',
    );
    const at = `${M0}.histogram.dataPoints[0]`;
    const h = (o: Parameters<typeof histogramPoint>[0]): Uint8Array => body(metric('h', 'histogram', [histogramPoint(o)]));
    expectRejected(() => decodeOtlpMetricsProtobuf(h({ bounds: [1, 1], counts: [0, 0, 0] })), at, 'explicitBounds[1] = 1 is not greater than explicitBounds[0] = 1; bounds must be strictly increasing');
    expectRejected(() => decodeOtlpMetricsProtobuf(h({ bounds: [0, 2, -1], counts: [0, 0, 0, 0] })), at, 'explicitBounds[2] = -1 is not greater than explicitBounds[1] = 2; bounds must be strictly increasing');
    expectRejected(() => decodeOtlpMetricsProtobuf(h({ bounds: [NaN], counts: [0, 0] })), at, 'explicitBounds[0] is NaN; bounds must be finite (the +Inf bucket is implicit)');
    expectRejected(() => decodeOtlpMetricsProtobuf(h({ bounds: [1, Infinity], counts: [0, 0, 0] })), at, /^explicitBounds\[1\] is Infinity/);
    expectRejected(() => decodeOtlpMetricsProtobuf(h({ bounds: [1, 2] })), at, 'bucketCounts has 0 entries, want explicitBounds.length + 1 = 3');
    expectRejected(() => decodeOtlpMetricsProtobuf(h({ count: 5, bounds: [1], counts: [1, 3] })), at, 'count is 5 but bucketCounts add up to 4');
    expectRejected(() => decodeOtlpMetricsProtobuf(h({ count: 1, counts: [1], min: 3, max: 2 })), at, 'min 3 is greater than max 2');
    expectRejected(() => decodeOtlpMetricsProtobuf(h({ count: 2n ** 60n })), at, 'count 1152921504606846976 is beyond 2^53 and cannot be represented exactly');
    expectRejected(() => decodeOtlpMetricsProtobuf(h({ count: 1, counts: [2n ** 54n] })), at, 'bucketCounts[0] 18014398509481984 is beyond 2^53 and cannot be represented exactly');
    // No buckets at all is allowed: a count/sum-only histogram.
    expect(firstPoints(decodeOtlpMetricsProtobuf(h({ count: 3, sum: 1.5 })))[0]!.histogram).toEqual({ count: 3, sum: 1.5, min: null, max: null, explicitBounds: [], bucketCounts: [] });
  });

  it('exponential histogram and summary shape', () => {
    const at = `${M0}.exponentialHistogram.dataPoints[0]`;
    const e = (o: Parameters<typeof expPoint>[0]): Uint8Array => body(metric('e', 'exponentialHistogram', [expPoint(o)]));
    expectRejected(() => decodeOtlpMetricsProtobuf(e({ count: 5, zeroCount: 1, positive: [0, [1, 1]], negative: [2, [1]] })), at, 'count is 5 but zeroCount + positive + negative bucket counts add up to 4');
    expectRejected(() => decodeOtlpMetricsProtobuf(e({ scale: 21 })), at, 'scale 21 is outside [-10, 20]');
    expectRejected(() => decodeOtlpMetricsProtobuf(e({ scale: -11 })), at, 'scale -11 is outside [-10, 20]');
    const ok = firstPoints(decodeOtlpMetricsProtobuf(e({ count: 4, sum: -3, scale: -2, zeroCount: 1, positive: [-1, [1, 1]], negative: [5, [1]] })))[0]!;
    expect(ok.exponentialHistogram).toEqual({ count: 4, sum: -3, min: null, max: null, scale: -2, zeroCount: 1, positive: { offset: -1, bucketCounts: [1, 1] }, negative: { offset: 5, bucketCounts: [1] } });
    expectRejected(
      () => decodeOtlpMetricsProtobuf(body(metric('s', 'summary', [summaryPoint({ quantiles: [[0.5, 1], [1.5, 2]] })]))),
      `${M0}.summary.dataPoints[0]`,
      'quantileValues[1].quantile is 1.5, want a number in [0, 1]',
    );
  });

  it('metrics without a name or without data, and conflicting data', () => {
    expectRejected(() => decodeOtlpMetricsProtobuf(body(metric(null, 'gauge', []))), M0, 'metric has no name');
    expectRejected(() => decodeOtlpMetricsProtobuf(body(metric('m', 'gauge', []), metric('latency', null, []))), 'resourceMetrics[0].scopeMetrics[0].metrics[1]', 'metric "latency" has no data: none of gauge, sum, histogram, exponentialHistogram, summary is set');
    expectRejected(() => decodeOtlpMetricsProtobuf(body(cat(pb.str(1, 'm'), pb.msg(5), pb.msg(7)))), M0, 'has both gauge and sum; a metric carries exactly one kind of data');
  });

  it('number points: missing or doubled values, int64 beyond 2^53, temporality', () => {
    const at = `${M0}.gauge.dataPoints[0]`;
    expectRejected(() => decodeOtlpMetricsProtobuf(body(metric('m', 'gauge', [numberPoint()]))), at, 'has neither asDouble nor asInt');
    expectRejected(() => decodeOtlpMetricsProtobuf(body(metric('m', 'gauge', [numberPoint({ double: 1, int: 1 })]))), at, 'has both asDouble and asInt; a point carries one value');
    expectRejected(() => decodeOtlpMetricsProtobuf(body(metric('m', 'gauge', [numberPoint({ int: 2n ** 53n + 1n })]))), at, 'asInt 9007199254740993 is beyond ±2^53 and cannot be represented exactly');
    expectRejected(() => decodeOtlpMetricsProtobuf(body(metric('m', 'gauge', [numberPoint({ int: -(2n ** 63n) })]))), at, 'asInt -9223372036854775808 is beyond ±2^53 and cannot be represented exactly');
    expect(firstPoints(decodeOtlpMetricsProtobuf(body(metric('m', 'gauge', [numberPoint({ int: 2n ** 53n })]))))[0]!.value).toBe(2 ** 53);
    expectRejected(
      () => decodeOtlpMetricsProtobuf(body(metric('m', 'gauge', [numberPoint({ attrs: [kv('big', any.int(2n ** 63n - 1n))], double: 1 })]))),
      `${M0}.gauge.dataPoints[0].attributes[0].value`,
      'intValue 9223372036854775807 is beyond ±2^53 and cannot be represented exactly',
    );
    expectRejected(() => decodeOtlpMetricsProtobuf(body(metric('m', 'sum', [], [pb.varint(2, 7)]))), `${M0}.sum`, 'aggregationTemporality 7 is not 0 (unspecified), 1 (delta) or 2 (cumulative)');
    expectRejected(() => decodeOtlpMetricsProtobuf(body(metric('m', 'histogram', [], [pb.varint(2, -1)]))), `${M0}.histogram`, 'aggregationTemporality -1 is not 0 (unspecified), 1 (delta) or 2 (cumulative)');
  });

  it('duplicate attribute keys, also after earlier points with the same keys', () => {
    const a = kv('a', any.int(1));
    const b = kv('b', any.int(2));
    const g = (...points: Part[]): Uint8Array => body(metric('m', 'gauge', points));
    expectRejected(() => decodeOtlpMetricsProtobuf(g(numberPoint({ attrs: [a, a], double: 1 }))), `${M0}.gauge.dataPoints[0].attributes[1]`, 'duplicate key "a"');
    // The decoder skips re-checking lists that repeat the previous point's keys; a repeat that turns into a duplicate must still be caught.
    const ab = numberPoint({ attrs: [a, b], double: 1 });
    expectRejected(() => decodeOtlpMetricsProtobuf(g(ab, numberPoint({ attrs: [a, b, a], double: 1 }))), `${M0}.gauge.dataPoints[1].attributes[2]`, 'duplicate key "a"');
    expectRejected(() => decodeOtlpMetricsProtobuf(g(ab, numberPoint({ attrs: [a, a], double: 1 }))), `${M0}.gauge.dataPoints[1].attributes[1]`, 'duplicate key "a"');
    expectRejected(() => decodeOtlpMetricsProtobuf(g(ab, numberPoint({ attrs: [b, a, b], double: 1 }))), `${M0}.gauge.dataPoints[1].attributes[2]`, 'duplicate key "b"');
    expectRejected(() => decodeOtlpMetricsProtobuf(g(ab, ab, numberPoint({ attrs: [a, b, kv('c'), b], double: 1 }))), `${M0}.gauge.dataPoints[2].attributes[3]`, 'duplicate key "b"');
    expectRejected(
      () => decodeOtlpMetricsProtobuf(pb.msg(1, pb.msg(1, pb.msg(1, a)), pb.msg(1, pb.msg(1, a)))),
      'resourceMetrics[0].resource.attributes[0]',
      'duplicate key "a"',
    );
    expectRejected(
      () => decodeOtlpMetricsProtobuf(g(numberPoint({ attrs: [kv('m', any.kvlist(kv('x', any.int(1)), kv('x', any.int(2))))], double: 1 }))),
      `${M0}.gauge.dataPoints[0].attributes[0].value.kvlistValue.values[1]`,
      'duplicate key "x"',
    );
    expect(firstPoints(decodeOtlpMetricsProtobuf(g(ab, numberPoint({ attrs: [b, a], double: 2 }), ab))).map((p) => p.attributes)).toEqual([
      { a: 1, b: 2 },
      { b: 2, a: 1 },
      { a: 1, b: 2 },
    ]);
  });

  it('nesting deeper than 32 levels', () => {
    let v: Uint8Array = any.str('bottom');
    for (let i = 0; i < 40; i++) v = any.array(v);
    const se = rejection(() => decodeOtlpMetricsProtobuf(body(metric('m', 'gauge', [numberPoint({ attrs: [kv('deep', v)], double: 1 })]))));
    const d = se.details as { path: string; problem: string };
    expect(d.path.startsWith(`${M0}.gauge.dataPoints[0].attributes[0].value.arrayValue.values[0].arrayValue.values[0]`)).toBe(true);
    expect(d.problem).toBe('value is nested more than 32 levels deep');
    let ok: Uint8Array = any.str('bottom');
    for (let i = 0; i < 31; i++) ok = any.array(ok);
    expect(() => decodeOtlpMetricsProtobuf(body(metric('m', 'gauge', [numberPoint({ attrs: [kv('deep', ok)], double: 1 })])))).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------

/** A JSON request around one metric. */
const jbody = (metricJson: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown => ({
  resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ scope: { name: 's' }, metrics: [{ name: 'm', ...metricJson }] }], ...extra }],
});
const jpoint = (p: Record<string, unknown>): Record<string, unknown> => ({ timeUnixNano: '1700000000000001000', ...p });
const jgauge = (...points: Array<Record<string, unknown>>): unknown => jbody({ gauge: { dataPoints: points.map(jpoint) } });

describe('OTLP/JSON decoding details', () => {
  it('accepts 64-bit integers as strings or numbers, doubles as numeric strings, snake_case keys and enum names', () => {
    const camel = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
          scopeMetrics: [
            {
              scope: { name: 'sc', version: '1' },
              metrics: [
                {
                  name: 'c',
                  sum: {
                    aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA',
                    isMonotonic: true,
                    dataPoints: [
                      { startTimeUnixNano: '1', timeUnixNano: 2, asInt: '-9007199254740992', attributes: [{ key: 'i', value: { intValue: '42' } }] },
                      { timeUnixNano: '18446744073709551615', asDouble: '1.5e3', attributes: [{ key: 'b', value: { bytesValue: '-_8' } }] },
                    ],
                  },
                },
                {
                  name: 'h',
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [{ count: '3', sum: '2.5', bucketCounts: ['1', 2], explicitBounds: [1], min: 0, max: '2' }],
                  },
                },
                { name: 'e', exponentialHistogram: { dataPoints: [{ count: 2, zeroCount: '1', scale: '-3', positive: { offset: '-2', bucketCounts: ['1'] } }] } },
                { name: 's', summary: { dataPoints: [{ count: '1', sum: 4, quantileValues: [{ quantile: 1, value: 4 }, {}] }] } },
              ],
            },
          ],
        },
      ],
    };
    const snake = {
      resource_metrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { string_value: 'svc' } }] },
          scope_metrics: [
            {
              scope: { name: 'sc', version: '1' },
              metrics: [
                {
                  name: 'c',
                  sum: {
                    aggregation_temporality: 1,
                    is_monotonic: true,
                    data_points: [
                      { start_time_unix_nano: 1, time_unix_nano: '2', as_int: -9007199254740992, attributes: [{ key: 'i', value: { int_value: 42 } }] },
                      { time_unix_nano: '18446744073709551615', as_double: 1500, attributes: [{ key: 'b', value: { bytes_value: '+/8=' } }] },
                    ],
                  },
                },
                {
                  name: 'h',
                  histogram: {
                    aggregation_temporality: 2,
                    data_points: [{ count: 3, sum: 2.5, bucket_counts: [1, '2'], explicit_bounds: ['1'], min: '0', max: 2 }],
                  },
                },
                { name: 'e', exponential_histogram: { data_points: [{ count: '2', zero_count: 1, scale: -3, positive: { offset: -2, bucket_counts: [1] } }] } },
                { name: 's', summary: { data_points: [{ count: 1, sum: '4', quantile_values: [{ quantile: '1', value: '4' }, { quantile: 0, value: 0 }] }] } },
              ],
            },
          ],
        },
      ],
    };
    const r = decodeOtlpMetricsJson(camel);
    expect(decodeOtlpMetricsJson(snake)).toEqual(r);
    const [c, h, e, s] = r[0]!.scopes[0]!.metrics;
    expect(c).toMatchObject({ kind: 'sum', temporality: 'delta', monotonic: true });
    expect(c!.points).toEqual([
      { attributes: { i: 42 }, startTimeUnixNano: 1n, timeUnixNano: 2n, value: -(2 ** 53) },
      { attributes: { b: '+/8=' }, startTimeUnixNano: 0n, timeUnixNano: 18446744073709551615n, value: 1500 },
    ]);
    expect(h!.points[0]!.histogram).toEqual({ count: 3, sum: 2.5, min: 0, max: 2, explicitBounds: [1], bucketCounts: [1, 2] });
    expect(e!.temporality).toBe('unspecified');
    expect(e!.points[0]!.exponentialHistogram).toEqual({ count: 2, sum: null, min: null, max: null, scale: -3, zeroCount: 1, positive: { offset: -2, bucketCounts: [1] }, negative: { offset: 0, bucketCounts: [] } });
    expect(s!.points[0]!.summary).toEqual({ count: 1, sum: 4, quantiles: [{ quantile: 1, value: 4 }, { quantile: 0, value: 0 }] });
  });

  it('matches the protobuf decoder on the same hand-built request', () => {
    const proto = body(
      metric('g', 'gauge', [numberPoint({ attrs: [kv('k', any.kvlist(kv('x', any.array(any.bool(true), any.double(0.5))))), kv('n')], double: 3 })]),
      metric('h', 'histogram', [histogramPoint({ count: 1, sum: 2, bounds: [1], counts: [0, 1], min: 2, max: 2 })], [pb.varint(2, 2)]),
    );
    const json = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'g',
                  gauge: {
                    dataPoints: [
                      {
                        attributes: [
                          { key: 'k', value: { kvlistValue: { values: [{ key: 'x', value: { arrayValue: { values: [{ boolValue: true }, { doubleValue: 0.5 }] } } }] } } },
                          { key: 'n' },
                        ],
                        startTimeUnixNano: T0.toString(),
                        timeUnixNano: (T0 + 1000n).toString(),
                        asDouble: 3,
                      },
                    ],
                  },
                },
                {
                  name: 'h',
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [{ startTimeUnixNano: T0.toString(), timeUnixNano: (T0 + 1000n).toString(), count: 1, sum: 2, bucketCounts: [0, 1], explicitBounds: [1], min: 2, max: 2 }],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    expect(decodeOtlpMetricsJson(json)).toEqual(decodeOtlpMetricsProtobuf(proto));
  });

  it('ignores unknown keys and treats null as absent', () => {
    const r = decodeOtlpMetricsJson({
      futureField: 1,
      resourceMetrics: [
        {
          schemaUrl: 'x',
          resource: { attributes: [{ key: 'a', value: { stringValue: 'b', futureKind: 3 } }], droppedAttributesCount: 0 },
          scopeMetrics: [{ scope: null, metrics: [{ name: 'm', metadata: [], gauge: { dataPoints: [jpoint({ asDouble: 1, asInt: null, exemplars: [{ traceId: 'zz' }], flags: 0 })] }, sum: null }] }],
        },
      ],
    });
    expect(r[0]!.resource).toEqual({ a: 'b' });
    expect(firstPoints(r)[0]!.value).toBe(1);
  });
});

describe('OTLP/JSON rejections name the location', () => {
  const at = `${M0}.gauge.dataPoints[0]`;

  it('wrong types', () => {
    expectRejected(() => decodeOtlpMetricsJson(jgauge({ asDouble: 'abc' })), at, 'asDouble must be a number, got string "abc"');
    expectRejected(() => decodeOtlpMetricsJson(jgauge({ asDouble: true })), at, 'asDouble must be a number, got boolean true');
    expectRejected(() => decodeOtlpMetricsJson(jgauge({ asInt: 1.5 })), at, 'asInt must be an int64 (a decimal string or an integer), got number 1.5');
    expectRejected(() => decodeOtlpMetricsJson(jgauge({ asInt: '9007199254740993' })), at, 'asInt 9007199254740993 is beyond ±2^53 and cannot be represented exactly');
    expectRejected(() => decodeOtlpMetricsJson(jgauge({ asInt: 2 ** 60 })), at, 'asInt 1152921504606846976 is beyond ±2^53 and cannot be represented exactly');
    expectRejected(() => decodeOtlpMetricsJson([]), '', 'the request body must be an object, got an array');
    expectRejected(() => decodeOtlpMetricsJson('{}'), '', 'the request body must be an object, got string "{}"');
    expectRejected(() => decodeOtlpMetricsJson({ resourceMetrics: {} }), '', 'resourceMetrics must be an array, got an object');
    expectRejected(() => decodeOtlpMetricsJson({ resourceMetrics: [7] }), 'resourceMetrics[0]', 'a ResourceMetrics must be an object, got number 7');
    expectRejected(() => decodeOtlpMetricsJson(jbody({ name: 5, gauge: {} })), M0, 'name must be a string, got number 5');
    expectRejected(() => decodeOtlpMetricsJson(jbody({ gauge: [] })), `${M0}.gauge`, 'gauge must be an object, got an array');
    expectRejected(() => decodeOtlpMetricsJson(jbody({ sum: { isMonotonic: 'yes' } })), `${M0}.sum`, 'isMonotonic must be true or false, got string "yes"');
    expectRejected(() => decodeOtlpMetricsJson(jbody({ sum: { aggregationTemporality: 'DELTA' } })), `${M0}.sum`, 'aggregationTemporality must be an integer in [-2147483648, 2147483647], got string "DELTA"');
    expectRejected(() => decodeOtlpMetricsJson(jbody({ sum: { aggregationTemporality: 3 } })), `${M0}.sum`, 'aggregationTemporality 3 is not 0 (unspecified), 1 (delta) or 2 (cumulative)');
    expectRejected(() => decodeOtlpMetricsJson(jgauge({ asDouble: 1, attributes: {} })), at, 'attributes must be an array, got an object');
    expectRejected(() => decodeOtlpMetricsJson(jgauge({ asDouble: 1, attributes: [{ key: 1 }] })), `${at}.attributes[0]`, 'key must be a string, got number 1');
    expectRejected(() => decodeOtlpMetricsJson(jgauge({ asDouble: 1, flags: -1 })), at, 'flags must be an integer in [0, 4294967295], got number -1');
    expectRejected(
      () => decodeOtlpMetricsJson(jbody({ histogram: { dataPoints: [jpoint({ count: 1, bucketCounts: [1, 'x'], explicitBounds: [1] })] } })),
      `${M0}.histogram.dataPoints[0]`,
      'bucketCounts[1] must be a uint64 (a decimal string or a non-negative integer), got string "x"',
    );
    expectRejected(
      () => decodeOtlpMetricsJson(jbody({ histogram: { dataPoints: [jpoint({ count: 1, bucketCounts: [0, 1], explicitBounds: [null] })] } })),
      `${M0}.histogram.dataPoints[0]`,
      'explicitBounds[0] must be a number, got null',
    );
    expectRejected(
      () => decodeOtlpMetricsJson(jbody({ exponentialHistogram: { dataPoints: [jpoint({ positive: { bucketCounts: [-1] } })] } })),
      `${M0}.exponentialHistogram.dataPoints[0].positive`,
      'bucketCounts[0] must be a uint64 (a decimal string or a non-negative integer), got number -1',
    );
    expectRejected(
      () => decodeOtlpMetricsJson(jbody({ summary: { dataPoints: [jpoint({ quantileValues: [{ quantile: 0.5, value: 'many' }] })] } })),
      `${M0}.summary.dataPoints[0].quantileValues[0]`,
      'value must be a number, got string "many"',
    );
  });

  it('timestamps that are not uint64', () => {
    for (const bad of ['12x', '', '-1', '18446744073709551616', '1e9', ' 1']) {
      expectRejected(() => decodeOtlpMetricsJson(jgauge({ asDouble: 1, timeUnixNano: bad })), at, `timeUnixNano must be a uint64 (a decimal string or a non-negative integer below 2^64), got string ${JSON.stringify(bad)}`);
    }
    for (const bad of [-1, 1.5, 2 ** 64, true]) {
      expectRejected(() => decodeOtlpMetricsJson(jgauge({ asDouble: 1, startTimeUnixNano: bad })), at, /^startTimeUnixNano must be a uint64 .*, got (number|boolean) /);
    }
    expect(firstPoints(decodeOtlpMetricsJson(jgauge({ asDouble: 1, timeUnixNano: 1_700_000_000_000_000_000 })))[0]!.timeUnixNano).toBe(1_700_000_000_000_000_000n);
  });

  it('NaN and infinities, missing values, shape problems shared with protobuf', () => {
    const suffix = '; NaN and ±Infinity are not accepted as telemetry values';
    expectRejected(() => decodeOtlpMetricsJson(jgauge({ asDouble: 'NaN' })), at, `asDouble is NaN${suffix}`);
    expectRejected(() => decodeOtlpMetricsJson(jgauge({ asDouble: '-Infinity' })), at, `asDouble is -Infinity${suffix}`);
    expectRejected(() => decodeOtlpMetricsJson(jbody({ histogram: { dataPoints: [jpoint({ sum: 'Infinity' })] } })), `${M0}.histogram.dataPoints[0]`, `sum is Infinity${suffix}`);
    expectRejected(() => decodeOtlpMetricsJson(jgauge({})), at, 'has neither asDouble nor asInt');
    expectRejected(() => decodeOtlpMetricsJson(jgauge({ asDouble: 1, asInt: '1' })), at, 'has both asDouble and asInt; a point carries one value');
    expect(firstPoints(decodeOtlpMetricsJson(jgauge({ flags: 1 }), ))).toEqual([]);
    expectRejected(
      () => decodeOtlpMetricsJson(jbody({ histogram: { dataPoints: [jpoint({ count: 2, bucketCounts: [1, 0, 1], explicitBounds: [1, 2, 3, 4] })] } })),
      `${M0}.histogram.dataPoints[0]`,
      'bucketCounts has 3 entries, want explicitBounds.length + 1 = 5',
    );
    expectRejected(
      () => decodeOtlpMetricsJson(jbody({ histogram: { dataPoints: [jpoint({ bucketCounts: [0, 0, 0], explicitBounds: [2, 1] })] } })),
      `${M0}.histogram.dataPoints[0]`,
      'explicitBounds[1] = 1 is not greater than explicitBounds[0] = 2; bounds must be strictly increasing',
    );
    expectRejected(() => decodeOtlpMetricsJson(jbody({ name: '', gauge: {} })), M0, 'metric has no name');
    expectRejected(() => decodeOtlpMetricsJson(jbody({})), M0, 'metric "m" has no data: none of gauge, sum, histogram, exponentialHistogram, summary is set');
    expectRejected(() => decodeOtlpMetricsJson(jbody({ gauge: {}, summary: {} })), M0, 'has both gauge and summary; a metric carries exactly one kind of data');
  });

  it('attribute values: wrong shapes, several members, bad base64, unpaired surrogates, duplicates, depth', () => {
    const attr = (value: unknown): unknown => jgauge({ asDouble: 1, attributes: [{ key: 'k', value }] });
    const where = `${at}.attributes[0].value`;
    expectRejected(() => decodeOtlpMetricsJson(attr('x')), where, 'an AnyValue must be an object, got string "x"');
    expectRejected(() => decodeOtlpMetricsJson(attr({ stringValue: 'a', intValue: 1 })), where, 'sets both stringValue and intValue; an AnyValue holds one value');
    expectRejected(() => decodeOtlpMetricsJson(attr({ intValue: 'x1' })), where, 'intValue must be an int64 (a decimal string or an integer), got string "x1"');
    expectRejected(() => decodeOtlpMetricsJson(attr({ doubleValue: 'NaN' })), where, 'doubleValue is NaN; NaN and ±Infinity are not accepted as telemetry values');
    expectRejected(() => decodeOtlpMetricsJson(attr({ bytesValue: '@@@@' })), where, 'bytesValue must be a base64 string, got string "@@@@"');
    expectRejected(() => decodeOtlpMetricsJson(attr({ bytesValue: 'AAAAA' })), where, 'bytesValue must be a base64 string, got string "AAAAA"');
    expectRejected(() => decodeOtlpMetricsJson(attr({ arrayValue: { values: [{ stringValue: 'ok' }, { boolValue: 1 }] } })), `${where}.arrayValue.values[1]`, 'boolValue must be true or false, got number 1');
    expectRejected(() => decodeOtlpMetricsJson(attr({ kvlistValue: { values: [{ key: 'x' }, { key: 'x' }] } })), `${where}.kvlistValue.values[1]`, 'duplicate key "x"');
    expectRejected(() => decodeOtlpMetricsJson(attr({ stringValue: 'bad \ud800 surrogate' })), where, 'stringValue is not valid Unicode (it contains an unpaired surrogate)');
    expectRejected(() => decodeOtlpMetricsJson(jgauge({ asDouble: 1, attributes: [{ key: 'a' }, { key: 'a' }] })), `${at}.attributes[1]`, 'duplicate key "a"');
    let deep: unknown = { stringValue: 'bottom' };
    for (let i = 0; i < 40; i++) deep = { arrayValue: { values: [deep] } };
    const se = rejection(() => decodeOtlpMetricsJson(attr(deep)));
    expect((se.details as { problem: string }).problem).toBe('value is nested more than 32 levels deep');
    const r = decodeOtlpMetricsJson(jgauge({ asDouble: 1, attributes: [{ key: '__proto__', value: { stringValue: 'x' } }, { key: 'e', value: {} }] }));
    expect(Object.hasOwn(firstPoints(r)[0]!.attributes, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(firstPoints(r)[0]!.attributes)).toBe(Object.prototype);
  });
});

// ---------------------------------------------------------------------------------------------

/** Deterministic PRNG so a failing case can be reproduced from its iteration number. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Output invariants that must hold whenever decoding succeeds. */
function checkInvariants(r: OtlpResourceMetrics[]): void {
  for (const rm of r) {
    for (const s of rm.scopes) {
      for (const m of s.metrics) {
        expect(m.name).not.toBe('');
        for (const p of m.points) {
          const kinds = [p.value, p.histogram, p.exponentialHistogram, p.summary].filter((x) => x !== undefined);
          expect(kinds.length).toBe(1);
          expect(typeof p.timeUnixNano).toBe('bigint');
          if (p.value !== undefined) expect(Number.isFinite(p.value)).toBe(true);
          if (p.histogram !== undefined) expect(p.histogram.bucketCounts.every(Number.isSafeInteger) || p.histogram.bucketCounts.includes(2 ** 53)).toBe(true);
        }
      }
    }
  }
}

describe('malformed input never escapes as anything but a StewardError', () => {
  it('random mutations and truncations of a real protobuf request', { timeout: 20_000 }, async () => {
    // A real request plus hand-built kinds the SDK does not emit (summary, negative buckets, unknown fields); concatenated requests merge.
    const proto = cat(
      ProtobufMetricsSerializer.serializeRequest(await sdkRequest({ bytes: true }))!,
      body(
        metric('s', 'summary', [summaryPoint({ attrs: [kv('q', any.str('p99'))], count: 2, sum: 3, quantiles: [[0.5, 1], [0.99, 2]] })]),
        metric('e', 'exponentialHistogram', [expPoint({ count: 3, zeroCount: 1, scale: 3, positive: [2, [1]], negative: [-4, [1]] })], [pb.varint(2, 2)]),
        cat(pb.str(1, 'u'), pb.fixed32(99, 1), pb.msg(5, pb.msg(1, numberPoint({ int: -3 })), pb.fixed64(77, 1n))),
      ),
    );
    expect(countOtlpPoints(decodeOtlpMetricsProtobuf(proto))).toBe(13);
    const rand = prng(0x5eed);
    const int = (n: number): number => Math.floor(rand() * n);
    let accepted = 0;
    const started = Date.now();
    for (let iter = 0; iter < 3000; iter++) {
      let b: Uint8Array = Uint8Array.from(proto);
      const edits = 1 + int(4);
      for (let e = 0; e < edits; e++) {
        const at = int(b.length);
        switch (int(6)) {
          case 0: // flip a byte
            b[at] = int(256);
            break;
          case 1: // flip a bit
            b[at]! ^= 1 << int(8);
            break;
          case 2: // truncate
            b = b.subarray(0, at);
            break;
          case 3: // delete a run
            b = cat(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(8))));
            break;
          case 4: // insert random bytes
            b = cat(b.subarray(0, at), Array.from({ length: 1 + int(4) }, () => int(256)), b.subarray(at));
            break;
          default: // duplicate a slice elsewhere
            b = cat(b.subarray(0, at), b.subarray(int(b.length), int(b.length) + int(32)), b.subarray(at));
        }
        if (b.length === 0) break;
      }
      let out: OtlpResourceMetrics[] | null = null;
      try {
        out = decodeOtlpMetricsProtobuf(b);
      } catch (e) {
        if (!(e instanceof StewardError)) throw new Error(`iteration ${iter}: ${String(e)}`, { cause: e });
        expect(e.message).toMatch(/^[^:]+: /);
      }
      if (out !== null) {
        accepted++;
        checkInvariants(out);
      }
    }
    // Some mutations land in values and stay decodable; most break the structure.
    expect(accepted).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('random type substitutions in a real JSON request', async () => {
    const template = JsonMetricsSerializer.serializeRequest(await sdkRequest())!;
    const text = new TextDecoder().decode(template);
    const rand = prng(0xbeef);
    const int = (n: number): number => Math.floor(rand() * n);
    const replacements: unknown[] = [null, 'x', '', 'NaN', '1', '-1', '1e400', 0, -1, 1.5, 2 ** 64, true, [], {}, [{}], { values: 3 }, { stringValue: 1 }, '\ud800'];
    for (let iter = 0; iter < 1500; iter++) {
      const doc = JSON.parse(text) as unknown;
      // Collect the containers and keys, then replace one value.
      const slots: Array<[Record<string, unknown> | unknown[], string | number]> = [];
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach((x, i) => (slots.push([v, i]), walk(x)));
        else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) (slots.push([v as Record<string, unknown>, k]), walk(x));
      };
      walk(doc);
      for (let e = 0; e < 1 + int(3); e++) {
        const [container, key] = slots[int(slots.length)]!;
        (container as Record<string | number, unknown>)[key] = replacements[int(replacements.length)];
      }
      try {
        checkInvariants(decodeOtlpMetricsJson(doc));
      } catch (e) {
        if (!(e instanceof StewardError)) throw new Error(`iteration ${iter}: ${String(e)}`, { cause: e });
      }
    }
  });
});
