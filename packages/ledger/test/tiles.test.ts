/** Tile paths and geometry against the examples in c2sp.org/tlog-tiles. */
import { describe, expect, it } from 'vitest';
import {
  LedgerFormatError,
  appendToFrontier,
  decodeEntryBundle,
  encodeEntryBundle,
  entriesTilePath,
  leafHash,
  nodeKey,
  parseTilePath,
  tileIndexPath,
  tileNodeIds,
  tilePath,
  tilesForSize,
  type Frontier,
} from '../src/index.js';
import { ReferenceTree } from './reference.js';

describe('tile paths', () => {
  it('encodes the index in x-prefixed 3-digit groups (spec: 1234067 -> x001/x234/067)', () => {
    expect(tileIndexPath(1234067)).toBe('x001/x234/067');
    expect(tileIndexPath(0)).toBe('000');
    expect(tileIndexPath(5)).toBe('005');
    expect(tileIndexPath(999)).toBe('999');
    expect(tileIndexPath(1000)).toBe('x001/000');
    expect(tileIndexPath(1000000)).toBe('x001/x000/000');
    expect(tileIndexPath(Number.MAX_SAFE_INTEGER)).toBe('x009/x007/x199/x254/x740/991');
  });

  it('builds hash tile and entry bundle paths', () => {
    expect(tilePath(0, 1234067)).toBe('tile/0/x001/x234/067');
    expect(tilePath(0, 1234067, 89)).toBe('tile/0/x001/x234/067.p/89');
    expect(tilePath(1, 273, 17)).toBe('tile/1/273.p/17');
    expect(tilePath(2, 0, 1)).toBe('tile/2/000.p/1');
    expect(tilePath(63, 0, 256)).toBe('tile/63/000');
    expect(entriesTilePath(1234067)).toBe('tile/entries/x001/x234/067');
    expect(entriesTilePath(273, 112)).toBe('tile/entries/273.p/112');
    expect(() => tilePath(64, 0)).toThrow(RangeError);
    expect(() => tilePath(0, 0, 0)).toThrow(RangeError);
    expect(() => tilePath(0, 0, 257)).toThrow(RangeError);
    expect(() => tilePath(0, -1)).toThrow(RangeError);
    expect(() => tilePath(0, 1.5)).toThrow(RangeError);
  });

  it('parses paths back', () => {
    expect(parseTilePath('tile/0/x001/x234/067')).toEqual({ kind: 'hashes', level: 0, index: 1234067, width: 256 });
    expect(parseTilePath('tile/0/x001/x234/067.p/89')).toEqual({ kind: 'hashes', level: 0, index: 1234067, width: 89 });
    expect(parseTilePath('tile/63/000.p/255')).toEqual({ kind: 'hashes', level: 63, index: 0, width: 255 });
    expect(parseTilePath('tile/entries/273.p/112')).toEqual({ kind: 'entries', index: 273, width: 112 });
    for (const [level, index, width] of [[0, 0, 256], [5, 1000, 3], [1, 999999, 256]] as const) {
      expect(parseTilePath(tilePath(level, index, width))).toEqual({ kind: 'hashes', level, index, width });
    }
  });

  it.each([
    'tile/0/1',
    'tile/0/0001',
    'tile/0/x000/001',
    'tile/0/001/',
    'tile/0/x001',
    'tile/00/001',
    'tile/64/001',
    'tile/0/001.p/0',
    'tile/0/001.p/256',
    'tile/0/001.p/07',
    'tile/0/001.p/',
    'tile/data/001',
    '/tile/0/001',
    'tile/0/x999/x999/x999/x999/x999/999',
  ])('rejects %s', (path) => {
    expect(() => parseTilePath(path)).toThrow(LedgerFormatError);
  });
});

describe('tile geometry', () => {
  it('lists the tiles of the spec example tree of 70,000 leaves', () => {
    const tiles = tilesForSize(70000);
    const level0 = tiles.filter((t) => t.level === 0);
    expect(level0.filter((t) => t.width === 256)).toHaveLength(273);
    expect(level0.at(-1)).toEqual({ level: 0, index: 273, width: 112 });
    expect(tiles.filter((t) => t.level === 1)).toEqual([
      { level: 1, index: 0, width: 256 },
      { level: 1, index: 1, width: 17 },
    ]);
    expect(tiles.filter((t) => t.level === 2)).toEqual([{ level: 2, index: 0, width: 1 }]);
    expect(tiles).toHaveLength(273 + 1 + 2 + 1);
  });

  it('represents a tree of 256 leaves as a full level-0 tile and a level-1 tile of width 1 (spec)', () => {
    expect(tilesForSize(256)).toEqual([
      { level: 0, index: 0, width: 256 },
      { level: 1, index: 0, width: 1 },
    ]);
    expect(tilesForSize(0)).toEqual([]);
  });

  it('maps tile hashes onto stored nodes: hash i of tile N at level L is MTH of the spec range', () => {
    const size = 70000;
    const leaves = Array.from({ length: size }, (_, i) => leafHash(Buffer.from(String(i))));
    const reference = new ReferenceTree(leaves);
    const stored = new Map<string, Buffer>();
    let frontier: Frontier = [];
    for (const leaf of leaves) {
      const appended = appendToFrontier(frontier, leaf);
      frontier = appended.frontier;
      for (const node of appended.newNodes) stored.set(nodeKey(node.level, node.index), node.hash);
    }
    for (const tile of [...tilesForSize(size).slice(0, 2), ...tilesForSize(size).slice(-4)]) {
      const ids = tileNodeIds(tile);
      expect(ids).toHaveLength(tile.width);
      ids.forEach((id, i) => {
        // MTH(D[(n*256 + i) * 256**l : (n*256 + i + 1) * 256**l])
        const start = (tile.index * 256 + i) * 256 ** tile.level;
        const end = (tile.index * 256 + i + 1) * 256 ** tile.level;
        expect(stored.get(nodeKey(id.level, id.index))?.equals(reference.mth(start, end)), `${tilePath(tile.level, tile.index, tile.width)}[${i}]`).toBe(true);
      });
    }
  });
});

describe('entry bundles', () => {
  it('length-prefixes each entry with a big-endian uint16', () => {
    const entries = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(300, 7)];
    const bundle = encodeEntryBundle(entries);
    expect(bundle.subarray(0, 3).toString('hex')).toBe('000161');
    expect(bundle.subarray(3, 5).toString('hex')).toBe('0000');
    expect(bundle.subarray(5, 7).toString('hex')).toBe('012c');
    expect(decodeEntryBundle(bundle)).toEqual(entries);
    expect(() => decodeEntryBundle(bundle.subarray(0, bundle.length - 1))).toThrow(/truncated in entry 2/);
    expect(() => decodeEntryBundle(Buffer.of(0))).toThrow(/truncated in the length of entry 0/);
    expect(() => encodeEntryBundle([Buffer.alloc(65536)])).toThrow(LedgerFormatError);
  });
});
