/**
 * Hand-written protobuf wire decoder for opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest
 * (field numbers from opentelemetry-proto metrics.proto / common.proto / resource.proto).
 * It reads the body in place through indices and a DataView, without per-byte allocation; repeated strings,
 * KeyValues and timestamps come from small caches, so steady-state decoding allocates little beyond the output.
 * Exemplars, schema URLs, dropped counts, metadata and Profiling-only string-table references are skipped.
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
  at,
  checkExponentialHistogram,
  checkFinite,
  checkHistogram,
  checkSummary,
  fail,
  int64ToNumber,
  putAttribute,
  temporalityOf,
  toStewardError,
  uint64ToNumber,
} from './otlp-common.js';

// Decoder state lives at module level: decoding is synchronous and never re-entered, and plain
// variables are cheaper than fields of a reader object on the per-field hot path.
const EMPTY = new Uint8Array(0);
const EMPTY_NODE = Buffer.alloc(0);
const EMPTY_VIEW = new DataView(EMPTY.buffer);
let buf: Uint8Array = EMPTY;
/** The same bytes as a Buffer, for native ASCII string extraction. */
let bufNode: Buffer = EMPTY_NODE;
let view: DataView = EMPTY_VIEW;
let pos = 0;
/** Unsigned 32-bit halves of the last varint read. */
let vlo = 0;
let vhi = 0;

export function decodeOtlpMetricsProtobuf(body: Uint8Array): OtlpResourceMetrics[] {
  // A plain Uint8Array view even when handed a Buffer: element access on one receiver type stays monomorphic.
  buf = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  bufNode = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  pos = 0;
  try {
    return request(body.length);
  } catch (e) {
    throw toStewardError(e);
  } finally {
    // Do not keep the last request body (or a decoded value) alive.
    buf = EMPTY;
    bufNode = EMPTY_NODE;
    view = EMPTY_VIEW;
    lastValue = null;
  }
}

// ---------------------------------------------------------------------------------------------
// Wire primitives. `end` is the end of the message being read; nothing may be read past it.

const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32', 'invalid (6)', 'invalid (7)'];

function truncated(what: string, start: number, end: number): never {
  const container = end === buf.length ? `the body ends at byte ${end}` : `its enclosing message ends at byte ${end}`;
  return fail(`truncated protobuf: ${what} at byte ${start} runs past the end (${container})`);
}

function varint(end: number): number {
  let p = pos;
  if (p >= end) truncated('varint', p, end);
  let b = buf[p++]!;
  if (b < 0x80) {
    pos = p;
    vlo = b;
    vhi = 0;
    return b;
  }
  let lo = b & 0x7f;
  for (let shift = 7; shift < 28; shift += 7) {
    if (p >= end) truncated('varint', pos, end);
    b = buf[p++]!;
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      pos = p;
      vlo = lo;
      vhi = 0;
      return lo;
    }
  }
  if (p >= end) truncated('varint', pos, end);
  b = buf[p++]!;
  lo = (lo | (b << 28)) >>> 0;
  let hi = (b & 0x7f) >>> 4;
  if (b >= 0x80) {
    for (let shift = 3; ; shift += 7) {
      if (p >= end) truncated('varint', pos, end);
      b = buf[p++]!;
      // The 10th byte carries only bit 63; anything more overflows 64 bits.
      if (shift === 31 && b > 1) fail(`invalid protobuf: varint at byte ${pos} overflows 64 bits`);
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    hi >>>= 0;
  }
  pos = p;
  vlo = lo;
  vhi = hi;
  return hi * 4294967296 + lo;
}

function tag(end: number): number {
  const start = pos;
  const t = varint(end);
  // Field numbers are 1 .. 2^29-1, so a valid tag is a non-zero uint32 with field >= 1.
  if (t < 8 || vhi !== 0) fail(`invalid protobuf: tag ${t} at byte ${start} has field number ${Math.floor(t / 8)}, want 1 .. 536870911`);
  return t;
}

/** Reads a length prefix and checks the payload fits in the current message. */
function len(end: number): number {
  const start = pos;
  const n = varint(end);
  if (n > end - pos) truncated(`length-delimited field of ${n} bytes`, start, end);
  return n;
}

function need(n: number, end: number): void {
  if (end - pos < n) truncated(`${n}-byte fixed-width field`, pos, end);
}

type FieldTable = Readonly<Record<number, readonly [name: string, wireType: number]>>;

