/**
 * GGUF (`gguf` handler), the llama.cpp model format: magic `GGUF`, a version, tensor and
 * metadata counts, metadata key/value pairs, tensor infos, then tensor data aligned to
 * `general.alignment` (default 32). Versions 2 and 3 use 64-bit counts and lengths; version 1 used
 * 32-bit ones (still parsed, although llama.cpp no longer loads it). Big-endian files (the version
 * reads byte-swapped) are parsed too.
 *
 * Only the header is read, through buffered ranged reads: metadata values that do not matter
 * (token arrays, tensor data) are skipped by length. Every declared count and length is checked
 * against the bytes left in the file before anything is allocated.
 *
 * Checks: version; counts and lengths that cannot fit in the file (allocation bombs); keys of at
 * most 65,535 bytes; value types; nested arrays (depth-limited); duplicate keys; the alignment
 * (a u32 power of two); tensor infos (unique names, at most 4 dimensions, no element-count
 * overflow, known type, first dimension a multiple of the type's block size); tensor data
 * aligned, inside the file, not overlapping, and packed the way llama.cpp expects.
 * `tokenizer.chat_template` and `tokenizer.chat_template.<name>` (and other string values whose
 * key names a template) are analysed as Jinja templates (see ../jinja).
 *
 * Verdicts: what makes a reader allocate or read out of bounds or disagree with another reader
 * (impossible counts/lengths, over-long keys, deep array nesting, duplicate keys or tensors, bad
 * alignment, too many dimensions, overflowing shapes, partial blocks, out-of-bounds or
 * overlapping data) is `unsafe` — llama.cpp's GGUF parser has had memory-safety bugs in exactly
 * these places. Unsupported versions, unknown types, a truncated file, misaligned offsets and
 * gaps cannot be proved valid: `unknown`.
 */
import { type FormatHandler, LimitExceeded, type ScanContext } from '../context.js';
import { checkTemplate } from '../jinja/index.js';
import type { ByteSource } from '../source.js';
import type { FileReport, Finding, Severity, Verdict } from '../types.js';

/** ggml tensor types: [name, elements per block, bytes per block]. Removed ids are absent. */
export const GGML_TYPES: ReadonlyMap<number, readonly [string, number, number]> = new Map([
  [0, ['F32', 1, 4]], [1, ['F16', 1, 2]], [2, ['Q4_0', 32, 18]], [3, ['Q4_1', 32, 20]],
  [6, ['Q5_0', 32, 22]], [7, ['Q5_1', 32, 24]], [8, ['Q8_0', 32, 34]], [9, ['Q8_1', 32, 36]],
  [10, ['Q2_K', 256, 84]], [11, ['Q3_K', 256, 110]], [12, ['Q4_K', 256, 144]], [13, ['Q5_K', 256, 176]],
  [14, ['Q6_K', 256, 210]], [15, ['Q8_K', 256, 292]], [16, ['IQ2_XXS', 256, 66]], [17, ['IQ2_XS', 256, 74]],
  [18, ['IQ3_XXS', 256, 98]], [19, ['IQ1_S', 256, 50]], [20, ['IQ4_NL', 32, 18]], [21, ['IQ3_S', 256, 110]],
  [22, ['IQ2_S', 256, 82]], [23, ['IQ4_XS', 256, 136]], [24, ['I8', 1, 1]], [25, ['I16', 1, 2]],
  [26, ['I32', 1, 4]], [27, ['I64', 1, 8]], [28, ['F64', 1, 8]], [29, ['IQ1_M', 256, 56]],
  [30, ['BF16', 1, 2]], [34, ['TQ1_0', 256, 54]], [35, ['TQ2_0', 256, 66]], [39, ['MXFP4', 32, 17]],
] as const);

/** Metadata value types: fixed sizes (0 for string/array). */
const VALUE_TYPES: readonly [string, number][] = [
  ['u8', 1], ['i8', 1], ['u16', 2], ['i16', 2], ['u32', 4], ['i32', 4], ['f32', 4], ['bool', 1],
  ['string', 0], ['array', 0], ['u64', 8], ['i64', 8], ['f64', 8],
];
const T_U32 = 4;
const T_STRING = 8;
const T_ARRAY = 9;

