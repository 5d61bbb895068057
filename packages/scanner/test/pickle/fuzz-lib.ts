/**
 * Mutation fuzzing of the pickle-family handlers: bit flips, byte writes, truncation, splices of
 * two inputs, chunk deletion/duplication and random opcode insertion, over every fixture and a set
 * of hand-assembled attacks.
 *
 * Checked for every case: the scan never throws, never reports a scanner error (a crash caught by
 * the orchestrator), ends within a per-case time bound, and gives one of the four verdicts.
 *
 * Soundness (malicious inputs): CPython reads a pickle front to back, so bytes before a mutation are
 * read exactly as before it. When every mutation lies after the end of the first denied import
 * opcode, the import still happens for any loader; the scan must still report it, so the verdict
 * can never be `safe`. (Mutations anywhere are checked for crashes and hangs only: a mutation
 * inside the payload may legitimately remove it.) Compressed inputs are mutated freely only, as
 * their compressed bytes do not map to pickle offsets.
 *
 * `npm run fuzz` calls fuzzPickle(seconds, seed) for a long run; test/pickle/fuzz.test.ts runs a few seconds.
 */
import { writeFileSync } from 'node:fs';
import { LimitExceeded } from '../../src/context.js';
import type { FileReport, Verdict } from '../../src/types.js';
import { asm, callGlobal } from './asm.js';
import { fixture, fixtureNames, scan } from './helpers.js';
import { rng } from '../jinja/fuzz-core.js';

export interface FuzzFailure {
  kind: 'threw' | 'scanner-error' | 'slow' | 'bad-verdict' | 'unsound';
  input: string;
  mutation: string;
  detail: string;
  /** The mutated bytes (base64) when small enough to paste into a test. */
  sample?: string;
}

export interface FuzzStats {
  seed: number;
  cases: number;
  soundnessCases: number;
  verdicts: Record<Verdict, number>;
  maxCaseMs: number;
  failures: FuzzFailure[];
}

/** Per-case wall-clock bound (the scan's own time budget is set lower). */
export const CASE_TIME_BOUND_MS = 5000;
const LIMITS = { maxPickleOpcodes: 500_000, timeBudgetMs: 3000 };

interface Seed {
  name: string;
  data: Buffer;
  /** Offset after the first denied import opcode; -1 when not a (plain, uncompressed) malicious input. */
  payloadEnd: number;
}


const COMPRESSED = /(_zlib|_gzip|_lzma|compat_zf)/;

/** Where the opcode of a denied import ends (GLOBAL/INST: after the two lines; others: after the byte). */
function importEnd(data: Buffer, offset: number, opcode: string): number {
  if (opcode === 'GLOBAL' || opcode === 'INST') {
    const nl1 = data.indexOf(10, offset + 1);
    const nl2 = nl1 < 0 ? -1 : data.indexOf(10, nl1 + 1);
    return nl2 < 0 ? -1 : nl2 + 1;
  }
  return offset + 1;
}

async function seeds(): Promise<Seed[]> {
  const out: Seed[] = [];
  for (const kind of ['benign', 'malicious'] as const) {
    for (const name of fixtureNames(kind)) {
      if (name.endsWith('.py')) continue;
      const data = fixture(kind, name);
      let payloadEnd = -1;
      if (kind === 'malicious' && !COMPRESSED.test(name)) {
        const r = await scan(data, name);
        const imp = r.imports?.find((i) => i.verdict === 'unsafe');
        if (imp) payloadEnd = importEnd(data, imp.offset, imp.opcode);
      }
      out.push({ name: `${kind}/${name}`, data, payloadEnd });
    }
  }
  const attacks: [string, Buffer][] = [
    ['asm/global', callGlobal('os', 'system')],
    ['asm/stack-global-memo', asm().proto(4).shortBinunicode('os').memoize().pop().shortBinunicode('system').memoize().pop().binget(0).binget(1).stackGlobal().shortBinunicode('id').tuple1().reduce().stop().bytes()],
    ['asm/inst', asm().mark().string('id').inst('os', 'system').stop().bytes()],
    ['asm/framed', asm().proto(4).framed(callGlobal('subprocess', 'Popen', 'id', 4).subarray(2)).bytes()],
    ['asm/stacked', Buffer.concat([asm().proto(2).emptyDict().stop().bytes(), asm().proto(2).emptyList().stop().bytes(), callGlobal('builtins', 'exec')])],
  ];
  for (const [name, data] of attacks) {
    const r = await scan(data, name);
    const imp = r.imports?.find((i) => i.verdict === 'unsafe');
    out.push({ name, data, payloadEnd: imp ? importEnd(data, imp.offset, imp.opcode) : -1 });
  }
  return out;
}

const OPCODE_BYTES = Buffer.from('()0123FGIJKLMNPQRSTUVXabcdeghijlopqrstu}].BC', 'latin1');
const PROTO2_OPS = [0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98];