/** Skips a field the decoder does not read, after checking a known field number has the right wire type. */
function skipField(t: number, end: number, known: FieldTable): void {
  const field = t >>> 3;
  const wt = t & 7;
  const k = known[field];
  if (k !== undefined && k[1] !== wt) {
    fail(`invalid protobuf: field ${field} (${k[0]}) at byte ${pos} has wire type ${wt} (${WIRE_NAMES[wt]}), want ${k[1]} (${WIRE_NAMES[k[1]]})`);
  }
  skipWire(wt, field, end);
}

function skipWire(wt: number, field: number, end: number): void {
  switch (wt) {
    case 0:
      varint(end);
      return;
    case 1:
      need(8, end);
      pos += 8;
      return;
    case 2: {
      // Not `pos += len(end)`: that would read pos before len() advances it past the length prefix.
      const n = len(end);
      pos += n;
      return;
    }
    case 5:
      need(4, end);
      pos += 4;
      return;
    case 3:
    case 4:
      return fail(`invalid protobuf: field ${field} at byte ${pos} uses the group wire type ${wt}, which OTLP never uses`);
    default:
      return fail(`invalid protobuf: field ${field} at byte ${pos} has invalid wire type ${wt}`);
  }
}

function skipLen(end: number): void {
  const n = len(end);
  pos += n;
}

// Points of one request mostly share their timestamps: remember the last one per field (0 start, 1 time)
// and skip allocating a new BigInt when it repeats.
const stampLo = new Uint32Array(2);
const stampHi = new Uint32Array(2);
const stampValue: bigint[] = [0n, 0n];

function timestamp(end: number, which: 0 | 1): bigint {
  need(8, end);
  const lo = view.getUint32(pos, true);
  const hi = view.getUint32(pos + 4, true);
  pos += 8;
  if (lo === stampLo[which] && hi === stampHi[which]) return stampValue[which]!;
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  stampLo[which] = lo;
  stampHi[which] = hi;
  stampValue[which] = v;
  return v;
}

function double(end: number): number {
  need(8, end);
  const v = view.getFloat64(pos, true);
  pos += 8;
  return v;
}

function uint64Fixed(end: number, field: string): number {
  need(8, end);
  const lo = view.getUint32(pos, true);
  const hi = view.getUint32(pos + 4, true);
  pos += 8;
  return hi < 0x200000 ? hi * 4294967296 + lo : uint64ToNumber(hi, lo, field);
}

function zigzag32(): number {
  return (vlo >>> 1) ^ -(vlo & 1);
}

// ---------------------------------------------------------------------------------------------
// Caches. Attribute keys and values repeat across points and requests, so short strings, and whole
// KeyValue messages with a scalar value, go through direct-mapped caches keyed by their bytes: a
// hash-and-compare pass is much cheaper than decoding, and a hit allocates nothing. Identical bytes
// decode identically, so a hit needs no re-validation. A collision simply replaces the slot.

/** Direct-mapped cache from short byte strings of the body to decoded values. */
class ByteCache<T> {
  private readonly bytes: Uint8Array;
  private readonly bytesView: DataView;
  private readonly lengths: Int32Array;
  private readonly values: Array<T | undefined>;
  /** Slot picked by the last get(), reused by set(). */
  private slot = 0;

  constructor(
    private readonly slots: number,
    readonly maxBytes: number,
  ) {
    this.bytes = new Uint8Array(slots * maxBytes);
    this.bytesView = new DataView(this.bytes.buffer);
    this.lengths = new Int32Array(slots);
    this.values = new Array<T | undefined>(slots).fill(undefined);
  }

  /** Value cached for buf[start, start + n), n in 1 .. maxBytes. */
  get(start: number, n: number): T | undefined {
    const v = view;
    const end = start + n;
    // Hash a sample (length, first, middle and last 4 bytes): O(1) per lookup; hits are verified in full.
    let h: number;
    if (n >= 4) {
      h = Math.imul(n ^ v.getInt32(start, true), 0x9e3779b1);
      h = Math.imul(h ^ v.getInt32(start + (n >> 1) - 2, true), 0x85ebca6b);
      h = Math.imul(h ^ v.getInt32(end - 4, true), 0xc2b2ae35);
    } else {
      h = Math.imul(n | (buf[start]! << 8) | (buf[end - 1]! << 16) | (buf[start + (n >> 1)]! << 24), 0x9e3779b1);
    }
    const slot = (h ^ (h >>> 16)) & (this.slots - 1);
    this.slot = slot;
    if (this.lengths[slot] !== n) return undefined;
    const base = slot * this.maxBytes;
    if (n >= 4) {
      // Compare 4 bytes at a time; the last word overlaps the previous one instead of a byte-wise tail.
      const bv = this.bytesView;
      const last = n - 4;
      for (let i = 0; i < last; i += 4) if (bv.getInt32(base + i, true) !== v.getInt32(start + i, true)) return undefined;
      return bv.getInt32(base + last, true) === v.getInt32(start + last, true) ? this.values[slot] : undefined;
    }
    const bytes = this.bytes;
    for (let i = 0; i < n; i++) if (bytes[base + i] !== buf[start + i]) return undefined;
    return this.values[slot];
  }