export const GGUF_MAX_KEY = 65_535;
export const GGUF_MAX_DIMS = 4;
/** llama.cpp's GGML_MAX_NAME: tensor names are at most 63 bytes. */
export const GGUF_MAX_TENSOR_NAME = 63;
export const GGUF_DEFAULT_ALIGNMENT = 32;
const MAX_ARRAY_NESTING = 16;
const MAX_TENSORS = 1_000_000;
const MAX_FINDINGS_PER_RULE = 50;
const CHUNK = 1 << 20;
const I64_MAX = (1n << 63n) - 1n;

type RuleKey =
  | 'unsupported-version' | 'legacy-version' | 'truncated' | 'allocation-bomb' | 'key-too-long' | 'invalid-value-type'
  | 'array-nesting' | 'duplicate-key' | 'invalid-alignment' | 'too-many-dims' | 'dims-overflow' | 'unknown-tensor-type'
  | 'block-size-mismatch' | 'duplicate-tensor' | 'tensor-name-too-long' | 'misaligned-offset' | 'tensor-out-of-bounds'
  | 'tensor-overlap' | 'data-gap' | 'chat-template-type';

export const GGUF_RULES: Readonly<Record<RuleKey, { severity: Severity; verdict: Verdict }>> = {
  'unsupported-version': { severity: 'medium', verdict: 'unknown' },
  'legacy-version': { severity: 'info', verdict: 'safe' },
  truncated: { severity: 'medium', verdict: 'unknown' },
  'allocation-bomb': { severity: 'high', verdict: 'unsafe' },
  'key-too-long': { severity: 'medium', verdict: 'unsafe' },
  'invalid-value-type': { severity: 'medium', verdict: 'unknown' },
  'array-nesting': { severity: 'medium', verdict: 'unsafe' },
  'duplicate-key': { severity: 'high', verdict: 'unsafe' },
  'invalid-alignment': { severity: 'medium', verdict: 'unsafe' },
  'too-many-dims': { severity: 'high', verdict: 'unsafe' },
  'dims-overflow': { severity: 'high', verdict: 'unsafe' },
  'unknown-tensor-type': { severity: 'low', verdict: 'unknown' },
  'block-size-mismatch': { severity: 'medium', verdict: 'unsafe' },
  'duplicate-tensor': { severity: 'high', verdict: 'unsafe' },
  'tensor-name-too-long': { severity: 'low', verdict: 'unknown' },
  'misaligned-offset': { severity: 'medium', verdict: 'unknown' },
  'tensor-out-of-bounds': { severity: 'high', verdict: 'unsafe' },
  'tensor-overlap': { severity: 'high', verdict: 'unsafe' },
  'data-gap': { severity: 'low', verdict: 'unknown' },
  'chat-template-type': { severity: 'medium', verdict: 'unknown' },
};

class Truncated extends Error {}
/** A structural error after which parsing cannot continue (the finding is already recorded). */
class Stop extends Error {}

/** Buffered little/big-endian reader over a ByteSource. */
class Reader {
  pos = 0;
  private buf: Buffer = Buffer.alloc(0);
  private bufStart = 0;

  constructor(
    private readonly src: ByteSource,
    readonly le: boolean,
  ) {}

  get size(): number {
    return this.src.size;
  }

  get remaining(): number {
    return this.src.size - this.pos;
  }

  private has(n: number): boolean {
    return this.pos >= this.bufStart && this.pos + n <= this.bufStart + this.buf.length;
  }

  async need(n: number): Promise<void> {
    if (this.has(n)) return;
    if (this.pos + n > this.src.size) throw new Truncated();
    this.buf = await this.src.read(this.pos, Math.max(n, Math.min(CHUNK, this.src.size - this.pos)));
    this.bufStart = this.pos;
    if (this.buf.length < n) throw new Truncated();
  }

  private at(): number {
    return this.pos - this.bufStart;
  }

