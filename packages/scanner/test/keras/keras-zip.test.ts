// End to end with the zip handler: a .keras archive is recursed into, config.json is analyzed by
// kerasConfigHandler and model.weights.h5 by hdf5Handler, by content.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hdf5Handler } from '../../src/formats/hdf5.js';
import { kerasConfigHandler } from '../../src/formats/keras.js';
import { dataHandler, jsonHandler, textHandler } from '../../src/formats/plain.js';
import { zipHandler } from '../../src/formats/zip.js';
import { scanBuffer, type ScanEngine } from '../../src/scan.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const engine: ScanEngine = {
  handlers: [zipHandler, hdf5Handler, kerasConfigHandler, jsonHandler, textHandler, dataHandler],
  allowlist: () => ({ classify: () => ({ verdict: 'unknown', reason: 'test' }) }),
};

describe('.keras archives (with the zip handler)', () => {
  it('a benign .keras is safe; its members are a Keras config, JSON metadata and HDF5 weights', async () => {
    const r = await scanBuffer(engine, fs.readFileSync(path.join(here, 'fixtures', 'benign.keras')), 'model.keras');
    expect(r.verdict).toBe('safe');
    const kids = Object.fromEntries((r.children ?? []).map((c) => [c.path.split('!').pop(), [c.format, c.verdict, c.details?.kind ?? null]]));
    expect(kids).toEqual({ 'metadata.json': ['json', 'safe', null], 'config.json': ['json', 'safe', 'keras-config'], 'model.weights.h5': ['hdf5', 'safe', null] });
  });

  it('a Lambda layer in config.json makes the .keras unsafe', async () => {
    const r = await scanBuffer(engine, fs.readFileSync(path.join(here, 'fixtures', 'lambda.keras')), 'model.keras');
    expect(r.verdict).toBe('unsafe');
    const cfg = r.children?.find((c) => c.path.endsWith('config.json'));
    expect(cfg?.findings.map((f) => f.ruleId)).toEqual(['keras.lambda-layer']);
  });
});