  /** Stores a value for the bytes of the last get(). */
  set(start: number, n: number, v: T): void {
    const slot = this.slot;
    const base = slot * this.maxBytes;
    const bytes = this.bytes;
    for (let i = 0; i < n; i++) bytes[base + i] = buf[start + i]!;
    this.lengths[slot] = n;
    this.values[slot] = v;
  }
}

const stringCache = new ByteCache<string>(4096, 64);

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUncached(start: number, end: number, field: string): string {
  let bits = 0;
  for (let i = start; i < end; i++) bits |= buf[i]!;
  // ASCII is valid UTF-8 and is copied out natively; anything else goes through the fatal decoder.
  if (bits < 0x80) return bufNode.toString('latin1', start, end);
  try {
    return utf8.decode(buf.subarray(start, end));
  } catch {
    return fail(`${field} is not valid UTF-8`);
  }
}

function text(start: number, end: number, field: string): string {
  const n = end - start;
  if (n === 0) return '';
  if (n > stringCache.maxBytes) return decodeUncached(start, end, field);
  const hit = stringCache.get(start, n);
  if (hit !== undefined) return hit;
  const s = decodeUncached(start, end, field);
  stringCache.set(start, n, s);
  return s;
}

function str(end: number, field: string): string {
  const n = len(end);
  const start = pos;
  pos += n;
  return text(start, pos, field);
}

// ---------------------------------------------------------------------------------------------
// Messages. Each reads fields until its end; a repeated message's problems get its index added
// to the path as they propagate. Repeated singular messages merge, as protobuf specifies.

const REQUEST_FIELDS: FieldTable = { 1: ['resourceMetrics', 2] };

function request(end: number): OtlpResourceMetrics[] {
  const out: OtlpResourceMetrics[] = [];
  while (pos < end) {
    const t = tag(end);
    if (t === 10) {
      const i = out.length;
      try {
        const n = len(end);
        out.push(resourceMetrics(pos + n));
      } catch (e) {
        throw at(e, `resourceMetrics[${i}]`);
      }
    } else skipField(t, end, REQUEST_FIELDS);
  }
  return out;
}

const RESOURCE_METRICS_FIELDS: FieldTable = { 1: ['resource', 2], 2: ['scopeMetrics', 2], 3: ['schemaUrl', 2] };

function resourceMetrics(end: number): OtlpResourceMetrics {
  const resource: Record<string, OtlpAttributeValue> = {};
  const scopes: OtlpScopeMetrics[] = [];
  while (pos < end) {
    const t = tag(end);
    switch (t) {
      case 10:
        try {
          const n = len(end);
          resourceMessage(pos + n, resource);
        } catch (e) {
          throw at(e, 'resource');
        }
        break;
      case 18: {
        const i = scopes.length;
        try {
          const n = len(end);
          scopes.push(scopeMetrics(pos + n));
        } catch (e) {
          throw at(e, `scopeMetrics[${i}]`);
        }
        break;
      }
      case 26:
        skipLen(end);
        break;
      default:
        skipField(t, end, RESOURCE_METRICS_FIELDS);
    }
  }
  return { resource, scopes };
}

const RESOURCE_FIELDS: FieldTable = { 1: ['attributes', 2], 2: ['droppedAttributesCount', 0], 3: ['entityRefs', 2] };

function resourceMessage(end: number, attributes: Record<string, OtlpAttributeValue>): void {
  let ai = 0;
  while (pos < end) {
    const t = tag(end);
    if (t === 10) attribute(end, attributes, ai++);
    else skipField(t, end, RESOURCE_FIELDS);
  }
}

