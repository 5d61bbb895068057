/**
 * OTLP/HTTP metrics decoding (`POST /v1/metrics`): ExportMetricsServiceRequest bodies in binary
 * protobuf (application/x-protobuf) or OTLP/JSON (application/json, already parsed) become plain
 * data with exact timestamps. Both decoders produce identical results for the same request and
 * reject bad input with StewardError('bad_request') whose message starts with the location, e.g.
 * `resourceMetrics[0].scopeMetrics[1].metrics[3].histogram.dataPoints[2]: ...`.
 *
 * The error's details are `{ path, problem }`; path '' means the request as a whole.
 *
 * Decisions a caller should know about:
 * - Points flagged DATA_POINT_FLAGS_NO_RECORDED_VALUE (e.g. Prometheus staleness markers) carry no
 *   value by definition; they are dropped, not rejected.
 * - AnyValue bytes become their standard (padded) base64 text, as OTLP/JSON writes them.
 * - Timestamps are passed through (0n means the sender left them unset); judging them is the caller's job.
 * - Exemplars, schema URLs, dropped-attribute counts, metric metadata and exponential histograms'
 *   zeroThreshold are not decoded.
 * - OTLP/JSON: lowerCamelCase keys as the spec requires, plus the proto snake_case names and enum
 *   name strings the Collector also accepts; unknown keys are ignored.
 */
export type OtlpAttributeValue = string | number | boolean | null | OtlpAttributeValue[] | { [k: string]: OtlpAttributeValue };

export interface OtlpHistogram {
  count: number;
  sum: number | null;
  min: number | null;
  max: number | null;
  explicitBounds: number[];
  bucketCounts: number[];
}

export interface OtlpExponentialHistogram {
  count: number;
  sum: number | null;
  min: number | null;
  max: number | null;
  scale: number;
  zeroCount: number;
  positive: { offset: number; bucketCounts: number[] };
  negative: { offset: number; bucketCounts: number[] };
}

export interface OtlpSummary {
  count: number;
  sum: number;
  quantiles: Array<{ quantile: number; value: number }>;
}

export interface OtlpPoint {
  attributes: Record<string, OtlpAttributeValue>;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  // Exactly one of the following is present, matching the metric's kind.
  /** gauge / sum; integer points (asInt) become numbers, exact because |v| <= 2^53 is enforced. */
  value?: number;
  histogram?: OtlpHistogram;
  exponentialHistogram?: OtlpExponentialHistogram;
  summary?: OtlpSummary;
}

export type OtlpMetricKind = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';
export type OtlpTemporality = 'delta' | 'cumulative' | 'unspecified';

export interface OtlpMetric {
  name: string;
  unit: string;
  description: string;
  kind: OtlpMetricKind;
  /** sum, histogram, exponentialHistogram; null for gauge and summary. */
  temporality: OtlpTemporality | null;
  /** sum only; null for other kinds. */
  monotonic: boolean | null;
  points: OtlpPoint[];
}

export interface OtlpScopeMetrics {
  name: string;
  version: string;
  attributes: Record<string, OtlpAttributeValue>;
  metrics: OtlpMetric[];
}

export interface OtlpResourceMetrics {
  resource: Record<string, OtlpAttributeValue>;
  scopes: OtlpScopeMetrics[];
}

export { decodeOtlpMetricsProtobuf } from './otlp-protobuf.js';
export { decodeOtlpMetricsJson } from './otlp-json.js';

export function countOtlpPoints(r: OtlpResourceMetrics[]): number {
  let n = 0;
  for (const rm of r) for (const s of rm.scopes) for (const m of s.metrics) n += m.points.length;
  return n;
}
