/**
 * OTLP/JSON decoder for ExportMetricsServiceRequest (body already parsed by JSON.parse).
 * Follows the OTLP/JSON mapping: lowerCamelCase keys, 64-bit integers as decimal strings or numbers,
 * enums as integers, bytes as base64, unknown keys ignored. Like the Collector's own receiver it also
 * accepts the original snake_case keys and enum names, so such payloads are not silently emptied.
 */
import type {
  OtlpAttributeValue,
  OtlpExponentialHistogram,
  OtlpHistogram,
  OtlpMetric,
  OtlpPoint,
  OtlpResourceMetrics,
  OtlpScopeMetrics,
  OtlpSummary,
} from './otlp.js';
import {
  FLAG_NO_RECORDED_VALUE,
  KIND_NAMES,
  MAX_VALUE_DEPTH,
  TEMPORALITY_NAMES,
  at,
  bigintToSafeNumber,
  checkExponentialHistogram,
  checkFinite,
  checkHistogram,
  checkSummary,
  fail,
  putAttribute,
  temporalityOf,
  toStewardError,
} from './otlp-common.js';

type Obj = Record<string, unknown>;

export function decodeOtlpMetricsJson(body: unknown): OtlpResourceMetrics[] {
  try {
    return request(body);
  } catch (e) {
    throw toStewardError(e);
  }
}

// ---------------------------------------------------------------------------------------------
// Typed field readers. Absent and null both mean "not set" (proto3 JSON).

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) fail(`${what} must be an object, got ${describe(v)}`);
  return v;
}

/** Field by its lowerCamelCase name, falling back to the proto (snake_case) name. */
function get(o: Obj, camel: string, snake: string): unknown {
  const v = o[camel];
  return v !== undefined && v !== null ? v : o[snake];
}

const NONE: readonly unknown[] = [];

function list(v: unknown, field: string): readonly unknown[] {
  if (v === undefined || v === null) return NONE;
  if (!Array.isArray(v)) fail(`${field} must be an array, got ${describe(v)}`);
  return v;
}

function string(v: unknown, field: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') fail(`${field} must be a string, got ${describe(v)}`);
  // Mirrors the UTF-8 check of the protobuf path: a lone surrogate has no UTF-8 encoding.
  if (!v.isWellFormed()) fail(`${field} is not valid Unicode (it contains an unpaired surrogate)`);
  return v;
}

function bool(v: unknown, field: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') fail(`${field} must be true or false, got ${describe(v)}`);
  return v;
}

const DECIMAL = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/** A double: a JSON number, or a string holding a number or NaN/Infinity/-Infinity (proto3 JSON). Non-finite values are left to the caller to refuse with context. */
function double(v: unknown, field: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (DECIMAL.test(v)) return Number(v);
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
  }
  return fail(`${field} must be a number, got ${describe(v)}`);
}

function doubleAt(v: unknown, field: string, i: number): number {
  return typeof v === 'number' ? v : double(v, `${field}[${i}]`);
}

function optionalDouble(v: unknown, field: string): number | null {
  return v === undefined || v === null ? null : double(v, field);
}

const UINT = /^[0-9]{1,20}$/;
const INT = /^-?[0-9]{1,20}$/;
const TWO_64 = 18446744073709551616n;

/** uint64 timestamps: exact from decimal strings; JSON numbers are taken as given (they are already rounded by the sender). */
function uint64Big(v: unknown, field: string): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'string') {
    if (UINT.test(v)) {
      const b = BigInt(v);
      if (b < TWO_64) return b;
    }
  } else if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 18446744073709551616) {
    return BigInt(v);
  }
  return fail(`${field} must be a uint64 (a decimal string or a non-negative integer below 2^64), got ${describe(v)}`);
}

/** uint64 counts as exact numbers (<= 2^53). */
function uint64Num(v: unknown, field: string): number {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0) {
      if (v <= 9007199254740992) return v;
      return fail(`${field} ${v} is beyond 2^53 and cannot be represented exactly`);
    }
  } else if (typeof v === 'string' && UINT.test(v)) {
    if (v.length < 16) return Number(v);
    const b = BigInt(v);
    if (b < TWO_64) return bigintToSafeNumber(b, field, false);
  }
  return fail(`${field} must be a uint64 (a decimal string or a non-negative integer), got ${describe(v)}`);
}

