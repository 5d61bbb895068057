/**
 * A minimal, bounds-checked HDF5 reader: enough to read the root group's attributes (what Keras'
 * legacy `.h5` loader reads: `model_config`, `training_config`, `keras_version`, `backend`).
 *
 * Supported: superblock versions 0-3 (at 0, 512, 1024, 2048, ...; addresses relative to the base
 * address), version 1 and 2 object headers with continuation blocks, attribute messages versions
 * 1-3, fixed-length and variable-length strings (the latter in global heap collections), and
 * dense attribute storage (fractal heap) for heaps whose objects can be enumerated.
 *
 * Every read is checked against the file size; anything inconsistent is an `Hdf5Error` (the
 * handler turns it into a finding). Loops are bounded (visited sets and counts).
 */
import type { ByteSource } from '../source.js';

export const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

export class Hdf5Error extends Error {
  constructor(
    message: string,
    readonly offset?: number,
  ) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
    this.name = 'Hdf5Error';
  }
}

/** A string too large for the configured limit. */
export class Hdf5TooLarge extends Error {
  constructor(
    message: string,
    readonly bytes: number,
  ) {
    super(message);
    this.name = 'Hdf5TooLarge';
  }
}

export interface Hdf5Attribute {
  name: string;
  /** 'string' when the value was decoded as text; 'other' for numbers, arrays of other types, etc. */
  kind: 'string' | 'other' | 'unreadable';
  /** For strings: the (first) element's text. */
  value?: string;
  /** Element count (1 for scalars). */
  elements: number;
  /** Why an attribute could not be read (shared datatype, unsupported encoding...). */
  note?: string;
  offset: number;
}

export interface Hdf5RootInfo {
  superblockOffset: number;
  superblockVersion: number;
  objectHeaderVersion: number;
  attributes: Hdf5Attribute[];
  /** Dense (fractal heap) attribute storage was present. */
  denseAttributes: boolean;
  /** Dense attributes that could not be enumerated (count in the B-tree minus attributes read), when known. */
  denseUnread: number;
  /** Problems that did not stop the read (unknown message versions...). */
  notes: string[];
}

const UNDEF = -1;
const MAX_BLOCKS = 256;
const MAX_MESSAGES = 65536;

/** Offsets where HDF5 looks for the superblock: 0, 512, 1024, 2048, ... */
export function superblockCandidates(size: number): number[] {
  const out = [0];
  for (let o = 512; o + 8 <= size; o *= 2) out.push(o);
  return out;
}

/** The superblock offset found in the first bytes of the file (head), or null. */
export function hdf5SignatureInHead(head: Buffer): number | null {
  for (const o of superblockCandidates(head.length)) if (o + 8 <= head.length && head.subarray(o, o + 8).equals(HDF5_SIGNATURE)) return o;
  return null;
}

/** Searches the whole file (0, 512, 1024, ... up to its size) for the signature. */
export async function findSuperblock(source: ByteSource): Promise<number | null> {
  // All candidate offsets at once: on a large non-HDF5 file this is a few dozen tiny reads, issued together.
  const offsets = [...superblockCandidates(source.size)];
  const heads = await Promise.all(offsets.map((o) => source.read(o, 8)));
  for (let i = 0; i < offsets.length; i++) if (heads[i]!.length === 8 && heads[i]!.equals(HDF5_SIGNATURE)) return offsets[i]!;
  return null;
}

class Ctx {
  sizeOfOffsets = 8;
  sizeOfLengths = 8;
  base = 0;
  constructor(
    readonly src: ByteSource,
    readonly maxStringBytes: number,
    readonly checkTime: () => void,
  ) {}

  async read(abs: number, n: number, what: string): Promise<Buffer> {
    if (!Number.isSafeInteger(abs) || abs < 0 || n < 0 || abs + n > this.src.size) throw new Hdf5Error(`${what} lies outside the file (${n} bytes at ${abs}, file is ${this.src.size} bytes)`, abs >= 0 ? abs : undefined);
    const b = await this.src.read(abs, n);
    if (b.length !== n) throw new Hdf5Error(`short read of ${what}`, abs);
    return b;
  }

