/** Jinja fuzzer: mutated chat templates through the `.jinja` handler and the GGUF/JSON wrappers' analyzer. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeTemplate } from '../../src/jinja/analyze.js';
import { scan } from './engine.js';
import { type FuzzResult, runFuzz } from './fuzz-core.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

const TOKENS = [
  '{{', '}}', '{%', '%}', '{#', '#}', '{%-', '-%}', '{{-', '-}}', '(', ')', '[', ']', '{', '}', "'", '"', '\\', '|', '.', ',', ':', '~',
  ' if ', ' else ', ' endif ', ' for x in ', ' endfor ', ' set ', ' macro ', ' endmacro ', ' raw ', ' endraw ', ' is ', ' not ', ' in ',
  '__class__', '__globals__', "|attr('__init__')", "'__cla' ~ 'ss__'", 'cycler', 'lipsum', 'namespace(a=1)', '\\x5f', '*2', '%c',
  'loop.index0', "message['role']", '**', '//', '\n',
].map((t) => Buffer.from(t));

export function jinjaCorpus(): Buffer[] {
  return fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.jinja'))
    .sort()
    .map((f) => fs.readFileSync(path.join(FIXTURES, f)));
}

export async function fuzzJinja(seconds: number, seed: number): Promise<FuzzResult> {
  const corpus = jinjaCorpus();
  return runFuzz(
    seconds,
    seed,
    corpus,
    async (input) => {
      // The analyzer alone must not throw either (it is called by three handlers).
      analyzeTemplate(input.toString('utf8'));
      return scan(input, 'fuzz.jinja', { limits: { timeBudgetMs: 4000 } });
    },
    { tokens: TOKENS },
  );
}
