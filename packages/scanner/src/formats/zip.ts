/**
 * Zip archives (PyTorch checkpoints, numpy .npz, Keras .keras, plain zips): every member is
 * scanned by content through ctx.scanChild, read the way the loaders read it (see archive/zip.ts),
 * and every disagreement between readers is a finding. Stored members are zero-copy slices of the
 * file; deflated members are inflated with limits. The directory, each local header and each
 * member's first bytes are all that is read of stored tensors, so a 2 GiB checkpoint costs a few
 * reads per member.
 */
import type { FormatHandler, ScanContext } from '../context.js';
import { type ByteSource, SliceSource } from '../source.js';
import type { FileReport, FormatId, ScanLimits } from '../types.js';
import { BOMB_MIN_EXPANDED_BYTES, basenameOf, FindingSink, printableName, unsafePathReason } from '../archive/common.js';
import { crc32, type Inflated, inflateLimited } from '../archive/inflate.js';
import {
  type CentralEntry,
  FLAG_DATA_DESCRIPTOR,
  isEncrypted,
  type LocalHeader,
  METHOD_DEFLATE,
  METHOD_NAMES,
  METHOD_STORED,
  openZip,
  readLocalHeader,
  readLocalHeaders,
  S_IFBLK,
  S_IFCHR,
  S_IFIFO,
  S_IFLNK,
  S_IFSOCK,
  SIG_DATA_DESCRIPTOR,
  SIG_LOCAL,
  looksLikeWholeZip,
  unixFileType,
  unusualFlags,
  type ZipLayout,
} from '../archive/zip.js';

/** Stored members up to this size get their CRC checked (a read the child's head read nearly covers)... */
const STORED_CRC_MAX_MEMBER = 64 * 1024;
/** ...up to this many bytes per archive, so that checking never reads a checkpoint's tensors. */
const STORED_CRC_BUDGET = 1024 * 1024;
/** Gaps (prepended or unreferenced bytes) scanned as content per archive; the rest are only reported. */
const MAX_GAP_CHILDREN = 16;

const NPY_MAGIC = Buffer.from('\x93NUMPY', 'latin1');

export const zipHandler: FormatHandler = {
  id: 'zip',
  detect(head, size) {
    if (head.length >= 4 && head.readUInt32LE(0) === SIG_LOCAL) return true;
    // A whole small file in the head: a zip with prepended data (or an empty zip) is recognized by
    // its end record and a central directory that parses. Larger files: see probeTrailingZip.
    return size <= head.length && looksLikeWholeZip(head);
  },
  scan: scanZip,
};

/**
 * True when `source` ends with a zip that zip readers would open (a valid end record whose
 * central directory parses), whatever its first bytes. For the orchestrator: a file detected as
 * another format that also carries a trailing zip (a polyglot) should also be scanned with
 * `scanZip` (Python zipfile-based loaders such as Keras open it as a zip).
 */
export async function probeTrailingZip(source: ByteSource): Promise<boolean> {
  try {
    return (await openZip(source, { maxEntries: 1, checkTime: () => undefined })) !== null;
  } catch {
    return false;
  }
}

interface Member {
  entry: CentralEntry;
  local: LocalHeader | null;
  /** Every distinct name readers may give it: central directory, local header, Unicode Path field. */
  names: string[];
  /** [start, end) of local header + data (end may pass the file's end). */
  start: number;
  end: number;
  dataOffset: number;
  /** The member's first bytes when they came with its local header's read (released once used). */
  head: Buffer | null;
}

/** Scans `source` as a zip into `report` (children, findings, format label, details). */
export async function scanZip(ctx: ScanContext, source: ByteSource, report: FileReport): Promise<void> {
  const sink = new FindingSink(report.findings);
  report.children ??= [];
  try {
    const layout = await openZip(source, { maxEntries: ctx.limits.maxMembers, checkTime: () => ctx.checkTime() });
    if (!layout) {
      sink.add('zip.no-central-directory', 'no end-of-central-directory record (truncated, or only readable by streaming readers); members found by walking local headers are scanned');
      report.format = 'zip';
      const walked = await walkLocalHeaders(ctx, source, report, sink, 0, source.size);
      report.details = { ...report.details, members: walked, centralDirectory: false };
      return;
    }
    await scanLayout(ctx, source, report, sink, layout);
  } finally {
    sink.flush();
  }
}

