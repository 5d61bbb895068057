/** Pieces shared by the protobuf and JSON OTLP metrics decoders: error locations and the checks on decoded points. */
import { StewardError } from '@steward/domain';
import type { OtlpAttributeValue, OtlpExponentialHistogram, OtlpHistogram, OtlpSummary, OtlpTemporality } from './otlp.js';

/**
 * A problem found while decoding. The location is collected while the error unwinds (each level
 * adds its own segment), so the happy path never builds path strings. Not an Error subclass:
 * it never leaves this module family, and skipping stack capture keeps rejection cheap.
 */
export class OtlpPathError {
  readonly segments: string[] = [];
  constructor(readonly problem: string) {}
}

export function fail(problem: string): never {
  throw new OtlpPathError(problem);
}

/** Adds one path segment (outermost last) to a decoding problem passing through; other errors pass untouched. */
export function at(e: unknown, segment: string): unknown {
  if (e instanceof OtlpPathError) e.segments.push(segment);
  return e;
}

export function toStewardError(e: unknown): unknown {
  if (!(e instanceof OtlpPathError)) return e;
  const path = e.segments.reverse().join('.');
  const where = path === '' ? 'ExportMetricsServiceRequest' : path;
  return new StewardError('bad_request', `${where}: ${e.problem}`, { path, problem: e.problem });
}

/** Nesting limit for AnyValue arrays/kvlists, so a hostile body cannot exhaust the stack. */
export const MAX_VALUE_DEPTH = 32;

export const KIND_NAMES = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

export function describeNumber(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

export function checkFinite(v: number, field: string): number {
  // v - v is NaN exactly for NaN and ±Infinity.
  if (v - v !== 0) fail(`${field} is ${describeNumber(v)}; NaN and ±Infinity are not accepted as telemetry values`);
  return v;
}

const TWO_53 = 9007199254740992;

/** int64 given as signed high and unsigned low 32-bit halves, as an exact number. */
export function int64ToNumber(hi: number, lo: number, field: string): number {
  // Exact iff |v| <= 2^53: hi in [-2^21, 2^21), or v === 2^53 itself.
  if (hi >= -0x200000 && hi < 0x200000) return hi * 4294967296 + lo;
  if (hi === 0x200000 && lo === 0) return TWO_53;
  return fail(`${field} ${(BigInt(hi) * 4294967296n + BigInt(lo)).toString()} is beyond ±2^53 and cannot be represented exactly`);
}

/** uint64 given as unsigned 32-bit halves, as an exact number. */
export function uint64ToNumber(hi: number, lo: number, field: string): number {
  if (hi < 0x200000) return hi * 4294967296 + lo;
  if (hi === 0x200000 && lo === 0) return TWO_53;
  return fail(`${field} ${(BigInt(hi) * 4294967296n + BigInt(lo)).toString()} is beyond 2^53 and cannot be represented exactly`);
}

export function bigintToSafeNumber(v: bigint, field: string, signed: boolean): number {
  if (v > 9007199254740992n || v < (signed ? -9007199254740992n : 0n)) {
    fail(`${field} ${v.toString()} is beyond ${signed ? '±' : ''}2^53 and cannot be represented exactly`);
  }
  return Number(v);
}

/** Adds a key, refusing duplicates (OTLP requires unique keys) and storing "__proto__" as data, not as the prototype. */
export function putAttribute(target: Record<string, OtlpAttributeValue>, key: string, value: OtlpAttributeValue): void {
  // Values are never undefined, so the hasOwn check runs only for real duplicates and Object.prototype names.
  if (target[key] !== undefined && Object.hasOwn(target, key)) fail(`duplicate key ${JSON.stringify(key)}`);
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

const TEMPORALITY: readonly OtlpTemporality[] = ['unspecified', 'delta', 'cumulative'];

export function temporalityOf(v: number): OtlpTemporality {
  const t = TEMPORALITY[v];
  if (t === undefined) fail(`aggregationTemporality ${v} is not 0 (unspecified), 1 (delta) or 2 (cumulative)`);
  return t;
}

export const TEMPORALITY_NAMES: Record<string, number> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

/** DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK: the point explicitly has no value (e.g. a staleness marker). */
export const FLAG_NO_RECORDED_VALUE = 1;

function checkMinMaxSum(h: { sum: number | null; min: number | null; max: number | null }): void {
  if (h.sum !== null) checkFinite(h.sum, 'sum');
  if (h.min !== null) checkFinite(h.min, 'min');
  if (h.max !== null) checkFinite(h.max, 'max');
  if (h.min !== null && h.max !== null && h.min > h.max) fail(`min ${describeNumber(h.min)} is greater than max ${describeNumber(h.max)}`);
}

function total(counts: number[]): number {
  let t = 0;
  for (let i = 0; i < counts.length; i++) t += counts[i]!;
  return t;
}

export function checkHistogram(h: OtlpHistogram): void {
  const b = h.explicitBounds;
  for (let i = 0; i < b.length; i++) {
    const v = b[i]!;
    if (v - v !== 0) fail(`explicitBounds[${i}] is ${v}; bounds must be finite (the +Inf bucket is implicit)`);
    if (i > 0 && !(v > b[i - 1]!)) {
      fail(`explicitBounds[${i}] = ${describeNumber(v)} is not greater than explicitBounds[${i - 1}] = ${describeNumber(b[i - 1]!)}; bounds must be strictly increasing`);
    }
  }
  const n = h.bucketCounts.length;
  // The data model allows no buckets at all (count/sum only), but then there must be no bounds either.
  if (n !== b.length + 1 && !(n === 0 && b.length === 0)) {
    fail(`bucketCounts has ${n} entries, want explicitBounds.length + 1 = ${b.length + 1}`);
  }
  if (n > 0) {
    const t = total(h.bucketCounts);
    if (t !== h.count) fail(`count is ${h.count} but bucketCounts add up to ${t}`);
  }
  checkMinMaxSum(h);
}

export function checkExponentialHistogram(h: OtlpExponentialHistogram): void {
  // Outside [-10, 20] the bucket base 2^(2^-scale) overflows or is finer than any SDK produces.
  if (!(h.scale >= -10 && h.scale <= 20)) fail(`scale ${h.scale} is outside [-10, 20]`);
  const t = h.zeroCount + total(h.positive.bucketCounts) + total(h.negative.bucketCounts);
  if (t !== h.count) fail(`count is ${h.count} but zeroCount + positive + negative bucket counts add up to ${t}`);
  checkMinMaxSum(h);
}

export function checkSummary(s: OtlpSummary): void {
  checkFinite(s.sum, 'sum');
  // A Prometheus summary with no observations in its window reports NaN quantiles (a Collector
  // scraping one forwards them): those quantiles are dropped, not the whole request refused.
  if (s.quantiles.some((e) => Number.isNaN(e.value))) s.quantiles = s.quantiles.filter((e) => !Number.isNaN(e.value));
  const q = s.quantiles;
  for (let i = 0; i < q.length; i++) {
    const e = q[i]!;
    if (!(e.quantile >= 0 && e.quantile <= 1)) fail(`quantileValues[${i}].quantile is ${e.quantile}, want a number in [0, 1]`);
    checkFinite(e.value, `quantileValues[${i}].value`);
  }
}
