import { describe, expect, it } from 'vitest';
import { fuzzSavedModel } from './fuzz-lib.js';

describe('SavedModel fuzz (short)', () => {
  it('mutated saved_model.pb files never crash the scan, never hang, always get a verdict', async () => {
    const r = await fuzzSavedModel(2, 20260104);
    expect(r.failures).toEqual([]);
    expect(r.iterations).toBeGreaterThan(500);
    expect(r.formats['tf-savedmodel'] ?? 0).toBeGreaterThan(0);
  });
});