const SCOPE_METRICS_FIELDS: FieldTable = { 1: ['scope', 2], 2: ['metrics', 2], 3: ['schemaUrl', 2] };

function scopeMetrics(end: number): OtlpScopeMetrics {
  const s: OtlpScopeMetrics = { name: '', version: '', attributes: {}, metrics: [] };
  while (pos < end) {
    const t = tag(end);
    switch (t) {
      case 10:
        try {
          const n = len(end);
          scopeMessage(pos + n, s);
        } catch (e) {
          throw at(e, 'scope');
        }
        break;
      case 18: {
        const i = s.metrics.length;
        try {
          const n = len(end);
          s.metrics.push(metric(pos + n));
        } catch (e) {
          throw at(e, `metrics[${i}]`);
        }
        break;
      }
      case 26:
        skipLen(end);
        break;
      default:
        skipField(t, end, SCOPE_METRICS_FIELDS);
    }
  }
  return s;
}

const SCOPE_FIELDS: FieldTable = { 1: ['name', 2], 2: ['version', 2], 3: ['attributes', 2], 4: ['droppedAttributesCount', 0] };

function scopeMessage(end: number, s: OtlpScopeMetrics): void {
  let ai = 0;
  while (pos < end) {
    const t = tag(end);
    switch (t) {
      case 10:
        s.name = str(end, 'name');
        break;
      case 18:
        s.version = str(end, 'version');
        break;
      case 26:
        attribute(end, s.attributes, ai++);
        break;
      default:
        skipField(t, end, SCOPE_FIELDS);
    }
  }
}

const METRIC_FIELDS: FieldTable = {
  1: ['name', 2],
  2: ['description', 2],
  3: ['unit', 2],
  5: ['gauge', 2],
  7: ['sum', 2],
  9: ['histogram', 2],
  10: ['exponentialHistogram', 2],
  11: ['summary', 2],
  12: ['metadata', 2],
};

const K_GAUGE = 0;
const K_SUM = 1;
const K_HISTOGRAM = 2;
const K_EXP = 3;
const K_SUMMARY = 4;

function metric(end: number): OtlpMetric {
  const m: OtlpMetric = { name: '', unit: '', description: '', kind: 'gauge', temporality: null, monotonic: null, points: [] };
  let kind = -1;
  while (pos < end) {
    const t = tag(end);
    let k: number;
    switch (t) {
      case 10:
        m.name = str(end, 'name');
        continue;
      case 18:
        m.description = str(end, 'description');
        continue;
      case 26:
        m.unit = str(end, 'unit');
        continue;
      case 42:
        k = K_GAUGE;
        break;
      case 58:
        k = K_SUM;
        break;
      case 74:
        k = K_HISTOGRAM;
        break;
      case 82:
        k = K_EXP;
        break;
      case 90:
        k = K_SUMMARY;
        break;
      default:
        // metadata (12) and unknown fields
        skipField(t, end, METRIC_FIELDS);
        continue;
    }
    // Protobuf would let the last oneof member win; silently dropping data is worse than refusing.
    if (kind !== -1 && kind !== k) fail(`has both ${KIND_NAMES[kind]} and ${KIND_NAMES[k]}; a metric carries exactly one kind of data`);
    if (kind === -1) {
      m.kind = KIND_NAMES[k]!;
      if (k === K_SUM || k === K_HISTOGRAM || k === K_EXP) m.temporality = 'unspecified';
      if (k === K_SUM) m.monotonic = false;
    }
    kind = k;
    try {
      const n = len(end);
      dataMessage(pos + n, m, k);
    } catch (e) {
      throw at(e, KIND_NAMES[k]!);
    }
  }
  if (m.name === '') fail('metric has no name');
  if (kind === -1) fail(`metric ${JSON.stringify(m.name)} has no data: none of gauge, sum, histogram, exponentialHistogram, summary is set`);
  return m;
}

const DATA_FIELDS: readonly FieldTable[] = [
  { 1: ['dataPoints', 2] },
  { 1: ['dataPoints', 2], 2: ['aggregationTemporality', 0], 3: ['isMonotonic', 0] },
  { 1: ['dataPoints', 2], 2: ['aggregationTemporality', 0] },
  { 1: ['dataPoints', 2], 2: ['aggregationTemporality', 0] },
  { 1: ['dataPoints', 2] },
];

