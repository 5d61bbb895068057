/**
 * Samples shared bit-for-bit with test/fixtures/generate.py, so that 1M-value tests need no data
 * files: splitmix64 (Steele, Lea, Flood 2014) in counter form, output i = mix(seed + (i+1) * GAMMA),
 * mapped to a uniform in [0, 1) by its top 53 bits. The transforms below use only + - * /, which
 * IEEE 754 rounds identically in JavaScript and NumPy (log, cos and friends may differ by an ulp).
 */

const GAMMA = 0x9e3779b97f4a7c15n;
const M1 = 0xbf58476d1ce4e5b9n;
const M2 = 0x94d049bb133111ebn;
const MASK = (1n << 64n) - 1n;

/** Reference implementation (BigInt), used to check the fast one. */
export function splitmix64BigInt(seed: bigint, i: number): bigint {
  let z = (seed + BigInt(i + 1) * GAMMA) & MASK;
  z = ((z ^ (z >> 30n)) * M1) & MASK;
  z = ((z ^ (z >> 27n)) * M2) & MASK;
  return z ^ (z >> 31n);
}

// 64-bit arithmetic on (hi, lo) uint32 pairs; 16-bit partial products keep every step exact.
function mulLo64(ahi: number, alo: number, bhi: number, blo: number): [number, number] {
  const a0 = alo & 0xffff;
  const a1 = alo >>> 16;
  const b0 = blo & 0xffff;
  const b1 = blo >>> 16;
  const p00 = a0 * b0;
  const mid = a1 * b0 + a0 * b1; // < 2^33
  const lowFull = p00 + (mid % 65536) * 65536; // < 2^49
  const lo = lowFull % 4294967296;
  const carry = Math.floor(lowFull / 4294967296) + Math.floor(mid / 65536) + a1 * b1;
  const hi = (carry + Math.imul(ahi, blo) + Math.imul(alo, bhi)) >>> 0;
  return [hi, lo >>> 0];
}

const G_HI = 0x9e3779b9;
const G_LO = 0x7f4a7c15;
const M1_HI = 0xbf58476d;
const M1_LO = 0x1ce4e5b9;
const M2_HI = 0x94d049bb;
const M2_LO = 0x133111eb;

/** n uniforms in [0, 1) from splitmix64 outputs 0..n-1 of `seed` (seed < 2^32). */
export function uniforms(seed: number, n: number): Float64Array {
  const out = new Float64Array(n);
  // state = seed + (i+1) * GAMMA, advanced by adding GAMMA each step.
  let shi = 0;
  let slo = seed >>> 0;
  for (let i = 0; i < n; i++) {
    const lo = slo + G_LO;
    slo = lo >>> 0;
    shi = (shi + G_HI + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    let zhi = shi;
    let zlo = slo;
    // z ^= z >> 30
    zlo = (zlo ^ ((zlo >>> 30) | (zhi << 2))) >>> 0;
    zhi = (zhi ^ (zhi >>> 30)) >>> 0;
    [zhi, zlo] = mulLo64(zhi, zlo, M1_HI, M1_LO);
    // z ^= z >> 27
    zlo = (zlo ^ ((zlo >>> 27) | (zhi << 5))) >>> 0;
    zhi = (zhi ^ (zhi >>> 27)) >>> 0;
    [zhi, zlo] = mulLo64(zhi, zlo, M2_HI, M2_LO);
    // z ^= z >> 31
    zlo = (zlo ^ ((zlo >>> 31) | (zhi << 1))) >>> 0;
    zhi = (zhi ^ (zhi >>> 31)) >>> 0;
    // top 53 bits: hi (32) and the top 21 bits of lo
    out[i] = (zhi * 2097152 + (zlo >>> 11)) / 9007199254740992;
  }
  return out;
}

export type Transform = 'irwinhall4' | 'irwinhall4+0.02' | 'inverse' | 'rounded';

/**
 * - irwinhall4: u1 + u2 + u3 + u4 - 2 (bell-shaped on [-2, 2], std 1/sqrt(3)); uses 4 draws per value.
 * - irwinhall4+0.02: the same, shifted by 0.02.
 * - inverse: 1 / (u + 0.05) - 1 (right-skewed, heavy upper tail on [-0.05, 19]).
 * - rounded: floor(u * 50) / 10 (50 distinct values, ties).
 */
export function sample(seed: number, n: number, transform: Transform): Float64Array {
  if (transform === 'irwinhall4' || transform === 'irwinhall4+0.02') {
    const u = uniforms(seed, 4 * n);
    const out = new Float64Array(n);
    const shift = transform === 'irwinhall4' ? 0 : 0.02;
    for (let i = 0; i < n; i++) out[i] = u[4 * i]! + u[4 * i + 1]! + u[4 * i + 2]! + u[4 * i + 3]! - 2 + shift;
    return out;
  }
  const u = uniforms(seed, n);
  if (transform === 'inverse') return u.map((x) => 1 / (x + 0.05) - 1);
  return u.map((x) => Math.floor(x * 50) / 10);
}
