/**
 * The long fuzz run (`npm run fuzz`): every parser's mutation fuzzer for STEWARD_FUZZ_SECONDS each
 * (default 60). Skipped in `npm test`, which runs each fuzzer for a few seconds in its own file.
 */
import { describe, expect, it } from 'vitest';
import { fuzzArchives } from './archive/fuzz-lib.js';
import { fuzzGguf } from './gguf/fuzz-lib.js';
import { fuzzJinja } from './jinja/fuzz-lib.js';
import { fuzzHdf5, fuzzKeras } from './keras/fuzz-lib.js';
import { fuzzOnnx } from './onnx/fuzz-lib.js';
import { fuzzPickle } from './pickle/fuzz-lib.js';
import { fuzzSafetensors } from './safetensors/fuzz-lib.js';
import { fuzzSavedModel } from './savedmodel/fuzz-lib.js';

const seconds = Number(process.env.STEWARD_FUZZ_SECONDS ?? 0);
const seed = Number(process.env.STEWARD_FUZZ_SEED ?? Date.now() % 2 ** 31);

const FUZZERS: [string, (s: number, seed: number) => Promise<{ cases?: number; iterations?: number; failures: unknown[] }>][] = [
  ['pickle', fuzzPickle],
  ['safetensors', fuzzSafetensors],
  ['gguf', fuzzGguf],
  ['jinja', fuzzJinja],
  ['onnx', fuzzOnnx],
  ['hdf5', fuzzHdf5],
  ['keras', fuzzKeras],
  ['savedmodel', fuzzSavedModel],
  ['archives', (s: number, seed: number) => fuzzArchives(s, seed)],
];

describe.skipIf(!(seconds > 0))(`long fuzz run (${seconds} s per parser, seed ${seed})`, () => {
  for (const [name, fuzz] of FUZZERS) {
    it(`${name}: no crash, no hang, always a verdict`, async () => {
      const r = await fuzz(seconds, seed);
      const cases = r.cases ?? r.iterations ?? 0;
      process.stderr.write(`fuzz ${name}: ${cases} cases, ${r.failures.length} failures (seed ${seed})\n`);
      expect(cases).toBeGreaterThan(0);
      expect(r.failures).toEqual([]);
    }, (seconds + 120) * 1000);
  }
});
