import { describe, expect, it } from 'vitest';
import { fuzzPickle } from './fuzz-lib.js';

describe('fuzzing the pickle-family handlers (short run; npm run fuzz for a long one)', () => {
  it('never throws, never hangs, never calls a mutated malicious input safe', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20240607);
    const stats = await fuzzPickle(Number(process.env.FUZZ_SECONDS ?? 4), seed);
    expect(stats.failures).toEqual([]);
    expect(stats.cases).toBeGreaterThan(100);
    expect(stats.soundnessCases).toBeGreaterThan(10);
  }, 60_000);
});
