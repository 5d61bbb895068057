#!/usr/bin/env node
// `steward scan`, `steward hash` and `steward check` take lean paths: one bundled file holding the
// command and what it needs (scripts/bundle-cli.js), falling back to the command's unbundled
// entry (scan-main.ts, hash-main.ts, check-main.ts). Everything else, and help, loads the full CLI.
// check's bundle is CommonJS, loaded with its V8 code cache (cached-bundle.ts, ADR 0019).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const argv = process.argv;
// `steward ... | head`: once the reader has gone, stop quietly (as cat and git do) instead of crashing on EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

type LeanEntry = (argv: string[]) => Promise<number>;
const LEAN = ['scan', 'hash', 'check'] as const;
type Lean = (typeof LEAN)[number];

async function leanEntry(name: Lean): Promise<LeanEntry> {
  let mod: Record<string, unknown>;
  const cjs = fileURLToPath(new URL(`./${name}-bundle.cjs`, import.meta.url));
  if (existsSync(cjs)) {
    const { loadCachedBundle } = await import('./cached-bundle.js');
    return loadCachedBundle(cjs).exports[`${name}Main`] as LeanEntry;
  }
  try {
    // Produced by `npm run build` after tsc; absent in a tsc-only build.
    mod = (await import(`./${name}-bundle.js`)) as Record<string, unknown>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' || !String((e as Error).message).includes(`${name}-bundle.js`)) throw e;
    mod = (await import(`./${name}-main.js`)) as Record<string, unknown>;
  }
  return mod[`${name}Main`] as LeanEntry;
}

const command = argv[2];
const lean = (LEAN as readonly string[]).includes(command ?? '') && !argv.includes('--help') && !argv.includes('-h') ? (command as Lean) : null;
const code = lean ? await (await leanEntry(lean))(argv) : await (await import('./main.js')).main(argv);
// The server command never resolves; everything else exits with its code once output is flushed.
process.exitCode = code;