  /** An address field (relative to the base address); UNDEF for the undefined address. */
  addr(b: Buffer, at: number): number {
    return readUint(b, at, this.sizeOfOffsets, true);
  }

  len(b: Buffer, at: number): number {
    const v = readUint(b, at, this.sizeOfLengths, false);
    if (v === UNDEF) throw new Hdf5Error('length field out of range');
    return v;
  }

  abs(rel: number, what: string): number {
    if (rel === UNDEF) throw new Hdf5Error(`${what}: undefined address`);
    const a = this.base + rel;
    if (a >= this.src.size) throw new Hdf5Error(`${what} address ${a} is past the end of the file (${this.src.size} bytes)`, a);
    return a;
  }
}

/** Little-endian unsigned integer of 1..8 bytes; UNDEF for all-ones (undefined address) or when above 2^53. */
function readUint(b: Buffer, at: number, n: number, allOnesUndef: boolean): number {
  if (at + n > b.length) throw new Hdf5Error('field past the end of its structure');
  let allOnes = true;
  let v = 0;
  for (let i = n - 1; i >= 0; i--) {
    const x = b[at + i]!;
    if (x !== 0xff) allOnes = false;
    v = v * 256 + x;
  }
  if (allOnes && allOnesUndef) return UNDEF;
  if (!Number.isSafeInteger(v)) return UNDEF;
  return v;
}

interface Message {
  type: number;
  flags: number;
  /** Absolute offset of the message data. */
  at: number;
  size: number;
}

async function readSuperblock(c: Ctx, sbOff: number): Promise<{ version: number; rootHeader: number }> {
  const b = await c.read(sbOff, Math.min(128, c.src.size - sbOff), 'superblock');
  const version = b[8];
  if (version === undefined) throw new Hdf5Error('truncated superblock', sbOff);
  const checkSizes = () => {
    if (![2, 4, 8].includes(c.sizeOfOffsets) || ![2, 4, 8].includes(c.sizeOfLengths)) throw new Hdf5Error(`unsupported size of offsets/lengths ${c.sizeOfOffsets}/${c.sizeOfLengths}`, sbOff);
  };
  if (version === 0 || version === 1) {
    if (b.length < 24) throw new Hdf5Error('truncated superblock', sbOff);
    c.sizeOfOffsets = b[13]!;
    c.sizeOfLengths = b[14]!;
    checkSizes();
    const O = c.sizeOfOffsets;
    let p = version === 0 ? 24 : 28;
    if (p + 4 * O + 2 * O + 8 > b.length) throw new Hdf5Error('truncated superblock', sbOff);
    const base = readUint(b, p, O, true);
    c.base = base === UNDEF ? sbOff : base;
    p += 4 * O; // base, free-space info, end of file, driver info
    // Root group symbol table entry: link name offset, object header address, cache type, reserved, scratch.
    const rootRel = readUint(b, p + O, O, true);
    return { version, rootHeader: c.abs(rootRel, 'root group object header') };
  }
  if (version === 2 || version === 3) {
    if (b.length < 12) throw new Hdf5Error('truncated superblock', sbOff);
    c.sizeOfOffsets = b[9]!;
    c.sizeOfLengths = b[10]!;
    checkSizes();
    const O = c.sizeOfOffsets;
    if (12 + 4 * O + 4 > b.length) throw new Hdf5Error('truncated superblock', sbOff);
    const base = readUint(b, 12, O, true);
    c.base = base === UNDEF ? sbOff : base;
    const rootRel = readUint(b, 12 + 3 * O, O, true);
    return { version, rootHeader: c.abs(rootRel, 'root group object header') };
  }
  throw new Hdf5Error(`unsupported superblock version ${version}`, sbOff + 8);
}

