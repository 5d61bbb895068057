import { LedgerFormatError } from './errors.js';
import { HASH_SIZE } from './hash.js';
import { foldRight } from './frontier.js';
import { type NodeId, assertTreeSize, nodeKey, rangeNodes, splitPoint } from './nodes.js';

/**
 * How to build a list of hashes from stored complete nodes. Every hash in an RFC 9162 proof (and every
 * root) is the MTH of a range of leaves, and every such range is a run of complete subtrees whose
 * right-to-left fold is its MTH.
 */
export interface ProofPlan {
  /** Every stored node the plan needs, without duplicates: fetch these in one query. */
  readonly nodes: NodeId[];
  /** One entry per output hash: the nodes, left to right, whose right fold (nodeHash) is that hash. */
  readonly hashes: NodeId[][];
}

/** Fetches stored nodes; the map is keyed by `nodeKey(level, index)`. */
export type FetchNodes = (nodes: NodeId[]) => Promise<ReadonlyMap<string, Uint8Array>>;

interface LeafRange {
  readonly start: number;
  readonly end: number;
}

function planFor(ranges: readonly LeafRange[]): ProofPlan {
  const hashes = ranges.map(({ start, end }) => rangeNodes(start, end));
  const nodes: NodeId[] = [];
  for (const ids of hashes) nodes.push(...ids); // Array.prototype.flat is several times slower here
  return { nodes, hashes };
}

/** RFC 9162 §2.1.3.1 PATH(index, D[size]) as leaf ranges, deepest (the leaf's sibling) first. */
function inclusionRanges(index: number, size: number): LeafRange[] {
  const ranges: LeafRange[] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const middle = start + splitPoint(end - start);
    if (index < middle) {
      ranges.push({ start: middle, end });
      end = middle;
    } else {
      ranges.push({ start, end: middle });
      start = middle;
    }
  }
  return ranges.reverse();
}

/** RFC 9162 §2.1.4.1 PROOF(size1, D[size2]) = SUBPROOF(size1, D[size2], true) as leaf ranges, deepest first. */
function consistencyRanges(size1: number, size2: number): LeafRange[] {
  const ranges: LeafRange[] = [];
  let start = 0;
  let end = size2;
  let startsAtOldRoot = true; // SUBPROOF's b: is D[start:end]'s left part exactly the old tree so far?
  while (size1 - start !== end - start) {
    const middle = start + splitPoint(end - start);
    if (size1 <= middle) {
      ranges.push({ start: middle, end });
      end = middle;
    } else {
      ranges.push({ start, end: middle });
      start = middle;
      startsAtOldRoot = false;
    }
  }
  // SUBPROOF(m, D[m], false) = {MTH(D[m])}: the verifier cannot rebuild this subtree of the old tree.
  if (!startsAtOldRoot) ranges.push({ start, end });
  return ranges.reverse();
}

/** The stored nodes, and how to combine them, for the inclusion proof of leaf `index` in a tree of `size`. */
export function inclusionProofPlan(index: number, size: number): ProofPlan {
  assertTreeSize(index, 'index');
  assertTreeSize(size, 'size');
  if (index >= size) throw new RangeError(`index ${index} is not in a tree of size ${size}`);
  return planFor(inclusionRanges(index, size));
}

/** The plan for the consistency proof from `size1` to `size2`; empty when size1 is 0 or equals size2. */
export function consistencyProofPlan(size1: number, size2: number): ProofPlan {
  assertTreeSize(size1, 'size1');
  assertTreeSize(size2, 'size2');
  if (size1 > size2) throw new RangeError(`size1 ${size1} is larger than size2 ${size2}`);
  if (size1 === 0 || size1 === size2) return { nodes: [], hashes: [] };
  return planFor(consistencyRanges(size1, size2));
}

/** The plan for the root of the tree of `size` leaves: one hash, or none for the empty tree (whose root is EMPTY_ROOT). */
export function rootPlan(size: number): ProofPlan {
  assertTreeSize(size, 'size');
  return size === 0 ? { nodes: [], hashes: [] } : planFor([{ start: 0, end: size }]);
}

function lookup(nodes: ReadonlyMap<string, Uint8Array>, id: NodeId): Uint8Array {
  const key = nodeKey(id.level, id.index);
  const hash = nodes.get(key);
  if (hash === undefined) throw new LedgerFormatError(`missing stored node ${key}`);
  if (hash.length !== HASH_SIZE) throw new LedgerFormatError(`stored node ${key} is ${hash.length} bytes, expected ${HASH_SIZE}`);
  return hash;
}

/** Builds the proof hashes of a plan from the fetched nodes. */
export function assembleProof(plan: ProofPlan, nodes: ReadonlyMap<string, Uint8Array>): Buffer[] {
  return plan.hashes.map((ids) => foldRight(ids.map((id) => lookup(nodes, id))));
}

/** Builds the root from a `rootPlan`. */
export function assembleRoot(plan: ProofPlan, nodes: ReadonlyMap<string, Uint8Array>): Buffer {
  if (plan.hashes.length > 1) throw new RangeError('assembleRoot needs a rootPlan (at most one hash)');
  return foldRight((plan.hashes[0] ?? []).map((id) => lookup(nodes, id)));
}

async function fetchFor(plan: ProofPlan, fetch: FetchNodes): Promise<ReadonlyMap<string, Uint8Array>> {
  return plan.nodes.length === 0 ? new Map() : fetch(plan.nodes);
}

export async function inclusionProof(index: number, size: number, fetch: FetchNodes): Promise<Buffer[]> {
  const plan = inclusionProofPlan(index, size);
  return assembleProof(plan, await fetchFor(plan, fetch));
}

export async function consistencyProof(size1: number, size2: number, fetch: FetchNodes): Promise<Buffer[]> {
  const plan = consistencyProofPlan(size1, size2);
  return assembleProof(plan, await fetchFor(plan, fetch));
}

/** The root of the tree as it was at `size` leaves, from stored nodes. */
export async function rootAt(size: number, fetch: FetchNodes): Promise<Buffer> {
  const plan = rootPlan(size);
  return assembleRoot(plan, await fetchFor(plan, fetch));
}
