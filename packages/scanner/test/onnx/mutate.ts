/**
 * Shared fuzzing machinery for the structured-format parsers: seeded mutations (bit flips,
 * truncation, splices, interesting values, inserted/deleted runs) and a runner that scans each
 * mutant and records any failure: an exception out of the scan, a `scanner.error` finding (a
 * handler threw), a missing verdict, or a scan slower than the per-file budget.
 */
import { scanBuffer, type ScanEngine } from '../../src/scan.js';
import type { FileReport } from '../../src/types.js';

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    // xorshift32
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe];

export function mutate(rng: Rng, input: Buffer, corpus: readonly Buffer[]): Buffer {
  let b = Buffer.from(input);
  const rounds = 1 + rng.int(4);
  for (let k = 0; k < rounds; k++) {
    if (b.length === 0) b = Buffer.from([rng.int(256)]);
    switch (rng.int(8)) {
      case 0: {
        const flips = 1 + rng.int(8);
        for (let i = 0; i < flips; i++) {
          const at = rng.int(b.length);
          b[at] = b[at]! ^ (1 << rng.int(8));
        }
        break;
      }
      case 1:
        b = b.subarray(0, rng.int(b.length + 1));
        break;
      case 2: {
        const other = rng.pick(corpus);
        const at = rng.int(b.length);
        const from = rng.int(other.length);
        b = Buffer.concat([b.subarray(0, at), other.subarray(from, from + rng.int(other.length - from + 1))]);
        break;
      }
      case 3: {
        const at = rng.int(b.length);
        const n = 1 + rng.int(8);
        for (let i = 0; i < n && at + i < b.length; i++) b[at + i] = rng.pick(INTERESTING);
        break;
      }
      case 4: {
        const at = rng.int(b.length);
        const n = rng.int(Math.min(64, b.length - at) + 1);
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + n)]);
        break;
      }
      case 5: {
        const at = rng.int(b.length);
        const run = Buffer.alloc(1 + rng.int(16), rng.int(256));
        b = Buffer.concat([b.subarray(0, at), run, b.subarray(at)]);
        break;
      }
      case 6: {
        // Overwrite a little-endian 16/32-bit field with a boundary value (offsets, lengths).
        const at = rng.int(Math.max(1, b.length - 4));
        const v = rng.pick([0, 1, 0x7fff, 0xffff, 0x7fffffff, 0xffffffff, b.length, b.length + 1]);
        if (at + 4 <= b.length) b.writeUInt32LE(v >>> 0, at);
        break;
      }
      default: {
        // Duplicate a chunk in place (repeated fields, repeated messages).
        const at = rng.int(b.length);
        const n = rng.int(Math.min(256, b.length - at) + 1);
        b = Buffer.concat([b.subarray(0, at + n), b.subarray(at, at + n), b.subarray(at + n)]);
        break;
      }
    }
  }
  return b;
}

export interface FuzzFailure {
  iteration: number;
  reason: string;
  /** The mutant, base64 (to reproduce). */
  input: string;
}

export interface FuzzResult {
  iterations: number;
  failures: FuzzFailure[];
  verdicts: Record<string, number>;
  formats: Record<string, number>;
}

const VERDICTS = new Set(['safe', 'unknown', 'inconclusive', 'unsafe']);

export async function runFuzz(engine: ScanEngine, corpus: readonly Buffer[], seconds: number, seed: number, name: string, perFileBudgetMs = 2000): Promise<FuzzResult> {
  const rng = new Rng(seed);
  const deadline = Date.now() + seconds * 1000;
  const res: FuzzResult = { iterations: 0, failures: [], verdicts: {}, formats: {} };
  while (Date.now() < deadline && res.failures.length < 20) {
    const input = mutate(rng, rng.pick(corpus), corpus);
    const t0 = Date.now();
    let report: FileReport | null = null;
    try {
      report = await scanBuffer(engine, input, name, { limits: { timeBudgetMs: perFileBudgetMs } });
    } catch (err) {
      res.failures.push({ iteration: res.iterations, reason: `threw: ${(err as Error).stack ?? String(err)}`, input: input.toString('base64') });
    }
    const ms = Date.now() - t0;
    if (report) {
      const crash = report.findings.find((f) => f.ruleId === 'scanner.error');
      if (crash) res.failures.push({ iteration: res.iterations, reason: `handler crashed: ${crash.message}`, input: input.toString('base64') });
      else if (!VERDICTS.has(report.verdict)) res.failures.push({ iteration: res.iterations, reason: `no verdict: ${String(report.verdict)}`, input: input.toString('base64') });
      res.verdicts[report.verdict] = (res.verdicts[report.verdict] ?? 0) + 1;
      res.formats[report.format] = (res.formats[report.format] ?? 0) + 1;
    }
    if (ms > perFileBudgetMs + 1000) res.failures.push({ iteration: res.iterations, reason: `took ${ms} ms`, input: input.length < 100_000 ? input.toString('base64') : '(large)' });
    res.iterations++;
  }
  return res;
}