/** Gauge, Sum, Histogram, ExponentialHistogram and Summary share the layout: 1 data_points, 2 temporality, 3 is_monotonic. */
function dataMessage(end: number, m: OtlpMetric, k: number): void {
  const points = m.points;
  let pi = 0;
  while (pos < end) {
    const t = tag(end);
    if (t === 10) {
      const i = pi++;
      try {
        const n = len(end);
        const e = pos + n;
        const p =
          k === K_GAUGE || k === K_SUM ? numberPoint(e) : k === K_HISTOGRAM ? histogramPoint(e) : k === K_EXP ? expPoint(e) : summaryPoint(e);
        if (p !== null) points.push(p);
      } catch (e) {
        throw at(e, `dataPoints[${i}]`);
      }
    } else if (t === 16 && k !== K_GAUGE && k !== K_SUMMARY) {
      const v = varint(end);
      // Enums are int32: negative values arrive as 10-byte varints.
      m.temporality = temporalityOf(vhi >= 0x80000000 ? vlo | 0 : v);
    } else if (t === 24 && k === K_SUM) {
      m.monotonic = varint(end) !== 0;
    } else skipField(t, end, DATA_FIELDS[k]!);
  }
}

// Duplicate-key checks cost a keyed lookup per attribute. Consecutive points usually list the same
// keys in the same order, so remember the last checked key sequence (always duplicate-free): while a
// point's list repeats it position by position, its keys are known to be distinct.
const seenKeys: string[] = [];
let seenLength = 0;
let following = false;

/** Inserts attribute i of a point's list, i counting from 0 within that one point. */
function addPointAttribute(attributes: Record<string, OtlpAttributeValue>, i: number, key: string, value: OtlpAttributeValue): void {
  if (i === 0) following = true;
  if (following && i < seenLength && seenKeys[i] === key) {
    if (key === '__proto__') putAttribute(attributes, key, value);
    else attributes[key] = value;
    return;
  }
  following = false;
  putAttribute(attributes, key, value);
  // seenKeys[0, i) equals this list's keys so far (followed, or set on the previous calls), so the
  // sequence stays duplicate-free.
  seenKeys[i] = key;
  seenLength = i + 1;
}

/** One entry of a resource's or scope's attributes list: rare, so no caching. */
function attribute(end: number, attributes: Record<string, OtlpAttributeValue>, i: number): void {
  try {
    const n = len(end);
    keyValue(pos + n, 0);
    putAttribute(attributes, lastKey, lastValue);
  } catch (e) {
    throw at(e, `attributes[${i}]`);
  }
}

interface CachedKeyValue {
  key: string;
  value: string | number | boolean | null;
}
const keyValueCache = new ByteCache<CachedKeyValue>(4096, 96);

/** One entry of a data point's attributes list. */
function pointAttribute(end: number, attributes: Record<string, OtlpAttributeValue>, i: number): void {
  try {
    const n = len(end);
    const start = pos;
    if (n > 0 && n <= keyValueCache.maxBytes) {
      const hit = keyValueCache.get(start, n);
      if (hit !== undefined) {
        pos = start + n;
        addPointAttribute(attributes, i, hit.key, hit.value);
        return;
      }
      keyValue(start + n, 0);
      const v = lastValue;
      // Arrays and kvlists are mutable objects and must not be shared between points.
      if (v === null || typeof v !== 'object') keyValueCache.set(start, n, { key: lastKey, value: v });
    } else {
      keyValue(start + n, 0);
    }
    addPointAttribute(attributes, i, lastKey, lastValue);
  } catch (e) {
    throw at(e, `attributes[${i}]`);
  }
}

const NUMBER_POINT_FIELDS: FieldTable = {
  2: ['startTimeUnixNano', 1],
  3: ['timeUnixNano', 1],
  4: ['asDouble', 1],
  5: ['exemplars', 2],
  6: ['asInt', 1],
  7: ['attributes', 2],
  8: ['flags', 0],
};