async function scanLayout(ctx: ScanContext, source: ByteSource, report: FileReport, sink: FindingSink, layout: ZipLayout): Promise<void> {
  const { end } = layout;
  const limits = ctx.limits;
  if (end.diskNumber !== 0 || end.cdDisk !== 0) sink.add('zip.multi-disk', `split archive (disk ${end.diskNumber}, directory on disk ${end.cdDisk}); parts may be missing`);
  if (layout.directories.length > 1) {
    const [a, b] = layout.directories;
    sink.add('zip.ambiguous-directory', `two central directories parse: at offset ${a!.cdOffset} (as recorded; PyTorch/miniz read this one) and at ${b!.cdOffset} (right before the end record; Python zipfile reads this one); members of both are scanned`, { offset: b!.cdOffset });
  }
  for (const dir of layout.directories) {
    if (dir.truncated) sink.add('limit.maxMembers', `more than ${limits.maxMembers} members; the rest are not scanned`, { offset: dir.cdOffset });
    if (dir.malformedAt !== null) sink.add('zip.bad-central-directory', `central directory entry at offset ${dir.malformedAt} is malformed; members after it are not listed`, { offset: dir.malformedAt });
    if (!dir.truncated && dir.malformedAt === null && dir.entries.length !== end.totalEntries) {
      sink.add('zip.count-mismatch', `the end record declares ${end.totalEntries} members but the central directory holds ${dir.entries.length}: miniz (PyTorch) lists by count, Python by bytes`, { offset: end.offset });
    }
  }

  // Members of every directory interpretation, without repeating the same entry.
  const seen = new Set<string>();
  const entries: CentralEntry[] = layout.directories.length === 1 ? [...layout.directories[0]!.entries] : [];
  for (const dir of layout.directories.length === 1 ? [] : layout.directories) {
    for (const e of dir.entries) {
      const key = `${e.localOffset}:${e.nameBytes.toString('hex')}:${e.method}:${e.compressedSize}:${e.uncompressedSize}`;
      if (seen.has(key)) continue;
      seen.add(key);
      entries.push(e);
    }
  }

  // Local headers, names, flags, links, declared sizes.
  const members: Member[] = [];
  const byName = new Map<string, number>();
  let declaredTotal = 0;
  // Local headers are read LOCAL_READ_CONCURRENCY at a time: on a checkpoint with hundreds of
  // tensors, their latency (not their bytes) is the cost of the whole scan.
  const batch = await readLocalHeaders(
    source,
    entries.map((e) => e.localOffset),
    {
      concurrency: LOCAL_READ_CONCURRENCY,
      tick: () => ctx.checkTime(),
      headBytes: (i) => (entries[i]!.method === METHOD_STORED ? storedHeadBytes(entries[i]!.compressedSize) : 0),
      headBudget: KEPT_HEADS_BUDGET,
      slack: STORED_CRC_MAX_MEMBER,
    },
  );
  for (const [i, e] of entries.entries()) {
    if ((i & 255) === 0) ctx.checkTime();
    const m = await inspectMember(source, sink, limits, e, batch.headers[i] ?? null, batch.heads[i] ?? null);
    members.push(m);
    declaredTotal += e.uncompressedSize;
    const key = e.nameBytes.toString('latin1');
    byName.set(key, (byName.get(key) ?? 0) + 1);
  }
  for (const [key, n] of byName) {
    if (n > 1) sink.add('zip.duplicate-name', `${n} members are named "${printableName(Buffer.from(key, 'latin1').toString('utf8'))}": a loader opens one, another reader the other; all are scanned`, { member: key });
  }
  const totalIsBomb = declaredTotal > limits.maxExpandedBytes;
  if (totalIsBomb) sink.add('archive.bomb', `members declare ${declaredTotal} bytes in total, over the ${limits.maxExpandedBytes}-byte limit`);

  // Where every byte belongs: members, directories, ZIP64 records, end record. Overlaps and gaps.
  // Skipped when the member list was cut at maxMembers: the unlisted members would read as gaps.
  const gaps = layout.directories.some((d) => d.truncated) ? [] : layoutGaps(source, sink, members, layout);

  const label = labelOf(members);
  report.format = label;
  const state: ScanState = { npy: 0, files: 0, expanded: 0, crcBudget: STORED_CRC_BUDGET, totalIsBomb, heads: new HeadPrefetcher(source, members) };
  for (const [index, m] of members.entries()) {
    ctx.checkTime();
    await scanMember(ctx, source, report, sink, m, index, state);
  }

  for (const g of gaps.slice(0, MAX_GAP_CHILDREN)) {
    ctx.checkTime();
    const sig = await source.read(g.start, 4);
    if (sig.length === 4 && sig.readUInt32LE(0) === SIG_LOCAL) {
      sink.add('zip.hidden-member', `a local file entry at offset ${g.start} is not in the central directory: streaming readers extract it, PyTorch and Python do not; scanned`, { offset: g.start });
    }
    const child = await ctx.scanChild(new SliceSource(source, g.start, g.end - g.start), `${report.path}!<${g.kind}@${g.start}>`, '');
    report.children!.push(child);
  }

  if (label === 'zip' && state.files > 0 && state.npy === state.files) report.format = 'numpy-npz';
  report.details = {
    ...report.details,
    members: members.length,
    zip64: layout.zip64,
    ...(layout.directories[0]!.shift !== 0 || layout.directories.length > 1 ? { directoryShifts: layout.directories.map((d) => d.shift) } : {}),
    methods: countMethods(members),
  };
}