/** All messages of the object header at `abs`, following continuation blocks. */
async function readObjectHeader(c: Ctx, abs: number): Promise<{ version: number; messages: Message[] }> {
  const first = await c.read(abs, Math.min(64, c.src.size - abs), 'object header');
  const messages: Message[] = [];
  const visited = new Set<number>();
  const queue: { at: number; len: number; v2: boolean; cont: boolean }[] = [];
  let version: number;
  // Flags of a version 2 header (bit 2: messages carry a creation order field).
  let hdrFlags = 0;
  if (first.subarray(0, 4).toString('latin1') === 'OHDR') {
    version = 2;
    if (first[4] !== 2) throw new Hdf5Error(`unsupported object header version ${first[4]}`, abs + 4);
    const flags = first[5]!;
    let p = 6;
    if (flags & 0x20) p += 16;
    if (flags & 0x10) p += 4;
    const n = 1 << (flags & 3);
    const chunk0 = readUint(first, p, n, false);
    p += n;
    if (chunk0 === UNDEF) throw new Hdf5Error('object header chunk size out of range', abs);
    queue.push({ at: abs + p, len: chunk0, v2: true, cont: false });
    visited.add(abs);
    hdrFlags = flags;
  } else {
    version = first[0]!;
    if (version !== 1) throw new Hdf5Error(`unsupported object header version ${version}`, abs);
    if (first.length < 16) throw new Hdf5Error('truncated object header', abs);
    const headerSize = first.readUInt32LE(8);
    queue.push({ at: abs + 16, len: headerSize, v2: false, cont: false });
    visited.add(abs);
  }
  let blocks = 0;
  while (queue.length > 0) {
    const blk = queue.shift()!;
    if (++blocks > MAX_BLOCKS) throw new Hdf5Error(`more than ${MAX_BLOCKS} object header continuation blocks`, blk.at);
    c.checkTime();
    let start = blk.at;
    let len = blk.len;
    if (blk.v2 && blk.cont) {
      const sig = await c.read(start, 4, 'continuation block');
      if (sig.toString('latin1') !== 'OCHK') throw new Hdf5Error('continuation block without OCHK signature', start);
      start += 4;
      len -= 8; // signature and checksum
    }
    if (len < 0) throw new Hdf5Error('object header block too small', blk.at);
    const buf = await c.read(start, len, 'object header messages');
    let p = 0;
    const hdr = blk.v2 ? ((hdrFlags & 0x04) !== 0 ? 6 : 4) : 8;
    while (p + hdr <= buf.length) {
      let type: number;
      let size: number;
      let mflags: number;
      if (blk.v2) {
        type = buf[p]!;
        size = buf.readUInt16LE(p + 1);
        mflags = buf[p + 3]!;
      } else {
        type = buf.readUInt16LE(p);
        size = buf.readUInt16LE(p + 2);
        mflags = buf[p + 4]!;
      }
      const dataAt = p + hdr;
      if (dataAt + size > buf.length) throw new Hdf5Error(`object header message (type ${type}) runs past its block`, start + p);
      if (messages.length >= MAX_MESSAGES) throw new Hdf5Error(`more than ${MAX_MESSAGES} object header messages`, start + p);
      messages.push({ type, flags: mflags, at: start + dataAt, size });
      if (type === 0x10) {
        const d = buf.subarray(dataAt, dataAt + size);
        if (d.length < c.sizeOfOffsets + c.sizeOfLengths) throw new Hdf5Error('truncated continuation message', start + dataAt);
        const off = c.abs(c.addr(d, 0), 'continuation block');
        const clen = c.len(d, c.sizeOfOffsets);
        if (visited.has(off)) throw new Hdf5Error('object header continuation loop', off);
        visited.add(off);
        queue.push({ at: off, len: clen, v2: blk.v2, cont: true });
      }
      p = dataAt + size;
    }
  }
  return { version, messages };
}

interface Datatype {
  cls: number;
  size: number;
  /** For strings: 'fixed' or 'vlen'. */
  str?: 'fixed' | 'vlen';
  pad?: number;
  charset?: number;
}

function parseDatatype(b: Buffer): Datatype {
  if (b.length < 8) throw new Hdf5Error('truncated datatype');
  const cls = b[0]! & 0x0f;
  const size = b.readUInt32LE(4);
  const bits0 = b[1]!;
  if (cls === 3) return { cls, size, str: 'fixed', pad: bits0 & 0x0f, charset: bits0 >> 4 };
  if (cls === 9) {
    const vtype = bits0 & 0x0f;
    if (vtype === 1) return { cls, size, str: 'vlen', pad: bits0 >> 4, charset: b[2]! & 0x0f };
  }
  return { cls, size };
}

