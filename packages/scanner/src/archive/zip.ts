/**
 * A zip reader over a ByteSource that reads only the directory structures and the members asked
 * for, never the whole file. It reads like PyTorch's reader (miniz, in
 * caffe2/serialize/inline_container.cc): the end record is the last `PK\5\6` in the final 64 KiB +
 * 22 bytes, the central directory lists the members, each member's data starts after its local
 * header's name and extra field, CRCs and unusual flag bits are ignored for reading. Where Python's
 * zipfile reads differently (the central directory located right before the end record, the
 * member list by bytes rather than by count, the Info-ZIP Unicode path), the reader records both
 * interpretations so that the scanner can check each. Disagreements are reported, not resolved.
 */
import type { ByteSource } from '../source.js';
import { decodeName } from './common.js';

export const SIG_LOCAL = 0x04034b50;
export const SIG_CENTRAL = 0x02014b50;
export const SIG_EOCD = 0x06054b50;
export const SIG_ZIP64_EOCD = 0x06064b50;
export const SIG_ZIP64_LOCATOR = 0x07064b50;
export const SIG_DATA_DESCRIPTOR = 0x08074b50;

const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_MIN = 56;
const CENTRAL_SIZE = 46;
export const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;

export const FLAG_ENCRYPTED = 0x0001;
export const FLAG_DATA_DESCRIPTOR = 0x0008;
export const FLAG_PATCHED = 0x0020;
export const FLAG_STRONG_ENCRYPTION = 0x0040;
export const FLAG_UTF8 = 0x0800;
export const FLAG_MASKED_HEADERS = 0x2000;
/** Bits every common writer uses: encryption (reported on its own), compression options, descriptor, UTF-8. */
const ORDINARY_FLAGS = FLAG_ENCRYPTED | 0x0002 | 0x0004 | FLAG_DATA_DESCRIPTOR | FLAG_UTF8;

export const METHOD_STORED = 0;
export const METHOD_DEFLATE = 8;
export const METHOD_NAMES: Record<number, string> = { 0: 'stored', 1: 'shrunk', 6: 'imploded', 8: 'deflate', 9: 'deflate64', 12: 'bzip2', 14: 'lzma', 93: 'zstd', 95: 'xz', 98: 'ppmd', 99: 'aes' };

export interface EndRecord {
  /** Offset of the `PK\5\6` record. */
  offset: number;
  diskNumber: number;
  cdDisk: number;
  entriesOnDisk: number;
  totalEntries: number;
  cdSize: number;
  /** Central directory offset as recorded (relative to the start of the zip). */
  cdOffset: number;
  commentLength: number;
  /** Offset of the ZIP64 end record when a ZIP64 locator precedes the end record. */
  zip64RecordOffset: number | null;
  /** Where the directory structures end (start of the ZIP64 record, else of the end record): Python's anchor. */
  anchor: number;
}

export interface CentralEntry {
  /** Position in its central directory. */
  index: number;
  /** Offset of this entry in the file. */
  centralOffset: number;
  nameBytes: Buffer;
  name: string;
  /** The Info-ZIP Unicode Path extra field (0x7075) name, which Python >= 3.13 prefers. */
  unicodeName: string | null;
  versionMadeBy: number;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Absolute offset of the local header (directory shift applied). */
  localOffset: number;
  externalAttributes: number;
  diskStart: number;
  zip64: boolean;
}

export interface ZipDirectory {
  /** The bytes before the zip proper that all recorded offsets are relative to (0: as miniz reads; >0: as Python reads a zip with prepended data). */
  shift: number;
  /** Absolute offset of the central directory. */
  cdOffset: number;
  cdSize: number;
  entries: CentralEntry[];
  /** The directory ended before `cdSize` bytes because an entry was malformed. */
  malformedAt: number | null;
  /** Entries not listed because of maxEntries. */
  truncated: boolean;
}

export interface ZipLayout {
  end: EndRecord;
  /** Directories that parse: the declared offset first (miniz), then Python's anchored one if it differs. */
  directories: ZipDirectory[];
  zip64: boolean;
}

export interface LocalHeader {
  offset: number;
  nameBytes: Buffer;
  name: string;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  extraLength: number;
  /** First byte of the member's data. */
  dataOffset: number;
}

