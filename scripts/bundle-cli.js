#!/usr/bin/env node
// Bundles the CLI's lean commands into one file each: `steward scan` (scan-main.js), `steward hash`
// (hash-main.js) and `steward check` (check-main.js). Loading their ES modules one by one (zod alone
// is hundreds of files) cost 0.2-0.3 s of every run; one bundled file loads in a fraction of that.
// bin.js uses a bundle when it exists and falls back to the unbundled modules otherwise.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'packages/cli/dist');
const packagesDir = path.join(root, 'packages');

/**
 * Steward's packages find files beside their own modules with `new URL('<relative>', import.meta.url)`
 * (the hash worker, the built-in policy library). In a bundle import.meta.url is the bundle's, so
 * each such URL is rewritten to the same file reached from the bundle's directory.
 */
const packageAssets = {
  name: 'steward-package-assets',
  setup(b) {
    b.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]dist[\\/].*\.js$/ }, async (args) => {
      if (!args.path.startsWith(packagesDir)) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const contents = text.replace(/new URL\((['"])(\.{1,2}\/[^'"]*)\1, import\.meta\.url\)/g, (_m, q, rel) => {
        const target = path.resolve(path.dirname(args.path), rel);
        let fromBundle = path.relative(outDir, target).split(path.sep).join('/');
        if (!fromBundle.startsWith('.')) fromBundle = `./${fromBundle}`;
        if (rel.endsWith('/') && !fromBundle.endsWith('/')) fromBundle += '/';
        return `new URL(${q}${fromBundle}${q}, import.meta.url)`;
      });
      return { contents, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

for (const name of ['scan', 'hash', 'check']) {
  await build({
    entryPoints: [path.join(outDir, `${name}-main.js`)],
    outfile: path.join(outDir, `${name}-bundle.js`),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    // Less to parse at every start; identifiers are kept, so stack traces still name functions.
    minifyWhitespace: true,
    minifySyntax: true,
    plugins: [packageAssets],
    // CommonJS dependencies (commander) call require(); give the ES module one.
    banner: { js: "import { createRequire as __stewardCreateRequire } from 'node:module'; const require = __stewardCreateRequire(import.meta.url);" },
  });
}
