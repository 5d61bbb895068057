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

// Points of one request mostly share their timestamps: remember the last string seen per field.
let lastStartText = '';
let lastStartValue = 0n;
let lastTimeText = '';
let lastTimeValue = 0n;

function startTime(o: Obj): bigint {
  const v = o.startTimeUnixNano ?? o.start_time_unix_nano;
  if (typeof v === 'string' && v === lastStartText) return lastStartValue;
  const b = uint64Big(v, 'startTimeUnixNano');
  if (typeof v === 'string') {
    lastStartText = v;
    lastStartValue = b;
  }
  return b;
}

function endTime(o: Obj): bigint {
  const v = o.timeUnixNano ?? o.time_unix_nano;
  if (typeof v === 'string' && v === lastTimeText) return lastTimeValue;
  const b = uint64Big(v, 'timeUnixNano');
  if (typeof v === 'string') {
    lastTimeText = v;
    lastTimeValue = b;
  }
  return b;
}

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
      if (v <= 9007199254740992) return v + 0;
      return fail(`${field} ${BigInt(v)} is beyond 2^53 and cannot be represented exactly`);
    }
  } else if (typeof v === 'string' && UINT.test(v)) {
    if (v.length < 16) return Number(v);
    const b = BigInt(v);
    if (b < TWO_64) return bigintToSafeNumber(b, field, false);
  }
  return fail(`${field} must be a uint64 (a decimal string or a non-negative integer), got ${describe(v)}`);
}

function uint64NumAt(v: unknown, field: string, i: number): number {
  return typeof v === 'number' && v >= 0 && v <= 9007199254740992 && Number.isInteger(v) ? v + 0 : uint64Num(v, `${field}[${i}]`);
}

function optionalUint64Num(v: unknown, field: string): number {
  return v === undefined || v === null ? 0 : uint64Num(v, field);
}