function uint64NumAt(v: unknown, field: string, i: number): number {
  return typeof v === 'number' && v >= 0 && v <= 9007199254740992 && Number.isInteger(v) ? v : uint64Num(v, `${field}[${i}]`);
}

function optionalUint64Num(v: unknown, field: string): number {
  return v === undefined || v === null ? 0 : uint64Num(v, field);
}

function int64Num(v: unknown, field: string): number {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) {
      if (v <= 9007199254740992 && v >= -9007199254740992) return v;
      return fail(`${field} ${v} is beyond ±2^53 and cannot be represented exactly`);
    }
  } else if (typeof v === 'string' && INT.test(v)) {
    if (v.length < 16) return Number(v);
    const b = BigInt(v);
    if (b < 2n ** 63n && b >= -(2n ** 63n)) return bigintToSafeNumber(b, field, true);
  }
  return fail(`${field} must be an int64 (a decimal string or an integer), got ${describe(v)}`);
}

function int32(v: unknown, field: string, min: number, max: number): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'number' ? v : typeof v === 'string' && INT.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    fail(`${field} must be an integer in [${min}, ${max}], got ${describe(v)}`);
  }
  return n;
}

const I32_MIN = -2147483648;
const I32_MAX = 2147483647;
const U32_MAX = 4294967295;

function temporality(v: unknown): number {
  if (typeof v === 'string') {
    const n = TEMPORALITY_NAMES[v];
    if (n !== undefined && Object.hasOwn(TEMPORALITY_NAMES, v)) return n;
  }
  return int32(v, 'aggregationTemporality', I32_MIN, I32_MAX);
}

// ---------------------------------------------------------------------------------------------
// Messages

function request(body: unknown): OtlpResourceMetrics[] {
  const b = obj(body, 'the request body');
  const items = list(get(b, 'resourceMetrics', 'resource_metrics'), 'resourceMetrics');
  const out: OtlpResourceMetrics[] = [];
  for (let i = 0; i < items.length; i++) {
    try {
      out.push(resourceMetrics(items[i]));
    } catch (e) {
      throw at(e, `resourceMetrics[${i}]`);
    }
  }
  return out;
}

function resourceMetrics(v: unknown): OtlpResourceMetrics {
  const o = obj(v, 'a ResourceMetrics');
  const resource: Record<string, OtlpAttributeValue> = {};
  const r = o.resource;
  if (r !== undefined && r !== null) {
    try {
      attributes(obj(r, 'resource').attributes, resource);
    } catch (e) {
      throw at(e, 'resource');
    }
  }
  const items = list(get(o, 'scopeMetrics', 'scope_metrics'), 'scopeMetrics');
  const scopes: OtlpScopeMetrics[] = [];
  for (let i = 0; i < items.length; i++) {
    try {
      scopes.push(scopeMetrics(items[i]));
    } catch (e) {
      throw at(e, `scopeMetrics[${i}]`);
    }
  }
  return { resource, scopes };
}

function scopeMetrics(v: unknown): OtlpScopeMetrics {
  const o = obj(v, 'a ScopeMetrics');
  const s: OtlpScopeMetrics = { name: '', version: '', attributes: {}, metrics: [] };
  const sc = o.scope;
  if (sc !== undefined && sc !== null) {
    try {
      const so = obj(sc, 'scope');
      s.name = string(so.name, 'name');
      s.version = string(so.version, 'version');
      attributes(so.attributes, s.attributes);
    } catch (e) {
      throw at(e, 'scope');
    }
  }
  const items = list(o.metrics, 'metrics');
  for (let i = 0; i < items.length; i++) {
    try {
      s.metrics.push(metric(items[i]));
    } catch (e) {
      throw at(e, `metrics[${i}]`);
    }
  }
  return s;
}