function parseDataspace(b: Buffer, c: Ctx): number {
  if (b.length < 4) throw new Hdf5Error('truncated dataspace');
  const version = b[0]!;
  const rank = b[1]!;
  let p: number;
  if (version === 1) p = 8;
  else if (version === 2) {
    if (b[3] === 0) return 1; // scalar
    if (b[3] === 2) return 0; // null
    p = 4;
  } else throw new Hdf5Error(`unsupported dataspace version ${version}`);
  if (rank === 0) return 1;
  let n = 1;
  for (let i = 0; i < rank; i++) {
    const d = c.len(b, p + i * c.sizeOfLengths);
    n *= d;
    if (!Number.isSafeInteger(n)) throw new Hdf5Error('dataspace too large');
  }
  return n;
}

const pad8 = (n: number) => Math.ceil(n / 8) * 8;

async function parseAttribute(c: Ctx, m: Message): Promise<Hdf5Attribute> {
  if (m.flags & 0x02) return { name: '?', kind: 'unreadable', elements: 0, note: 'shared attribute message', offset: m.at };
  const b = await c.read(m.at, m.size, 'attribute message');
  return decodeAttribute(c, b, m.at);
}

async function decodeAttribute(c: Ctx, b: Buffer, at: number): Promise<Hdf5Attribute & { length: number }> {
  if (b.length < 8) throw new Hdf5Error('truncated attribute message', at);
  const version = b[0]!;
  const flags = b[1]!;
  const nameSize = b.readUInt16LE(2);
  const dtSize = b.readUInt16LE(4);
  const dsSize = b.readUInt16LE(6);
  let p = 8;
  let padded = false;
  if (version === 1) padded = true;
  else if (version === 3) p = 9;
  else if (version !== 2) throw new Hdf5Error(`unsupported attribute message version ${version}`, at);
  const take = (n: number, what: string) => {
    if (p + n > b.length) throw new Hdf5Error(`attribute ${what} runs past the message`, at + p);
    const s = b.subarray(p, p + n);
    p += padded ? pad8(n) : n;
    return s;
  };
  const nameBytes = take(nameSize, 'name');
  const nul = nameBytes.indexOf(0);
  const name = nameBytes.subarray(0, nul >= 0 ? nul : nameBytes.length).toString('utf8');
  const dtBytes = take(dtSize, 'datatype');
  const dsBytes = take(dsSize, 'dataspace');
  if (version >= 2 && flags & 0x03) return { name, kind: 'unreadable', elements: 0, note: 'shared (committed) datatype or dataspace', offset: at, length: p };
  const dt = parseDatatype(dtBytes);
  const elements = parseDataspace(dsBytes, c);
  const dataLen = elements * dt.size;
  if (!Number.isSafeInteger(dataLen) || p + dataLen > b.length) throw new Hdf5Error(`attribute "${name}" data runs past the message`, at + p);
  const data = b.subarray(p, p + dataLen);
  const length = p + dataLen;
  if (!dt.str || elements === 0) return { name, kind: 'other', elements, offset: at, length };
  if (dt.str === 'fixed') {
    if (dt.size > c.maxStringBytes) throw new Hdf5TooLarge(`attribute "${name}" string of ${dt.size} bytes`, dt.size);
    let s = data.subarray(0, dt.size);
    if (dt.pad === 2) s = s.subarray(0, s.length - (s.length - s.toString('latin1').trimEnd().length));
    else {
      const z = s.indexOf(0);
      if (z >= 0) s = s.subarray(0, z);
    }
    return { name, kind: 'string', value: s.toString('utf8'), elements, offset: at, length };
  }
  // Variable-length string: 4-byte length, then a global heap ID (collection address, object index).
  const O = c.sizeOfOffsets;
  if (data.length < 4 + O + 4) throw new Hdf5Error(`attribute "${name}" vlen element too short`, at + p);
  const slen = data.readUInt32LE(0);
  const coll = c.addr(data, 4);
  const index = data.readUInt32LE(4 + O);
  if (coll === UNDEF || coll === 0) return { name, kind: 'string', value: '', elements, offset: at, length };
  if (slen > c.maxStringBytes) throw new Hdf5TooLarge(`attribute "${name}" string of ${slen} bytes`, slen);
  const value = await readGlobalHeapObject(c, c.abs(coll, 'global heap collection'), index, slen);
  return { name, kind: 'string', value: value.toString('utf8'), elements, offset: at, length };
}

