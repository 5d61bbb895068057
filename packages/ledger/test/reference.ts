/**
 * Test-only reference implementation of RFC 9162 §2.1, written straight from the RFC's recursive
 * definitions (MTH, PATH, PROOF/SUBPROOF) and sharing no code with src/. Memoized by leaf range so the
 * property tests can afford trees of a few thousand leaves.
 */
import { createHash } from 'node:crypto';

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

export const refLeafHash = (entry: Uint8Array): Buffer => sha256(Buffer.of(0), entry);
export const refNodeHash = (left: Uint8Array, right: Uint8Array): Buffer => sha256(Buffer.of(1), left, right);

/** Largest power of two strictly smaller than n (n > 1), by counting rather than bit tricks. */
function k(n: number): number {
  let power = 1;
  while (power * 2 < n) power *= 2;
  return power;
}

export class ReferenceTree {
  readonly #memo = new Map<string, Buffer>();

  constructor(readonly leafHashes: readonly Buffer[]) {}

  /** MTH(D[a:b]) */
  mth(a: number, b: number): Buffer {
    const key = `${a}:${b}`;
    const cached = this.#memo.get(key);
    if (cached !== undefined) return cached;
    const n = b - a;
    let hash: Buffer;
    if (n === 0) hash = sha256();
    else if (n === 1) hash = this.leafHashes[a] as Buffer;
    else hash = refNodeHash(this.mth(a, a + k(n)), this.mth(a + k(n), b));
    this.#memo.set(key, hash);
    return hash;
  }

  root(size: number): Buffer {
    return this.mth(0, size);
  }

  /** PATH(m, D[0:size]) */
  path(m: number, size: number): Buffer[] {
    const go = (m: number, a: number, b: number): Buffer[] => {
      const n = b - a;
      if (n <= 1) return [];
      const split = k(n);
      return m < split ? [...go(m, a, a + split), this.mth(a + split, b)] : [...go(m - split, a + split, b), this.mth(a, a + split)];
    };
    return go(m, 0, size);
  }

  /** PROOF(m, D[0:size]) = SUBPROOF(m, D[0:size], true) */
  proof(m: number, size: number): Buffer[] {
    const sub = (m: number, a: number, b: number, whole: boolean): Buffer[] => {
      const n = b - a;
      if (m === n) return whole ? [] : [this.mth(a, b)];
      const split = k(n);
      return m <= split
        ? [...sub(m, a, a + split, whole), this.mth(a + split, b)]
        : [...sub(m - split, a + split, b, false), this.mth(a, a + split)];
    };
    return sub(m, 0, size, true);
  }
}

/** mulberry32: small, seeded, deterministic. */
export function seededRandom(seed: number): { int(maxExclusive: number): number } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return { int: (maxExclusive) => Math.floor(next() * maxExclusive) };
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const unhex = (text: string): Buffer => Buffer.from(text, 'hex');