/**
 * Builds a member from its directory entry and local header. The common case (nothing unusual)
 * is decided by a few comparisons; reportProblems, larger, runs only when one fails (per-member
 * code is kept small: see scanMember).
 */
async function inspectMember(source: ByteSource, sink: FindingSink, limits: ScanLimits, e: CentralEntry, local: LocalHeader | null, head: Buffer | null): Promise<Member> {
  const names = [e.name];
  if (local && !local.nameBytes.equals(e.nameBytes) && !names.includes(local.name)) names.push(local.name);
  if (e.unicodeName !== null && !names.includes(e.unicodeName)) names.push(e.unicodeName);
  const dataOffset = local ? local.dataOffset : e.localOffset;
  const m: Member = { entry: e, local, names, start: e.localOffset, end: dataOffset + e.compressedSize, dataOffset, head };
  const ordinary =
    local !== null &&
    names.length === 1 &&
    local.method === e.method &&
    ((e.flags | local.flags) & ~ORDINARY_BITS) === 0 &&
    unixFileType(e.externalAttributes) !== S_IFLNK &&
    (e.method === METHOD_DEFLATE ? !isBomb(e.uncompressedSize, e.compressedSize, limits.maxCompressionRatio) : e.method === METHOD_STORED && e.compressedSize === e.uncompressedSize) &&
    m.end <= source.size &&
    unsafePathReason(e.name) === null &&
    !e.name.includes('\0');
  if (!ordinary || isSpecialType(e.externalAttributes)) await reportProblems(source, sink, limits, m);
  return m;
}

/** Flag bits that need no finding: compression options, data descriptor, UTF-8 names. */
const ORDINARY_BITS = 0x0002 | 0x0004 | FLAG_DATA_DESCRIPTOR | 0x0800;

function isSpecialType(externalAttributes: number): boolean {
  const type = unixFileType(externalAttributes);
  return type === S_IFCHR || type === S_IFBLK || type === S_IFIFO || type === S_IFSOCK;
}