/** Finds the end record like miniz and Python: the last signature in the trailing 64 KiB + 22 bytes with room for a record. */
export async function findEndRecord(source: ByteSource): Promise<EndRecord | null> {
  return (await findEndRecordCached(source))?.end ?? null;
}

/** A view of a source that serves reads inside a buffer already read (the file's tail) from memory. */
class CoveredSource implements ByteSource {
  readonly size: number;
  constructor(
    private readonly inner: ByteSource,
    private readonly start: number,
    private readonly buf: Buffer,
  ) {
    this.size = inner.size;
  }

  read(offset: number, length: number): Promise<Buffer> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    if (offset >= this.start && offset + n <= this.start + this.buf.length) return Promise.resolve(this.buf.subarray(offset - this.start, offset - this.start + n));
    return this.inner.read(offset, length);
  }

  chunks(start?: number, end?: number, chunkSize?: number): AsyncIterable<Buffer> {
    return this.inner.chunks(start, end, chunkSize);
  }
}

async function findEndRecordCached(source: ByteSource): Promise<{ end: EndRecord; cached: ByteSource } | null> {
  if (source.size < EOCD_SIZE) return null;
  const tailStart = Math.max(0, source.size - (EOCD_SIZE + MAX_COMMENT));
  const tail = await source.read(tailStart, source.size - tailStart);
  // The ZIP64 records and, in most zips, the whole central directory lie in the tail already read.
  const cached = new CoveredSource(source, tailStart, tail);
  for (let i = lastSignature(tail, tail.length - EOCD_SIZE); i >= 0; i = lastSignature(tail, i - 1)) {
    const offset = tailStart + i;
    const end: EndRecord = {
      offset,
      diskNumber: tail.readUInt16LE(i + 4),
      cdDisk: tail.readUInt16LE(i + 6),
      entriesOnDisk: tail.readUInt16LE(i + 8),
      totalEntries: tail.readUInt16LE(i + 10),
      cdSize: tail.readUInt32LE(i + 12),
      cdOffset: tail.readUInt32LE(i + 16),
      commentLength: tail.readUInt16LE(i + 20),
      zip64RecordOffset: null,
      anchor: offset,
    };
    await applyZip64(cached, end);
    return { end, cached };
  }
  return null;
}

/** Reads the ZIP64 locator right before the end record and, when present, the ZIP64 end record's values. */
async function applyZip64(source: ByteSource, end: EndRecord): Promise<void> {
  if (end.offset < ZIP64_LOCATOR_SIZE) return;
  const loc = await source.read(end.offset - ZIP64_LOCATOR_SIZE, ZIP64_LOCATOR_SIZE);
  if (loc.length < ZIP64_LOCATOR_SIZE || loc.readUInt32LE(0) !== SIG_ZIP64_LOCATOR) return;
  const recordOffset = readU64(loc, 8);
  // Python anchors the ZIP64 record right before the locator; miniz takes the recorded offset.
  const anchored = end.offset - ZIP64_LOCATOR_SIZE - ZIP64_EOCD_MIN;
  const candidates = recordOffset === anchored ? [recordOffset] : [recordOffset, anchored];
  for (const at of candidates) {
    if (at < 0 || at + ZIP64_EOCD_MIN > source.size) continue;
    const rec = await source.read(at, ZIP64_EOCD_MIN);
    if (rec.readUInt32LE(0) !== SIG_ZIP64_EOCD) continue;
    end.zip64RecordOffset = at;
    end.anchor = anchored >= 0 ? anchored : at;
    end.diskNumber = rec.readUInt32LE(16);
    end.cdDisk = rec.readUInt32LE(20);
    end.entriesOnDisk = readU64(rec, 24);
    end.totalEntries = readU64(rec, 32);
    end.cdSize = readU64(rec, 40);
    end.cdOffset = readU64(rec, 48);
    return;
  }
}

const EOCD_BYTES = Buffer.from([0x50, 0x4b, 0x05, 0x06]);

/** Offset of the last end-record signature starting at or before `from` (native search), or -1. */
function lastSignature(buf: Buffer, from: number): number {
  return from < 0 ? -1 : buf.lastIndexOf(EOCD_BYTES, from);
}

