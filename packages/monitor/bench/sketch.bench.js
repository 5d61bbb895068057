// Measures the @steward/monitor sketches. Prints one JSON object per line.
// Run after building: node packages/monitor/bench/sketch.bench.js [--quick]
import { performance } from 'node:perf_hooks';
import { FrequencySketch, KllSketch, numericDrift } from '../dist/index.js';

const quick = process.argv.includes('--quick');
// --k=N benchmarks another k than the default (for choosing DEFAULT_K).
const kArg = process.argv.find((a) => a.startsWith('--k='));
const K = kArg ? Number(kArg.slice(4)) : KllSketch.DEFAULT_K;

function xorshiftUniforms(seed, n) {
  const out = new Float64Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) / 4294967296;
  }
  return out;
}

function normals(seed, n, shift = 0) {
  const u = xorshiftUniforms(seed, 2 * n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = Math.sqrt(-2 * Math.log(1 - u[2 * i])) * Math.cos(2 * Math.PI * u[2 * i + 1]) + shift;
  }
  return out;
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// Best of `runs`: wall milliseconds, and (bestCpuMs) this process's CPU milliseconds, which a
// shared, loaded machine inflates less than wall time.
let bestCpuMs = NaN;
function best(runs, fn) {
  let min = Infinity;
  let minCpu = Infinity;
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
    const c = process.cpuUsage(c0);
    minCpu = Math.min(minCpu, (c.user + c.system) / 1000);
  }
  bestCpuMs = minCpu;
  return min;
}

// 1. KllSketch.updateMany throughput
{
  const n = quick ? 2_000_000 : 10_000_000;
  const values = normals(1, n);
  const ms = best(quick ? 2 : 5, () => new KllSketch(K).updateMany(values));
  emit({ bench: 'kll.updateMany', values: n, ms: +ms.toFixed(2), valuesPerSecond: Math.round((n / ms) * 1000), valuesPerCpuSecond: Math.round((n / bestCpuMs) * 1000) });
}

// 2. KllSketch.update (one value per call)
{
  const n = quick ? 1_000_000 : 5_000_000;
  const values = normals(2, n);
  const ms = best(3, () => {
    const s = new KllSketch(K);
    for (let i = 0; i < n; i++) s.update(values[i]);
  });
  emit({ bench: 'kll.update', values: n, ms: +ms.toFixed(2), valuesPerSecond: Math.round((n / ms) * 1000), valuesPerCpuSecond: Math.round((n / bestCpuMs) * 1000) });
}

// 3. FrequencySketch.update with few categories
{
  const n = quick ? 1_000_000 : 5_000_000;
  const cats = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const u = xorshiftUniforms(3, n);
  const stream = Array.from(u, (x) => cats[Math.floor(x * cats.length)]);
  const ms = best(3, () => {
    const s = new FrequencySketch();
    for (let i = 0; i < n; i++) s.update(stream[i]);
  });
  emit({ bench: 'frequency.update', categories: cats.length, values: n, ms: +ms.toFixed(2), valuesPerSecond: Math.round((n / ms) * 1000), valuesPerCpuSecond: Math.round((n / bestCpuMs) * 1000) });
}

// 4. Full-sketch size and the server's 30-day drift query: 50 features x 80 stored sketches.
{
  const features = 50;
  const perFeature = 80;
  const bucketValues = 20_000; // each stored rollup sketch is full (well past its compaction point)
  const stored = [];
  for (let f = 0; f < features; f++) {
    const list = [];
    for (let b = 0; b < perFeature; b++) {
      const s = new KllSketch(K);
      s.updateMany(normals(1000 + f * perFeature + b, bucketValues, f % 2 ? 0.05 : 0));
      list.push(s.toBytes());
    }
    stored.push(list);
  }
  const references = [];
  for (let f = 0; f < features; f++) {
    const s = new KllSketch(K);
    s.updateMany(normals(99_000 + f, 200_000));
    references.push(s);
  }
  const sizes = stored.flat().map((b) => b.length);
  emit({
    bench: 'kll.serializedBytes',
    k: K,
    valuesPerSketch: bucketValues,
    minBytes: Math.min(...sizes),
    maxBytes: Math.max(...sizes),
    meanBytes: Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length),
    referenceSketchBytes: references[0].toBytes().length,
  });
  let checksum = 0;
  const run = () => {
    for (let f = 0; f < features; f++) {
      const list = stored[f];
      const acc = KllSketch.fromBytes(list[0]);
      for (let b = 1; b < list.length; b++) acc.merge(KllSketch.fromBytes(list[b]));
      const r = numericDrift(references[f], acc);
      checksum += r.statistic;
    }
  };
  run(); // warm-up
  const ms = best(quick ? 3 : 10, run);
  emit({
    bench: 'kll.driftQuery',
    features,
    sketchesPerFeature: perFeature,
    fromBytesPlusMerge: features * (perFeature - 1) + features,
    drifts: features,
    ms: +ms.toFixed(2),
    cpuMs: +bestCpuMs.toFixed(2),
    checksum: +checksum.toFixed(6),
  });
  // The merge alone and fromBytes alone, per sketch.
  const all = stored.flat();
  const tFrom = best(5, () => {
    for (const b of all) KllSketch.fromBytes(b);
  });
  const parsed = all.map((b) => KllSketch.fromBytes(b));
  const tMerge = best(5, () => {
    for (let f = 0; f < features; f++) {
      const acc = new KllSketch(K);
      for (let b = 0; b < perFeature; b++) acc.merge(parsed[f * perFeature + b]);
    }
  });
  emit({ bench: 'kll.fromBytes', sketches: all.length, usPerSketch: +((tFrom * 1000) / all.length).toFixed(2) });
  emit({ bench: 'kll.merge', sketches: all.length, usPerMerge: +((tMerge * 1000) / all.length).toFixed(2) });
}