function metric(v: unknown): OtlpMetric {
  const o = obj(v, 'a Metric');
  const m: OtlpMetric = {
    name: string(o.name, 'name'),
    unit: string(o.unit, 'unit'),
    description: string(o.description, 'description'),
    kind: 'gauge',
    temporality: null,
    monotonic: null,
    points: [],
  };
  const data = [o.gauge, o.sum, o.histogram, get(o, 'exponentialHistogram', 'exponential_histogram'), o.summary];
  let kind = -1;
  for (let k = 0; k < data.length; k++) {
    if (data[k] === undefined || data[k] === null) continue;
    if (kind !== -1) fail(`has both ${KIND_NAMES[kind]} and ${KIND_NAMES[k]}; a metric carries exactly one kind of data`);
    kind = k;
  }
  if (kind !== -1) {
    const name = KIND_NAMES[kind]!;
    m.kind = name;
    try {
      dataMessage(obj(data[kind], name), m, kind);
    } catch (e) {
      throw at(e, name);
    }
  }
  if (m.name === '') fail('metric has no name');
  if (kind === -1) fail(`metric ${JSON.stringify(m.name)} has no data: none of gauge, sum, histogram, exponentialHistogram, summary is set`);
  return m;
}

const K_GAUGE = 0;
const K_SUM = 1;
const K_HISTOGRAM = 2;
const K_EXP = 3;

function dataMessage(o: Obj, m: OtlpMetric, k: number): void {
  if (k === K_SUM || k === K_HISTOGRAM || k === K_EXP) {
    m.temporality = temporalityOf(temporality(get(o, 'aggregationTemporality', 'aggregation_temporality')));
  }
  if (k === K_SUM) m.monotonic = bool(get(o, 'isMonotonic', 'is_monotonic'), 'isMonotonic');
  const items = list(get(o, 'dataPoints', 'data_points'), 'dataPoints');
  const points = m.points;
  for (let i = 0; i < items.length; i++) {
    try {
      const v = items[i];
      const p =
        k === K_GAUGE || k === K_SUM ? numberPoint(v) : k === K_HISTOGRAM ? histogramPoint(v) : k === K_EXP ? expPoint(v) : summaryPoint(v);
      if (p !== null) points.push(p);
    } catch (e) {
      throw at(e, `dataPoints[${i}]`);
    }
  }
}

function flagsOf(o: Obj): number {
  return int32(o.flags, 'flags', 0, U32_MAX);
}

