/**
 * The archive handlers inside the production registry, with the real pickle handler: every
 * payload a reader difference hides is found by the pickle analysis, and real checkpoints are safe.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultEngine } from '../../src/engine.js';
import { damagedTarHandler } from '../../src/formats/tar.js';
import { type ScanEngine, scanBuffer } from '../../src/scan.js';
import type { FileReport } from '../../src/types.js';
import { flatten } from './engine.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The production engine; the damaged-tar handler goes before the JSON handlers until the registry has it. */
function productionEngine(): ScanEngine {
  const base = defaultEngine();
  if (base.handlers.includes(damagedTarHandler)) return base;
  const at = base.handlers.findIndex((h) => h.id === 'json');
  const handlers = [...base.handlers];
  handlers.splice(at < 0 ? handlers.length - 1 : at, 0, damagedTarHandler);
  return { ...base, handlers };
}
const scan = (name: string) => scanBuffer(productionEngine(), fs.readFileSync(path.join(here, 'fixtures', name)), name);
const rules = (r: FileReport) => new Set(flatten(r).flatMap((x) => x.findings.map((f) => f.ruleId)));

describe('archives with the production registry', () => {
  it.each([
    ['name-mismatch.zip', 'zip.name-mismatch'],
    ['bad-crc-stored.zip', 'zip.crc-mismatch'],
    ['bad-crc-deflated.zip', 'zip.crc-mismatch'],
    ['flag-bits.zip', 'zip.unusual-flags'],
    ['duplicate.zip', 'zip.duplicate-name'],
    ['hidden-member.zip', 'zip.hidden-member'],
    ['ambiguous-directory.zip', 'zip.ambiguous-directory'],
    ['count-mismatch.zip', 'zip.count-mismatch'],
    ['prepended-pickle.zip', 'zip.prepended-data'],
    ['no-central-directory.zip', 'zip.no-central-directory'],
    ['tar-bad-checksum.tar', 'tar.bad-checksum'],
  ])('%s: %s, and the pickle analysis finds the os.system import', async (name, rule) => {
    const r = await scan(name);
    expect(r.verdict).toBe('unsafe');
    const all = rules(r);
    expect(all.has(rule)).toBe(true);
    expect(all.has('pickle.unsafe-import')).toBe(true);
    const imports = flatten(r).flatMap((x) => x.imports ?? []);
    expect(imports.some((i) => i.module === 'os' && i.name === 'system' && i.verdict === 'unsafe')).toBe(true);
  });

  it.each(['model.tar.gz', 'payload.pkl.gz', 'nested-2.zip', 'zip64-full.zip', 'zip64-python.zip', 'tar-pax-longname.tar', 'tar-gnu-longname.tar'])('%s: the payload inside is found', async (name) => {
    const r = await scan(name);
    expect(r.verdict).toBe('unsafe');
    expect(rules(r).has('pickle.unsafe-import')).toBe(true);
  });

  it('a real torch.save state dict is a safe pytorch-zip with its data.pkl analysed', async () => {
    const r = await scan('torch-state-dict.pt');
    expect(r.format).toBe('pytorch-zip');
    expect(r.verdict).toBe('safe');
    const pkl = r.children!.find((c) => c.path.endsWith('!archive/data.pkl'))!;
    expect(pkl.format).toBe('pickle');
    expect(pkl.imports!.length).toBeGreaterThan(0);
    expect(pkl.imports!.every((i) => i.verdict === 'safe')).toBe(true);
  });

  it('a pickle with the ustar magic planted at 257 is analysed as the pickle it is', async () => {
    const r = await scan('ustar-pickle.pkl');
    expect(r.format).toBe('pickle');
    expect(r.verdict).toBe('unsafe');
    expect(r.imports?.some((i) => i.module === 'os' && i.name === 'system')).toBe(true);
  });

  it.each(['arrays.npz', 'arrays-compressed.npz', 'benign.zip', 'benign.tar', 'zeros-small.zip'])('%s is safe', async (name) => {
    expect((await scan(name)).verdict).toBe('safe');
  });
});