/** One random mutation of `data` at or after `from`; returns the new bytes and a description. */
function mutate(data: Buffer, from: number, rnd: () => number, other: Buffer): [Buffer, string] {
  const len = data.length;
  const pos = (): number => from + Math.floor(rnd() * Math.max(1, len - from));
  const kind = Math.floor(rnd() * 7);
  switch (kind) {
    case 0: {
      const out = Buffer.from(data);
      const n = 1 + Math.floor(rnd() * 8);
      const at: number[] = [];
      for (let i = 0; i < n && len > from; i++) {
        const p = pos();
        if (p < len) {
          out[p]! ^= 1 << Math.floor(rnd() * 8);
          at.push(p);
        }
      }
      return [out, `bit flips at ${at.join(',')}`];
    }
    case 1: {
      const out = Buffer.from(data);
      const p = pos();
      if (p < len) out[p] = Math.floor(rnd() * 256);
      return [out, `byte write at ${p}`];
    }
    case 2: {
      const p = pos();
      return [data.subarray(0, p), `truncate at ${p}`];
    }
    case 3: {
      const p = pos();
      const q = Math.floor(rnd() * other.length);
      return [Buffer.concat([data.subarray(0, p), other.subarray(q)]), `splice at ${p} with other from ${q}`];
    }
    case 4: {
      const p = pos();
      const n = 1 + Math.floor(rnd() * 64);
      return [Buffer.concat([data.subarray(0, p), data.subarray(p + n)]), `delete ${n} at ${p}`];
    }
    case 5: {
      const p = pos();
      const n = 1 + Math.floor(rnd() * 64);
      return [Buffer.concat([data.subarray(0, p), data.subarray(p, p + n), data.subarray(p)]), `duplicate ${n} at ${p}`];
    }
    default: {
      const p = pos();
      const op = rnd() < 0.5 ? OPCODE_BYTES[Math.floor(rnd() * OPCODE_BYTES.length)]! : PROTO2_OPS[Math.floor(rnd() * PROTO2_OPS.length)]!;
      const args = Buffer.alloc(Math.floor(rnd() * 9));
      for (let i = 0; i < args.length; i++) args[i] = rnd() < 0.5 ? Math.floor(rnd() * 4) : Math.floor(rnd() * 256);
      return [Buffer.concat([data.subarray(0, p), Buffer.from([op]), args, data.subarray(p)]), `insert opcode 0x${op.toString(16)} +${args.length} at ${p}`];
    }
  }
}

function hasScannerError(r: FileReport): boolean {
  return r.findings.some((f) => f.ruleId === 'scanner.error') || (r.children ?? []).some(hasScannerError);
}

const VERDICTS = new Set<Verdict>(['safe', 'unknown', 'inconclusive', 'unsafe']);

export async function fuzzPickle(seconds: number, seed: number): Promise<FuzzStats> {
  const rnd = rng(seed);
  const inputs = await seeds();
  const stats: FuzzStats = { seed, cases: 0, soundnessCases: 0, verdicts: { safe: 0, unknown: 0, inconclusive: 0, unsafe: 0 }, maxCaseMs: 0, failures: [] };
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline && stats.failures.length < 20) {
    const input = inputs[Math.floor(rnd() * inputs.length)]!;
    const other = inputs[Math.floor(rnd() * inputs.length)]!.data;
    const sound = input.payloadEnd > 0 && input.payloadEnd < input.data.length && rnd() < 0.5;
    let data = input.data;
    const steps: string[] = [];
    const rounds = 1 + Math.floor(rnd() * 3);
    for (let i = 0; i < rounds; i++) {
      const [next, what] = mutate(data, sound ? Math.min(input.payloadEnd, data.length) : 0, rnd, other);
      data = next;
      steps.push(what);
    }
    const mutation = steps.join('; ');
    const fail = (kind: FuzzFailure['kind'], detail: string): void => {
      stats.failures.push({ kind, input: input.name, mutation, detail, ...(data.length <= 4096 ? { sample: data.toString('base64') } : {}) });
    };
    // For hangs that never return: FUZZ_DUMP_LAST=path keeps the case being scanned on disk.
    if (process.env.FUZZ_DUMP_LAST) writeFileSync(process.env.FUZZ_DUMP_LAST, data);
    const t0 = Date.now();
    let r: FileReport;
    try {
      r = await scan(data, 'fuzzed.bin', { limits: LIMITS });
    } catch (err) {
      fail('threw', err instanceof LimitExceeded ? `LimitExceeded escaped: ${err.message}` : String((err as Error).stack ?? err));
      continue;
    }
    const ms = Date.now() - t0;
    stats.cases++;
    stats.maxCaseMs = Math.max(stats.maxCaseMs, ms);
    if (ms > CASE_TIME_BOUND_MS) fail('slow', `${ms} ms`);
    if (!VERDICTS.has(r.verdict)) fail('bad-verdict', String(r.verdict));
    else stats.verdicts[r.verdict]++;
    if (hasScannerError(r)) fail('scanner-error', r.findings.map((f) => f.message).join(' | '));
    if (sound) {
      stats.soundnessCases++;
      if (r.verdict === 'safe') fail('unsound', `a mutation after the payload (offset ${input.payloadEnd}) made the input safe`);
    }
  }
  return stats;
}
