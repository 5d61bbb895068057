import { LedgerFormatError } from './errors.js';
import { EMPTY_ROOT, HASH_SIZE, nodeHash } from './hash.js';
import { type NodeId, type StoredNode, MAX_NODE_LEVEL, assertTreeSize, nodeKey, rangeNodes } from './nodes.js';

/**
 * The frontier of a tree of size n: its maximal complete subtrees, left to right, i.e. one node per set
 * bit of n, largest first. It is all an appender needs to know about the past, and its right-to-left
 * fold is the root.
 */
export type Frontier = readonly StoredNode[];

export interface FrontierAppend {
  /** The frontier after the append. */
  readonly frontier: StoredNode[];
  /** Every node that became complete, in the order they completed: the leaf first, then each parent it finished. */
  readonly newNodes: StoredNode[];
}

function asHash(bytes: Uint8Array, what: string): Buffer {
  if (bytes.length !== HASH_SIZE) throw new LedgerFormatError(`${what} must be ${HASH_SIZE} bytes, got ${bytes.length}`);
  return Buffer.from(bytes);
}

/** Checks that `frontier` is the binary decomposition of some size and returns that size. */
export function frontierSize(frontier: Frontier): number {
  let size = 0;
  let previousLevel = Infinity;
  for (const [position, node] of frontier.entries()) {
    const where = `frontier node ${position} (${nodeKey(node.level, node.index)})`;
    if (!Number.isInteger(node.level) || node.level < 0 || node.level > MAX_NODE_LEVEL) {
      throw new LedgerFormatError(`${where}: level out of range`);
    }
    if (node.level >= previousLevel) throw new LedgerFormatError(`${where}: levels must strictly decrease`);
    const width = 2 ** node.level;
    if (node.index * width !== size) {
      throw new LedgerFormatError(`${where}: expected to start at leaf ${size}, starts at ${node.index * width}`);
    }
    if (node.hash.length !== HASH_SIZE) throw new LedgerFormatError(`${where}: hash must be ${HASH_SIZE} bytes`);
    size += width;
    previousLevel = node.level;
  }
  return size;
}

/** The nodes that make up the frontier of a tree of `size` leaves (the same nodes as `rootPlan(size)`). */
export function frontierNodeIds(size: number): NodeId[] {
  assertTreeSize(size, 'size');
  return rangeNodes(0, size);
}

/** Builds the frontier of a tree of `size` leaves from stored nodes keyed by `nodeKey`. */
export function frontierFromNodes(size: number, nodes: ReadonlyMap<string, Uint8Array>): StoredNode[] {
  return frontierNodeIds(size).map(({ level, index }) => {
    const key = nodeKey(level, index);
    const hash = nodes.get(key);
    if (hash === undefined) throw new LedgerFormatError(`missing stored node ${key} for the frontier of size ${size}`);
    return { level, index, hash: asHash(hash, `stored node ${key}`) };
  });
}

/** Appends one leaf hash. O(log n); the input frontier is not modified. */
export function appendToFrontier(frontier: Frontier, leafHash: Uint8Array): FrontierAppend {
  const size = frontierSize(frontier);
  if (size + 1 > Number.MAX_SAFE_INTEGER) throw new RangeError('tree size would exceed Number.MAX_SAFE_INTEGER');
  const next = frontier.slice();
  let node: StoredNode = { level: 0, index: size, hash: asHash(leafHash, 'leaf hash') };
  const newNodes = [node];
  // A completed pair of equal-level siblings always sits at the end of the frontier.
  for (let last = next.at(-1); last !== undefined && last.level === node.level; last = next.at(-1)) {
    next.pop();
    node = { level: node.level + 1, index: last.index / 2, hash: nodeHash(last.hash, node.hash) };
    newNodes.push(node);
  }
  next.push(node);
  return { frontier: next, newNodes };
}

/** Appends leaf hashes in order; `newNodes` lists every node completed along the way. */
export function appendAllToFrontier(frontier: Frontier, leafHashes: Iterable<Uint8Array>): FrontierAppend {
  let current: StoredNode[] = frontier.slice();
  const newNodes: StoredNode[] = [];
  for (const leaf of leafHashes) {
    const appended = appendToFrontier(current, leaf);
    current = appended.frontier;
    newNodes.push(...appended.newNodes);
  }
  return { frontier: current, newNodes };
}

/** RFC 9162 MTH of the tree whose frontier this is: MTH splits at the largest power of two, so fold right to left. */
export function rootFromFrontier(frontier: Frontier): Buffer {
  frontierSize(frontier);
  return foldRight(frontier.map((node) => node.hash));
}

/** hash[0] ⊕ (hash[1] ⊕ (… ⊕ hash[n-1])) with ⊕ = nodeHash; EMPTY_ROOT for no hashes. */
export function foldRight(hashes: readonly Uint8Array[]): Buffer {
  const last = hashes.at(-1);
  if (last === undefined) return Buffer.from(EMPTY_ROOT);
  let accumulator: Buffer = Buffer.from(last);
  for (let i = hashes.length - 2; i >= 0; i--) accumulator = nodeHash(hashes[i] as Uint8Array, accumulator);
  return accumulator;
}

/**
 * Streaming root computation for clients that recompute a whole log: O(log n) memory, one interior hash per
 * leaf on average.
 */
export class TreeBuilder {
  // Hashes of the maximal complete subtrees, largest first: one per set bit of #size.
  readonly #stack: Buffer[] = [];
  #size = 0;

  /** Starts empty, or from the frontier of an existing tree. */
  constructor(frontier: Frontier = []) {
    this.#size = frontierSize(frontier);
    for (const node of frontier) this.#stack.push(Buffer.from(node.hash));
  }

  get size(): number {
    return this.#size;
  }

  push(leafHash: Uint8Array): void {
    if (leafHash.length !== HASH_SIZE) throw new LedgerFormatError(`leaf hash must be ${HASH_SIZE} bytes, got ${leafHash.length}`);
    let hash: Uint8Array = leafHash;
    // Each trailing 1 bit of the old size is a subtree that the new leaf completes.
    for (let n = this.#size; n % 2 === 1; n = (n - 1) / 2) hash = nodeHash(this.#stack.pop() as Buffer, hash);
    // Keep a private copy only when the caller's leaf itself is retained.
    this.#stack.push(hash === leafHash ? Buffer.from(leafHash) : (hash as Buffer));
    this.#size++;
  }

  root(): Buffer {
    return foldRight(this.#stack);
  }

  frontier(): StoredNode[] {
    const nodes = rangeNodes(0, this.#size);
    return nodes.map((id, i) => ({ ...id, hash: Buffer.from(this.#stack[i] as Buffer) }));
  }
}
