/** ONNX / protobuf fuzzing: `fuzzOnnx(seconds, seed)` for the long `npm run fuzz` and the short test run. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onnxHandler } from '../../src/formats/onnx.js';
import { dataHandler, jsonHandler, textHandler } from '../../src/formats/plain.js';
import { kerasMetadataHandler, savedModelHandler } from '../../src/formats/savedmodel.js';
import type { ScanEngine } from '../../src/scan.js';
import { type FuzzResult, runFuzz } from './mutate.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

export const onnxFuzzEngine: ScanEngine = {
  handlers: [onnxHandler, savedModelHandler, kerasMetadataHandler, jsonHandler, textHandler, dataHandler],
  allowlist: () => ({ classify: () => ({ verdict: 'unknown', reason: 'fuzz' }) }),
};

export function onnxCorpus(): Buffer[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.onnx'))
    .sort()
    .map((f) => fs.readFileSync(path.join(dir, f)));
}

export function fuzzOnnx(seconds: number, seed: number): Promise<FuzzResult> {
  return runFuzz(onnxFuzzEngine, onnxCorpus(), seconds, seed, 'model.onnx');
}