async function readGlobalHeapObject(c: Ctx, abs: number, index: number, want: number): Promise<Buffer> {
  const L = c.sizeOfLengths;
  const h = await c.read(abs, 8 + L, 'global heap collection header');
  if (h.subarray(0, 4).toString('latin1') !== 'GCOL') throw new Hdf5Error('global heap collection without GCOL signature', abs);
  const csize = c.len(h, 8);
  if (csize < 8 + L || abs + csize > c.src.size) throw new Hdf5Error(`global heap collection of ${csize} bytes runs past the end of the file`, abs);
  let p = abs + 8 + L;
  const end = abs + csize;
  for (let i = 0; i < 1_000_000 && p + 8 + L <= end; i++) {
    if ((i & 0xff) === 0) c.checkTime();
    const oh = await c.read(p, 8 + L, 'global heap object');
    const idx = oh.readUInt16LE(0);
    const osize = c.len(oh, 8);
    if (idx === 0) break; // free space: the rest of the collection
    const dataAt = p + 8 + L;
    if (dataAt + osize > end) throw new Hdf5Error(`global heap object ${idx} runs past its collection`, p);
    if (idx === index) return c.read(dataAt, Math.min(osize, want), 'global heap object data');
    p = dataAt + pad8(osize);
  }
  throw new Hdf5Error(`global heap object ${index} not found`, abs);
}

/**
 * Dense attribute storage: attribute messages live in a fractal heap. Its managed objects are
 * packed from the start of each direct block; we enumerate the direct blocks (root direct block,
 * or the direct-block rows of a root indirect block) and decode attribute messages back to back.
 * The name-index B-tree's record count tells whether every attribute was found.
 */
async function readDenseAttributes(c: Ctx, heapRel: number, btreeRel: number): Promise<{ attrs: Hdf5Attribute[]; unread: number }> {
  const O = c.sizeOfOffsets;
  const L = c.sizeOfLengths;
  const heapAt = c.abs(heapRel, 'fractal heap');
  const h = await c.read(heapAt, Math.min(256, c.src.size - heapAt), 'fractal heap header');
  if (h.subarray(0, 4).toString('latin1') !== 'FRHP') throw new Hdf5Error('fractal heap without FRHP signature', heapAt);
  if (h.length < 22 + 12 * L + 3 * O + 12) throw new Hdf5Error('truncated fractal heap header', heapAt);
  let p = 5;
  const idLen = h.readUInt16LE(p);
  const ioFilterLen = h.readUInt16LE(p + 2);
  const flags = h[p + 4]!;
  p += 5;
  p += 4; // max size of managed objects
  p += L + O; // next huge object id, v2 btree address of huge objects
  p += L + O; // free space amount, free-space manager address
  p += L * 4; // managed space, allocated managed space, iterator offset, number of managed objects
  p += L * 2 + L * 2; // huge objects size/count, tiny objects size/count
  const tableWidth = h.readUInt16LE(p);
  const startBlock = c.len(h, p + 2);
  const maxDirect = c.len(h, p + 2 + L);
  const maxHeapBits = h.readUInt16LE(p + 2 + 2 * L);
  const startRows = h.readUInt16LE(p + 4 + 2 * L);
  const rootRel = c.addr(h, p + 6 + 2 * L);
  const rowsInRoot = h.readUInt16LE(p + 6 + 2 * L + O);
  void idLen;
  void startRows;
  if (ioFilterLen > 0) throw new Hdf5Error('filtered fractal heap (compressed dense attributes) is not supported', heapAt);
  const blockOffsetBytes = Math.ceil(maxHeapBits / 8);
  const dbHeader = 5 + O + blockOffsetBytes + (flags & 0x02 ? 4 : 0);
  const direct: { at: number; size: number }[] = [];
  if (rootRel !== UNDEF) {
    const rootAt = c.abs(rootRel, 'fractal heap root block');
    if (rowsInRoot === 0) direct.push({ at: rootAt, size: startBlock });
    else {
      const ib = await c.read(rootAt, Math.min(c.src.size - rootAt, 5 + O + blockOffsetBytes + tableWidth * rowsInRoot * O), 'fractal heap indirect block');
      if (ib.subarray(0, 4).toString('latin1') !== 'FHIB') throw new Hdf5Error('fractal heap indirect block without FHIB signature', rootAt);
      let q = 5 + O + blockOffsetBytes;
      for (let row = 0; row < rowsInRoot; row++) {
        const size = row < 2 ? startBlock : startBlock * 2 ** (row - 1);
        if (size > maxDirect) break; // indirect rows: not enumerated
        for (let col = 0; col < tableWidth; col++, q += O) {
          if (q + O > ib.length) break;
          const a = c.addr(ib, q);
          if (a !== UNDEF && a !== 0) direct.push({ at: c.abs(a, 'fractal heap direct block'), size });
        }
      }
    }
  }
  const attrs: Hdf5Attribute[] = [];
  for (const d of direct.slice(0, 1024)) {
    c.checkTime();
    const blk = await c.read(d.at, Math.min(d.size, c.src.size - d.at), 'fractal heap direct block');
    if (blk.subarray(0, 4).toString('latin1') !== 'FHDB') throw new Hdf5Error('fractal heap direct block without FHDB signature', d.at);
    let q = dbHeader;
    while (q + 9 <= blk.length && blk[q] !== 0) {
      let a: Hdf5Attribute & { length: number };
      try {
        a = await decodeAttribute(c, blk.subarray(q), d.at + q);
      } catch (err) {
        if (err instanceof Hdf5Error) break;
        throw err;
      }
      attrs.push(a);
      q += a.length;
    }
  }
  let total = -1;
  if (btreeRel !== UNDEF) {
    const bAt = c.abs(btreeRel, 'attribute name index');
    const bh = await c.read(bAt, Math.min(c.src.size - bAt, 16 + 2 * O + L), 'v2 B-tree header');
    if (bh.subarray(0, 4).toString('latin1') === 'BTHD') total = c.len(bh, 16 + O + 2);
  }
  return { attrs, unread: total < 0 ? -1 : Math.max(0, total - attrs.length) };
}

