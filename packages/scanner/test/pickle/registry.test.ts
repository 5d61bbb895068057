/** The pickle family inside the production handler registry (detection order matters). */
import { describe, expect, it } from 'vitest';
import { HANDLERS } from '../../src/formats/registry.js';
import { createAllowlist } from '../../src/pickle/allowlist.js';
import { scanBuffer } from '../../src/scan.js';
import { callGlobal } from './asm.js';
import { fixture, fixtureNames } from './helpers.js';

const engine = { handlers: HANDLERS, allowlist: createAllowlist };

describe('pickle-family files through the production registry', () => {
  it('benign fixtures are safe (lzma joblib: inconclusive), under a neutral name', async () => {
    for (const name of fixtureNames('benign')) {
      const r = await scanBuffer(engine, fixture('benign', name), 'blob');
      expect([name, r.verdict]).toEqual([name, name.includes('_lzma') ? 'inconclusive' : 'safe']);
    }
  });

  it('malicious fixtures are unsafe, under a neutral name', async () => {
    for (const name of fixtureNames('malicious')) {
      const r = await scanBuffer(engine, fixture('malicious', name), 'blob');
      expect([name, r.verdict]).toEqual([name, 'unsafe']);
    }
  });

  it('formats are detected by content', async () => {
    const cases: [Buffer, string, string][] = [
      [fixture('benign', 'torch_legacy_state_dict.pt'), 'weights.bin', 'pytorch-legacy'],
      [fixture('benign', 'sklearn_forest_zlib.joblib'), 'model.pkl', 'joblib'],
      [fixture('benign', 'sklearn_pipeline_gzip.joblib'), 'model.gz', 'joblib'],
      [fixture('benign', 'array_f8.npy'), 'x.bin', 'numpy-npy'],
      [callGlobal('os', 'system'), 'archive/data.txt', 'pickle'],
      [Buffer.from('# Model card\n\nIn this repository...\n'), 'README.md', 'text'],
    ];
    for (const [buf, name, format] of cases) {
      const r = await scanBuffer(engine, buf, name);
      expect([name, r.format]).toEqual([name, format]);
    }
  });
});
