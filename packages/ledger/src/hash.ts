import * as crypto from 'node:crypto';

/** Every hash in the ledger is SHA-256. */
export const HASH_SIZE = 32;

/** One-shot SHA-256; `crypto.hash` (Node >= 20.12) avoids a Hash object per call, which dominates for 65-byte inputs. */
const sha256: (data: Uint8Array) => Buffer =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'buffer')
    : (data) => crypto.createHash('sha256').update(data).digest();

/** RFC 9162 §2.1.1: the hash of an empty tree is SHA-256 of the empty string. */
export const EMPTY_ROOT: Buffer = sha256(new Uint8Array(0));

// Small entries are prefixed in a reused buffer rather than a fresh allocation per leaf.
const leafInput = Buffer.alloc(4096);

/** RFC 9162 §2.1.1: MTH({d(0)}) = SHA-256(0x00 || d(0)). */
export function leafHash(entry: Uint8Array): Buffer {
  const input = entry.length < leafInput.length ? leafInput.subarray(0, entry.length + 1) : Buffer.allocUnsafe(entry.length + 1);
  input[0] = 0x00;
  input.set(entry, 1);
  return sha256(input);
}

// Interior hashing runs about once per appended leaf, so reuse one input buffer (callers are synchronous).
const nodeInput = Buffer.alloc(1 + 2 * HASH_SIZE);
nodeInput[0] = 0x01;

/** RFC 9162 §2.1.1: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length === HASH_SIZE && right.length === HASH_SIZE) {
    nodeInput.set(left, 1);
    nodeInput.set(right, 1 + HASH_SIZE);
    return sha256(nodeInput);
  }
  return sha256(Buffer.concat([Buffer.of(0x01), left, right]));
}

/** Byte equality for hashes of any length (never throws on a length mismatch, unlike timingSafeEqual). */
export function hashesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