/** Every finding about one member's entry, names, flags, type and declared sizes. */
async function reportProblems(source: ByteSource, sink: FindingSink, limits: ScanLimits, m: Member): Promise<void> {
  const { entry: e, local, names, dataOffset } = m;
  const loc = { member: e.name, offset: e.localOffset };
  const shown = printableName(e.name);

  if (!local) sink.add('zip.bad-local-header', `member "${shown}": no local file header at offset ${e.localOffset}; no reader can extract it`, loc);
  else if (!local.nameBytes.equals(e.nameBytes)) {
    sink.add('zip.name-mismatch', `member "${shown}": the local header names it "${printableName(local.name)}" (CVE-2025-1944: readers disagree on which file this is); scanned under both names`, loc);
  }
  if (e.unicodeName !== null && e.unicodeName !== e.name) {
    sink.add('zip.name-mismatch', `member "${shown}": its Unicode Path extra field names it "${printableName(e.unicodeName)}" (Python >= 3.13 uses that name)`, loc);
  }
  for (const n of names) {
    const why = unsafePathReason(n);
    if (why) sink.add('archive.path-traversal', `member "${printableName(n)}": ${why}`, loc);
    if (n.includes('\0')) sink.add('archive.suspicious-name', `member "${printableName(n)}" contains a NUL byte: Python cuts the name there, miniz does not`, loc);
  }
  if (local && local.method !== e.method) {
    sink.add('zip.header-mismatch', `member "${shown}": compression method ${methodName(e.method)} in the central directory, ${methodName(local.method)} in the local header`, loc);
  }
  const odd = unusualFlags(e.flags) | (local ? unusualFlags(local.flags) : 0);
  if (odd & ~0x0041 & ~0x2000) {
    sink.add('zip.unusual-flags', `member "${shown}": general-purpose flag bits 0x${odd.toString(16)} (Python zipfile rejects some; PyTorch ignores them); scanned as PyTorch reads it`, loc);
  }
  if (isEncrypted(e.flags)) sink.add('zip.encrypted', `member "${shown}" is encrypted (flags 0x${e.flags.toString(16)}); its content cannot be inspected`, loc);
  const type = unixFileType(e.externalAttributes);
  if (type === S_IFLNK) sink.add('archive.symlink', `member "${shown}" is a symbolic link${await linkTarget(source, m)}`, loc);
  else if (type === S_IFCHR || type === S_IFBLK || type === S_IFIFO || type === S_IFSOCK) {
    sink.add('archive.special-file', `member "${shown}" is a ${type === S_IFIFO ? 'fifo' : type === S_IFSOCK ? 'socket' : 'device node'}`, loc);
  }
  if (e.method !== METHOD_STORED && e.method !== METHOD_DEFLATE) {
    sink.add('zip.unsupported-method', `member "${shown}": compression method ${methodName(e.method)} cannot be inflated here (Python-based loaders may read it); content not inspected`, loc);
  }
  if (e.method === METHOD_STORED && e.compressedSize !== e.uncompressedSize) {
    sink.add('zip.size-mismatch', `stored member "${shown}": ${e.compressedSize} bytes stored but ${e.uncompressedSize} declared (miniz refuses it, Python reads the stored bytes)`, loc);
  }
  if (m.end > source.size) sink.add('zip.out-of-bounds', `member "${shown}": data [${dataOffset}, ${m.end}) extends past the end of the file (${source.size} bytes)`, loc);
  if (e.method !== METHOD_STORED && isBomb(e.uncompressedSize, e.compressedSize, limits.maxCompressionRatio)) {
    sink.add('archive.bomb', `member "${shown}": ${e.compressedSize} bytes declared to expand to ${e.uncompressedSize} (ratio ${ratio(e)} > ${limits.maxCompressionRatio})`, loc);
  }
}

interface ScanState {
  npy: number;
  files: number;
  expanded: number;
  crcBudget: number;
  totalIsBomb: boolean;
  heads: HeadPrefetcher;
}