  async u32(): Promise<number> {
    await this.need(4);
    const v = this.le ? this.buf.readUInt32LE(this.at()) : this.buf.readUInt32BE(this.at());
    this.pos += 4;
    return v;
  }

  async u64(): Promise<bigint> {
    await this.need(8);
    const v = this.le ? this.buf.readBigUInt64LE(this.at()) : this.buf.readBigUInt64BE(this.at());
    this.pos += 8;
    return v;
  }

  async bytes(n: number): Promise<Buffer> {
    if (n <= CHUNK) {
      await this.need(n);
      const b = this.buf.subarray(this.at(), this.at() + n);
      this.pos += n;
      return b;
    }
    if (this.pos + n > this.src.size) throw new Truncated();
    const b = await this.src.read(this.pos, n);
    if (b.length < n) throw new Truncated();
    this.pos += n;
    return b;
  }

  skip(n: number): void {
    if (this.pos + n > this.src.size) {
      this.pos = this.src.size;
      throw new Truncated();
    }
    this.pos += n;
  }
}

interface TensorInfo {
  name: string;
  offset: bigint;
  nbytes: bigint | null;
  infoOffset: number;
}

class GgufScan {
  private readonly counts = new Map<string, number>();
  private readonly details: Record<string, unknown> = {};
  private readonly templates: { key: string; value: string; offset: number }[] = [];
  private readonly v1: boolean;
  private alignment = GGUF_DEFAULT_ALIGNMENT;
  private alignmentValid = true;
  private kvi = 0;

  constructor(
    private readonly ctx: ScanContext,
    private readonly r: Reader,
    private readonly report: FileReport,
    readonly version: number,
  ) {
    this.v1 = version === 1;
    report.details = this.details;
  }

  add(rule: RuleKey, message: string, location?: Finding['location']): void {
    const n = (this.counts.get(rule) ?? 0) + 1;
    this.counts.set(rule, n);
    if (n > MAX_FINDINGS_PER_RULE) return;
    const g = GGUF_RULES[rule];
    this.report.findings.push({ ruleId: `gguf.${rule}`, severity: g.severity, verdict: g.verdict, message, ...(location ? { location } : {}) });
  }

  private stop(rule: RuleKey, message: string, location?: Finding['location']): never {
    this.add(rule, message, location);
    throw new Stop();
  }

  /** A count or length field: u32 in v1, u64 later. */
  private async count(): Promise<bigint> {
    return this.v1 ? BigInt(await this.r.u32()) : await this.r.u64();
  }

  /** Checks that `n` items of at least `minSize` bytes fit in the file, else records a bomb (or truncation). */
  private fits(n: bigint, minSize: number, what: string, offset: number): number {
    const need = n * BigInt(minSize);
    if (need > BigInt(this.r.size)) this.stop('allocation-bomb', `${what} declares ${n} items (at least ${need} bytes) in a ${this.r.size}-byte file`, { offset });
    if (need > BigInt(this.r.remaining)) {
      this.add('truncated', `${what} declares ${n} items but the file ends after ${this.r.remaining} more bytes`, { offset });
      throw new Stop();
    }
    return Number(n);
  }

  private async stringLength(what: string, offset: number): Promise<number> {
    const len = await this.count();
    return this.fits(len, 1, what, offset);
  }

