/**
 * Seeded property tests against the independent RFC 9162 reference in reference.ts: frontier appends,
 * stored-node plans and the verifiers must agree with it for every shape of tree up to a few thousand
 * leaves, and any tampering must be rejected.
 */
import { describe, expect, it } from 'vitest';
import {
  TreeBuilder,
  appendAllToFrontier,
  appendToFrontier,
  assembleProof,
  assembleRoot,
  checkConsistency,
  checkInclusion,
  consistencyProof,
  consistencyProofPlan,
  frontierFromNodes,
  frontierNodeIds,
  inclusionProof,
  inclusionProofPlan,
  nodeKey,
  rootAt,
  rootFromFrontier,
  rootPlan,
  type FetchNodes,
  type Frontier,
  type NodeId,
  type StoredNode,
} from '../src/index.js';
import { ReferenceTree, hex, refLeafHash, refNodeHash, seededRandom } from './reference.js';

const MAX_SIZE = 4100; // spans 2^12 with ragged edges on both sides
const random = seededRandom(0x5eed1ed9);
const leafHashes = Array.from({ length: MAX_SIZE }, (_, i) => refLeafHash(Buffer.from(`entry ${i} ${random.int(1e9)}`)));
const reference = new ReferenceTree(leafHashes);

// The node table a log would have after appending every leaf, filled only from appendToFrontier's newNodes.
const stored = new Map<string, Buffer>();
const newNodeCounts: number[] = [];
{
  let frontier: Frontier = [];
  for (const leaf of leafHashes) {
    const { frontier: next, newNodes } = appendToFrontier(frontier, leaf);
    frontier = next;
    newNodeCounts.push(newNodes.length);
    for (const node of newNodes) {
      const key = nodeKey(node.level, node.index);
      if (stored.has(key)) throw new Error(`node ${key} produced twice`);
      stored.set(key, node.hash);
    }
  }
}

const flipRandomBit = (proof: readonly Buffer[], i: number): Buffer[] =>
  proof.map((hash, j) => {
    if (j !== i) return hash;
    const copy = Buffer.from(hash);
    const bit = random.int(copy.length * 8);
    copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
    return copy;
  });

function inclusionTamperings(index: number, size: number, proof: Buffer[]): [string, number, number, Buffer, Buffer[]][] {
  const leaf = leafHashes[index] as Buffer;
  const otherLeaf = leafHashes[(index + 1) % MAX_SIZE] as Buffer;
  const probes: [string, number, number, Buffer, Buffer[]][] = [
    ['index - 1', index - 1, size, leaf, proof],
    ['index + 1', index + 1, size, leaf, proof],
    ['index ^ 2', index ^ 2, size, leaf, proof],
    ['size * 2', index, size * 2, leaf, proof],
    ['size / 2', index, Math.floor(size / 2), leaf, proof],
    ['other leaf', index, size, otherLeaf, proof],
    ['extra hash', index, size, leaf, [...proof, leaf]],
    ['missing last hash', index, size, leaf, proof.slice(0, -1)],
    ['missing first hash', index, size, leaf, proof.slice(1)],
    ['reversed', index, size, leaf, proof.length > 1 ? [...proof].reverse() : [leaf]],
  ];
  for (let i = 0; i < proof.length; i++) probes.push([`bit flip in hash ${i}`, index, size, leaf, flipRandomBit(proof, i)]);
  // Dropping a hash from an empty proof changes nothing; such probes would test the original.
  return probes.filter(([, i, n, l, p]) => !(i === index && n === size && l === leaf && sameHashes(p, proof)));
}

const sameHashes = (a: readonly Buffer[], b: readonly Buffer[]): boolean =>
  a.length === b.length && a.every((hash, i) => hash.equals(b[i] as Buffer));

function checkInclusionEverywhere(index: number, size: number): void {
  const plan = inclusionProofPlan(index, size);
  const proof = assembleProof(plan, stored);
  const expected = reference.path(index, size);
  expect(proof.map(hex), `proof for ${index} in ${size}`).toEqual(expected.map(hex));
  const root = reference.root(size);
  const verdict = checkInclusion(leafHashes[index] as Buffer, index, size, proof, root);
  expect(verdict, `verify ${index} in ${size}`).toEqual({ ok: true });
  for (const [what, i, n, leaf, p] of inclusionTamperings(index, size, proof)) {
    expect(checkInclusion(leaf, i, n, p, root).ok, `${what}: index ${index}, size ${size}`).toBe(false);
  }
}