function numberPoint(v: unknown): OtlpPoint | null {
  const o = obj(v, 'a data point');
  const attrs: Record<string, OtlpAttributeValue> = {};
  attributes(o.attributes, attrs);
  const start = uint64Big(get(o, 'startTimeUnixNano', 'start_time_unix_nano'), 'startTimeUnixNano');
  const time = uint64Big(get(o, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano');
  const d = get(o, 'asDouble', 'as_double');
  const n = get(o, 'asInt', 'as_int');
  const hasDouble = d !== undefined && d !== null;
  const hasInt = n !== undefined && n !== null;
  let value = 0;
  if (hasDouble) value = double(d, 'asDouble');
  if (hasInt) value = int64Num(n, 'asInt');
  if ((flagsOf(o) & FLAG_NO_RECORDED_VALUE) !== 0) return null;
  if (!hasDouble && !hasInt) fail('has neither asDouble nor asInt');
  if (hasDouble && hasInt) fail('has both asDouble and asInt; a point carries one value');
  if (hasDouble) checkFinite(value, 'asDouble');
  return { attributes: attrs, startTimeUnixNano: start, timeUnixNano: time, value };
}

function histogramPoint(v: unknown): OtlpPoint | null {
  const o = obj(v, 'a data point');
  const attrs: Record<string, OtlpAttributeValue> = {};
  attributes(o.attributes, attrs);
  const start = uint64Big(get(o, 'startTimeUnixNano', 'start_time_unix_nano'), 'startTimeUnixNano');
  const time = uint64Big(get(o, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano');
  const rawCounts = list(get(o, 'bucketCounts', 'bucket_counts'), 'bucketCounts');
  const bucketCounts: number[] = [];
  for (let i = 0; i < rawCounts.length; i++) bucketCounts.push(uint64NumAt(rawCounts[i], 'bucketCounts', i));
  const rawBounds = list(get(o, 'explicitBounds', 'explicit_bounds'), 'explicitBounds');
  const explicitBounds: number[] = [];
  for (let i = 0; i < rawBounds.length; i++) explicitBounds.push(doubleAt(rawBounds[i], 'explicitBounds', i));
  const h: OtlpHistogram = {
    count: optionalUint64Num(o.count, 'count'),
    sum: optionalDouble(o.sum, 'sum'),
    min: optionalDouble(o.min, 'min'),
    max: optionalDouble(o.max, 'max'),
    explicitBounds,
    bucketCounts,
  };
  if ((flagsOf(o) & FLAG_NO_RECORDED_VALUE) !== 0) return null;
  checkHistogram(h);
  return { attributes: attrs, startTimeUnixNano: start, timeUnixNano: time, histogram: h };
}

function buckets(v: unknown, side: string): { offset: number; bucketCounts: number[] } {
  const b = { offset: 0, bucketCounts: [] as number[] };
  if (v === undefined || v === null) return b;
  try {
    const o = obj(v, side);
    b.offset = int32(o.offset, 'offset', I32_MIN, I32_MAX);
    const raw = list(get(o, 'bucketCounts', 'bucket_counts'), 'bucketCounts');
    for (let i = 0; i < raw.length; i++) b.bucketCounts.push(uint64NumAt(raw[i], 'bucketCounts', i));
  } catch (e) {
    throw at(e, side);
  }
  return b;
}

function expPoint(v: unknown): OtlpPoint | null {
  const o = obj(v, 'a data point');
  const attrs: Record<string, OtlpAttributeValue> = {};
  attributes(o.attributes, attrs);
  const start = uint64Big(get(o, 'startTimeUnixNano', 'start_time_unix_nano'), 'startTimeUnixNano');
  const time = uint64Big(get(o, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano');
  const h: OtlpExponentialHistogram = {
    count: optionalUint64Num(o.count, 'count'),
    sum: optionalDouble(o.sum, 'sum'),
    min: optionalDouble(o.min, 'min'),
    max: optionalDouble(o.max, 'max'),
    scale: int32(o.scale, 'scale', I32_MIN, I32_MAX),
    zeroCount: optionalUint64Num(get(o, 'zeroCount', 'zero_count'), 'zeroCount'),
    positive: buckets(o.positive, 'positive'),
    negative: buckets(o.negative, 'negative'),
  };
  if ((flagsOf(o) & FLAG_NO_RECORDED_VALUE) !== 0) return null;
  checkExponentialHistogram(h);
  return { attributes: attrs, startTimeUnixNano: start, timeUnixNano: time, exponentialHistogram: h };
}

function summaryPoint(v: unknown): OtlpPoint | null {
  const o = obj(v, 'a data point');
  const attrs: Record<string, OtlpAttributeValue> = {};
  attributes(o.attributes, attrs);
  const start = uint64Big(get(o, 'startTimeUnixNano', 'start_time_unix_nano'), 'startTimeUnixNano');
  const time = uint64Big(get(o, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano');
  const raw = list(get(o, 'quantileValues', 'quantile_values'), 'quantileValues');
  const quantiles: Array<{ quantile: number; value: number }> = [];
  for (let i = 0; i < raw.length; i++) {
    try {
      const q = obj(raw[i], 'a ValueAtQuantile');
      quantiles.push({
        quantile: q.quantile === undefined || q.quantile === null ? 0 : double(q.quantile, 'quantile'),
        value: q.value === undefined || q.value === null ? 0 : double(q.value, 'value'),
      });
    } catch (e) {
      throw at(e, `quantileValues[${i}]`);
    }
  }
  const s: OtlpSummary = { count: optionalUint64Num(o.count, 'count'), sum: optionalDouble(o.sum, 'sum') ?? 0, quantiles };
  if ((flagsOf(o) & FLAG_NO_RECORDED_VALUE) !== 0) return null;
  checkSummary(s);
  return { attributes: attrs, startTimeUnixNano: start, timeUnixNano: time, summary: s };
}

// ---------------------------------------------------------------------------------------------
// KeyValue / AnyValue

function attributes(v: unknown, target: Record<string, OtlpAttributeValue>): void {
  const items = list(v, 'attributes');
  for (let i = 0; i < items.length; i++) {
    try {
      keyValue(items[i], target, 0);
    } catch (e) {
      throw at(e, `attributes[${i}]`);
    }
  }
}

function keyValue(v: unknown, target: Record<string, OtlpAttributeValue>, depth: number): void {
  const o = obj(v, 'a KeyValue');
  const key = string(o.key, 'key');
  let value: OtlpAttributeValue;
  try {
    value = anyValue(o.value, depth);
  } catch (e) {
    throw at(e, 'value');
  }
  putAttribute(target, key, value);
}

const BASE64 = /^(?:[A-Za-z0-9+/]*|[A-Za-z0-9_-]*)={0,2}$/;

function bytes(v: unknown): string {
  if (typeof v !== 'string' || !BASE64.test(v) || v.replace(/=+$/, '').length % 4 === 1) {
    fail(`bytesValue must be a base64 string, got ${describe(v)}`);
  }
  // Re-encode so standard, URL-safe and unpadded spellings all come out as the protobuf path writes them.
  return Buffer.from(v, 'base64').toString('base64');
}

function anyValue(v: unknown, depth: number): OtlpAttributeValue {
  if (v === undefined || v === null) return null;
  if (depth >= MAX_VALUE_DEPTH) fail(`value is nested more than ${MAX_VALUE_DEPTH} levels deep`);
  const o = obj(v, 'an AnyValue');
  let out: OtlpAttributeValue = null;
  let set: string | null = null;
  const one = (field: string): void => {
    if (set !== null) fail(`sets both ${set} and ${field}; an AnyValue holds one value`);
    set = field;
  };
  let x = get(o, 'stringValue', 'string_value');
  if (x !== undefined && x !== null) {
    one('stringValue');
    out = string(x, 'stringValue');
  }
  x = get(o, 'boolValue', 'bool_value');
  if (x !== undefined && x !== null) {
    one('boolValue');
    out = bool(x, 'boolValue');
  }
  x = get(o, 'intValue', 'int_value');
  if (x !== undefined && x !== null) {
    one('intValue');
    out = int64Num(x, 'intValue');
  }
  x = get(o, 'doubleValue', 'double_value');
  if (x !== undefined && x !== null) {
    one('doubleValue');
    out = checkFinite(double(x, 'doubleValue'), 'doubleValue');
  }
  x = get(o, 'arrayValue', 'array_value');
  if (x !== undefined && x !== null) {
    one('arrayValue');
    try {
      const items = list(obj(x, 'arrayValue').values, 'values');
      const arr: OtlpAttributeValue[] = [];
      for (let i = 0; i < items.length; i++) {
        try {
          arr.push(anyValue(items[i], depth + 1));
        } catch (e) {
          throw at(e, `values[${i}]`);
        }
      }
      out = arr;
    } catch (e) {
      throw at(e, 'arrayValue');
    }
  }
  x = get(o, 'kvlistValue', 'kvlist_value');
  if (x !== undefined && x !== null) {
    one('kvlistValue');
    try {
      const items = list(obj(x, 'kvlistValue').values, 'values');
      const kv: { [k: string]: OtlpAttributeValue } = {};
      for (let i = 0; i < items.length; i++) {
        try {
          keyValue(items[i], kv, depth + 1);
        } catch (e) {
          throw at(e, `values[${i}]`);
        }
      }
      out = kv;
    } catch (e) {
      throw at(e, 'kvlistValue');
    }
  }
  x = get(o, 'bytesValue', 'bytes_value');
  if (x !== undefined && x !== null) {
    one('bytesValue');
    out = bytes(x);
  }
  return out;
}