  async run(): Promise<void> {
    const r = this.r;
    const details = this.details;
    details.version = this.version;
    details.endianness = r.le ? 'little' : 'big';
    if (this.v1) this.add('legacy-version', 'GGUF version 1 (32-bit counts); current llama.cpp refuses it', { offset: 4 });
    try {
      const tensorCountOff = r.pos;
      const tensorCount = await this.count();
      const kvCountOff = r.pos;
      const kvCount = await this.count();
      details.tensorCount = tensorCount <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(tensorCount) : tensorCount.toString();
      details.kvCount = kvCount <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(kvCount) : kvCount.toString();
      const nkv = this.fits(kvCount, this.v1 ? 9 : 13, 'metadata count', kvCountOff);
      const nt = this.fits(tensorCount, this.v1 ? 20 : 24, 'tensor count', tensorCountOff);
      if (nt > MAX_TENSORS) throw new LimitExceeded('maxMembers', `GGUF declares ${nt} tensors (more than ${MAX_TENSORS})`);
      const keys = new Set<string>();
      for (let i = 0; i < nkv; i++) await this.readKv(keys);
      const tensors = await this.readTensorInfos(nt);
      this.checkLayout(tensors);
    } catch (err) {
      if (err instanceof Truncated) this.add('truncated', `file ends inside the GGUF header (at byte ${r.pos})`, { offset: Math.min(r.pos, r.size) });
      else if (!(err instanceof Stop)) throw err;
    }
    this.analyzeTemplates();
    for (const [rule, n] of this.counts) {
      if (n > MAX_FINDINGS_PER_RULE) {
        const g = GGUF_RULES[rule as RuleKey];
        this.report.findings.push({ ruleId: `gguf.${rule}`, severity: g.severity, verdict: g.verdict, message: `${n - MAX_FINDINGS_PER_RULE} more findings of this kind not listed` });
      }
    }
  }

  private async readKv(keys: Set<string>): Promise<void> {
    if ((++this.kvi & 255) === 0) this.ctx.checkTime();
    const r = this.r;
    const kvOff = r.pos;
    const klen = await this.stringLength('key length', kvOff);
    if (klen > GGUF_MAX_KEY) this.stop('key-too-long', `metadata key of ${klen} bytes (the format allows ${GGUF_MAX_KEY})`, { offset: kvOff });
    const key = (await r.bytes(klen)).toString('utf8');
    if (keys.has(key)) this.add('duplicate-key', `metadata key ${JSON.stringify(key)} appears more than once; readers disagree on which value counts`, { offset: kvOff, path: key });
    keys.add(key);
    const typeOff = r.pos;
    const type = await r.u32();
    if (type >= VALUE_TYPES.length) this.stop('invalid-value-type', `metadata ${JSON.stringify(key)} has unknown value type ${type}; the rest of the header cannot be parsed`, { offset: typeOff, path: key });
    const isTemplateKey = key === 'tokenizer.chat_template' || key.startsWith('tokenizer.chat_template.');
    const maybeTemplate = isTemplateKey || /template/i.test(key);
    if (isTemplateKey && type !== T_STRING) this.add('chat-template-type', `${key} is a ${VALUE_TYPES[type]![0]}, not a string`, { offset: kvOff, path: key });
    if (type === T_STRING) {
      const valOff = r.pos;
      const len = await this.stringLength(`value of ${key}`, valOff);
      const detail = (key === 'general.architecture' || key === 'general.name') && len <= 256;
      if (detail || (maybeTemplate && len <= this.ctx.limits.maxTextBytes)) {
        const value = (await r.bytes(len)).toString('utf8');
        if (detail) this.details[key.slice(8)] = value;
        if (isTemplateKey || (maybeTemplate && (value.includes('{%') || value.includes('{{')))) this.templates.push({ key, value, offset: valOff });
      } else {
        if (maybeTemplate) {
          this.report.findings.push({ ruleId: 'template.limit', severity: 'medium', verdict: 'inconclusive', message: `${key}: ${len} bytes exceeds the ${this.ctx.limits.maxTextBytes}-byte text limit; not analysed`, location: { offset: valOff, path: key } });
        }
        r.skip(len);
      }
      return;
    }
    if (key === 'general.alignment') {
      if (type !== T_U32) {
        this.alignmentValid = false;
        this.add('invalid-alignment', `general.alignment is a ${VALUE_TYPES[type]![0]}, not a u32`, { offset: kvOff, path: key });
      } else {
        const a = await r.u32();
        if (a === 0 || (a & (a - 1)) !== 0) {
          this.alignmentValid = false;
          this.add('invalid-alignment', `general.alignment ${a} is not a power of two`, { offset: kvOff, path: key });
        } else this.alignment = a;
        this.details.alignment = a;
        return;
      }
    }
    await this.skipValue(type, key, 0);
  }

