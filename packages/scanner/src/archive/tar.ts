/**
 * A tar reader over a ByteSource (ustar, pax, GNU and old v7 headers) that reads the 512-byte
 * headers and leaves member data in place: a regular member is a (offset, size) range of the file.
 * It follows Python's tarfile (what model tooling uses) for which types carry data, for the ustar
 * prefix, for pax `path`/`linkpath`/`size` and GNU `././@LongLink` names; where GNU tar reads
 * further than Python (past a bad checksum, past the end-of-archive zeros) it reads further too
 * and reports why, so nothing either reader extracts goes unscanned.
 */
import type { ByteSource } from '../source.js';
import { decodeName } from './common.js';

export const BLOCK = 512;

/** Types whose data follows the header (Python's REGULAR_TYPES); unknown types are read as regular files too. */
const REGULAR = new Set(['0', '\0', '7', 'S']);
const SUPPORTED = new Set(['0', '\0', '1', '2', '3', '4', '5', '6', '7', 'L', 'K', 'S', 'x', 'g', 'X']);
/** Largest GNU long name / pax header block read into memory. */
const MAX_META_BYTES = 1024 * 1024;

export interface TarEntry {
  /** Offset of the member's own header (after any long-name / pax headers). */
  offset: number;
  name: string;
  linkName: string;
  /** The typeflag character ('0', '\0', '1', '2', ...). */
  type: string;
  mode: number;
  /** Bytes of data (pax `size` applied). */
  size: number;
  /** First byte of the data; data occupies [dataOffset, dataOffset + size) when hasData. */
  dataOffset: number;
  hasData: boolean;
  sparse: boolean;
}

export type TarEvent =
  | { kind: 'entry'; entry: TarEntry }
  | { kind: 'bad-checksum'; offset: number; resyncedAt: number | null }
  | { kind: 'bad-header'; offset: number; reason: string }
  | { kind: 'truncated'; offset: number; what: string }
  | { kind: 'trailing-data'; offset: number };

/** Parses a tar numeric field: octal text (NUL/space padded) or GNU base-256. Null when invalid. */
export function tarNumber(field: Buffer): number | null {
  if (field.length > 0 && (field[0]! & 0x80) !== 0) {
    if (field[0] === 0xff) return null; // negative
    let v = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) v = v * 256 + field[i]!;
    return Number.isSafeInteger(v) ? v : null;
  }
  const s = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return null;
  const v = parseInt(s, 8);
  return Number.isSafeInteger(v) ? v : null;
}

/** True when the header's checksum matches (unsigned or signed byte sum, as Python accepts). */
export function checksumOk(block: Buffer): boolean {
  const want = tarNumber(block.subarray(148, 156));
  if (want === null) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return want === unsigned || want === signed;
}

function isZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function nts(b: Buffer): Buffer {
  const z = b.indexOf(0);
  return z < 0 ? b : b.subarray(0, z);
}

function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let p = 0;
  while (p < data.length) {
    const sp = data.indexOf(0x20, p);
    if (sp < 0) break;
    const len = parseInt(data.subarray(p, sp).toString('latin1'), 10);
    if (!Number.isFinite(len) || len <= sp - p || p + len > data.length) break;
    const rec = data.subarray(sp + 1, p + len - 1).toString('utf8'); // drop trailing \n
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    p += len;
  }
  return out;
}

const padded = (n: number) => Math.ceil(n / BLOCK) * BLOCK;

/** The ustar magic at 257 (POSIX `ustar\0` or GNU `ustar `). */
export function hasUstarMagic(head: Buffer): boolean {
  if (head.length < BLOCK) return false;
  const magic = head.toString('latin1', 257, 263);
  return magic === 'ustar\0' || magic === 'ustar ';
}

/**
 * Content detection as Python's tarfile (what loaders use) accepts a tar: a first header whose
 * checksum is valid, with the ustar magic or (v7) octal numeric fields. The magic alone is not
 * enough: six bytes at offset 257 are easy to place in a pickle, and a tar claim would hide it.
 */
export function looksLikeTar(head: Buffer): boolean {
  if (head.length < BLOCK || !checksumOk(head.subarray(0, BLOCK))) return false;
  if (hasUstarMagic(head)) return true;
  if (head[0] === 0) return false;
  // v7: the numeric fields must be octal text.
  return tarNumber(head.subarray(100, 108)) !== null && tarNumber(head.subarray(124, 136)) !== null && tarNumber(head.subarray(136, 148)) !== null;
}

export interface ReadTarOptions {
  checkTime: () => void;
}

