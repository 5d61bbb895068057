/**
 * RFC 6962 / certificate-transparency reference vectors, as published in transparency-dev/merkle
 * proof/verify_test.go (the successor of certificate-transparency-go/merkle): the 8 classic leaves,
 * the root of every prefix, and the known inclusion and consistency proofs. The corruption probes
 * mirror that file's corruptInclusionProof / corruptConsistencyProof.
 */
import { describe, expect, it } from 'vitest';
import {
  EMPTY_ROOT,
  TreeBuilder,
  appendToFrontier,
  assembleProof,
  assembleRoot,
  checkConsistency,
  checkInclusion,
  consistencyProofPlan,
  inclusionProofPlan,
  leafHash,
  nodeHash,
  nodeKey,
  rootFromFrontier,
  rootFromInclusionProof,
  rootPlan,
  verifyConsistency,
  verifyInclusion,
  type Frontier,
} from '../src/index.js';
import { hex, unhex } from './reference.js';

const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(unhex);

// ROOTS[n - 1] is the root of the tree of the first n leaves.
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
].map(unhex);

// The Go file numbers leaves from 1; these are 0-based indexes.
const INCLUSION = [
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
].map((v) => ({ ...v, proof: v.proof.map(unhex) }));

const CONSISTENCY = [
  { size1: 1, size2: 1, proof: [] },
  {
    size1: 1,
    size2: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    size1: 6,
    size2: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    size1: 2,
    size2: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    size1: 6,
    size2: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
].map((v) => ({ ...v, proof: v.proof.map(unhex) }));

const SOME_HASH = unhex('abacaba000000000000000000000000000000000000000000060061e00123456');
const root = (size: number): Buffer => ROOTS[size - 1] as Buffer;

/** All complete nodes of the 8-leaf tree, as a log's node table would hold them. */
function storedNodes(): Map<string, Buffer> {
  const nodes = new Map<string, Buffer>();
  let frontier: Frontier = [];
  for (const leaf of LEAVES) {
    const appended = appendToFrontier(frontier, leafHash(leaf));
    frontier = appended.frontier;
    for (const node of appended.newNodes) nodes.set(nodeKey(node.level, node.index), node.hash);
  }
  return nodes;
}

const flipBit = (proof: Buffer[], i: number, mask: number): Buffer[] =>
  proof.map((hash, j) => (j === i ? Buffer.from(hash.map((byte, b) => (b === 0 ? byte ^ mask : byte))) : hash));

describe('RFC 6962 reference vectors', () => {
  it('hashes the empty tree, leaves and nodes as the RFC says', () => {
    expect(hex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(leafHash(new Uint8Array()))).toBe(hex(root(1)));
    expect(hex(nodeHash(leafHash(LEAVES[0] as Buffer), leafHash(LEAVES[1] as Buffer)))).toBe(hex(root(2)));
  });

  it('gives the published root for every prefix, by streaming, by frontier and from stored nodes', () => {
    const builder = new TreeBuilder();
    let frontier: Frontier = [];
    const nodes = storedNodes();
    expect(hex(builder.root())).toBe(hex(EMPTY_ROOT));
    expect(hex(assembleRoot(rootPlan(0), nodes))).toBe(hex(EMPTY_ROOT));
    for (const [i, leaf] of LEAVES.entries()) {
      builder.push(leafHash(leaf));
      frontier = appendToFrontier(frontier, leafHash(leaf)).frontier;
      expect(hex(builder.root()), `streaming, size ${i + 1}`).toBe(hex(root(i + 1)));
      expect(hex(rootFromFrontier(frontier)), `frontier, size ${i + 1}`).toBe(hex(root(i + 1)));
      expect(hex(assembleRoot(rootPlan(i + 1), nodes)), `stored nodes, size ${i + 1}`).toBe(hex(root(i + 1)));
    }
  });

  it.each(INCLUSION)('inclusion proof for index $index in size $size: produced from stored nodes and verified', ({ index, size, proof }) => {
    const produced = assembleProof(inclusionProofPlan(index, size), storedNodes());
    expect(produced.map(hex)).toEqual(proof.map(hex));
    const leaf = leafHash(LEAVES[index] as Buffer);
    expect(checkInclusion(leaf, index, size, proof, root(size))).toEqual({ ok: true });
    expect(hex(rootFromInclusionProof(leaf, index, size, proof))).toBe(hex(root(size)));
  });

  it.each(INCLUSION)('inclusion proof for index $index in size $size: every corruption is rejected', ({ index, size, proof }) => {
    const leaf = leafHash(LEAVES[index] as Buffer);
    const r = root(size);
    const probes: [string, number, number, Buffer, Buffer[], Buffer][] = [
      ['index - 1', index - 1, size, leaf, proof, r],
      ['index + 1', index + 1, size, leaf, proof, r],
      ['index ^ 2', index ^ 2, size, leaf, proof, r],
      ['size * 2', index, size * 2, leaf, proof, r],
      ['size / 2', index, Math.floor(size / 2), leaf, proof, r],
      ['wrong leaf', index, size, Buffer.from('WrongLeaf'), proof, r],
      ['empty root', index, size, leaf, proof, EMPTY_ROOT],
      ['random root', index, size, leaf, proof, SOME_HASH],
      ['trailing garbage', index, size, leaf, [...proof, Buffer.alloc(0)], r],
      ['trailing root', index, size, leaf, [...proof, r], r],
      ['preceding garbage', index, size, leaf, [Buffer.alloc(0), ...proof], r],
      ['preceding root', index, size, leaf, [r, ...proof], r],
      ['removed component', index, size, leaf, proof.slice(0, -1), r],
      ...proof.map((_, i): [string, number, number, Buffer, Buffer[], Buffer] => [`modified proof[${i}] bit 3`, index, size, leaf, flipBit(proof, i, 8), r]),
    ];
    if (proof.length > 1) probes.push(['inserted component', index, size, leaf, [proof[0] as Buffer, SOME_HASH, ...proof.slice(1)], r]);
    for (const [what, i, n, l, p, rt] of probes) {
      const result = checkInclusion(l, i, n, p, rt);
      expect(result.ok, what).toBe(false);
      expect(verifyInclusion(l, i, n, p, rt), what).toBe(false);
    }
  });

  it.each(CONSISTENCY)('consistency proof $size1 -> $size2: produced from stored nodes and verified', ({ size1, size2, proof }) => {
    expect(assembleProof(consistencyProofPlan(size1, size2), storedNodes()).map(hex)).toEqual(proof.map(hex));
    expect(checkConsistency(size1, size2, proof, root(size1), root(size2))).toEqual({ ok: true });
  });

  it.each(CONSISTENCY.filter((v) => v.proof.length > 0))('consistency proof $size1 -> $size2: every corruption is rejected', ({ size1, size2, proof }) => {
    const [r1, r2] = [root(size1), root(size2)];
    const wrongRoot = Buffer.from('WrongRoot');
    const probes: [string, number, number, Buffer[], Buffer, Buffer][] = [
      ['size1 - 1', size1 - 1, size2, proof, r1, r2],
      ['size1 + 1', size1 + 1, size2, proof, r1, r2],
      ['size1 ^ 2', size1 ^ 2, size2, proof, r1, r2],
      ['size2 * 2', size1, size2 * 2, proof, r1, r2],
      ['size2 / 2', size1, Math.floor(size2 / 2), proof, r1, r2],
      ['wrong root1', size1, size2, proof, wrongRoot, r2],
      ['wrong root2', size1, size2, proof, r1, wrongRoot],
      ['swapped roots', size1, size2, proof, r2, r1],
      ['empty proof', size1, size2, [], r1, r2],
      ['trailing garbage', size1, size2, [...proof, Buffer.alloc(0)], r1, r2],
      ['trailing root1', size1, size2, [...proof, r1], r1, r2],
      ['trailing root2', size1, size2, [...proof, r2], r1, r2],
      ['preceding garbage', size1, size2, [Buffer.alloc(0), ...proof], r1, r2],
      ['preceding root1', size1, size2, [r1, ...proof], r1, r2],
      ['preceding root2', size1, size2, [r2, ...proof], r1, r2],
      ['preceding proof[0]', size1, size2, [proof[0] as Buffer, ...proof], r1, r2],
      ['truncated proof', size1, size2, proof.slice(0, -1), r1, r2],
      ...proof.map((_, i): [string, number, number, Buffer[], Buffer, Buffer] => [`modified proof[${i}] bit 4`, size1, size2, flipBit(proof, i, 16), r1, r2]),
    ];
    for (const [what, s1, s2, p, a, b] of probes) {
      expect(checkConsistency(s1, s2, p, a, b).ok, what).toBe(false);
      expect(verifyConsistency(s1, s2, p, a, b), what).toBe(false);
    }
  });

  // transparency-dev's TestVerifyConsistency edge table, with 32-byte stand-ins for its "don't care"
  // roots. One deliberate difference: from size 0 this package also requires root1 = EMPTY_ROOT.
  it('handles equal sizes, the empty tree and time travel', () => {
    const [root1, root2] = [SOME_HASH, unhex('11'.repeat(32))];
    const cases: [number, number, Buffer, Buffer, Buffer[], boolean][] = [
      [0, 0, root1, root2, [], false],
      [1, 1, root1, root2, [], false],
      [0, 0, EMPTY_ROOT, EMPTY_ROOT, [], true],
      [0, 1, EMPTY_ROOT, root2, [], true],
      [0, 1, root1, root2, [], false],
      [1, 1, root2, root2, [], true],
      [1, 0, root1, root2, [], false],
      [2, 1, root1, root2, [], false],
      [1, 2, root1, root2, [], false],
      [0, 0, EMPTY_ROOT, root2, [], false],
      [1, 1, EMPTY_ROOT, root2, [], false],
      [0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], false],
      [0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], false],
      [1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], false],
    ];
    for (const [size1, size2, a, b, proof, valid] of cases) {
      expect(verifyConsistency(size1, size2, proof, a, b), `${size1} -> ${size2}`).toBe(valid);
    }
  });

  it('rejects inclusion edge cases with a reason', () => {
    const leaf = leafHash(Buffer.from('data'));
    expect(checkInclusion(leaf, 0, 1, [], leaf)).toEqual({ ok: true });
    expect(verifyInclusion(leaf, 0, 1, [], Buffer.alloc(0))).toBe(false);
    expect(verifyInclusion(Buffer.alloc(0), 0, 1, [], leaf)).toBe(false);
    for (const [index, size] of [[0, 0], [1, 0], [2, 1], [1, 1]] as const) {
      const result = checkInclusion(SOME_HASH, index, size, [], EMPTY_ROOT);
      expect(result).toEqual({ ok: false, reason: `index ${index} is not in a tree of size ${size}` });
    }
    expect(checkInclusion(leafHash(LEAVES[0] as Buffer), 0, 8, [], root(8))).toEqual({
      ok: false,
      reason: 'proof has 0 hashes; index 0 in a tree of size 8 needs 3',
    });
    expect(checkInclusion(leaf, -1, 8, [], root(8)).ok).toBe(false);
    expect(checkInclusion(leaf, 0.5, 8, [], root(8)).ok).toBe(false);
    expect(() => rootFromInclusionProof(leaf, 0, 8, [])).toThrow(/needs 3/);
    expect(() => inclusionProofPlan(8, 8)).toThrow(RangeError);
    expect(() => consistencyProofPlan(3, 2)).toThrow(RangeError);
    expect(consistencyProofPlan(0, 5)).toEqual({ nodes: [], hashes: [] });
    expect(consistencyProofPlan(5, 5)).toEqual({ nodes: [], hashes: [] });
  });
});
