/**
 * safetensors (`safetensors` handler): an 8-byte little-endian header length N, N bytes of JSON
 * header, then the tensor data buffer. Loading runs no code, so the risks are in the structure:
 * a header that makes readers allocate or read out of bounds, or that two readers interpret
 * differently. Only the header is read (never the tensor data): a 2 GiB file scans in
 * milliseconds.
 *
 * Detection (content only): byte 8 is `{`, N >= 2, and N < 2^48 (bytes 6-7 zero, so text files
 * are never taken for a header length); not the GGUF magic. A header length beyond the file or
 * over the 100 MB limit is then a finding, not a non-detection.
 *
 * Checks, with the rules of the reference implementation (huggingface/safetensors):
 * - N <= 100,000,000 and 8 + N <= file size;
 * - the header is UTF-8 JSON, an object, parsed strictly (no duplicate keys, serde_json's
 *   nesting limit of 128, trailing whitespace allowed as the spec does);
 * - `__metadata__`, when present, maps strings to strings;
 * - every tensor has a known dtype, a shape of non-negative integers, `data_offsets` [begin, end]
 *   of non-negative integers with begin <= end and end inside the data buffer, and
 *   end - begin == product(shape) * itemsize with no 64-bit overflow;
 * - sorted by offset, the tensors neither overlap nor leave gaps, and they cover the whole buffer.
 *
 * Verdicts: what lets a reader allocate or read out of bounds, or makes two readers disagree
 * (header too large or outside the file, not JSON, duplicate keys, malformed or overflowing
 * tensor entries, size mismatches, out-of-bounds or overlapping ranges) is a structural attack:
 * `unsafe`. What is only invalid (an unknown dtype, non-string metadata, bytes no tensor covers)
 * cannot be proved valid but attacks no reader: `unknown`. The reference library refuses all of
 * these files, so a valid model is never flagged.
 */
import { type FormatHandler, LimitExceeded, type ScanContext } from '../context.js';
import { JsonError, type JsonValue, parseJson, utf8Offset } from '../jinja/json.js';
import type { ByteSource } from '../source.js';
import type { FileReport, Finding, Severity, Verdict } from '../types.js';

/** The reference library's MAX_HEADER_SIZE. */
export const SAFETENSORS_MAX_HEADER = 100_000_000;

/** Bits per element of every dtype the reference library knows. */
export const SAFETENSORS_DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8,
  I16: 16, U16: 16, F16: 16, BF16: 16,
  I32: 32, U32: 32, F32: 32,
  I64: 64, U64: 64, F64: 64, C64: 64,
  F4: 4, F6_E2M3: 6, F6_E3M2: 6,
};

const U64_MAX = (1n << 64n) - 1n;
const MAX_FINDINGS_PER_RULE = 50;

type RuleKey =
  | 'header-too-large' | 'header-out-of-bounds' | 'invalid-header' | 'duplicate-key' | 'invalid-metadata' | 'invalid-tensor'
  | 'unknown-dtype' | 'shape-overflow' | 'size-mismatch' | 'out-of-bounds' | 'overlap' | 'gap';

export const SAFETENSORS_RULES: Readonly<Record<RuleKey, { severity: Severity; verdict: Verdict }>> = {
  'header-too-large': { severity: 'high', verdict: 'unsafe' },
  'header-out-of-bounds': { severity: 'high', verdict: 'unsafe' },
  'invalid-header': { severity: 'high', verdict: 'unsafe' },
  'duplicate-key': { severity: 'high', verdict: 'unsafe' },
  'invalid-metadata': { severity: 'medium', verdict: 'unknown' },
  'invalid-tensor': { severity: 'high', verdict: 'unsafe' },
  'unknown-dtype': { severity: 'medium', verdict: 'unknown' },
  'shape-overflow': { severity: 'high', verdict: 'unsafe' },
  'size-mismatch': { severity: 'high', verdict: 'unsafe' },
  'out-of-bounds': { severity: 'high', verdict: 'unsafe' },
  overlap: { severity: 'high', verdict: 'unsafe' },
  gap: { severity: 'medium', verdict: 'unknown' },
};

interface TensorEntry {
  name: string;
  begin: bigint;
  end: bigint;
  pos: number;
}

class Findings {
  private readonly counts = new Map<string, number>();
  constructor(private readonly report: FileReport) {}

  add(rule: RuleKey, message: string, location?: Finding['location']): void {
    const n = (this.counts.get(rule) ?? 0) + 1;
    this.counts.set(rule, n);
    if (n > MAX_FINDINGS_PER_RULE) return;
    const r = SAFETENSORS_RULES[rule];
    this.report.findings.push({ ruleId: `safetensors.${rule}`, severity: r.severity, verdict: r.verdict, message, ...(location ? { location } : {}) });
  }