function numberPoint(end: number): OtlpPoint | null {
  const attributes: Record<string, OtlpAttributeValue> = {};
  let start = 0n;
  let time = 0n;
  let value = 0;
  let has = 0; // 1 asDouble, 2 asInt
  let flags = 0;
  let ai = 0;
  while (pos < end) {
    const t = tag(end);
    switch (t) {
      case 17:
        start = timestamp(end, 0);
        break;
      case 25:
        time = timestamp(end, 1);
        break;
      case 33:
        value = double(end);
        has |= 1;
        break;
      case 49:
        need(8, end);
        value = int64ToNumber(view.getInt32(pos + 4, true), view.getUint32(pos, true), 'asInt');
        pos += 8;
        has |= 2;
        break;
      case 58:
        pointAttribute(end, attributes, ai++);
        break;
      case 42:
        skipLen(end);
        break;
      case 64:
        varint(end);
        flags = vlo;
        break;
      default:
        skipField(t, end, NUMBER_POINT_FIELDS);
    }
  }
  if ((flags & FLAG_NO_RECORDED_VALUE) !== 0) return null;
  if (has === 0) fail('has neither asDouble nor asInt');
  if (has === 3) fail('has both asDouble and asInt; a point carries one value');
  if (has === 1) checkFinite(value, 'asDouble');
  return { attributes, startTimeUnixNano: start, timeUnixNano: time, value };
}

function packedFixed64Counts(end: number, out: number[], field: string): void {
  const n = len(end);
  if (n % 8 !== 0) fail(`packed ${field} is ${n} bytes long, not a multiple of 8`);
  const e = pos + n;
  for (let p = pos; p < e; p += 8) {
    const lo = view.getUint32(p, true);
    const hi = view.getUint32(p + 4, true);
    out.push(hi < 0x200000 ? hi * 4294967296 + lo : uint64ToNumber(hi, lo, `${field}[${out.length}]`));
  }
  pos = e;
}

function packedDoubles(end: number, out: number[], field: string): void {
  const n = len(end);
  if (n % 8 !== 0) fail(`packed ${field} is ${n} bytes long, not a multiple of 8`);
  const e = pos + n;
  for (let p = pos; p < e; p += 8) out.push(view.getFloat64(p, true));
  pos = e;
}

const HISTOGRAM_POINT_FIELDS: FieldTable = {
  2: ['startTimeUnixNano', 1],
  3: ['timeUnixNano', 1],
  4: ['count', 1],
  5: ['sum', 1],
  6: ['bucketCounts', 2],
  7: ['explicitBounds', 2],
  8: ['exemplars', 2],
  9: ['attributes', 2],
  10: ['flags', 0],
  11: ['min', 1],
  12: ['max', 1],
};

function histogramPoint(end: number): OtlpPoint | null {
  const attributes: Record<string, OtlpAttributeValue> = {};
  const h: OtlpHistogram = { count: 0, sum: null, min: null, max: null, explicitBounds: [], bucketCounts: [] };
  let start = 0n;
  let time = 0n;
  let flags = 0;
  let ai = 0;
  while (pos < end) {
    const t = tag(end);
    switch (t) {
      case 17:
        start = timestamp(end, 0);
        break;
      case 25:
        time = timestamp(end, 1);
        break;
      case 33:
        h.count = uint64Fixed(end, 'count');
        break;
      case 41:
        h.sum = double(end);
        break;
      case 50:
        packedFixed64Counts(end, h.bucketCounts, 'bucketCounts');
        break;
      case 49: // unpacked repeated fixed64, which parsers must also accept
        h.bucketCounts.push(uint64Fixed(end, `bucketCounts[${h.bucketCounts.length}]`));
        break;
      case 58:
        packedDoubles(end, h.explicitBounds, 'explicitBounds');
        break;
      case 57:
        h.explicitBounds.push(double(end));
        break;
      case 66:
        skipLen(end);
        break;
      case 74:
        pointAttribute(end, attributes, ai++);
        break;
      case 80:
        varint(end);
        flags = vlo;
        break;
      case 89:
        h.min = double(end);
        break;
      case 97:
        h.max = double(end);
        break;
      default:
        skipField(t, end, HISTOGRAM_POINT_FIELDS);
    }
  }
  if ((flags & FLAG_NO_RECORDED_VALUE) !== 0) return null;
  checkHistogram(h);
  return { attributes, startTimeUnixNano: start, timeUnixNano: time, histogram: h };
}

const EXP_POINT_FIELDS: FieldTable = {
  1: ['attributes', 2],
  2: ['startTimeUnixNano', 1],
  3: ['timeUnixNano', 1],
  4: ['count', 1],
  5: ['sum', 1],
  6: ['scale', 0],
  7: ['zeroCount', 1],
  8: ['positive', 2],
  9: ['negative', 2],
  10: ['flags', 0],
  11: ['exemplars', 2],
  12: ['min', 1],
  13: ['max', 1],
  14: ['zeroThreshold', 1],
};