export function readU64(b: Buffer, at: number): number {
  // Offsets above 2^53 cannot address a real file; they are reported as out of bounds downstream.
  return Number(b.readBigUInt64LE(at));
}

export interface OpenZipOptions {
  maxEntries: number;
  checkTime: () => void;
}

/**
 * Locates and parses the central directory (or directories: see ZipLayout). Null when there is no
 * end record or no directory parses at either location: not a zip any reader would open.
 */
export async function openZip(source: ByteSource, opts: OpenZipOptions): Promise<ZipLayout | null> {
  const found = await findEndRecordCached(source);
  if (!found) return null;
  const { end, cached } = found;
  const directories: ZipDirectory[] = [];
  // miniz: the directory at its recorded offset. Python: right before the end record, the
  // difference being bytes prepended to the zip ("concat"); all offsets shift by it.
  const pythonShift = end.anchor - end.cdSize - end.cdOffset;
  const shifts = pythonShift === 0 ? [0] : [0, pythonShift];
  for (const shift of shifts) {
    const dir = await readDirectory(cached, end, shift, opts);
    if (dir) directories.push(dir);
  }
  if (directories.length === 0) return null;
  return { end, directories, zip64: end.zip64RecordOffset !== null };
}

/** A reader over a range that fetches windows of at least 1 MiB (the directory can be large). */
class Window {
  private buf: Buffer = Buffer.alloc(0);
  private start = 0;
  constructor(
    private readonly source: ByteSource,
    private readonly limit: number,
  ) {}

  async get(pos: number, len: number): Promise<Buffer | null> {
    if (pos + len > this.limit) return null;
    if (pos < this.start || pos + len > this.start + this.buf.length) {
      this.start = pos;
      this.buf = await this.source.read(pos, Math.min(this.limit - pos, Math.max(len, 1024 * 1024)));
      if (this.buf.length < len) return null;
    }
    return this.buf.subarray(pos - this.start, pos - this.start + len);
  }
}

async function readDirectory(source: ByteSource, end: EndRecord, shift: number, opts: OpenZipOptions): Promise<ZipDirectory | null> {
  const cdOffset = end.cdOffset + shift;
  const cdEnd = cdOffset + end.cdSize;
  if (cdOffset < 0 || cdEnd > source.size || cdEnd > end.offset) return null;
  const win = new Window(source, cdEnd);
  const entries: CentralEntry[] = [];
  let pos = cdOffset;
  let malformedAt: number | null = null;
  let truncated = false;
  while (pos < cdEnd) {
    if ((entries.length & 1023) === 0) opts.checkTime();
    const h = await win.get(pos, CENTRAL_SIZE);
    if (!h || h.readUInt32LE(0) !== SIG_CENTRAL) {
      malformedAt = pos;
      break;
    }
    const nameLen = h.readUInt16LE(28);
    const extraLen = h.readUInt16LE(30);
    const commentLen = h.readUInt16LE(32);
    const varPart = await win.get(pos + CENTRAL_SIZE, nameLen + extraLen + commentLen);
    if (!varPart) {
      malformedAt = pos;
      break;
    }
    if (entries.length >= opts.maxEntries) {
      truncated = true;
      break;
    }
    const nameBytes = Buffer.from(varPart.subarray(0, nameLen));
    const extra = varPart.subarray(nameLen, nameLen + extraLen);
    const e: CentralEntry = {
      index: entries.length,
      centralOffset: pos,
      nameBytes,
      name: decodeName(nameBytes),
      unicodeName: null,
      versionMadeBy: h.readUInt16LE(4),
      flags: h.readUInt16LE(8),
      method: h.readUInt16LE(10),
      crc32: h.readUInt32LE(16),
      compressedSize: h.readUInt32LE(20),
      uncompressedSize: h.readUInt32LE(24),
      localOffset: h.readUInt32LE(42),
      externalAttributes: h.readUInt32LE(38),
      diskStart: h.readUInt16LE(34),
      zip64: false,
    };
    applyExtra(e, extra);
    e.localOffset += shift;
    entries.push(e);
    pos += CENTRAL_SIZE + nameLen + extraLen + commentLen;
  }
  // Nothing parsed where a non-empty directory was declared: not this interpretation.
  if (entries.length === 0 && end.cdSize > 0) return null;
  return { shift, cdOffset, cdSize: end.cdSize, entries, malformedAt, truncated };
}

