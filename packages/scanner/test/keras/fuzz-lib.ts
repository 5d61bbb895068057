/** HDF5 and Keras-config fuzzing: `fuzzHdf5(seconds, seed)`, `fuzzKeras(seconds, seed)`. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hdf5Handler } from '../../src/formats/hdf5.js';
import { kerasConfigHandler } from '../../src/formats/keras.js';
import { dataHandler, jsonHandler, textHandler } from '../../src/formats/plain.js';
import type { ScanEngine } from '../../src/scan.js';
import { type FuzzResult, runFuzz } from '../onnx/mutate.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

export const kerasFuzzEngine: ScanEngine = {
  handlers: [hdf5Handler, kerasConfigHandler, jsonHandler, textHandler, dataHandler],
  allowlist: () => ({ classify: () => ({ verdict: 'unknown', reason: 'fuzz' }) }),
};

const corpus = (ext: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => fs.readFileSync(path.join(dir, f)));

export function fuzzHdf5(seconds: number, seed: number): Promise<FuzzResult> {
  return runFuzz(kerasFuzzEngine, corpus('.h5'), seconds, seed, 'model.h5');
}

export function fuzzKeras(seconds: number, seed: number): Promise<FuzzResult> {
  return runFuzz(kerasFuzzEngine, corpus('.json'), seconds, seed, 'config.json');
}