function int64Num(v: unknown, field: string): number {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) {
      // + 0 turns -0 into 0: an integer has no negative zero (protobuf cannot carry one either).
      if (v <= 9007199254740992 && v >= -9007199254740992) return v + 0;
      return fail(`${field} ${BigInt(v)} is beyond ±2^53 and cannot be represented exactly`);
    }
  } else if (typeof v === 'string' && INT.test(v)) {
    if (v.length < 16) return Number(v) + 0;
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
  return n + 0;
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
  const items = list((b.resourceMetrics ?? b.resource_metrics), 'resourceMetrics');
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
  const items = list((o.scopeMetrics ?? o.scope_metrics), 'scopeMetrics');
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
  const data = [o.gauge, o.sum, o.histogram, (o.exponentialHistogram ?? o.exponential_histogram), o.summary];
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
    m.temporality = temporalityOf(temporality((o.aggregationTemporality ?? o.aggregation_temporality)));
  }
  if (k === K_SUM) m.monotonic = bool((o.isMonotonic ?? o.is_monotonic), 'isMonotonic');
  const items = list((o.dataPoints ?? o.data_points), 'dataPoints');
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
  const start = startTime(o);
  const time = endTime(o);
  const d = (o.asDouble ?? o.as_double);
  const n = (o.asInt ?? o.as_int);
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
  const start = startTime(o);
  const time = endTime(o);
  const rawCounts = list((o.bucketCounts ?? o.bucket_counts), 'bucketCounts');
  const bucketCounts: number[] = [];
  for (let i = 0; i < rawCounts.length; i++) bucketCounts.push(uint64NumAt(rawCounts[i], 'bucketCounts', i));
  const rawBounds = list((o.explicitBounds ?? o.explicit_bounds), 'explicitBounds');
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
    const raw = list((o.bucketCounts ?? o.bucket_counts), 'bucketCounts');
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
  const start = startTime(o);
  const time = endTime(o);
  const h: OtlpExponentialHistogram = {
    count: optionalUint64Num(o.count, 'count'),
    sum: optionalDouble(o.sum, 'sum'),
    min: optionalDouble(o.min, 'min'),
    max: optionalDouble(o.max, 'max'),
    scale: int32(o.scale, 'scale', I32_MIN, I32_MAX),
    zeroCount: optionalUint64Num((o.zeroCount ?? o.zero_count), 'zeroCount'),
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
  const start = startTime(o);
  const time = endTime(o);
  const raw = list((o.quantileValues ?? o.quantile_values), 'quantileValues');
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

function bytes(v: unknown, field: string): string {
  if (typeof v !== 'string' || !BASE64.test(v) || v.replace(/=+$/, '').length % 4 === 1) {
    fail(`${field} must be a base64 string, got ${describe(v)}`);
  }
  // Re-encode so standard, URL-safe and unpadded spellings all come out as the protobuf path writes them.
  return Buffer.from(v, 'base64').toString('base64');
}

const V_STRING = 1;
const V_BOOL = 2;
const V_INT = 3;
const V_DOUBLE = 4;
const V_ARRAY = 5;
const V_KVLIST = 6;
const V_BYTES = 7;

function anyValue(v: unknown, depth: number): OtlpAttributeValue {
  if (v === undefined || v === null) return null;
  if (depth >= MAX_VALUE_DEPTH) fail(`value is nested more than ${MAX_VALUE_DEPTH} levels deep`);
  const o = obj(v, 'an AnyValue');
  let out: OtlpAttributeValue = null;
  let setKey = '';
  // One pass over the (usually single) keys: cheaper than probing all fourteen spellings.
  for (const k in o) {
    let kind: number;
    switch (k) {
      case 'stringValue':
      case 'string_value':
        kind = V_STRING;
        break;
      case 'boolValue':
      case 'bool_value':
        kind = V_BOOL;
        break;
      case 'intValue':
      case 'int_value':
        kind = V_INT;
        break;
      case 'doubleValue':
      case 'double_value':
        kind = V_DOUBLE;
        break;
      case 'arrayValue':
      case 'array_value':
        kind = V_ARRAY;
        break;
      case 'kvlistValue':
      case 'kvlist_value':
        kind = V_KVLIST;
        break;
      case 'bytesValue':
      case 'bytes_value':
        kind = V_BYTES;
        break;
      default:
        continue;
    }
    const x = o[k];
    if (x === undefined || x === null) continue;
    if (setKey !== '') fail(`sets both ${setKey} and ${k}; an AnyValue holds one value`);
    setKey = k;
    switch (kind) {
      case V_STRING:
        out = string(x, k);
        break;
      case V_BOOL:
        out = bool(x, k);
        break;
      case V_INT:
        out = int64Num(x, k);
        break;
      case V_DOUBLE:
        out = checkFinite(double(x, k), k);
        break;
      case V_ARRAY:
        try {
          out = arrayValue(obj(x, k), depth);
        } catch (e) {
          throw at(e, k);
        }
        break;
      case V_KVLIST:
        try {
          out = kvlistValue(obj(x, k), depth);
        } catch (e) {
          throw at(e, k);
        }
        break;
      default:
        out = bytes(x, k);
    }
  }
  return out;
}

function arrayValue(o: Obj, depth: number): OtlpAttributeValue[] {
  const items = list(o.values, 'values');
  const arr: OtlpAttributeValue[] = [];
  for (let i = 0; i < items.length; i++) {
    try {
      arr.push(anyValue(items[i], depth + 1));
    } catch (e) {
      throw at(e, `values[${i}]`);
    }
  }
  return arr;
}

function kvlistValue(o: Obj, depth: number): { [k: string]: OtlpAttributeValue } {
  const items = list(o.values, 'values');
  const kv: { [k: string]: OtlpAttributeValue } = {};
  for (let i = 0; i < items.length; i++) {
    try {
      keyValue(items[i], kv, depth + 1);
    } catch (e) {
      throw at(e, `values[${i}]`);
    }
  }
  return kv;
}
