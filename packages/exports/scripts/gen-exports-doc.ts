// Rewrites the samples in docs/exports.md from the test fixture.
// Usage: npx vite-node packages/exports/scripts/gen-exports-doc.ts [--check]
// --check exits 1 when the committed samples are stale (the docs test checks the same).
import { readFileSync, writeFileSync } from 'node:fs';
import { withSamples } from './exports-doc.js';

const DOC = new URL('../../../docs/exports.md', import.meta.url);
const current = readFileSync(DOC, 'utf8');
const updated = withSamples(current);
if (process.argv.includes('--check')) {
  if (updated !== current) {
    console.error('docs/exports.md: samples are stale; run npx vite-node packages/exports/scripts/gen-exports-doc.ts');
    process.exit(1);
  }
} else if (updated !== current) {
  writeFileSync(DOC, updated);
  console.log('docs/exports.md: samples updated');
} else {
  console.log('docs/exports.md: samples up to date');
}
