// Benchmark helpers: start and stop a real `steward server` process, run the `steward` CLI as its
// own process with its peak RSS measured, start a bare Fastify process for comparison, and create
// benchmark model directories once.
import { spawn } from 'node:child_process';
import { randomBytes, randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { warmCache } from './data.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'packages/cli/dist/bin.js');
export const DATA = join(ROOT, 'bench/.data');
export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;

const TIME = '/usr/bin/time';
/** GNU time writes the child's ru_maxrss (KiB) with `-f %M -o FILE`; BENCH_NO_GNU_TIME=1 forces /proc polling. */
const haveTime = existsSync(TIME) && process.env.BENCH_NO_GNU_TIME !== '1';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function assertBuilt() {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -b)`);
}

/** VmHWM (peak resident set) and VmRSS of a live process, in KiB; null if it is gone. */
export function procMemory(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kib = (key) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  };
  return { hwmKiB: kib('VmHWM'), rssKiB: kib('VmRSS') };
}

/** CPU seconds (user + system, all threads) a live process has used so far; null if it is gone. */
export function procCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in USER_HZ (100 per second)
  } catch {
    return null;
  }
}

/** A 40+ character admin token for STEWARD_BOOTSTRAP_TOKEN. */
export function newToken() {
  return `bench_${randomBytes(24).toString('hex')}`;
}

/**
 * Starts `steward server` as its own process on a free loopback port with a fresh data dir.
 * Resolves once it prints `steward: listening on URL`. `stop()` reads the process's VmHWM right
 * before sending SIGTERM and resolves with it.
 */
export async function startSteward({ dataDir, env = {}, nodeArgs = [], args = [], timeoutMs = 60_000, cli = CLI } = {}) {
  assertBuilt();
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const token = newToken();
  const child = spawn(process.execPath, [...nodeArgs, cli, 'server', '--port', '0', '--data-dir', dataDir, ...args], {
    cwd: ROOT,
    env: { ...process.env, STEWARD_BOOTSTRAP_TOKEN: token, STEWARD_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`steward server did not start in ${timeoutMs} ms:\n${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.length > 1e6) stderr = stderr.slice(-1e5);
      const m = /steward: listening on (\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`steward server exited (${code ?? signal}) before listening:\n${stderr.slice(-2000)}`));
    });
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    url,
    token,
    pid: child.pid,
    dataDir,
    stderr: () => stderr,
    memory: () => procMemory(child.pid),
    async stop({ timeoutMs: stopMs = 30_000 } = {}) {
      const mem = procMemory(child.pid);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopMs);
      const how = await exited;
      clearTimeout(timer);
      return { peakRssKiB: mem?.hwmKiB ?? null, rssKiB: mem?.rssKiB ?? null, exit: how };
    },
  };
}

/**
 * Runs `steward ARGS...` to completion; resolves with wall time, stdout, stderr, peak RSS and CPU
 * seconds (GNU time's %M, %U + %S when /usr/bin/time exists; else VmHWM polled from /proc every
 * 20 ms, and no CPU time).
 */
export async function runSteward(args, { env = {}, cwd = ROOT, allowFail = false } = {}) {
  assertBuilt();
  const rssFile = join(DATA, `.maxrss-${process.pid}-${Date.now()}`);
  mkdirSync(DATA, { recursive: true });
  const [cmd, argv] = haveTime
    ? [TIME, ['-f', '%M %U %S', '-o', rssFile, process.execPath, CLI, ...args]]
    : [process.execPath, [CLI, ...args]];
  const t0 = process.hrtime.bigint();
  const child = spawn(cmd, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c) => {
    stderr += c;
    if (stderr.length > 1e6) stderr = stderr.slice(-1e5);
  });
  let polledKiB = 0;
  const poll = haveTime
    ? undefined
    : setInterval(() => {
        const m = procMemory(child.pid);
        if (m?.hwmKiB) polledKiB = Math.max(polledKiB, m.hwmKiB);
      }, 20);
  const { code, signal } = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve({ code: c, signal: s }));
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (poll) clearInterval(poll);
  let peakRssKiB = polledKiB || null;
  let cpuSeconds = null;
  if (haveTime) {
    try {
      const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
      const [rss, user, sys] = lines[lines.length - 1].split(' ').map(Number);
      peakRssKiB = rss;
      cpuSeconds = Number((user + sys).toFixed(2));
    } catch {
      peakRssKiB = null;
    }
    rmSync(rssFile, { force: true });
  }
  if (code !== 0 && !allowFail) {
    throw new Error(`steward ${args.join(' ')} exited ${code ?? signal}:\n${stderr.slice(-2000)}`);
  }
  return { ms, code, stdout, stderr, peakRssKiB, cpuSeconds, rssMethod: haveTime ? 'gnu-time' : 'proc-poll' };
}