function expPoint(end: number): OtlpPoint | null {
  const attributes: Record<string, OtlpAttributeValue> = {};
  const h: OtlpExponentialHistogram = {
    count: 0,
    sum: null,
    min: null,
    max: null,
    scale: 0,
    zeroCount: 0,
    positive: { offset: 0, bucketCounts: [] },
    negative: { offset: 0, bucketCounts: [] },
  };
  let start = 0n;
  let time = 0n;
  let flags = 0;
  let ai = 0;
  while (pos < end) {
    const t = tag(end);
    switch (t) {
      case 10:
        pointAttribute(end, attributes, ai++);
        break;
      case 17:
        start = timestamp(end, 0);
        break;
      case 25:
        time = timestamp(end, 1);
        break;
      case 33:
        h.count = uint64Fixed(end, 'count');
        break;
      case 41:
        h.sum = double(end);
        break;
      case 48:
        varint(end);
        h.scale = zigzag32();
        break;
      case 57:
        h.zeroCount = uint64Fixed(end, 'zeroCount');
        break;
      case 66:
      case 74: {
        const side = t === 66 ? 'positive' : 'negative';
        try {
          const n = len(end);
          buckets(pos + n, h[side]);
        } catch (e) {
          throw at(e, side);
        }
        break;
      }
      case 80:
        varint(end);
        flags = vlo;
        break;
      case 90:
        skipLen(end);
        break;
      case 97:
        h.min = double(end);
        break;
      case 105:
        h.max = double(end);
        break;
      case 113:
        double(end); // zero_threshold: not part of Steward's view of the point
        break;
      default:
        skipField(t, end, EXP_POINT_FIELDS);
    }
  }
  if ((flags & FLAG_NO_RECORDED_VALUE) !== 0) return null;
  checkExponentialHistogram(h);
  return { attributes, startTimeUnixNano: start, timeUnixNano: time, exponentialHistogram: h };
}

const BUCKETS_FIELDS: FieldTable = { 1: ['offset', 0], 2: ['bucketCounts', 2] };

function bucketCount(out: number[]): void {
  if (vhi >= 0x200000) uint64ToNumber(vhi, vlo, `bucketCounts[${out.length}]`);
  out.push(vhi * 4294967296 + vlo);
}

function buckets(end: number, b: { offset: number; bucketCounts: number[] }): void {
  while (pos < end) {
    const t = tag(end);
    switch (t) {
      case 8:
        varint(end);
        b.offset = zigzag32();
        break;
      case 18: {
        const n = len(end);
        const e = pos + n;
        while (pos < e) {
          varint(e);
          bucketCount(b.bucketCounts);
        }
        break;
      }
      case 16: // unpacked repeated uint64
        varint(end);
        bucketCount(b.bucketCounts);
        break;
      default:
        skipField(t, end, BUCKETS_FIELDS);
    }
  }
}

const SUMMARY_POINT_FIELDS: FieldTable = {
  2: ['startTimeUnixNano', 1],
  3: ['timeUnixNano', 1],
  4: ['count', 1],
  5: ['sum', 1],
  6: ['quantileValues', 2],
  7: ['attributes', 2],
  8: ['flags', 0],
};

function summaryPoint(end: number): OtlpPoint | null {
  const attributes: Record<string, OtlpAttributeValue> = {};
  const s: OtlpSummary = { count: 0, sum: 0, quantiles: [] };
  let start = 0n;
  let time = 0n;
  let flags = 0;
  let ai = 0;
  while (pos < end) {
    const t = tag(end);
    switch (t) {
      case 17:
        start = timestamp(end, 0);
        break;
      case 25:
        time = timestamp(end, 1);
        break;
      case 33:
        s.count = uint64Fixed(end, 'count');
        break;
      case 41:
        s.sum = double(end);
        break;
      case 50: {
        const i = s.quantiles.length;
        try {
          const n = len(end);
          s.quantiles.push(quantile(pos + n));
        } catch (e) {
          throw at(e, `quantileValues[${i}]`);
        }
        break;
      }
      case 58:
        pointAttribute(end, attributes, ai++);
        break;
      case 64:
        varint(end);
        flags = vlo;
        break;
      default:
        skipField(t, end, SUMMARY_POINT_FIELDS);
    }
  }
  if ((flags & FLAG_NO_RECORDED_VALUE) !== 0) return null;
  checkSummary(s);
  return { attributes, startTimeUnixNano: start, timeUnixNano: time, summary: s };
}