/**
 * Scans one member's content as a child: a slice when stored, inflated with limits when deflated.
 * Kept small on purpose (the rare paths are separate functions): it runs once per member, so V8
 * optimizes it on checkpoints with hundreds of tensors, and a process waits at exit for the
 * optimizing compiler to finish. A big function here cost 30 ms of compilation per scan.
 */
async function scanMember(ctx: ScanContext, source: ByteSource, report: FileReport, sink: FindingSink, m: Member, index: number, state: ScanState): Promise<void> {
  const e = m.entry;
  if (!m.local || (e.name.endsWith('/') && e.compressedSize === 0 && e.uncompressedSize === 0)) return;
  state.files++;
  let inflated: Inflated | null = null;
  let memberSource: ByteSource;
  if (e.method === METHOD_STORED) memberSource = await openStored(source, sink, m, index, state);
  else if (e.method === METHOD_DEFLATE && !isEncrypted(e.flags)) {
    inflated = await openDeflated(ctx, source, sink, m, state);
    if (!inflated) return;
    memberSource = inflated.source;
  } else return;
  try {
    const head = await memberSource.read(0, NPY_MAGIC.length);
    if (head.equals(NPY_MAGIC)) state.npy++;
    const child = await ctx.scanChild(memberSource, `${report.path}!${e.name}`, basenameOf(e.name));
    if (inflated && child.sha256 === null && inflated.sha256 && !inflated.overflow) child.sha256 = inflated.sha256;
    report.children!.push(child);
  } finally {
    if (inflated) await inflated.close();
  }
}

/** A stored member: a zero-copy slice (its head from memory); small ones get their CRC checked. */
async function openStored(source: ByteSource, sink: FindingSink, m: Member, index: number, state: ScanState): Promise<ByteSource> {
  const e = m.entry;
  const slice = new HeadCachedSlice(source, m.dataOffset, e.compressedSize, await state.heads.get(index));
  if (e.compressedSize <= STORED_CRC_MAX_MEMBER && state.crcBudget >= e.compressedSize && !isEncrypted(e.flags) && m.end <= source.size) {
    state.crcBudget -= e.compressedSize;
    const crc = crc32(await slice.read(0, e.compressedSize));
    if (crc !== e.crc32) sink.add('zip.crc-mismatch', crcMessage(printableName(e.name), crc, e.crc32), memberLocation(m));
  }
  return slice;
}

/** A deflated member, inflated up to its declared size within the archive's limits; null when not inflated. */
async function openDeflated(ctx: ScanContext, source: ByteSource, sink: FindingSink, m: Member, state: ScanState): Promise<Inflated | null> {
  const limits = ctx.limits;
  const e = m.entry;
  const loc = memberLocation(m);
  const shown = printableName(e.name);
  if (isBomb(e.uncompressedSize, e.compressedSize, limits.maxCompressionRatio) || state.totalIsBomb) return null;
  const room = limits.maxExpandedBytes - state.expanded;
  if (room <= 0) {
    sink.add('limit.maxExpandedBytes', `member "${shown}" not inflated: ${limits.maxExpandedBytes} bytes already inflated from this archive`, loc);
    return null;
  }
  // Loaders read at most the declared size (miniz sizes its buffer by it, Python stops there).
  const inflated = await inflateLimited(ctx, source.chunks(m.dataOffset, Math.min(m.end, source.size)), { format: 'raw', maxBytes: Math.min(e.uncompressedSize, room), digest: true });
  state.expanded += inflated.size;
  if (inflated.overflow && inflated.size < e.uncompressedSize) {
    sink.add('limit.maxExpandedBytes', `member "${shown}": inflating stopped at the archive's ${limits.maxExpandedBytes}-byte limit; the first ${inflated.size} bytes are scanned`, loc);
  } else if (inflated.overflow) {
    sink.add('zip.size-mismatch', `member "${shown}" inflates to more than its declared ${e.uncompressedSize} bytes; readers that trust the stream see more than the scanned part`, loc);
  } else if (inflated.error !== null) {
    sink.add('zip.corrupt-data', `member "${shown}": ${inflated.error} after ${inflated.size} bytes; that part is scanned`, loc);
  } else if (inflated.size !== e.uncompressedSize) {
    sink.add('zip.size-mismatch', `member "${shown}" inflates to ${inflated.size} bytes, ${e.uncompressedSize} declared`, loc);
  } else if (inflated.crc32 !== e.crc32) {
    sink.add('zip.crc-mismatch', crcMessage(shown, inflated.crc32, e.crc32), loc);
  }
  return inflated;
}