/** ZIP64 extended information (0x0001) and the Info-ZIP Unicode Path (0x7075). */
function applyExtra(e: CentralEntry, extra: Buffer): void {
  for (let p = 0; p + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(p);
    const len = extra.readUInt16LE(p + 2);
    const body = extra.subarray(p + 4, Math.min(extra.length, p + 4 + len));
    if (id === 0x0001) {
      let q = 0;
      const next = (): number | null => {
        if (q + 8 > body.length) return null;
        const v = readU64(body, q);
        q += 8;
        return v;
      };
      // Each field is present only when its 32-bit slot is saturated, in this order.
      if (e.uncompressedSize === 0xffffffff) e.uncompressedSize = next() ?? e.uncompressedSize;
      if (e.compressedSize === 0xffffffff) e.compressedSize = next() ?? e.compressedSize;
      if (e.localOffset === 0xffffffff) e.localOffset = next() ?? e.localOffset;
      e.zip64 = true;
    } else if (id === 0x7075 && body.length >= 5 && body[0] === 1) {
      e.unicodeName = body.subarray(5).toString('utf8');
    }
    p += 4 + len;
  }
}

/** Reads the local header at `offset`; null when the signature or the header is missing. */
export async function readLocalHeader(source: ByteSource, offset: number): Promise<LocalHeader | null> {
  if (offset < 0 || offset + LOCAL_SIZE > source.size) return null;
  const b = await source.read(offset, LOCAL_SIZE + 512);
  const h = parseLocalHeader(b, 0, offset);
  if (h !== 'short') return h;
  const full = await source.read(offset, LOCAL_SIZE + b.readUInt16LE(26) + b.readUInt16LE(28));
  const again = parseLocalHeader(full, 0, offset);
  return again === 'short' ? null : again;
}

/**
 * Parses a local header found at `at` in `b` (which holds the file from `offset - at`). 'short'
 * when `b` ends inside the header's name or extra field; null when there is no valid header.
 */
export function parseLocalHeader(b: Buffer, at: number, offset: number): LocalHeader | null | 'short' {
  if (b.length - at < LOCAL_SIZE || b.readUInt32LE(at) !== SIG_LOCAL) return null;
  const nameLen = b.readUInt16LE(at + 26);
  const extraLen = b.readUInt16LE(at + 28);
  if (b.length - at < LOCAL_SIZE + nameLen + extraLen) return 'short';
  const nameBytes = Buffer.from(b.subarray(at + LOCAL_SIZE, at + LOCAL_SIZE + nameLen));
  const h: LocalHeader = {
    offset,
    nameBytes,
    name: decodeName(nameBytes),
    flags: b.readUInt16LE(at + 6),
    method: b.readUInt16LE(at + 8),
    crc32: b.readUInt32LE(at + 14),
    compressedSize: b.readUInt32LE(at + 18),
    uncompressedSize: b.readUInt32LE(at + 22),
    extraLength: extraLen,
    dataOffset: offset + LOCAL_SIZE + nameLen + extraLen,
  };
  const extra = b.subarray(at + LOCAL_SIZE + nameLen, at + LOCAL_SIZE + nameLen + extraLen);
  for (let p = 0; p + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(p);
    const len = extra.readUInt16LE(p + 2);
    if (id === 0x0001) {
      const body = extra.subarray(p + 4, Math.min(extra.length, p + 4 + len));
      let q = 0;
      if (h.uncompressedSize === 0xffffffff && q + 8 <= body.length) (h.uncompressedSize = readU64(body, q)), (q += 8);
      if (h.compressedSize === 0xffffffff && q + 8 <= body.length) h.compressedSize = readU64(body, q);
    }
    p += 4 + len;
  }
  return h;
}

/** Local headers closer together than this are fetched with one read. */
const COALESCE_BYTES = 1024 * 1024;

