import { describe, expect, it } from 'vitest';
import { parseModelCard } from '../src/index.js';
import { fixture } from './helpers.js';

function timed(text: string): { ms: number; sections: number } {
  const t0 = performance.now();
  const card = parseModelCard(text);
  return { ms: performance.now() - t0, sections: card.sections.length };
}

describe('pathological input', () => {
  const N = 2_000_000;
  // Generous bounds: each input takes well under 1 s when parsing is linear; quadratic behaviour would take minutes.
  it.each([
    ['a heading of spaces', '# ' + ' '.repeat(N) + 'x', 1],
    ['a heading of closing hashes', '# a' + ' #'.repeat(N / 2), 1],
    ['a line of hashes', '#'.repeat(N), 0],
    ['a line of backticks', '`'.repeat(N), 0],
    ['many fence lines', '```\n'.repeat(N / 4), 0],
    ['a long paragraph under a setext underline', 'word\n'.repeat(N / 5) + '===\n', 1],
    ['a title of link brackets', '# ' + '[x]('.repeat(N / 4), 1],
    ['many dash lines', '-\n'.repeat(N / 2), 0],
    ['many nested headings', Array.from({ length: 100_000 }, (_, i) => '#'.repeat(1 + (i % 6)) + ' Evaluation').join('\n'), 100_000],
    ['unterminated front matter', '---\n' + 'a: b\n'.repeat(N / 5), 0],
    ['lone carriage returns', 'a\r'.repeat(N / 2), 0],
  ])('%s', (_name, text, sections) => {
    const r = timed(text as string);
    expect(r.sections).toBe(sections);
    expect(r.ms).toBeLessThan(5_000);
  });

  it('never throws on truncated or mangled cards', () => {
    const sources = [fixture('hf-template-bert.md'), fixture('bad-field-types.md'), fixture('headings-edge-cases.md')];
    for (const src of sources) {
      for (let cut = 0; cut < src.length; cut += 7) {
        expect(() => parseModelCard(src.slice(0, cut))).not.toThrow();
        expect(() => parseModelCard(src.slice(cut))).not.toThrow();
      }
    }
    for (const junk of ['---', '---\n---', '---\n:\n---', '---\n? [a]\n: b\n---', '---\n1: 2\n---', '---\n&a\n---', '\uFEFF', '\r\r\r']) {
      expect(() => parseModelCard(junk)).not.toThrow();
    }
  });
});