/** Walks the archive's headers. Data is never read except GNU long names and pax records. */
export async function* readTar(source: ByteSource, opts: ReadTarOptions): AsyncGenerator<TarEvent> {
  let pos = 0;
  let longName: string | null = null;
  let longLink: string | null = null;
  let pax: Map<string, string> | null = null;
  const globalPax = new Map<string, string>();
  let endSeen = false;
  let resyncFrom: number | null = null;
  let n = 0;
  while (pos < source.size) {
    if ((++n & 255) === 0) opts.checkTime();
    const block = await source.read(pos, BLOCK);
    if (block.length < BLOCK) {
      if (!isZero(block)) yield { kind: 'truncated', offset: pos, what: 'header' };
      return;
    }
    if (isZero(block)) {
      endSeen = true;
      pos += BLOCK;
      continue;
    }
    if (!checksumOk(block)) {
      if (resyncFrom === null) {
        resyncFrom = pos;
        if (endSeen) {
          // Non-zero garbage after the end marker: nothing any reader extracts.
          yield { kind: 'trailing-data', offset: pos };
          return;
        }
      }
      pos += BLOCK;
      continue;
    }
    if (resyncFrom !== null) {
      yield { kind: 'bad-checksum', offset: resyncFrom, resyncedAt: pos };
      resyncFrom = null;
    }
    if (endSeen) {
      yield { kind: 'trailing-data', offset: pos };
      endSeen = false;
    }
    let type = String.fromCharCode(block[156]!);
    const size = tarNumber(block.subarray(124, 136));
    const mode = tarNumber(block.subarray(100, 108)) ?? 0;
    if (size === null) {
      yield { kind: 'bad-header', offset: pos, reason: 'size field is not a number' };
      return;
    }
    const dataOffset = pos + BLOCK;
    if (type === 'L' || type === 'K' || type === 'x' || type === 'X' || type === 'g') {
      if (size > MAX_META_BYTES) {
        yield { kind: 'bad-header', offset: pos, reason: `${type === 'L' || type === 'K' ? 'GNU long name' : 'pax header'} of ${size} bytes` };
        return;
      }
      const data = await source.read(dataOffset, size);
      if (data.length < size) {
        yield { kind: 'truncated', offset: pos, what: 'extended header' };
        return;
      }
      if (type === 'L') longName = decodeName(nts(data));
      else if (type === 'K') longLink = decodeName(nts(data));
      else if (type === 'g') for (const [k, v] of paxRecords(data)) globalPax.set(k, v);
      else pax = new Map([...globalPax, ...paxRecords(data)]);
      pos = dataOffset + padded(size);
      continue;
    }

    let name = decodeName(nts(block.subarray(0, 100)));
    const prefix = decodeName(nts(block.subarray(345, 500)));
    if (prefix && type !== 'L' && type !== 'K' && type !== 'S') name = `${prefix}/${name}`;
    let linkName = decodeName(nts(block.subarray(157, 257)));
    if (type === '\0' && name.endsWith('/')) type = '5';
    let dataSize = size;
    let sparse = type === 'S';
    let after = dataOffset;
    if (sparse && block[482] !== 0) {
      // Old GNU sparse: extension blocks follow the header while their flag byte is set.
      for (;;) {
        const ext = await source.read(after, BLOCK);
        if (ext.length < BLOCK) {
          yield { kind: 'truncated', offset: after, what: 'sparse header' };
          return;
        }
        after += BLOCK;
        if (ext[504] === 0) break;
        opts.checkTime();
      }
    }
    if (longName !== null) name = longName;
    if (longLink !== null) linkName = longLink;
    if (pax) {
      const p = pax.get('path');
      if (p !== undefined) name = p;
      const l = pax.get('linkpath');
      if (l !== undefined) linkName = l;
      const s = pax.get('size');
      if (s !== undefined && /^\d+$/.test(s)) dataSize = Number(s);
      if ([...pax.keys()].some((k) => k.startsWith('GNU.sparse.'))) sparse = true;
    }
    longName = null;
    longLink = null;
    pax = null;
    if (type === '5') name = name.replace(/\/+$/, '');
    const hasData = REGULAR.has(type) || !SUPPORTED.has(type);
    yield { kind: 'entry', entry: { offset: pos, name, linkName, type, mode, size: dataSize, dataOffset: after, hasData, sparse } };
    if (hasData) {
      if (after + dataSize > source.size) {
        yield { kind: 'truncated', offset: pos, what: `data of "${name}"` };
        return;
      }
      pos = after + padded(dataSize);
    } else {
      pos = after;
    }
  }
  if (resyncFrom !== null) yield { kind: 'bad-checksum', offset: resyncFrom, resyncedAt: null };
}
