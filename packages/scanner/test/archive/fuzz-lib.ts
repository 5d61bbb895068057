/**
 * Archive fuzzing: `fuzzArchives(seconds, seed)` mutates the zip/tar/gzip fixtures (bit flips,
 * truncations, splices, saturated 32-bit fields) and scans each mutant with the archive engine.
 * A failure is a crash (`scanner.error`), a missing verdict, or a scan over its time budget.
 * The short run is in archive.test.ts; the long one belongs in `npm run fuzz` (fuzz-long.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanBuffer } from '../../src/scan.js';
import { engine, flatten } from './engine.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

export const ARCHIVE_CORPUS = ['torch-state-dict.pt', 'benign.zip', 'zip64-full.zip', 'benign.tar', 'tar-pax-longname.tar', 'model.tar.gz', 'arrays-compressed.npz', 'hidden-member.zip', 'ambiguous-directory.zip', 'nested-2.zip'];

export interface ArchiveFuzzResult {
  iterations: number;
  failures: Array<{ fixture: string; mutation: number; problem: string }>;
}

export function mutate(orig: Buffer, kind: number, rnd: (n: number) => number): Buffer {
  const buf = Buffer.from(orig);
  if (buf.length < 8) return buf;
  switch (kind % 4) {
    case 0:
      for (let k = 0; k < 1 + rnd(8); k++) {
        const at = rnd(buf.length);
        buf[at] = buf[at]! ^ (1 << rnd(8));
      }
      return buf;
    case 1:
      return buf.subarray(0, rnd(buf.length));
    case 2:
      return Buffer.concat([buf.subarray(0, rnd(buf.length)), buf.subarray(rnd(buf.length))]);
    default:
      for (let k = 0; k < 4; k++) buf.writeUInt32LE(rnd(2) ? 0xffffffff : rnd(1 << 30), Math.min(buf.length - 4, rnd(buf.length)));
      return buf;
  }
}

/** Runs for `seconds` (at least one round over the corpus), deterministic for a given seed. */
export async function fuzzArchives(seconds: number, seed: number, maxIterations = Infinity): Promise<ArchiveFuzzResult> {
  let state = seed >>> 0 || 1;
  const rnd = (n: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 1) % Math.max(1, n);
  };
  const corpus = ARCHIVE_CORPUS.map((f) => [f, fs.readFileSync(path.join(dir, f))] as const);
  const deadline = Date.now() + seconds * 1000;
  const failures: ArchiveFuzzResult['failures'] = [];
  let iterations = 0;
  while (iterations < maxIterations && (iterations < corpus.length || Date.now() < deadline)) {
    const [name, orig] = corpus[iterations % corpus.length]!;
    const mutant = mutate(orig, rnd(4), rnd);
    const t0 = Date.now();
    const r = await scanBuffer(engine, mutant, name, { limits: { timeBudgetMs: 5000 } });
    const errors = flatten(r).flatMap((x) => x.findings).filter((f) => f.ruleId === 'scanner.error');
    if (errors.length > 0) failures.push({ fixture: name, mutation: iterations, problem: errors.map((e) => e.message).join('; ') });
    if (!['safe', 'unknown', 'inconclusive', 'unsafe'].includes(r.verdict)) failures.push({ fixture: name, mutation: iterations, problem: `verdict ${String(r.verdict)}` });
    if (Date.now() - t0 > 6000) failures.push({ fixture: name, mutation: iterations, problem: `took ${Date.now() - t0} ms` });
    iterations++;
  }
  return { iterations, failures };
}