  private async skipValue(type: number, key: string, depth: number): Promise<void> {
    const r = this.r;
    const fixed = VALUE_TYPES[type]![1];
    if (fixed > 0) {
      r.skip(fixed);
      return;
    }
    if (type === T_STRING) {
      const off = r.pos;
      r.skip(await this.stringLength(`string in ${key}`, off));
      return;
    }
    // array
    if (depth >= MAX_ARRAY_NESTING) this.stop('array-nesting', `${key}: arrays nested deeper than ${MAX_ARRAY_NESTING} levels`, { path: key, offset: r.pos });
    const typeOff = r.pos;
    const et = await r.u32();
    if (et >= VALUE_TYPES.length) this.stop('invalid-value-type', `${key}: array of unknown element type ${et}; the rest of the header cannot be parsed`, { offset: typeOff, path: key });
    const countOff = r.pos;
    const n = await this.count();
    const efixed = VALUE_TYPES[et]![1];
    const minSize = efixed > 0 ? efixed : et === T_STRING ? (this.v1 ? 4 : 8) : this.v1 ? 8 : 12;
    const count = this.fits(n, minSize, `array ${key}`, countOff);
    if (efixed > 0) {
      r.skip(count * efixed);
      return;
    }
    for (let i = 0; i < count; i++) {
      if ((i & 65535) === 65535) this.ctx.checkTime();
      if (et === T_STRING) {
        const off = r.pos;
        r.skip(await this.stringLength(`string in ${key}`, off));
      } else await this.skipValue(T_ARRAY, key, depth + 1);
    }
  }

  private async readTensorInfos(n: number): Promise<TensorInfo[]> {
    const r = this.r;
    const names = new Set<string>();
    const tensors: TensorInfo[] = [];
    const types: Record<string, number> = {};
    let params = 0n;
    for (let i = 0; i < n; i++) {
      if ((i & 1023) === 1023) this.ctx.checkTime();
      const infoOff = r.pos;
      const nlen = await this.stringLength('tensor name length', infoOff);
      const name = (await r.bytes(nlen)).toString('utf8');
      const loc = { offset: infoOff, path: name };
      if (nlen > GGUF_MAX_TENSOR_NAME) this.add('tensor-name-too-long', `tensor name of ${nlen} bytes (llama.cpp allows ${GGUF_MAX_TENSOR_NAME})`, loc);
      if (names.has(name)) this.add('duplicate-tensor', `tensor ${JSON.stringify(name)} is declared more than once`, loc);
      names.add(name);
      const ndims = await r.u32();
      if (ndims > GGUF_MAX_DIMS) this.stop('too-many-dims', `tensor ${JSON.stringify(name)} has ${ndims} dimensions (at most ${GGUF_MAX_DIMS})`, loc);
      const dims: bigint[] = [];
      for (let d = 0; d < ndims; d++) dims.push(await this.count());
      const typeId = await r.u32();
      const offset = await r.u64();
      let nel = 1n;
      let bad = false;
      for (const d of dims) {
        if (d > I64_MAX) bad = true;
        nel *= d;
        if (nel > I64_MAX) bad = true;
      }
      if (bad) {
        this.add('dims-overflow', `tensor ${JSON.stringify(name)}: dimensions [${dims.join(', ')}] overflow a 64-bit element count`, loc);
        tensors.push({ name, offset, nbytes: null, infoOffset: infoOff });
        continue;
      }
      params += nel;
      const t = GGML_TYPES.get(typeId);
      if (!t) {
        this.add('unknown-tensor-type', `tensor ${JSON.stringify(name)} has unknown ggml type ${typeId}; its size cannot be checked`, loc);
        tensors.push({ name, offset, nbytes: null, infoOffset: infoOff });
        continue;
      }
      types[t[0]] = (types[t[0]] ?? 0) + 1;
      const [, blck, tsize] = t;
      const ne0 = dims[0] ?? 1n;
      if (ne0 % BigInt(blck) !== 0n) {
        this.add('block-size-mismatch', `tensor ${JSON.stringify(name)}: first dimension ${ne0} is not a multiple of the ${t[0]} block size ${blck}`, loc);
        tensors.push({ name, offset, nbytes: null, infoOffset: infoOff });
        continue;
      }
      tensors.push({ name, offset, nbytes: (nel / BigInt(blck)) * BigInt(tsize), infoOffset: infoOff });
    }
    this.details.tensorTypes = types;
    this.details.parameters = params <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(params) : params.toString();
    return tensors;
  }

