/**
 * Node addressing. A node is a complete subtree: at `level` L and `index` k it covers leaves
 * [k·2^L, (k+1)·2^L); level 0 nodes are leaf hashes. Complete nodes never change once their last leaf
 * exists, so a log stores each one once and derives every root and proof from them.
 *
 * Sizes and indexes are plain numbers up to Number.MAX_SAFE_INTEGER; the helpers below avoid JavaScript's
 * 32-bit bitwise operators so trees beyond 2^32 leaves stay correct.
 */

export interface NodeId {
  readonly level: number;
  readonly index: number;
}

export interface StoredNode extends NodeId {
  readonly hash: Buffer;
}

/** The key of a node in the maps that plans are assembled from: `${level}/${index}`. */
export function nodeKey(level: number, index: number): string {
  return `${level}/${index}`;
}

/** Levels above 52 cannot occur: a level-53 node would cover more leaves than a safe integer counts. */
export const MAX_NODE_LEVEL = 52;

const TWO_32 = 2 ** 32;

/** True when `n` is a safe integer >= 0, i.e. a usable tree size or leaf index. */
export function isTreeSize(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

export function assertTreeSize(n: number, what: string): void {
  if (!isTreeSize(n)) throw new RangeError(`${what} must be a non-negative safe integer, got ${String(n)}`);
}

/** Number of bits needed to write n (0 for 0). */
export function bitLength(n: number): number {
  let bits = 0;
  while (n >= TWO_32) {
    n = Math.floor(n / TWO_32);
    bits += 32;
  }
  return bits + 32 - Math.clz32(n);
}

function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

export function popcount(n: number): number {
  return popcount32(n >>> 0) + popcount32(Math.floor(n / TWO_32) >>> 0);
}

export function xor(a: number, b: number): number {
  const high = (Math.floor(a / TWO_32) ^ Math.floor(b / TWO_32)) >>> 0;
  const low = ((a >>> 0) ^ (b >>> 0)) >>> 0;
  return high * TWO_32 + low;
}

/** Trailing zero bits of n > 0. */
export function trailingZeros(n: number): number {
  const low = n >>> 0;
  if (low !== 0) return 31 - Math.clz32(low & -low);
  return 32 + trailingZeros(Math.floor(n / TWO_32));
}

/** RFC 9162's split point: the largest power of two strictly smaller than n (n >= 2). */
export function splitPoint(n: number): number {
  return 2 ** (bitLength(n - 1) - 1);
}

/**
 * The complete subtrees, left to right, whose right-to-left fold is MTH(D[start:end]). Exact for the
 * ranges that occur in RFC 9162 (the whole tree and every range its recursion visits, all of which
 * start at a multiple of a power of two at least their length): the binary decomposition of the
 * length, largest subtree first.
 */
export function rangeNodes(start: number, end: number): NodeId[] {
  const nodes: NodeId[] = [];
  if (end <= start) return nodes;
  const length = end - start;
  const top = bitLength(length - 1);
  // Fast path for the RFC ranges: start aligned to the smallest power of two >= length, so each set bit
  // of the length, high to low, is one aligned subtree.
  if (start % 2 ** top === 0) {
    let position = start;
    for (let remaining = length; remaining > 0; ) {
      const level = bitLength(remaining) - 1;
      const width = 2 ** level;
      nodes.push({ level, index: position / width });
      position += width;
      remaining -= width;
    }
    return nodes;
  }
  let position = start;
  while (position < end) {
    let level = 0;
    let width = 1;
    while (position % (width * 2) === 0 && position + width * 2 <= end) {
      width *= 2;
      level++;
    }
    nodes.push({ level, index: position / width });
    position += width;
  }
  return nodes;
}
