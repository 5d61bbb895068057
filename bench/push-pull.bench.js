// Acceptance: push and pull of a 2 GiB model over loopback: peak RSS of server and CLI each under
// 300 MB; re-push of the unchanged model transfers no file bytes.
//
// The model (bench/.data/model-2g/: 1.5 GiB + 384 + 96 + 32 MiB of pseudo-random bytes and a
// README.md card) is created once and reused. Each round starts a fresh `steward server` process
// (SQLite, local blobs), then runs `steward push --json`, the same push again, and `steward pull`
// into an empty directory, each as its own process. CLI peak RSS: GNU time's %M (ru_maxrss); server
// peak RSS: VmHWM from /proc/PID/status, reset before each phase through /proc/PID/clear_refs so
// that each phase has its own peak. Bytes the server received in a phase: the delta of rchar in
// /proc/PID/io (socket reads included), an independent check of the CLI's `uploadedBytes`.
//
// Usage: node bench/push-pull.bench.js   (build first: npx tsc -b)
// BENCH_QUICK=1: a 64 MiB model and one round, a smoke run.
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DATA, MiB, ensureModelDir, median, procCpuSeconds, procMemory, runSteward, startSteward, warmDir } from './lib/server.js';

const LIMIT_BYTES = 300 * 1000 * 1000; // "300 MB"
const MODEL = 'default/bench-push-pull';
const VERSION = '1.0.0';

/** Bytes the process has read through read(2)-like calls, sockets included. */
function rchar(pid) {
  try {
    return Number(/^rchar:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))[1]);
  } catch {
    return null;
  }
}

/** Resets the peak RSS (VmHWM) of a process we own; false when the kernel refuses. */
function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

function layout(quick) {
  const scale = quick ? 1 / 32 : 1; // 64 MiB in total for a smoke run, 2 GiB otherwise
  return [
    { path: 'model-00001-of-00002.safetensors', mib: 1536 },
    { path: 'model-00002-of-00002.safetensors', mib: 384 },
    { path: 'optimizer-shard.bin', mib: 96 },
    { path: 'tokenizer.bin', mib: 32 },
  ].map((f) => ({ path: f.path, size: f.mib * scale * MiB }));
}

const mibps = (bytes, ms) => Number((bytes / MiB / (ms / 1000)).toFixed(1));
const mb = (kib) => (kib == null ? null : Number(((kib * 1024) / 1e6).toFixed(1)));

async function round(modelDir, totalBytes, fileCount, i) {
  const server = await startSteward({
    dataDir: join(DATA, 'push-pull-server'),
    env: { STEWARD_RATE_LIMIT_MAX: '100000000', STEWARD_LOG_LEVEL: 'warn' },
  });
  const env = { STEWARD_SERVER: server.url, STEWARD_TOKEN: server.token, STEWARD_CONFIG: join(DATA, 'no-credentials.json') };
  const pullDir = join(DATA, 'push-pull-out');
  rmSync(pullDir, { recursive: true, force: true });
  const phases = {};
  const startupPeakKiB = procMemory(server.pid)?.hwmKiB ?? null;
  let perPhasePeak = true;
  const phase = async (name, args, check) => {
    perPhasePeak = resetPeak(server.pid) && perPhasePeak;
    const r0 = rchar(server.pid);
    const c0 = procCpuSeconds(server.pid);
    const r = await runSteward(args, { env });
    const mem = procMemory(server.pid);
    const r1 = rchar(server.pid);
    const c1 = procCpuSeconds(server.pid);
    const out = JSON.parse(r.stdout);
    phases[name] = {
      wall_ms: Math.round(r.ms),
      mib_per_s: mibps(totalBytes, r.ms),
      cli_peak_rss_mb: mb(r.peakRssKiB),
      server_peak_rss_mb: mb(mem?.hwmKiB),
      server_rss_after_mb: mb(mem?.rssKiB),
      cli_cpu_s: r.cpuSeconds,
      server_cpu_s: c0 == null || c1 == null ? null : Number((c1 - c0).toFixed(2)),
      server_bytes_read: r0 == null || r1 == null ? null : r1 - r0,
      ...check(out),
    };
  };
  try {
    await phase('push', ['push', modelDir, '--model', MODEL, '--version', VERSION, '--json'], (o) => ({
      created: o.created,
      uploaded_files: o.uploadedFiles,
      uploaded_bytes: o.uploadedBytes,
    }));
    await phase('repush', ['push', modelDir, '--model', MODEL, '--version', VERSION, '--json'], (o) => ({
      created: o.created,
      uploaded_files: o.uploadedFiles,
      uploaded_bytes: o.uploadedBytes,
    }));
    await phase('pull', ['pull', `${MODEL}@${VERSION}`, pullDir, '--json'], (o) => ({
      downloaded_files: o.downloaded,
      reused_files: o.reused,
    }));
    const pulled = readdirSync(pullDir).map((n) => statSync(join(pullDir, n)).size);
    phases.pull.pulled_bytes = pulled.reduce((a, b) => a + b, 0);
    phases.pull.pulled_files = pulled.length;
  } finally {
    const stopped = await server.stop();
    rmSync(pullDir, { recursive: true, force: true });
    rmSync(server.dataDir, { recursive: true, force: true });
    phases.server = {
      // With per-phase resets the lifetime peak is the largest of start-up and the phases.
      peak_rss_mb: perPhasePeak
        ? Math.max(mb(startupPeakKiB) ?? 0, ...['push', 'repush', 'pull'].map((p) => phases[p]?.server_peak_rss_mb ?? 0))
        : mb(stopped.peakRssKiB),
      startup_peak_rss_mb: mb(startupPeakKiB),
      per_phase_peaks: perPhasePeak,
      exit: stopped.exit,
    };
  }
  const ok =
    phases.push.uploaded_bytes === totalBytes &&
    phases.push.uploaded_files === fileCount &&
    phases.repush.uploaded_files === 0 &&
    phases.repush.uploaded_bytes === 0 &&
    phases.pull.downloaded_files === fileCount &&
    phases.pull.pulled_bytes === totalBytes;
  process.stderr.write(`push-pull round ${i + 1}: ${JSON.stringify(phases)}\n`);
  return { ...phases, checks_ok: ok };
}