  private checkLayout(tensors: TensorInfo[]): void {
    const align = BigInt(this.alignment);
    const dataStart = ((BigInt(this.r.pos) + align - 1n) / align) * align;
    const size = BigInt(this.r.size);
    this.details.dataOffset = Number(dataStart);
    if (!this.details.alignment) this.details.alignment = this.alignment;
    const placed: TensorInfo[] = [];
    for (const t of tensors) {
      const loc = { offset: t.infoOffset, path: t.name };
      if (this.alignmentValid && t.offset % align !== 0n) this.add('misaligned-offset', `tensor ${JSON.stringify(t.name)} offset ${t.offset} is not a multiple of the alignment ${align}`, loc);
      if (t.nbytes === null) continue;
      if (dataStart + t.offset + t.nbytes > size) {
        this.add('tensor-out-of-bounds', `tensor ${JSON.stringify(t.name)} data [${dataStart + t.offset}, ${dataStart + t.offset + t.nbytes}) runs past the end of the ${size}-byte file`, loc);
        continue;
      }
      placed.push(t);
    }
    placed.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
    let end = 0n;
    let prev: TensorInfo | null = null;
    for (const t of placed) {
      const loc = { offset: t.infoOffset, path: t.name };
      const nbytes = t.nbytes!;
      if (prev && t.offset < end && nbytes > 0n) {
        this.add('tensor-overlap', `tensor ${JSON.stringify(t.name)} data overlaps ${JSON.stringify(prev.name)}`, loc);
      } else if (t.offset > ((end + align - 1n) / align) * align) {
        this.add('data-gap', `${t.offset - end} bytes before tensor ${JSON.stringify(t.name)} belong to no tensor (llama.cpp expects tensors packed in order)`, loc);
      }
      if (t.offset + nbytes > end) {
        end = t.offset + nbytes;
        prev = t;
      }
    }
  }

  private analyzeTemplates(): void {
    const names: string[] = [];
    for (const t of this.templates) {
      const name = t.key === 'tokenizer.chat_template' ? 'default' : t.key.startsWith('tokenizer.chat_template.') ? t.key.slice('tokenizer.chat_template.'.length) : t.key;
      names.push(name);
      const res = checkTemplate(this.ctx, t.value, `${t.key}`, { offset: t.offset, path: t.key });
      this.report.findings.push(...res.findings);
    }
    if (names.length) this.details.chatTemplates = names;
  }
}

export const ggufHandler: FormatHandler = {
  id: 'gguf',
  detect: (head) => head.length >= 4 && head[0] === 0x47 && head[1] === 0x47 && head[2] === 0x55 && head[3] === 0x46,
  async scan(ctx, source, report) {
    const head = await source.read(0, 8);
    if (head.length < 8) {
      report.findings.push({ ruleId: 'gguf.truncated', severity: GGUF_RULES.truncated.severity, verdict: GGUF_RULES.truncated.verdict, message: 'file ends inside the GGUF header', location: { offset: head.length } });
      return;
    }
    let le = true;
    let version = head.readUInt32LE(4);
    if (version > 0 && (version & 0xffff) === 0) {
      const be = head.readUInt32BE(4);
      if (be >= 1 && be <= 3) {
        le = false;
        version = be;
      }
    }
    if (version < 1 || version > 3) {
      report.details = { version };
      report.findings.push({
        ruleId: 'gguf.unsupported-version',
        severity: GGUF_RULES['unsupported-version'].severity,
        verdict: GGUF_RULES['unsupported-version'].verdict,
        message: `GGUF version ${version} is not one this scanner (or llama.cpp) parses; the file cannot be checked`,
        location: { offset: 4 },
      });
      return;
    }
    const r = new Reader(source, le);
    r.pos = 8;
    await new GgufScan(ctx, r, report, version).run();
  },
};