export interface LocalHeaderBatchOptions {
  concurrency: number;
  tick: () => void;
  /** Bytes of member data wanted after header `i` (0: none); kept when the same read covers them. */
  headBytes?: (i: number, h: LocalHeader) => number;
  /** Most member bytes kept in memory for the whole batch. */
  headBudget?: number;
  /** Bytes read past a group's last header, so that its member's first bytes come with it. */
  slack?: number;
}

export interface LocalHeaderBatch {
  headers: Array<LocalHeader | null>;
  /** Member data read along with the headers (copies), per headBytes; null when not covered. */
  heads: Array<Buffer | null>;
}

/**
 * Reads many local headers with few reads: offsets are sorted, headers within COALESCE_BYTES of a
 * group's first one share a read, and groups are read `concurrency` at a time. On a checkpoint with
 * hundreds of tensors, the number of reads (their latency, not their bytes) is the cost of the
 * scan; the members' first bytes, which detection needs next, come with the same reads.
 */
export async function readLocalHeaders(source: ByteSource, offsets: readonly number[], opts: LocalHeaderBatchOptions): Promise<LocalHeaderBatch> {
  const slack = opts.slack ?? 0;
  let budget = opts.headBudget ?? 0;
  const order = offsets.map((_, i) => i).sort((a, b) => offsets[a]! - offsets[b]!);
  const groups: Array<{ start: number; end: number; members: number[] }> = [];
  for (const i of order) {
    const o = offsets[i]!;
    const g = groups[groups.length - 1];
    if (g && o >= g.start && o - g.start < COALESCE_BYTES) {
      g.members.push(i);
      g.end = Math.max(g.end, o + LOCAL_SIZE + 512 + slack);
    } else groups.push({ start: o, end: o + LOCAL_SIZE + 512 + slack, members: [i] });
  }
  const headers = new Array<LocalHeader | null>(offsets.length).fill(null);
  const heads = new Array<Buffer | null>(offsets.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < groups.length) {
      const g = groups[next++]!;
      if ((next & 63) === 0) opts.tick();
      if (g.start < 0 || g.start >= source.size) continue;
      const buf = await source.read(g.start, g.end - g.start);
      for (const i of g.members) {
        const parsed = parseLocalHeader(buf, offsets[i]! - g.start, offsets[i]!);
        const h = parsed === 'short' ? await readLocalHeader(source, offsets[i]!) : parsed;
        headers[i] = h;
        if (!h || !opts.headBytes) continue;
        const want = opts.headBytes(i, h);
        const from = h.dataOffset - g.start;
        if (want > 0 && want <= budget && from + want <= buf.length) {
          heads[i] = Buffer.from(buf.subarray(from, from + want));
          budget -= want;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, groups.length) }, worker));
  return { headers, heads };
}

/** Flag bits outside the ordinary set (bit 5 patched data, bit 6 strong encryption, bit 13 masked headers, reserved bits). */
export function unusualFlags(flags: number): number {
  return flags & ~ORDINARY_FLAGS;
}

export function isEncrypted(flags: number): boolean {
  return (flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADERS)) !== 0;
}

/** Unix file type from the external attributes' upper half (any host: extractors on Unix apply it). */
export function unixFileType(externalAttributes: number): number {
  return (externalAttributes >>> 16) & 0o170000;
}

export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;
export const S_IFSOCK = 0o140000;

/**
 * Cheap content check for detection: a valid end record inside `buf` (a whole small file) whose
 * central directory starts with a central header signature (or is empty).
 */
export function looksLikeWholeZip(buf: Buffer): boolean {
  if (buf.length < EOCD_SIZE) return false;
  // The last signature, as the readers take it; it must be within a comment's reach of the end.
  const i = lastSignature(buf, buf.length - EOCD_SIZE);
  if (i < 0 || i < buf.length - (EOCD_SIZE + MAX_COMMENT)) return false;
  const total = buf.readUInt16LE(i + 10);
  const cdSize = buf.readUInt32LE(i + 12);
  const cdOffset = buf.readUInt32LE(i + 16);
  if (total === 0 && cdSize === 0) return true;
  for (const at of [cdOffset, i - cdSize]) {
    if (at >= 0 && at + 4 <= i && buf.readUInt32LE(at) === SIG_CENTRAL) return true;
  }
  return false;
}