function memberLocation(m: Member): { member: string; offset: number } {
  return { member: m.entry.name, offset: m.entry.localOffset };
}

const LOCAL_READ_CONCURRENCY = 16;
/** Bytes of each stored member read ahead: the orchestrator's detection head (4 KiB). */
const MEMBER_HEAD_BYTES = 4096;
const HEAD_LOOKAHEAD = 8;
const HEAD_BLOCK_BYTES = 64 * 1024;
/** Member heads kept from the local-header reads, per archive. */
const KEPT_HEADS_BUDGET = 16 * 1024 * 1024;

/**
 * Reads the first bytes of stored members a few members ahead of the scan. Members close together
 * (small tensors) share one read of up to HEAD_BLOCK_BYTES; the last few blocks are kept.
 */
class HeadPrefetcher {
  private readonly pending = new Map<number, Promise<Buffer>>();
  private readonly blocks: Array<{ start: number; end: number; data: Promise<Buffer> }> = [];
  private ahead = 0;
  constructor(
    private readonly source: ByteSource,
    private readonly members: readonly Member[],
  ) {}

  private fetch(m: Member): Promise<Buffer> {
    const from = m.dataOffset;
    const to = from + headBytes(m);
    const hit = this.blocks.find((b) => b.start <= from && to <= b.end);
    if (hit) return hit.data.then((b) => b.subarray(from - hit.start, to - hit.start));
    const end = Math.min(this.source.size, Math.max(to, from + HEAD_BLOCK_BYTES));
    const data = this.source.read(from, Math.max(0, end - from));
    data.catch(() => undefined); // awaited (or dropped) by get()
    this.blocks.push({ start: from, end, data });
    if (this.blocks.length > 4) this.blocks.shift();
    return data.then((b) => b.subarray(0, to - from));
  }

  get(index: number): Promise<Buffer> {
    for (this.ahead = Math.max(this.ahead, index); this.ahead <= index + HEAD_LOOKAHEAD && this.ahead < this.members.length; this.ahead++) {
      const m = this.members[this.ahead]!;
      if (m.local !== null && m.entry.method === METHOD_STORED && m.head === null && !this.pending.has(this.ahead)) {
        const p = this.fetch(m);
        p.catch(() => undefined);
        this.pending.set(this.ahead, p);
      }
    }
    const own = this.pending.get(index);
    this.pending.delete(index);
    const m = this.members[index]!;
    if (m.head) {
      const head = m.head;
      m.head = null;
      return Promise.resolve(head);
    }
    return own ?? this.fetch(m);
  }
}

/** The detection head, or the whole member when it is small enough for its CRC to be checked. */
function headBytes(m: Member): number {
  return storedHeadBytes(m.entry.compressedSize);
}

function storedHeadBytes(size: number): number {
  return size <= STORED_CRC_MAX_MEMBER ? size : MEMBER_HEAD_BYTES;
}

/**
 * A stored member: a zero-copy slice of the archive whose first bytes, already read ahead, are
 * served from memory (the orchestrator's detection read, the npz check, a small member's CRC).
 */
class HeadCachedSlice extends SliceSource {
  constructor(
    parent: ByteSource,
    start: number,
    size: number,
    private readonly head: Buffer,
  ) {
    super(parent, start, size);
  }

  override read(offset: number, length: number): Promise<Buffer> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    if (offset >= 0 && offset + n <= this.head.length) return Promise.resolve(this.head.subarray(offset, offset + n));
    return super.read(offset, length);
  }
}

