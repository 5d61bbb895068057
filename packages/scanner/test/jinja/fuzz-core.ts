/**
 * Mutation fuzzing shared by the safetensors, GGUF and Jinja fuzzers: seeded (reproducible)
 * bit flips, interesting bytes, truncation, splices between corpus entries, duplications and
 * insertions. Each case is scanned end to end; a case fails when the scanner throws (a
 * `scanner.error` finding), returns no verdict, or exceeds the per-case time budget.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FileReport } from '../../src/types.js';

export interface FuzzResult {
  cases: number;
  failures: { seed: number; index: number; reason: string; input: Buffer }[];
  verdicts: Record<string, number>;
  /** Detected formats of the mutated inputs (most must still reach the handler under test). */
  formats: Record<string, number>;
}

/** mulberry32: small, fast, seedable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x7b, 0x7d, 0x22, 0x5b, 0x5d, 0x2c, 0x3a];

export function mutate(corpus: Buffer[], rand: () => number, tokens: Buffer[] = []): Buffer {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  let buf = Buffer.from(pick(corpus));
  const rounds = 1 + Math.floor(rand() * 4);
  for (let r = 0; r < rounds; r++) {
    const pos = buf.length ? Math.floor(rand() * buf.length) : 0;
    switch (Math.floor(rand() * (tokens.length ? 8 : 7))) {
      case 0: // bit flips
        for (let i = 0, n = 1 + Math.floor(rand() * 8); i < n && buf.length; i++) {
          const p = Math.floor(rand() * buf.length);
          buf[p]! ^= 1 << Math.floor(rand() * 8);
        }
        break;
      case 1: // interesting byte or little-endian u64 at a random place
        if (!buf.length) break;
        if (rand() < 0.5) buf[pos] = pick(INTERESTING);
        else if (pos + 8 <= buf.length) buf.writeBigUInt64LE(pick([0n, 1n, 0xffffffffn, 1n << 32n, 1n << 62n, (1n << 64n) - 1n, BigInt(buf.length)]), pos);
        break;
      case 2: // truncate
        buf = buf.subarray(0, pos);
        break;
      case 3: { // splice with another corpus entry
        const other = pick(corpus);
        const at = Math.floor(rand() * (other.length + 1));
        buf = Buffer.concat([buf.subarray(0, pos), other.subarray(at, at + Math.floor(rand() * 256))]);
        break;
      }
      case 4: { // duplicate a range
        const len = Math.floor(rand() * 64);
        buf = Buffer.concat([buf.subarray(0, pos), buf.subarray(pos, pos + len), buf.subarray(pos)]);
        break;
      }
      case 5: { // delete a range
        const len = Math.floor(rand() * 64);
        buf = Buffer.concat([buf.subarray(0, pos), buf.subarray(pos + len)]);
        break;
      }
      case 6: { // insert random bytes
        const ins = Buffer.alloc(Math.floor(rand() * 16));
        for (let i = 0; i < ins.length; i++) ins[i] = Math.floor(rand() * 256);
        buf = Buffer.concat([buf.subarray(0, pos), ins, buf.subarray(pos)]);
        break;
      }
      default: // insert a format token
        buf = Buffer.concat([buf.subarray(0, pos), pick(tokens), buf.subarray(pos)]);
    }
  }
  return buf;
}

export async function runFuzz(
  seconds: number,
  seed: number,
  corpus: Buffer[],
  scanOne: (input: Buffer) => Promise<FileReport>,
  opts: { tokens?: Buffer[]; caseBudgetMs?: number; maxCases?: number } = {},
): Promise<FuzzResult> {
  const rand = rng(seed);
  const deadline = Date.now() + seconds * 1000;
  const result: FuzzResult = { cases: 0, failures: [], verdicts: {}, formats: {} };
  const budget = opts.caseBudgetMs ?? 5000;
  while (Date.now() < deadline && result.cases < (opts.maxCases ?? Infinity)) {
    const input = mutate(corpus, rand, opts.tokens);
    const index = result.cases++;
    const t0 = Date.now();
    let report: FileReport;
    try {
      report = await scanOne(input);
    } catch (err) {
      result.failures.push({ seed, index, reason: `threw: ${(err as Error).stack ?? err}`, input });
      continue;
    }
    const ms = Date.now() - t0;
    const err = report.findings.find((f) => f.ruleId === 'scanner.error');
    if (err) result.failures.push({ seed, index, reason: err.message, input });
    else if (!['safe', 'unknown', 'inconclusive', 'unsafe'].includes(report.verdict)) result.failures.push({ seed, index, reason: `no verdict: ${String(report.verdict)}`, input });
    else if (ms > budget) result.failures.push({ seed, index, reason: `took ${ms} ms`, input });
    result.verdicts[report.verdict] = (result.verdicts[report.verdict] ?? 0) + 1;
    result.formats[report.format] = (result.formats[report.format] ?? 0) + 1;
  }
  return result;
}

/** Short runs in `npm test`; FUZZ_SECONDS / FUZZ_SEED (as the pickle fuzzer) make longer or different ones. */
export function fuzzSeconds(def: number): number {
  const v = Number(process.env.FUZZ_SECONDS);
  return Number.isFinite(v) && v > 0 ? v : def;
}

export function fuzzSeed(def: number): number {
  const v = Number(process.env.FUZZ_SEED);
  return Number.isInteger(v) ? v : def;
}

/** Failure descriptions; each failing input is saved to the temp directory for reproduction. */
export function reportFailures(name: string, r: FuzzResult): string[] {
  return r.failures.map((f) => {
    const file = path.join(os.tmpdir(), `steward-${name}-${f.seed}-${f.index}.bin`);
    fs.writeFileSync(file, f.input);
    return `case ${f.index} (seed ${f.seed}, input ${file}): ${f.reason}`;
  });
}