export interface ReadRootOptions {
  superblockOffset: number;
  maxStringBytes: number;
  checkTime?: () => void;
}

/** Reads the root group's attributes. Throws Hdf5Error for malformed files. */
export async function readRootAttributes(source: ByteSource, opts: ReadRootOptions): Promise<Hdf5RootInfo> {
  const c = new Ctx(source, opts.maxStringBytes, opts.checkTime ?? (() => {}));
  const sb = await readSuperblock(c, opts.superblockOffset);
  const oh = await readObjectHeader(c, sb.rootHeader);
  const info: Hdf5RootInfo = { superblockOffset: opts.superblockOffset, superblockVersion: sb.version, objectHeaderVersion: oh.version, attributes: [], denseAttributes: false, denseUnread: 0, notes: [] };
  for (const m of oh.messages) {
    if (m.type === 0x0c) {
      try {
        info.attributes.push(await parseAttribute(c, m));
      } catch (err) {
        if (err instanceof Hdf5Error && /unsupported/.test(err.message)) info.attributes.push({ name: '?', kind: 'unreadable', elements: 0, note: err.message, offset: m.at });
        else throw err;
      }
    } else if (m.type === 0x15) {
      // Attribute info: dense storage when the fractal heap address is defined.
      const b = await c.read(m.at, m.size, 'attribute info message');
      if (b.length < 2) throw new Hdf5Error('truncated attribute info message', m.at);
      let p = 2 + (b[1]! & 0x01 ? 2 : 0);
      if (p + 2 * c.sizeOfOffsets > b.length) throw new Hdf5Error('truncated attribute info message', m.at);
      const heap = c.addr(b, p);
      p += c.sizeOfOffsets;
      const btree = c.addr(b, p);
      if (heap !== UNDEF) {
        info.denseAttributes = true;
        const dense = await readDenseAttributes(c, heap, btree);
        info.attributes.push(...dense.attrs.map(({ name, kind, value, elements, note, offset }) => ({ name, kind, elements, offset, ...(value !== undefined ? { value } : {}), ...(note ? { note } : {}) })));
        info.denseUnread = dense.unread;
      }
    }
  }
  return info;
}
