/** safetensors fuzzer: mutated fixtures (headers and tensor data) through the handler. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scan } from '../jinja/engine.js';
import { type FuzzResult, runFuzz } from '../jinja/fuzz-core.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

const TOKENS = ['{', '}', '[', ']', '"', ',', ':', '"dtype"', '"F32"', '"shape"', '"data_offsets"', '[0,48]', '18446744073709551615', '-1', '1e3', '"__metadata__"', '\\u0000', ' '].map((t) => Buffer.from(t));

export function safetensorsCorpus(): Buffer[] {
  return fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.safetensors'))
    .sort()
    .map((f) => fs.readFileSync(path.join(FIXTURES, f)));
}

export async function fuzzSafetensors(seconds: number, seed: number): Promise<FuzzResult> {
  return runFuzz(seconds, seed, safetensorsCorpus(), (input) => scan(input, 'fuzz.safetensors', { limits: { timeBudgetMs: 4000 } }), { tokens: TOKENS });
}