function consistencyTamperings(size1: number, size2: number, proof: Buffer[]): [string, number, number, Buffer[], Buffer, Buffer][] {
  const [root1, root2] = [reference.root(size1), reference.root(size2)];
  const probes: [string, number, number, Buffer[], Buffer, Buffer][] = [
    ['size1 - 1', size1 - 1, size2, proof, root1, root2],
    ['size1 + 1', size1 + 1, size2, proof, root1, root2],
    ['size1 ^ 2', size1 ^ 2, size2, proof, root1, root2],
    ['size2 * 2', size1, size2 * 2, proof, root1, root2],
    ['size2 / 2', size1, Math.floor(size2 / 2), proof, root1, root2],
    ['root1 of size1 - 1', size1, size2, proof, reference.root(size1 - 1), root2],
    ['root2 of size2 + 1', size1, size2, proof, root1, reference.root(size2 + 1)],
    ['swapped roots', size1, size2, proof, root2, root1],
    ['extra hash', size1, size2, [...proof, root1], root1, root2],
    ['missing last hash', size1, size2, proof.slice(0, -1), root1, root2],
    ['missing first hash', size1, size2, proof.slice(1), root1, root2],
    ['repeated first hash', size1, size2, [proof[0] as Buffer, ...proof], root1, root2],
  ];
  for (let i = 0; i < proof.length; i++) probes.push([`bit flip in hash ${i}`, size1, size2, flipRandomBit(proof, i), root1, root2]);
  return probes;
}

function checkConsistencyEverywhere(size1: number, size2: number): void {
  const proof = assembleProof(consistencyProofPlan(size1, size2), stored);
  const expected = size1 === 0 ? [] : reference.proof(size1, size2);
  expect(proof.map(hex), `proof ${size1} -> ${size2}`).toEqual(expected.map(hex));
  const [root1, root2] = [reference.root(size1), reference.root(size2)];
  expect(checkConsistency(size1, size2, proof, root1, root2), `verify ${size1} -> ${size2}`).toEqual({ ok: true });
  if (size1 === 0 || size1 === size2) return;
  for (const [what, s1, s2, p, r1, r2] of consistencyTamperings(size1, size2, proof)) {
    expect(checkConsistency(s1, s2, p, r1, r2).ok, `${what}: ${size1} -> ${size2}`).toBe(false);
  }
}

describe('frontier appends against the reference', () => {
  it('produce the reference root at every size, and exactly the complete nodes', () => {
    let frontier: Frontier = [];
    const builder = new TreeBuilder();
    for (let size = 1; size <= MAX_SIZE; size++) {
      frontier = appendToFrontier(frontier, leafHashes[size - 1] as Buffer).frontier;
      builder.push(leafHashes[size - 1] as Buffer);
      const expected = hex(reference.root(size));
      expect(hex(rootFromFrontier(frontier)), `frontier root at ${size}`).toBe(expected);
      expect(hex(builder.root()), `streaming root at ${size}`).toBe(expected);
      // Appending leaf n completes the leaf plus one parent per trailing 1 bit of n.
      expect(newNodeCounts[size - 1], `new nodes at ${size}`).toBe(1 + Math.log2(((size - 1) ^ size) + 1) - 1);
    }
    // A complete tree of n leaves has 2n - popcount(n) complete subtrees.
    const popcount = MAX_SIZE.toString(2).replaceAll('0', '').length;
    expect(stored.size).toBe(2 * MAX_SIZE - popcount);
    for (const [key, hash] of stored) {
      const [level, index] = key.split('/').map(Number) as [number, number];
      expect(hex(hash), `node ${key}`).toBe(hex(reference.mth(index * 2 ** level, (index + 1) * 2 ** level)));
    }
  });

  it('resume from stored nodes and from a TreeBuilder frontier', () => {
    for (const size of [0, 1, 2, 3, 255, 256, 1000, 4095]) {
      const frontier = frontierFromNodes(size, stored);
      expect(frontier.map(({ level, index }) => ({ level, index }))).toEqual(frontierNodeIds(size));
      const rest = leafHashes.slice(size, size + 37);
      const { frontier: after } = appendAllToFrontier(frontier, rest);
      expect(hex(rootFromFrontier(after))).toBe(hex(reference.root(size + rest.length)));
      const builder = new TreeBuilder(frontier);
      for (const leaf of rest) builder.push(leaf);
      expect(hex(builder.root())).toBe(hex(reference.root(size + rest.length)));
      expect(builder.frontier()).toEqual(after);
    }
  });

  it('rejects frontiers that are not a binary decomposition', () => {
    const frontier = frontierFromNodes(6, stored); // nodes 2/0 and 1/2
    const leaf = leafHashes[6] as Buffer;
    const [four, two] = frontier as [StoredNode, StoredNode];
    expect(() => appendToFrontier([two, four], leaf)).toThrow(/expected to start at leaf 0/);
    expect(() => appendToFrontier([{ ...two, index: 0 }, { ...two, index: 1 }], leaf)).toThrow(/strictly decrease/);
    expect(() => appendToFrontier([four, { ...two, level: 60 }], leaf)).toThrow(/level out of range/);
    expect(() => appendToFrontier(frontier, Buffer.alloc(31))).toThrow(/32 bytes/);
    expect(() => frontierFromNodes(7, new Map())).toThrow(/missing stored node 2\/0/);
  });
});