const QUANTILE_FIELDS: FieldTable = { 1: ['quantile', 1], 2: ['value', 1] };

function quantile(end: number): { quantile: number; value: number } {
  let q = 0;
  let v = 0;
  while (pos < end) {
    const t = tag(end);
    if (t === 9) q = double(end);
    else if (t === 17) v = double(end);
    else skipField(t, end, QUANTILE_FIELDS);
  }
  return { quantile: q, value: v };
}

// ---------------------------------------------------------------------------------------------
// KeyValue / AnyValue

const KEY_VALUE_FIELDS: FieldTable = { 1: ['key', 2], 2: ['value', 2], 3: ['keyStrindex', 0] };

/** Decodes a KeyValue into lastKey / lastValue; the caller inserts it. */
function keyValue(end: number, depth: number): void {
  let key = '';
  let value: OtlpAttributeValue = null;
  while (pos < end) {
    const t = tag(end);
    switch (t) {
      case 10:
        key = str(end, 'key');
        break;
      case 18:
        try {
          const n = len(end);
          value = anyValue(pos + n, depth);
        } catch (e) {
          throw at(e, 'value');
        }
        break;
      case 24: // key_strindex: Profiling only; the spec asks other signals to ignore it
        varint(end);
        break;
      default:
        skipField(t, end, KEY_VALUE_FIELDS);
    }
  }
  lastKey = key;
  lastValue = value;
}

/** What the last keyValue() decoded, for the KeyValue cache. */
let lastKey = '';
let lastValue: OtlpAttributeValue = null;

const ANY_VALUE_FIELDS: FieldTable = {
  1: ['stringValue', 2],
  2: ['boolValue', 0],
  3: ['intValue', 0],
  4: ['doubleValue', 1],
  5: ['arrayValue', 2],
  6: ['kvlistValue', 2],
  7: ['bytesValue', 2],
  8: ['stringValueStrindex', 0],
};

function anyValue(end: number, depth: number): OtlpAttributeValue {
  if (depth >= MAX_VALUE_DEPTH) fail(`value is nested more than ${MAX_VALUE_DEPTH} levels deep`);
  let v: OtlpAttributeValue = null;
  while (pos < end) {
    const t = tag(end);
    switch (t) {
      case 10:
        v = str(end, 'stringValue');
        break;
      case 16:
        v = varint(end) !== 0;
        break;
      case 24:
        varint(end);
        v = int64ToNumber(vhi | 0, vlo, 'intValue');
        break;
      case 33:
        v = checkFinite(double(end), 'doubleValue');
        break;
      case 42:
        try {
          const n = len(end);
          v = arrayValue(pos + n, depth + 1);
        } catch (e) {
          throw at(e, 'arrayValue');
        }
        break;
      case 50:
        try {
          const n = len(end);
          v = kvlistValue(pos + n, depth + 1);
        } catch (e) {
          throw at(e, 'kvlistValue');
        }
        break;
      case 58: {
        const n = len(end);
        v = Buffer.from(buf.buffer, buf.byteOffset + pos, n).toString('base64');
        pos += n;
        break;
      }
      case 64: // string_value_strindex: Profiling only, ignored as the spec asks
        varint(end);
        break;
      default:
        skipField(t, end, ANY_VALUE_FIELDS);
    }
  }
  return v;
}

const LIST_FIELDS: FieldTable = { 1: ['values', 2] };

function arrayValue(end: number, depth: number): OtlpAttributeValue[] {
  const out: OtlpAttributeValue[] = [];
  while (pos < end) {
    const t = tag(end);
    if (t === 10) {
      const i = out.length;
      try {
        const n = len(end);
        out.push(anyValue(pos + n, depth));
      } catch (e) {
        throw at(e, `values[${i}]`);
      }
    } else skipField(t, end, LIST_FIELDS);
  }
  return out;
}

function kvlistValue(end: number, depth: number): { [k: string]: OtlpAttributeValue } {
  const out: { [k: string]: OtlpAttributeValue } = {};
  let i = 0;
  while (pos < end) {
    const t = tag(end);
    if (t === 10) {
      const idx = i++;
      try {
        const n = len(end);
        keyValue(pos + n, depth);
        putAttribute(out, lastKey, lastValue);
      } catch (e) {
        throw at(e, `values[${idx}]`);
      }
    } else skipField(t, end, LIST_FIELDS);
  }
  return out;
}