/** The program of the bare Fastify process: one route returning a constant JSON body. */
const BARE_FASTIFY = `
const { default: Fastify } = await import(process.env.BENCH_FASTIFY_URL);
const app = Fastify({ logger: false });
const body = { ok: true, name: 'constant' };
app.get('/constant', async () => body);
await app.listen({ host: '127.0.0.1', port: 0 });
process.stderr.write('bare fastify: listening on http://127.0.0.1:' + app.server.address().port + '\\n');
process.once('SIGTERM', () => app.close().then(() => process.exit(0)));
`;

/** The `fastify` the server package depends on (resolved from packages/server, i.e. the root node_modules). */
export function fastifyUrl() {
  const req = createRequire(join(ROOT, 'packages/server/package.json'));
  return pathToFileURL(req.resolve('fastify')).href;
}

/** Starts a bare Fastify 5 app (GET /constant) as a separate process; same stop() contract as startSteward. */
export async function startBareFastify({ nodeArgs = [], timeoutMs = 30_000 } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, '--input-type=module', '-e', BARE_FASTIFY], {
    cwd: ROOT,
    env: { ...process.env, BENCH_FASTIFY_URL: fastifyUrl() },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bare fastify did not start:\n${stderr}`));
    }, timeoutMs);
    child.stderr.setEncoding('utf8').on('data', (c) => {
      stderr += c;
      const m = /listening on (\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bare fastify exited (${code}):\n${stderr}`));
    });
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    url,
    pid: child.pid,
    memory: () => procMemory(child.pid),
    async stop() {
      const mem = procMemory(child.pid);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const how = await exited;
      clearTimeout(timer);
      return { peakRssKiB: mem?.hwmKiB ?? null, exit: how };
    },
  };
}

const CHUNK = 8 * MiB;

/** Writes `size` pseudo-random bytes to `path` (via a temp file) unless it already has that size. */
export function ensureRandomFile(path, size) {
  if (existsSync(path) && statSync(path).size === size) return false;
  const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 1)));
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    for (let left = size; left > 0; ) {
      const n = Math.min(left, buf.length);
      randomFillSync(buf, 0, n);
      writeSync(fd, buf, 0, n);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return true;
}

/** A small Hugging Face style model card. */
export function modelCard(name) {
  return `---
license: apache-2.0
language: en
tags:
  - benchmark
---

# ${name}

Synthetic model generated by the Steward benchmarks (pseudo-random weights).

## Intended use

Benchmarking only.
`;
}

/**
 * Ensures `dir` holds exactly the files `files` ({ path, size }) plus README.md; creates missing or
 * wrong-size files, refuses unexpected ones. Returns the total size, README included.
 */
export function ensureModelDir(dir, files, cardName) {
  mkdirSync(dir, { recursive: true });
  const wanted = new Set(['README.md', ...files.map((f) => f.path)]);
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.tmp')) rmSync(join(dir, name), { force: true });
    else if (!wanted.has(name)) throw new Error(`unexpected file ${join(dir, name)}: remove it`);
  }
  for (const f of files) ensureRandomFile(join(dir, f.path), f.size);
  const card = modelCard(cardName);
  const cardPath = join(dir, 'README.md');
  if (!existsSync(cardPath) || readFileSync(cardPath, 'utf8') !== card) writeFileSync(cardPath, card);
  return files.reduce((n, f) => n + f.size, 0) + Buffer.byteLength(card);
}

/** Reads every file of `dir` once so timed runs start from the page cache. */
export function warmDir(dir) {
  return warmCache(dir, readdirSync(dir));
}