describe('stored-node proofs against the reference', () => {
  it('every root from rootPlan matches', () => {
    for (let size = 0; size <= MAX_SIZE; size += 1 + random.int(7)) {
      expect(hex(assembleRoot(rootPlan(size), stored)), `root at ${size}`).toBe(hex(reference.root(size)));
    }
  });

  it('every inclusion proof in every tree up to 48 leaves', () => {
    for (let size = 1; size <= 48; size++) for (let index = 0; index < size; index++) checkInclusionEverywhere(index, size);
  });

  it('every consistency proof between trees up to 48 leaves', () => {
    for (let size2 = 1; size2 <= 48; size2++) for (let size1 = 0; size1 <= size2; size1++) checkConsistencyEverywhere(size1, size2);
  });

  it('random inclusion proofs up to 4100 leaves, including both edges', () => {
    for (let i = 0; i < 400; i++) {
      const size = 1 + random.int(MAX_SIZE);
      const index = [0, size - 1][i % 5] ?? random.int(size);
      checkInclusionEverywhere(index, size);
    }
  });

  it('random consistency proofs up to 4100 leaves, including powers of two', () => {
    for (let i = 0; i < 400; i++) {
      const size2 = 2 + random.int(MAX_SIZE - 2);
      const size1 = i % 4 === 0 ? 2 ** random.int(Math.floor(Math.log2(size2))) : 1 + random.int(size2 - 1);
      checkConsistencyEverywhere(size1, size2);
    }
  });

  it('fetch-based helpers ask for exactly the planned nodes, once, and never for empty plans', async () => {
    const requests: (readonly NodeId[])[] = [];
    const fetch: FetchNodes = async (ids) => {
      requests.push(ids);
      return new Map(ids.map(({ level, index }) => [nodeKey(level, index), stored.get(nodeKey(level, index)) as Buffer]));
    };
    expect((await inclusionProof(1234, 3001, fetch)).map(hex)).toEqual(reference.path(1234, 3001).map(hex));
    expect((await consistencyProof(1000, 3001, fetch)).map(hex)).toEqual(reference.proof(1000, 3001).map(hex));
    expect(hex(await rootAt(3001, fetch))).toBe(hex(reference.root(3001)));
    expect(requests).toEqual([inclusionProofPlan(1234, 3001).nodes, consistencyProofPlan(1000, 3001).nodes, rootPlan(3001).nodes]);
    expect(await consistencyProof(7, 7, fetch)).toEqual([]);
    expect(await inclusionProof(0, 1, fetch)).toEqual([]);
    expect(requests).toHaveLength(3);
    expect(() => assembleProof(inclusionProofPlan(5, 9), new Map())).toThrow(/missing stored node/);
  });

  it('plans stay small and correct for trees near Number.MAX_SAFE_INTEGER', () => {
    const size = Number.MAX_SAFE_INTEGER;
    const plan = inclusionProofPlan(size - 1, size);
    expect(plan.hashes).toHaveLength(52); // one per complete subtree left of the last leaf
    const fake = new Map(plan.nodes.map(({ level, index }) => [nodeKey(level, index), refLeafHash(Buffer.from(`${level}/${index}`))]));
    const proof = assembleProof(plan, fake);
    const leaf = refLeafHash(Buffer.from('last'));
    // Recompute the root the long way: the leaf folded with the proof along the right edge.
    const root = proof.reduce((acc, sibling) => refNodeHash(sibling, acc), leaf);
    expect(checkInclusion(leaf, size - 1, size, proof, root)).toEqual({ ok: true });
    expect(checkInclusion(leaf, size - 2, size, proof, root).ok).toBe(false);
    const consistency = consistencyProofPlan(2 ** 40 + 3, size);
    expect(consistency.hashes.length).toBeGreaterThan(0);
  });
});
