import { describe, expect, it } from 'vitest';
import { fuzzHdf5, fuzzKeras } from './fuzz-lib.js';

// Short runs in `npm test`; fuzzHdf5/fuzzKeras(seconds, seed) run longer from the fuzz script.
describe('HDF5 and Keras config fuzz (short)', () => {
  it('mutated .h5 files never crash the scan, never hang, always get a verdict', async () => {
    const r = await fuzzHdf5(2, 20260102);
    expect(r.failures).toEqual([]);
    expect(r.iterations).toBeGreaterThan(200);
    expect((r.formats['keras-h5'] ?? 0) + (r.formats.hdf5 ?? 0)).toBeGreaterThan(0);
  });

  it('mutated Keras configs never crash the scan, never hang, always get a verdict', async () => {
    const r = await fuzzKeras(2, 20260103);
    expect(r.failures).toEqual([]);
    expect(r.iterations).toBeGreaterThan(200);
    expect(r.formats.json ?? 0).toBeGreaterThan(0);
  });
});
