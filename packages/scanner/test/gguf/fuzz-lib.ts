/** GGUF fuzzer: mutated fixtures (counts, lengths, types, templates) through the handler. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scan } from '../jinja/engine.js';
import { type FuzzResult, runFuzz } from '../jinja/fuzz-core.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

const TOKENS = ['GGUF', '\x03\x00\x00\x00', '\x08\x00\x00\x00', '\x09\x00\x00\x00', '{{ x.__class__ }}', '{%', '\xff\xff\xff\xff\xff\xff\xff\x7f'].map((t) => Buffer.from(t, 'latin1'));

export function ggufCorpus(): Buffer[] {
  return fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.gguf') && f !== 'key-too-long.gguf')
    .sort()
    .map((f) => fs.readFileSync(path.join(FIXTURES, f)));
}

export async function fuzzGguf(seconds: number, seed: number): Promise<FuzzResult> {
  return runFuzz(seconds, seed, ggufCorpus(), (input) => scan(input, 'fuzz.gguf', { limits: { timeBudgetMs: 4000 } }), { tokens: TOKENS });
}
