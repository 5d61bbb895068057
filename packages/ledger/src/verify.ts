import { LedgerVerificationError } from './errors.js';
import { EMPTY_ROOT, HASH_SIZE, hashesEqual, nodeHash } from './hash.js';
import { bitLength, isTreeSize, popcount, trailingZeros, xor } from './nodes.js';

/** Outcome of a proof check; `reason` says what failed, for people reading CLI output. */
export type VerificationResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const OK: VerificationResult = { ok: true };
const fail = (reason: string): VerificationResult => ({ ok: false, reason });

const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

function hashProblem(proof: readonly Uint8Array[]): string | undefined {
  const bad = proof.findIndex((hash) => hash.length !== HASH_SIZE);
  return bad < 0 ? undefined : `proof hash ${bad} is ${proof[bad]?.length} bytes, expected ${HASH_SIZE}`;
}

/** Length of the RFC 9162 inclusion proof for `index` in `size`: the levels below the split from the right edge, plus the left siblings above. */
function inclusionProofLength(index: number, size: number): number {
  const inner = bitLength(xor(index, size - 1));
  return inner + popcount(Math.floor(index / 2 ** inner));
}

/** Length of the RFC 9162 consistency proof for 0 < size1 < size2. */
function consistencyProofLength(size1: number, size2: number): number {
  const inner = bitLength(xor(size1 - 1, size2 - 1));
  const border = popcount(Math.floor((size1 - 1) / 2 ** inner));
  const shift = trailingZeros(size1);
  // When size1 is a power of two the old root is itself a node of the new tree and is not sent.
  const seed = size1 === 2 ** shift ? 0 : 1;
  return seed + inner - shift + border;
}

/** The root an inclusion proof leads to, per RFC 9162 §2.1.3.2 steps 2-4, or the reason it cannot lead anywhere. */
function computeInclusionRoot(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): { root: Buffer } | { reason: string } {
  if (!isTreeSize(index) || !isTreeSize(size)) return { reason: 'index and size must be non-negative safe integers' };
  if (index >= size) return { reason: `index ${index} is not in a tree of size ${size}` };
  if (leafHash.length !== HASH_SIZE) return { reason: `leaf hash is ${leafHash.length} bytes, expected ${HASH_SIZE}` };
  const badHash = hashProblem(proof);
  if (badHash !== undefined) return { reason: badHash };
  const expected = inclusionProofLength(index, size);
  if (proof.length !== expected) {
    return { reason: `proof has ${proof.length} hashes; index ${index} in a tree of size ${size} needs ${expected}` };
  }
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leafHash);
  for (const p of proof) {
    if (sn === 0) return { reason: 'proof is longer than the path to the root' };
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return { reason: 'proof is shorter than the path to the root' };
  return { root: r };
}

/** RFC 9162 §2.1.3.2: does `proof` show the leaf with hash `leafHash` at `index` in the tree of `size` with `root`? */
export function checkInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): VerificationResult {
  const computed = computeInclusionRoot(leafHash, index, size, proof);
  if ('reason' in computed) return fail(computed.reason);
  if (!hashesEqual(computed.root, root)) return fail(`proof for index ${index} leads to a different root than the one given for size ${size}`);
  return OK;
}

export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  return checkInclusion(leafHash, index, size, proof, root).ok;
}

/** The root that an inclusion proof implies; throws LedgerVerificationError when the proof cannot be for this index and size. */
export function rootFromInclusionProof(leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[]): Buffer {
  const computed = computeInclusionRoot(leafHash, index, size, proof);
  if ('reason' in computed) throw new LedgerVerificationError(computed.reason);
  return computed.root;
}

/**
 * RFC 9162 §2.1.4.2: does `proof` show that the tree of `size1` with `root1` is a prefix of the tree of
 * `size2` with `root2`? Beyond the RFC (which covers 0 < size1 < size2): equal sizes need an empty
 * proof and equal roots, and size1 = 0 needs an empty proof and root1 = EMPTY_ROOT.
 */
export function checkConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): VerificationResult {
  if (!isTreeSize(size1) || !isTreeSize(size2)) return fail('sizes must be non-negative safe integers');
  if (size1 > size2) return fail(`size1 ${size1} is larger than size2 ${size2}: a log cannot shrink`);
  if (root1.length !== HASH_SIZE || root2.length !== HASH_SIZE) return fail(`roots must be ${HASH_SIZE} bytes`);
  const badHash = hashProblem(proof);
  if (badHash !== undefined) return fail(badHash);
  if (size1 === size2) {
    if (proof.length !== 0) return fail(`sizes are equal (${size1}), so the proof must be empty; it has ${proof.length} hashes`);
    return hashesEqual(root1, root2) ? OK : fail(`two different roots for the same size ${size1}`);
  }
  if (size1 === 0) {
    if (proof.length !== 0) return fail(`consistency from the empty tree needs an empty proof; it has ${proof.length} hashes`);
    return hashesEqual(root1, EMPTY_ROOT) ? OK : fail('root1 is not the empty-tree root, but size1 is 0');
  }
  if (proof.length === 0) return fail('proof is empty');
  const expected = consistencyProofLength(size1, size2);
  if (proof.length !== expected) {
    return fail(`proof has ${proof.length} hashes; sizes ${size1} -> ${size2} need ${expected}`);
  }

  // Step 2: when size1 is a power of two the old root is the first node of the path.
  const path = size1 === 2 ** trailingZeros(size1) ? [root1, ...proof] : proof;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Buffer = Buffer.from(path[0] as Uint8Array);
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) return fail('proof is longer than the path to the root');
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return fail('proof is shorter than the path to the root');
  if (!hashesEqual(fr, root1)) return fail(`proof does not lead to the given root for size ${size1}`);
  if (!hashesEqual(sr, root2)) return fail(`proof does not lead to the given root for size ${size2}`);
  return OK;
}

export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  return checkConsistency(size1, size2, proof, root1, root2).ok;
}
