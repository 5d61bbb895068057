/** SavedModel fuzzing: `fuzzSavedModel(seconds, seed)`. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FuzzResult } from '../onnx/mutate.js';
import { runFuzz } from '../onnx/mutate.js';
import { onnxFuzzEngine } from '../onnx/fuzz-lib.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

export function fuzzSavedModel(seconds: number, seed: number): Promise<FuzzResult> {
  const corpus = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.pb'))
    .sort()
    .map((f) => fs.readFileSync(path.join(dir, f)));
  return runFuzz(onnxFuzzEngine, corpus, seconds, seed, 'saved_model.pb');
}
