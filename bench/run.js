// Runs every bench/*.bench.js in sequence (each default export returns
// { name, results, ratio, target, pass }), prints each result as JSON, writes them all to
// bench/.data/results.json, and exits non-zero if any benchmark fails or throws.
//
// Usage: npm run bench            (builds first)
//        node bench/run.js [FILTER...]   only the files whose name contains one of the FILTERs
// BENCH_QUICK=1 makes every benchmark a small smoke run.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const OUT = join(BENCH, '.data', 'results.json');

const filters = process.argv.slice(2);
const files = readdirSync(BENCH)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${filters.join(' ')}`);
  process.exit(2);
}

const started = new Date();
const results = [];
for (const file of files) {
  console.error(`== ${file}`);
  const t0 = process.hrtime.bigint();
  let result;
  try {
    const mod = await import(pathToFileURL(join(BENCH, file)).href);
    if (typeof mod.default !== 'function') throw new Error(`${file} has no default export function`);
    result = await mod.default();
    if (!result || typeof result !== 'object' || typeof result.pass !== 'boolean') throw new Error(`${file} returned no { pass } result`);
  } catch (err) {
    result = { name: file.replace(/\.bench\.js$/, ''), error: err instanceof Error ? err.stack ?? err.message : String(err), pass: false };
  }
  result.file = file;
  result.seconds = Number((Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1));
  results.push(result);
  console.log(JSON.stringify(result, null, 2));
  console.error(`== ${file}: ${result.pass ? 'PASS' : 'FAIL'}${'ratio' in result ? ` (ratio ${result.ratio}, target ${result.target})` : ''} in ${result.seconds} s`);
}

const report = {
  started: started.toISOString(),
  quick: process.env.BENCH_QUICK === '1',
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, arch: arch(), mem_gib: Number((totalmem() / 1024 ** 3).toFixed(1)), node: process.version, openssl: process.versions.openssl, loadavg: loadavg() },
  results,
  pass: results.every((r) => r.pass),
};
mkdirSync(join(BENCH, '.data'), { recursive: true });
writeFileSync(OUT, JSON.stringify(report, null, 2) + '\n');

console.error('');
for (const r of results) console.error(`${r.pass ? 'PASS' : 'FAIL'}  ${r.name}${r.error ? `: ${r.error.split('\n')[0]}` : ''}`);
console.error(`${results.filter((r) => r.pass).length} passed, ${results.filter((r) => !r.pass).length} failed`);
console.error(`results written to ${OUT}`);
process.exitCode = report.pass ? 0 : 1;
