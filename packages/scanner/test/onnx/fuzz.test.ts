import { describe, expect, it } from 'vitest';
import { fuzzOnnx } from './fuzz-lib.js';

// Short run in `npm test`; `fuzzOnnx(seconds, seed)` runs longer from the fuzz script.
describe('ONNX / protobuf fuzz (short)', () => {
  it('mutated ONNX models never crash the scan, never hang, always get a verdict', async () => {
    const r = await fuzzOnnx(2, 20260101);
    expect(r.failures).toEqual([]);
    expect(r.iterations).toBeGreaterThan(500);
    expect(r.formats.onnx ?? 0).toBeGreaterThan(0);
  });
});
