#!/usr/bin/env node
// Bundles the CLI's lean commands into one file each: `steward scan` (scan-main.js), `steward hash`
// (hash-main.js) and `steward check` (check-main.js). Loading their ES modules one by one (zod alone
// is hundreds of files) cost 0.2-0.3 s of every run; one bundled file loads in a fraction of that.
// bin.js uses a bundle when it exists and falls back to the unbundled modules otherwise. check's
// bundle also gets a V8 code cache, recorded here by training runs (ADR 0019).
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // Less to parse at every start; identifiers are kept, so stack traces still name functions.
  minifyWhitespace: true,
  minifySyntax: true,
  plugins: [packageAssets],
};

// scan and hash load little before their work starts: an ES module each.
for (const name of ['scan', 'hash']) {
  await build({
    ...common,
    entryPoints: [path.join(outDir, `${name}-main.js`)],
    outfile: path.join(outDir, `${name}-bundle.js`),
    format: 'esm',
    // CommonJS dependencies (commander) call require(); give the ES module one.
    banner: { js: "import { createRequire as __stewardCreateRequire } from 'node:module'; const require = __stewardCreateRequire(import.meta.url);" },
  });
}

// check compiles far more (policy engine, CEL, YAML, zod, scanner, card parser): a CommonJS bundle,
// which bin.js runs through vm.Script with a V8 code cache (ADR 0019). import.meta.url, which the
// packages use to find their assets, becomes the bundle's own URL.
const checkBundle = path.join(outDir, 'check-bundle.cjs');
await build({
  ...common,
  entryPoints: [path.join(outDir, 'check-main.js')],
  outfile: checkBundle,
  format: 'cjs',
  define: { 'import.meta.url': '__stewardModuleUrl' },
  banner: { js: "var __stewardModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});
await trainCheckCache(checkBundle);

/**
 * The code cache holds what a run compiled, so it is recorded after real runs: `steward check` on
 * the example repository in every output format, plus a configuration error. Output is discarded.
 */
async function trainCheckCache(bundle) {
  const { loadCachedBundle, cacheFileOf } = await import(pathToFileURL(path.join(outDir, 'cached-bundle.js')).href);
  await rm(cacheFileOf(bundle), { force: true });
  const loaded = loadCachedBundle(bundle);
  const silent = { out: () => {}, err: () => {}, isTTY: false };
  const config = path.join(root, 'examples', 'steward.yaml');
  for (const format of ['text', 'json', 'sarif', 'junit', 'github']) {
    const code = await loaded.exports.checkMain(['node', 'steward', 'check', '--config', config, '--format', format], silent);
    if (code !== 0) throw new Error(`training run of steward check on examples/ (--format ${format}) exited ${code}; run it to see why`);
  }
  await loaded.exports.checkMain(['node', 'steward', 'check', '--config', path.join(root, 'examples', 'missing.yaml')], silent);
  loaded.writeCache();
}
