// Acceptance: `steward check` on a repository holding a 1 GiB model costs at most 1.3x the time
// of `steward hash` on the same model (wall time, process start included, page cache warm). Check
// hashes the files (the lock comparison), scans them (safetensors: headers only), reads the card
// and evaluates the built-in library, so anything beyond hashing must stay small.
//
// The repository: steward.yaml with one model, a model card, config.json and four 256 MiB
// safetensors shards (real headers, pseudo-random data), locked once with `steward lock`.
//
// Usage: node bench/check.bench.js   (build first: npm run build)
// BENCH_QUICK=1: four 8 MiB shards, a smoke run (start-up dominates, so the ratio is not judged).
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { warmCache } from './lib/data.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = `${ROOT}packages/cli/dist/bin.js`;
const RUNS = 5;
const TARGET = 1.3;
const GiB = 1024 ** 3;
const SHARDS = 4;
const CHUNK = 8 * 1024 * 1024;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function steward(args, okCodes = [0]) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  if (!okCodes.includes(r.status)) throw new Error(`steward ${args.join(' ')} exited ${r.status}: ${r.stdout.slice(0, 2000)}${r.stderr.slice(0, 2000)}`);
  return { ms, stdout: r.stdout, code: r.status };
}

/** A safetensors file of `size` bytes: one F32 tensor filling the data section. */
function writeShard(path, size) {
  if (existsSync(path) && statSync(path).size === size) return;
  // The header names the data size, whose digits change the header's length: iterate to the fixed point.
  // Spaces pad the header to 8 bytes, as safetensors writers do, so the data stays aligned.
  let header = '';
  for (let dataBytes = size - 8 - 256; ; ) {
    const h = JSON.stringify({ __metadata__: { format: 'pt' }, weight: { dtype: 'F32', shape: [dataBytes / 4], data_offsets: [0, dataBytes] } });
    const padded = h + ' '.repeat((8 - (Buffer.byteLength(h) % 8)) % 8);
    const next = size - 8 - Buffer.byteLength(padded);
    if (next === dataBytes) {
      header = padded;
      break;
    }
    dataBytes = next;
  }
  const fd = openSync(`${path}.tmp`, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(Buffer.byteLength(header)));
    writeSync(fd, len);
    writeSync(fd, header);
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let left = size - 8 - Buffer.byteLength(header); left > 0; ) {
      const n = Math.min(left, CHUNK);
      randomFillSync(buf, 0, n);
      writeSync(fd, buf, 0, n);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
  spawnSync('mv', [`${path}.tmp`, path]);
}

function ensureRepo(repo, shardSize) {
  const model = join(repo, 'models', 'big');
  mkdirSync(model, { recursive: true });
  for (let i = 0; i < SHARDS; i++) writeShard(join(model, `model-0000${i + 1}-of-0000${SHARDS}.safetensors`), shardSize);
  writeFileSync(join(model, 'config.json'), '{"architectures":["BigModel"],"hidden_size":4096}\n');
  writeFileSync(
    join(model, 'README.md'),
    '---\nlicense: apache-2.0\nlibrary_name: transformers\npipeline_tag: text-generation\n---\n# big\n\nA benchmark model.\n\n## Intended use\n\nBenchmarks.\n\n## Limitations\n\nNone known.\n\n## Training data\n\nSynthetic.\n',
  );
  writeFileSync(
    join(repo, 'steward.yaml'),
    'models:\n  - name: bench/big\n    path: models/big\n    version: 1.0.0\n    license: Apache-2.0\n    riskTier: minimal\n    owners: [bench]\n    ring: sandbox\npolicies:\n  builtin: true\n  files: []\n',
  );
  return model;
}

export default async function checkBench() {
  const quick = process.env.BENCH_QUICK === '1';
  const shardSize = quick ? 8 * 1024 * 1024 : 256 * 1024 * 1024;
  const repo = `${ROOT}bench/.data/${quick ? 'check-quick' : 'check-1g'}`;
  if (!existsSync(CLI)) throw new Error('packages/cli is not built: run npm run build');
  const model = ensureRepo(repo, shardSize);
  const names = readdirSync(model);
  const bytes = warmCache(model, names);
  steward(['lock', '--config', join(repo, 'steward.yaml')]);

  const contenders = {
    hash: () => steward(['hash', model, '--json']),
    // Exit 1 is a policy verdict, not a failure of the command; the bench times the work either way.
    check: () => steward(['check', '--config', join(repo, 'steward.yaml'), '--format', 'json'], [0, 1]),
  };
  const hashed = JSON.parse(contenders.hash().stdout);
  const checked = JSON.parse(contenders.check().stdout);
  const evaluated = checked.evaluations?.[0];
  const sane = typeof hashed.rootDigest === 'string' && evaluated?.counts?.pass > 0 && evaluated.results.some((r) => r.ruleId === 'integrity.locked' && r.status === 'pass');
  const times = { hash: [], check: [] };
  for (let i = 0; i < RUNS; i++) for (const [k, fn] of Object.entries(contenders)) times[k].push(fn().ms);

  // Whether bin.js ran check with its V8 code cache (ADR 0019): without it check pays ~60 ms more.
  const cacheProbe = spawnSync(process.execPath, ['--input-type=module', '-e', `import { loadCachedBundle } from ${JSON.stringify(`${ROOT}packages/cli/dist/cached-bundle.js`)}; console.log(loadCachedBundle(${JSON.stringify(`${ROOT}packages/cli/dist/check-bundle.cjs`)}).cacheUsed)`], { encoding: 'utf8' });
  const codeCache = cacheProbe.stdout.trim() === 'true';
  const results = { code_cache_used: codeCache, files: names.length, bytes, gib: Number((bytes / GiB).toFixed(3)), runs: RUNS, cpus: availableParallelism(), loadavg_1m: loadavg()[0], rules: evaluated?.results.length, outcome: checked.outcome };
  for (const [k, ms] of Object.entries(times)) {
    const med = median(ms);
    results[k] = { median_ms: Math.round(med), min_ms: Math.round(Math.min(...ms)), runs_ms: ms.map((x) => Math.round(x)), gib_per_s: Number((bytes / GiB / (med / 1000)).toFixed(2)) };
  }
  const ratio = Number((median(times.check) / median(times.hash)).toFixed(3));
  results.ratio_min = Number((Math.min(...times.check) / Math.min(...times.hash)).toFixed(3));
  return { name: quick ? 'check-quick' : 'check-1g', results, ratio, target: TARGET, pass: sane && (quick || ratio <= TARGET) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await checkBench();
  console.log(JSON.stringify(r, null, 2));
  process.exitCode = r.pass ? 0 : 1;
}
