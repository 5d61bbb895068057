// Regenerates docs/scanner-allowlist.md from the allowlist data.
// Usage: npx tsc -b packages/scanner && node packages/scanner/test/pickle/gen-allowlist-doc.mjs
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderAllowlistDoc } from '../../dist/pickle/allowlist-doc.js';

const out = fileURLToPath(new URL('../../../../docs/scanner-allowlist.md', import.meta.url));
writeFileSync(out, renderAllowlistDoc());
console.log(`wrote ${out}`);
