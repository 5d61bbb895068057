#!/usr/bin/env node
// Bundles `steward scan` (CLI parsing + the whole scanner) into one file. Loading ~60 ES modules
// one by one costs a third of a large-checkpoint scan; one bundled file loads in a few ms. bin.js
// uses the bundle when it exists and falls back to the unbundled modules otherwise.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [path.join(root, 'packages/cli/dist/scan-main.js')],
  outfile: path.join(root, 'packages/cli/dist/scan-bundle.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // CommonJS dependencies (commander) call require(); give the ES module one.
  banner: { js: "import { createRequire as __stewardCreateRequire } from 'node:module'; const require = __stewardCreateRequire(import.meta.url);" },
});