export default async function pushPullBench() {
  const quick = process.env.BENCH_QUICK === '1';
  const rounds = Number(process.env.BENCH_ROUNDS || (quick ? 1 : 3));
  const modelDir = join(DATA, quick ? 'model-64m' : 'model-2g');
  const files = layout(quick);
  const totalBytes = ensureModelDir(modelDir, files, 'bench-push-pull');
  const fileCount = files.length + 1;
  warmDir(modelDir);

  const runs = [];
  for (let i = 0; i < rounds; i++) runs.push(await round(modelDir, totalBytes, fileCount, i));

  const stat = (get) => {
    const xs = runs.map(get).filter((x) => typeof x === 'number');
    return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
  };
  const summary = {};
  for (const p of ['push', 'repush', 'pull']) {
    summary[p] = {
      wall_ms: stat((r) => r[p].wall_ms),
      mib_per_s: stat((r) => r[p].mib_per_s),
      cli_peak_rss_mb: stat((r) => r[p].cli_peak_rss_mb),
      server_peak_rss_mb: stat((r) => r[p].server_peak_rss_mb),
      cli_cpu_s: stat((r) => r[p].cli_cpu_s),
      server_cpu_s: stat((r) => r[p].server_cpu_s),
      server_bytes_read: stat((r) => r[p].server_bytes_read),
      uploaded_bytes: p === 'pull' ? undefined : stat((r) => r[p].uploaded_bytes),
    };
  }
  const peaks = runs.flatMap((r) => [r.push.cli_peak_rss_mb, r.repush.cli_peak_rss_mb, r.pull.cli_peak_rss_mb, r.server.peak_rss_mb]);
  const worstPeakMb = Math.max(...peaks.map((x) => x ?? Infinity));
  const repushBytes = Math.max(...runs.map((r) => r.repush.uploaded_bytes));
  // Independent check: during the re-push the server reads only JSON (the manifest), not file bytes.
  const repushServerRead = Math.max(...runs.map((r) => r.repush.server_bytes_read ?? 0));
  const smallestFile = Math.min(...files.map((f) => f.size));
  const checksOk = runs.every((r) => r.checks_ok);
  return {
    name: quick ? 'push-pull-quick' : 'push-pull-2g',
    results: {
      model_bytes: totalBytes,
      model_gib: Number((totalBytes / 1024 ** 3).toFixed(3)),
      files: fileCount,
      rounds,
      loadavg_1m: loadavg()[0],
      worst_peak_rss_mb: worstPeakMb,
      limit_mb: LIMIT_BYTES / 1e6,
      repush_uploaded_bytes: repushBytes,
      repush_server_bytes_read_max: repushServerRead,
      checks_ok: checksOk,
      summary,
      runs,
    },
    ratio: Number((worstPeakMb / (LIMIT_BYTES / 1e6)).toFixed(3)),
    target: 1,
    pass: checksOk && worstPeakMb * 1e6 < LIMIT_BYTES && repushBytes === 0 && repushServerRead < smallestFile / 2,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await pushPullBench();
  console.log(JSON.stringify(r, null, 2));
  process.exitCode = r.pass ? 0 : 1;
}
