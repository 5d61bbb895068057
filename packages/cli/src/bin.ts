#!/usr/bin/env node
// `steward scan` takes a lean path (the bundled scanner only; see scripts/bundle-scan.js);
// everything else loads the full CLI.
const argv = process.argv;
// `steward ... | head`: once the reader has gone, stop quietly (as cat and git do) instead of crashing on EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const isScan = argv[2] === 'scan' && !argv.includes('--help') && !argv.includes('-h');

async function scanEntry(): Promise<{ scanMain(argv: string[]): Promise<number> }> {
  try {
    // @ts-ignore -- produced by `npm run build` after tsc; absent in a tsc-only build.
    return (await import('./scan-bundle.js')) as { scanMain(argv: string[]): Promise<number> };
  } catch {
    return import('./scan-main.js');
  }
}

const code = isScan ? await (await scanEntry()).scanMain(argv) : await (await import('./main.js')).main(argv);
// The server command never resolves; everything else exits with its code once output is flushed.
process.exitCode = code;