function isBomb(uncompressed: number, compressed: number, maxRatio: number): boolean {
  return uncompressed > BOMB_MIN_EXPANDED_BYTES && uncompressed > maxRatio * compressed;
}

function ratio(e: CentralEntry): string {
  return e.compressedSize === 0 ? 'infinite' : (e.uncompressedSize / e.compressedSize).toFixed(0);
}

function methodName(m: number): string {
  return `${m} (${METHOD_NAMES[m] ?? 'unknown'})`;
}

function crcMessage(shown: string, actual: number, declared: number): string {
  return `member "${shown}": CRC-32 ${hex8(actual)} but ${hex8(declared)} declared (CVE-2025-10156: PyTorch loads it anyway, Python zipfile refuses); scanned regardless`;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function countMethods(members: Member[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of members) {
    const k = METHOD_NAMES[m.entry.method] ?? String(m.entry.method);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

async function linkTarget(source: ByteSource, m: Member): Promise<string> {
  if (m.entry.method !== METHOD_STORED || m.entry.compressedSize > 4096 || !m.local) return '';
  const t = await source.read(m.dataOffset, m.entry.compressedSize);
  return ` to "${printableName(t.toString('utf8'))}"`;
}

/** PyTorch (torch.save writes `<dir>/data.pkl`), Keras 3 (`config.json` + `metadata.json` at the root), else zip. npz is decided from member content. */
function labelOf(members: Member[]): FormatId {
  const names = members.flatMap((m) => m.names);
  if (names.some((n) => /^[^/]+\/data\.pkl$/.test(n))) return 'pytorch-zip';
  if (names.includes('config.json') && names.includes('metadata.json')) return 'keras-zip';
  return 'zip';
}

interface Gap {
  kind: 'prepended-data' | 'unreferenced-data';
  start: number;
  end: number;
}

/**
 * Sorts every structure by offset and reports overlaps between members (or a member and a
 * directory) and bytes that belong to nothing. Returns the gaps, to be scanned as content.
 */
function layoutGaps(source: ByteSource, sink: FindingSink, members: Member[], layout: ZipLayout): Gap[] {
  interface Region {
    start: number;
    end: number;
    what: string;
    member: Member | null;
  }
  const regions: Region[] = [];
  for (const m of members) if (m.local) regions.push({ start: m.start, end: Math.min(m.end, source.size), what: `member "${printableName(m.entry.name)}"`, member: m });
  for (const d of layout.directories) regions.push({ start: d.cdOffset, end: d.cdOffset + d.cdSize, what: 'the central directory', member: null });
  const { end } = layout;
  if (end.zip64RecordOffset !== null) regions.push({ start: end.zip64RecordOffset, end: end.offset, what: 'the ZIP64 end records', member: null });
  regions.push({ start: end.offset, end: source.size, what: 'the end record', member: null });
  regions.sort((a, b) => a.start - b.start || a.end - b.end);

  const gaps: Gap[] = [];
  const first = regions[0]!;
  if (first.start > 0) {
    gaps.push({ kind: 'prepended-data', start: 0, end: first.start });
    sink.add('zip.prepended-data', `${first.start} bytes before the first zip structure (a polyglot or self-extractor: another reader sees another format); scanned as content`, { offset: 0 });
  }
  let reach = first;
  for (let i = 1; i < regions.length; i++) {
    const r = regions[i]!;
    if (r.start < reach.end) {
      if (r.member || reach.member) {
        sink.add('zip.overlap', `${r.what} at offset ${r.start} overlaps ${reach.what} [${reach.start}, ${reach.end})`, { offset: r.start, ...(r.member ? { member: r.member.entry.name } : {}) });
      }
    } else if (r.start > reach.end) {
      const len = r.start - reach.end;
      // A data descriptor (12-24 bytes) follows members written with flag bit 3.
      const descriptor = reach.member && ((reach.member.entry.flags | (reach.member.local?.flags ?? 0)) & FLAG_DATA_DESCRIPTOR) !== 0 && len <= 24;
      if (!descriptor) {
        gaps.push({ kind: 'unreferenced-data', start: reach.end, end: r.start });
        sink.add('zip.unreferenced-data', `${len} bytes at offset ${reach.end} belong to no member (after ${reach.what}); scanned as content`, { offset: reach.end });
      }
    }
    if (r.end > reach.end) reach = r;
  }
  return gaps;
}

/**
 * Streaming readers' view: walks local headers from `start` as Java's ZipInputStream or
 * `unzip -` would, scanning each member found. Used for zips without a central directory and for
 * entries hidden in gaps. Returns the number of members found.
 */
async function walkLocalHeaders(ctx: ScanContext, source: ByteSource, report: FileReport, sink: FindingSink, start: number, end: number): Promise<number> {
  let pos = start;
  let count = 0;
  let expanded = 0;
  const limits = ctx.limits;
  while (pos + 30 <= end) {
    ctx.checkTime();
    const h = await readLocalHeader(source, pos);
    if (!h) break;
    if (count >= limits.maxMembers) {
      sink.add('limit.maxMembers', `more than ${limits.maxMembers} members; the rest are not scanned`, { offset: pos });
      break;
    }
    count++;
    const loc = { member: h.name, offset: pos };
    const shown = printableName(h.name);
    const why = unsafePathReason(h.name);
    if (why) sink.add('archive.path-traversal', `member "${shown}": ${why}`, loc);
    const descriptor = (h.flags & FLAG_DATA_DESCRIPTOR) !== 0;
    const known = !descriptor || h.compressedSize > 0;
    let compressed = h.compressedSize;
    let memberSource: ByteSource | null = null;
    let inflated: Inflated | null = null;
    if (isEncrypted(h.flags)) {
      sink.add('zip.encrypted', `member "${shown}" is encrypted; its content cannot be inspected`, loc);
      if (!known) break;
    } else if (h.method === METHOD_STORED) {
      if (!known) {
        sink.add('zip.no-central-directory', `stored member "${shown}" has no recorded size; the walk cannot continue past it`, loc);
        break;
      }
      memberSource = new SliceSource(source, h.dataOffset, Math.min(compressed, end - h.dataOffset));
    } else if (h.method === METHOD_DEFLATE) {
      const avail = known ? Math.min(compressed, end - h.dataOffset) : end - h.dataOffset;
      const room = Math.max(0, limits.maxExpandedBytes - expanded);
      const ratioCap = Math.max(BOMB_MIN_EXPANDED_BYTES, limits.maxCompressionRatio * avail);
      inflated = await inflateLimited(ctx, source.chunks(h.dataOffset, h.dataOffset + avail), { format: 'raw', maxBytes: Math.min(room, ratioCap), digest: true });
      expanded += inflated.size;
      memberSource = inflated.source;
      if (inflated.overflow) sink.add(room <= ratioCap ? 'limit.maxExpandedBytes' : 'limit.maxCompressionRatio', `member "${shown}": inflating stopped after ${inflated.size} bytes; that part is scanned`, loc);
      else if (inflated.error !== null) sink.add('zip.corrupt-data', `member "${shown}": ${inflated.error} after ${inflated.size} bytes; that part is scanned`, loc);
      if (!known) compressed = inflated.ended ? inflated.consumed : avail;
    } else {
      sink.add('zip.unsupported-method', `member "${shown}": compression method ${methodName(h.method)}; content not inspected`, loc);
      if (!known) break;
    }
    if (memberSource) {
      try {
        const child = await ctx.scanChild(memberSource, `${report.path}!${h.name}`, basenameOf(h.name));
        if (child.sha256 === null && inflated?.sha256 && !inflated.overflow) child.sha256 = inflated.sha256;
        report.children!.push(child);
      } finally {
        await inflated?.close();
      }
    }
    pos = h.dataOffset + compressed;
    if (descriptor) {
      const sig = await source.read(pos, 4);
      pos += sig.length === 4 && sig.readUInt32LE(0) === SIG_DATA_DESCRIPTOR ? 16 : 12;
    }
  }
  return count;
}
