import { LedgerFormatError } from './errors.js';
import { type NodeId, assertTreeSize } from './nodes.js';

/**
 * C2SP tlog-tiles resource paths. A tile at level L is 256 consecutive hashes of complete subtrees of
 * height 8·L; in this package's node addressing, hash i of tile N at level L is node (8·L, 256·N + i).
 */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
export const MAX_TILE_LEVEL = 63;

export interface TileId {
  readonly level: number;
  readonly index: number;
  /** Number of hashes (or entries): 256 for a full tile, 1..255 for a partial one. */
  readonly width: number;
}

/** Tile index N as path elements: zero-padded 3-digit groups, all but the last prefixed with "x" (1234067 -> x001/x234/067). */
export function tileIndexPath(index: number): string {
  assertTreeSize(index, 'tile index');
  const digits = String(index);
  const padded = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
  const groups = padded.match(/.{3}/g) ?? [];
  return groups.map((group, i) => (i < groups.length - 1 ? `x${group}` : group)).join('/');
}

function widthSuffix(partialWidth: number | undefined): string {
  if (partialWidth === undefined || partialWidth === TILE_WIDTH) return '';
  if (!Number.isInteger(partialWidth) || partialWidth < 1 || partialWidth > TILE_WIDTH - 1) {
    throw new RangeError(`partial tile width must be 1..255, got ${String(partialWidth)}`);
  }
  return `.p/${partialWidth}`;
}

/** `tile/<L>/<N>[.p/<W>]`; a width of 256 or none means a full tile. */
export function tilePath(level: number, index: number, partialWidth?: number): string {
  if (!Number.isInteger(level) || level < 0 || level > MAX_TILE_LEVEL) throw new RangeError(`tile level must be 0..63, got ${String(level)}`);
  return `tile/${level}/${tileIndexPath(index)}${widthSuffix(partialWidth)}`;
}

/** `tile/entries/<N>[.p/<W>]` */
export function entriesTilePath(index: number, partialWidth?: number): string {
  return `tile/entries/${tileIndexPath(index)}${widthSuffix(partialWidth)}`;
}

export type ParsedTilePath = ({ readonly kind: 'hashes' } & TileId) | { readonly kind: 'entries'; readonly index: number; readonly width: number };

const TILE_PATH = /^tile\/(0|[1-9][0-9]?|entries)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/;

/** Parses a tile or entry-bundle path (without the URL prefix), rejecting non-canonical spellings. */
export function parseTilePath(path: string): ParsedTilePath {
  const match = TILE_PATH.exec(path);
  if (match === null) throw new LedgerFormatError(`not a tlog-tiles path: ${JSON.stringify(path)}`);
  const [, levelText = '', indexText = '', widthText] = match;
  const index = Number(indexText.replaceAll('x', '').replaceAll('/', ''));
  if (!Number.isSafeInteger(index)) throw new LedgerFormatError(`tile index too large in ${JSON.stringify(path)}`);
  const width = widthText === undefined ? TILE_WIDTH : Number(widthText);
  if (width > TILE_WIDTH - 1 && widthText !== undefined) throw new LedgerFormatError(`partial tile width must be 1..255 in ${JSON.stringify(path)}`);
  // One spelling per index: no extra leading "x000/" groups.
  if (tileIndexPath(index) !== indexText) throw new LedgerFormatError(`non-canonical tile index in ${JSON.stringify(path)}`);
  if (levelText === 'entries') return { kind: 'entries', index, width };
  const level = Number(levelText);
  if (level > MAX_TILE_LEVEL) throw new LedgerFormatError(`tile level must be 0..63 in ${JSON.stringify(path)}`);
  return { kind: 'hashes', level, index, width };
}

/** The stored nodes whose hashes, in order, are the content of a hash tile. */
export function tileNodeIds(tile: TileId): NodeId[] {
  const first = tile.index * TILE_WIDTH;
  return Array.from({ length: tile.width }, (_, i) => ({ level: tile.level * TILE_HEIGHT, index: first + i }));
}

/**
 * Every hash tile of a tree of `size` leaves: full tiles, then the partial tile, level by level. A tree of
 * 70,000 leaves has 273 full level-0 tiles, a level-0 tile of width 112, one full level-1 tile, a level-1
 * tile of width 17 and a level-2 tile of width 1.
 */
export function tilesForSize(size: number): TileId[] {
  assertTreeSize(size, 'size');
  const tiles: TileId[] = [];
  for (let level = 0, hashes = size; hashes > 0; level++, hashes = Math.floor(hashes / TILE_WIDTH)) {
    const full = Math.floor(hashes / TILE_WIDTH);
    for (let index = 0; index < full; index++) tiles.push({ level, index, width: TILE_WIDTH });
    const partial = hashes % TILE_WIDTH;
    if (partial > 0) tiles.push({ level, index: full, width: partial });
  }
  return tiles;
}

/** An entry bundle: each entry as a big-endian uint16 length followed by its bytes. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  for (const [i, entry] of entries.entries()) {
    if (entry.length > 0xffff) throw new LedgerFormatError(`entry ${i} is ${entry.length} bytes; bundles hold at most 65535`);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(entry.length);
    parts.push(length, Buffer.from(entry));
  }
  return Buffer.concat(parts);
}

export function decodeEntryBundle(bundle: Uint8Array): Buffer[] {
  const bytes = Buffer.from(bundle.buffer, bundle.byteOffset, bundle.byteLength);
  const entries: Buffer[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 2 > bytes.length) throw new LedgerFormatError(`entry bundle truncated in the length of entry ${entries.length}`);
    const length = bytes.readUInt16BE(offset);
    if (offset + 2 + length > bytes.length) throw new LedgerFormatError(`entry bundle truncated in entry ${entries.length}`);
    entries.push(Buffer.from(bytes.subarray(offset + 2, offset + 2 + length)));
    offset += 2 + length;
  }
  return entries;
}
