import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withSamples } from '../scripts/exports-doc.js';

const DOC = new URL('../../../docs/exports.md', import.meta.url);

describe('docs/exports.md', () => {
  const doc = readFileSync(DOC, 'utf8');

  it('has samples that match what the renderers produce now (regenerate: npx vite-node packages/exports/scripts/gen-exports-doc.ts)', () => {
    expect(withSamples(doc)).toBe(doc);
  });

  it('would notice a stale sample, and a sample block that went missing', () => {
    const stale = doc.replace(/(<!-- sample:changelog -->\n)/, '$1- Removed file `weights.bin`\n');
    expect(withSamples(stale)).toBe(doc);
    expect(withSamples(stale)).not.toBe(stale);
    expect(() => withSamples(doc.replace('<!-- sample:spdx -->', ''))).toThrow('docs/exports.md has no sample block "spdx"');
  });
});