  summarize(): void {
    for (const [rule, n] of this.counts) {
      if (n > MAX_FINDINGS_PER_RULE) this.add(rule as RuleKey, `${n - MAX_FINDINGS_PER_RULE} more findings of this kind not listed`);
    }
  }
}

function headerLength(head: Buffer): bigint | null {
  if (head.length < 9) return null;
  return head.readBigUInt64LE(0);
}

export const safetensorsHandler: FormatHandler = {
  id: 'safetensors',
  detect(head) {
    if (head.length < 10 || head[8] !== 0x7b) return false;
    if (head[6] !== 0 || head[7] !== 0) return false;
    if (head.subarray(0, 4).toString('latin1') === 'GGUF') return false;
    const n = headerLength(head);
    return n !== null && n >= 2n;
  },
  async scan(ctx, source, report) {
    await scanSafetensors(ctx, source, report);
  },
};

async function scanSafetensors(ctx: ScanContext, source: ByteSource, report: FileReport): Promise<void> {
  const f = new Findings(report);
  const head = await source.read(0, 8);
  const n = Number(head.readBigUInt64LE(0));
  const details: Record<string, unknown> = { headerBytes: n };
  report.details = details;
  if (n > SAFETENSORS_MAX_HEADER) {
    f.add('header-too-large', `header length ${n} exceeds the ${SAFETENSORS_MAX_HEADER}-byte limit of the format (a memory-exhaustion attack on readers)`, { offset: 0 });
    return;
  }
  if (8 + n > source.size) {
    f.add('header-out-of-bounds', `header length ${n} runs past the end of the ${source.size}-byte file`, { offset: 0 });
    return;
  }
  if (n > ctx.limits.maxTextBytes) throw new LimitExceeded('maxTextBytes', `safetensors header of ${n} bytes exceeds the ${ctx.limits.maxTextBytes}-byte text limit`);
  const dataLen = BigInt(source.size - 8 - n);
  details.dataBytes = source.size - 8 - n;
  const buf = await source.read(8, n);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    f.add('invalid-header', 'header is not valid UTF-8', { offset: 8 });
    return;
  }
  const ascii = text.length === buf.length;
  const at = (pos: number) => 8 + (ascii ? pos : utf8Offset(text, pos));
  let root: JsonValue;
  try {
    root = parseJson(text, {
      onDuplicate: (key, pos, path) => f.add('duplicate-key', `duplicate key ${JSON.stringify(key)}${path ? ` in ${JSON.stringify(path)}` : ''}: readers disagree on which entry counts`, { offset: at(pos), path: path || key }),
      tick: () => ctx.checkTime(),
    });
  } catch (err) {
    if (!(err instanceof JsonError)) throw err;
    f.add('invalid-header', `header is not valid JSON: ${err.message}`, { offset: at(Math.min(err.pos, text.length)) });
    return;
  }
  if (root.t !== 'obj') {
    f.add('invalid-header', 'header is not a JSON object', { offset: 8 });
    return;
  }

  const dtypes: Record<string, number> = {};
  let params = 0n;
  const tensors: TensorEntry[] = [];
  let metadataKeys: string[] = [];
  let i = 0;
  for (const [name, v] of root.entries) {
    if ((++i & 1023) === 0) ctx.checkTime();
    if (name === '__metadata__') {
      if (v.t === 'null') continue;
      if (v.t !== 'obj') {
        f.add('invalid-metadata', '__metadata__ is not an object of strings', { offset: at(v.pos), path: name });
        continue;
      }
      metadataKeys = v.entries.map(([k]) => k);
      for (const [k, mv] of v.entries) {
        if (mv.t !== 'str') f.add('invalid-metadata', `__metadata__.${k} is a ${kindOf(mv)}, not a string`, { offset: at(mv.pos), path: `__metadata__.${k}` });
      }
      continue;
    }
    const loc = { offset: at(v.pos), path: name };
    if (v.t !== 'obj') {
      f.add('invalid-tensor', `tensor ${JSON.stringify(name)} is a ${kindOf(v)}, not an object`, loc);
      continue;
    }
    const field = (k: string) => v.entries.find(([key]) => key === k)?.[1];
    const dtypeV = field('dtype');
    const shapeV = field('shape');
    const offV = field('data_offsets');
    if (!dtypeV || dtypeV.t !== 'str') {
      f.add('invalid-tensor', `tensor ${JSON.stringify(name)}: dtype missing or not a string`, loc);
      continue;
    }
    const shape = shapeV?.t === 'arr' ? shapeV.items.map(toU64) : null;
    if (!shape || shape.some((d) => d === null)) {
      f.add('invalid-tensor', `tensor ${JSON.stringify(name)}: shape missing or not a list of non-negative 64-bit integers`, loc);
      continue;
    }
    const offs = offV?.t === 'arr' && offV.items.length === 2 ? offV.items.map(toU64) : null;
    if (!offs || offs[0] === null || offs[1] === null) {
      f.add('invalid-tensor', `tensor ${JSON.stringify(name)}: data_offsets missing or not [begin, end] non-negative 64-bit integers`, loc);
      continue;
    }
    const [begin, end] = offs as [bigint, bigint];
    const dtype = dtypeV.v;
    dtypes[dtype] = (dtypes[dtype] ?? 0) + 1;
    let nelements = 1n;
    let overflow = false;
    for (const d of shape as bigint[]) {
      nelements *= d;
      if (nelements > U64_MAX) overflow = true;
      if (overflow) break;
    }
    if (overflow) {
      f.add('shape-overflow', `tensor ${JSON.stringify(name)}: element count of shape [${shape.join(', ')}] overflows 64 bits`, loc);
      continue;
    }
    params += nelements;
    if (begin > end) {
      f.add('invalid-tensor', `tensor ${JSON.stringify(name)}: data_offsets begin ${begin} is after end ${end}`, loc);
      continue;
    }
    const bits = SAFETENSORS_DTYPE_BITS[dtype];
    if (bits === undefined) f.add('unknown-dtype', `tensor ${JSON.stringify(name)}: unknown dtype ${JSON.stringify(dtype)}; its size cannot be checked`, loc);
    else {
      const nbits = nelements * BigInt(bits);
      if (nbits > U64_MAX) f.add('shape-overflow', `tensor ${JSON.stringify(name)}: byte size of shape [${shape.join(', ')}] x ${dtype} overflows 64 bits`, loc);
      else if (nbits % 8n !== 0n) f.add('size-mismatch', `tensor ${JSON.stringify(name)}: ${nelements} elements of ${dtype} do not fill whole bytes`, loc);
      else if (end - begin !== nbits / 8n)
        f.add('size-mismatch', `tensor ${JSON.stringify(name)}: data_offsets span ${end - begin} bytes but shape [${shape.join(', ')}] x ${dtype} needs ${nbits / 8n}`, loc);
    }
    if (end > dataLen) {
      f.add('out-of-bounds', `tensor ${JSON.stringify(name)}: data_offsets [${begin}, ${end}] run past the ${dataLen}-byte data buffer`, loc);
      continue;
    }
    tensors.push({ name, begin, end, pos: v.pos });
  }

  // Layout: sorted by (begin, end), each tensor starts where the previous one ended.
  tensors.sort((a, b) => (a.begin < b.begin ? -1 : a.begin > b.begin ? 1 : a.end < b.end ? -1 : a.end > b.end ? 1 : 0));
  let covered = 0n;
  let prev: TensorEntry | null = null;
  for (const t of tensors) {
    const loc = { offset: at(t.pos), path: t.name };
    if (t.begin < covered) {
      f.add('overlap', `tensor ${JSON.stringify(t.name)} [${t.begin}, ${t.end}] overlaps ${prev ? JSON.stringify(prev.name) : 'another tensor'} (data up to ${covered})`, loc);
    } else if (t.begin > covered) {
      f.add('gap', `${t.begin - covered} bytes of the data buffer before tensor ${JSON.stringify(t.name)} belong to no tensor`, loc);
    }
    if (t.end > covered) {
      covered = t.end;
      prev = t;
    }
  }
  if (covered < dataLen) f.add('gap', `${dataLen - covered} bytes at the end of the data buffer belong to no tensor`, { offset: 8 + n + Number(covered) });
  f.summarize();

  details.tensors = root.entries.filter(([k]) => k !== '__metadata__').length;
  details.dtypes = dtypes;
  details.parameters = params <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(params) : params.toString();
  if (metadataKeys.length) details.metadataKeys = metadataKeys.slice(0, 100);
}

function toU64(v: JsonValue): bigint | null {
  if (v.t !== 'num' || !/^(0|[1-9]\d*)$/.test(v.raw)) return null;
  const b = BigInt(v.raw);
  return b > U64_MAX ? null : b;
}

function kindOf(v: JsonValue): string {
  return { obj: 'object', arr: 'list', str: 'string', num: 'number', bool: 'boolean', null: 'null' }[v.t];
}
