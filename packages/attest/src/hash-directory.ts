/**
 * Hashes a model directory into a "files" manifest: walk on the main thread, hash on a pool of
 * worker threads (one whole file per job, biggest files first).
 */
import { existsSync } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StewardError, validateModelPath } from '@steward/domain/core';
import { DEFAULT_IGNORE_PATHS, buildManifest, normalizeIgnorePaths, type Manifest, type ManifestFile } from './manifest.js';
import type { HashJob, HashReply } from './hash-worker.js';

export interface HashModelDirectoryOptions {
  /** Follow symbolic links that stay inside the directory (default false: any link is refused). */
  allowSymlinks?: boolean;
  /**
   * Paths relative to the directory to leave out (a directory drops its whole subtree). The
   * signature file (e.g. `model.sig`) is not ignored unless listed here.
   */
  ignorePaths?: readonly string[];
  /** Also ignore `.git`, `.gitattributes`, `.github`, `.gitignore` at the root (default true, as the reference). */
  ignoreGitPaths?: boolean;
  /** Worker threads (default os.availableParallelism()). */
  concurrency?: number;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** Stops hashing (workers terminated) and rejects with the signal's reason. */
  signal?: AbortSignal;
}

interface FoundFile {
  rel: string;
  abs: string;
  size: number;
}

const PROGRESS_EVERY = 16 * 1024 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function refuse(rel: string, reason: string): never {
  throw new StewardError('invalid_path', `${JSON.stringify(rel)}: ${reason}`, { path: rel, reason });
}

function specialKind(st: Stats): string {
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  return 'special file';
}

function isInside(root: string, p: string): boolean {
  if (p === root) return true;
  return p.startsWith(root.endsWith(sep) ? root : root + sep);
}

function isIgnored(rel: string, ignore: readonly string[]): boolean {
  for (const ig of ignore) {
    if (rel === ig || rel.startsWith(ig + '/')) return true;
  }
  return false;
}

/** Filesystem failures during the walk (vanished entry, no permission) as a StewardError naming the path. */
async function fsCall<T>(rel: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new StewardError('bad_request', `cannot read ${JSON.stringify(rel)}: ${err.message}`, { path: rel, code: err.code });
  }
}

interface WalkContext {
  rootReal: string;
  ignore: readonly string[];
  allowSymlinks: boolean;
  out: FoundFile[];
}

/**
 * `realDir` is the resolved path of `absDir`; `ancestors` the resolved directories above it
 * (to catch a link back up the tree). Entries are visited in byte order so errors are stable.
 */
async function walk(ctx: WalkContext, absDir: string, relDir: string, realDir: string, ancestors: Set<string>): Promise<void> {
  const raw = (await fsCall(relDir || '.', () => readdir(absDir, { encoding: 'buffer' }))).sort(Buffer.compare);
  for (const nameBuf of raw) {
    let name: string;
    try {
      name = utf8.decode(nameBuf);
    } catch {
      refuse(relDir ? `${relDir}/${nameBuf.toString('utf8')}` : nameBuf.toString('utf8'), 'file name is not valid UTF-8');
    }
    const rel = relDir ? `${relDir}/${name}` : name;
    if (isIgnored(rel, ctx.ignore)) continue;
    validateModelPath(rel);
    const abs = join(absDir, name);
    let st = await fsCall(rel, () => lstat(abs));
    let real: string | undefined;
    if (st.isSymbolicLink()) {
      if (!ctx.allowSymlinks) refuse(rel, 'is a symbolic link (symlinks are not allowed)');
      try {
        real = await realpath(abs);
        st = await stat(abs);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        refuse(rel, code === 'ELOOP' ? 'symbolic link loop' : `broken symbolic link (${code ?? 'unresolvable'})`);
      }
      if (!isInside(ctx.rootReal, real)) refuse(rel, 'symbolic link points outside the model directory');
    }
    if (st.isDirectory()) {
      const dirReal = real ?? join(realDir, name);
      if (dirReal === realDir || ancestors.has(dirReal)) refuse(rel, 'symbolic link cycle');
      await walk(ctx, abs, rel, dirReal, new Set(ancestors).add(realDir));
    } else if (st.isFile()) {
      ctx.out.push({ rel, abs, size: st.size });
    } else {
      refuse(rel, `is a ${specialKind(st)}, not a regular file or directory`);
    }
  }
}

function workerUrl(): URL {
  // From dist/ the worker sits beside this module; when this module runs from src/ (tests via
  // vitest), the compiled worker in ../dist/ is used: plain Node cannot run the .ts file.
  const here = new URL('./hash-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL('../dist/hash-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new StewardError('internal', 'hash worker script not found: build @steward/attest (npx tsc -b packages/attest)');
}

function ioError(rel: string, code: string, message: string): StewardError {
  if (code === 'ELOOP') return new StewardError('invalid_path', `${JSON.stringify(rel)}: became a symbolic link while hashing`, { path: rel, reason: 'symlink' });
  if (code === 'ENOTREGULAR') return new StewardError('invalid_path', `${JSON.stringify(rel)}: not a regular file`, { path: rel, reason: 'special file' });
  return new StewardError('bad_request', `cannot read ${JSON.stringify(rel)}: ${message}`, { path: rel, code });
}

/**
 * Runs one job per file on the given workers; rejects on the first failure. Results are indexed
 * like `files`.
 */
function hashOnWorkers(
  files: readonly FoundFile[],
  workers: readonly Worker[],
  noFollow: boolean,
  onProgress: ((done: number, total: number) => void) | undefined,
): Promise<{ sha256: string; size: number }[]> {
  const results: { sha256: string; size: number }[] = new Array(files.length);
  if (files.length === 0) return Promise.resolve(results);
  const total = files.reduce((s, f) => s + f.size, 0);
  // Longest files first keeps every worker busy until the end.
  const order = files.map((_, i) => i).sort((a, b) => files[b]!.size - files[a]!.size);
  const progressEvery = onProgress ? PROGRESS_EVERY : 0;
  const inFlight = new Map<number, number>();
  let next = 0;
  let finished = 0;
  let doneBytes = 0;

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    const report = () => {
      if (!onProgress) return;
      let partial = 0;
      for (const b of inFlight.values()) partial += b;
      try {
        onProgress(doneBytes + partial, total);
      } catch (e) {
        fail(e);
      }
    };
    const dispatch = (w: Worker) => {
      const id = order[next++];
      if (id === undefined || settled) return;
      w.postMessage({ id, path: files[id]!.abs, noFollow, progressEvery } satisfies HashJob);
    };
    const onMessage = (w: Worker, m: HashReply) => {
      if (settled) return;
      switch (m.type) {
        case 'progress':
          inFlight.set(m.id, m.bytes);
          report();
          return;
        case 'error':
          fail(ioError(files[m.id]!.rel, m.code, m.message));
          return;
        case 'done':
          inFlight.delete(m.id);
          doneBytes += m.size;
          results[m.id] = { sha256: m.sha256, size: m.size };
          finished++;
          report();
          if (finished === files.length) {
            settled = true;
            resolve(results);
          } else dispatch(w);
      }
    };
    report();
    for (const w of workers) {
      w.on('message', (m: HashReply) => onMessage(w, m));
      w.on('error', (e) => fail(new StewardError('internal', `hash worker failed: ${e.message}`)));
      w.on('exit', (code) => fail(new StewardError('internal', `hash worker exited early (code ${code})`)));
      dispatch(w);
    }
  });
}

/** `work`, or the signal's reason as soon as it is aborted (the caller's `finally` stops the workers). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Walks `dir` and hashes every regular file on worker threads into a sorted "files" manifest. */
export async function hashModelDirectory(dir: string, opts: HashModelDirectoryOptions = {}): Promise<Manifest> {
  const allowSymlinks = opts.allowSymlinks ?? false;
  const concurrency = opts.concurrency ?? availableParallelism();
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new StewardError('bad_request', `concurrency must be a positive integer, got ${String(opts.concurrency)}`);
  }
  const gitIgnores = opts.ignoreGitPaths === false ? [] : DEFAULT_IGNORE_PATHS;
  const ignore = normalizeIgnorePaths([...gitIgnores, ...(opts.ignorePaths ?? [])]);

  let rootReal: string;
  try {
    if (!(await stat(dir)).isDirectory()) throw new StewardError('bad_request', `not a directory: ${dir}`, { path: dir });
    rootReal = await realpath(dir);
  } catch (e) {
    if (e instanceof StewardError) throw e;
    throw new StewardError('bad_request', `cannot open model directory ${dir}: ${(e as Error).message}`, { path: dir });
  }

  // Boot workers now so their start-up overlaps the walk; spares are stopped once the file count is known.
  const url = workerUrl();
  const workers: Worker[] = [];
  const startWorker = () => {
    const w = new Worker(url);
    w.on('error', () => {}); // reported by hashOnWorkers; a spare's failure must not crash the process
    workers.push(w);
    return w;
  };
  try {
    for (let i = 0; i < Math.min(concurrency, availableParallelism()); i++) startWorker();
    const found: FoundFile[] = [];
    await walk({ rootReal, ignore, allowSymlinks, out: found }, dir, '', rootReal, new Set());
    const n = Math.min(concurrency, found.length);
    while (workers.length < n) startWorker();
    const active = workers.slice(0, n);
    await Promise.all(workers.slice(n).map((w) => w.terminate()));
    const hashing = hashOnWorkers(found, active, !allowSymlinks, opts.onProgress);
    const hashed = opts.signal ? await untilAborted(hashing, opts.signal) : await hashing;
    const files: ManifestFile[] = found.map((f, i) => ({ path: f.rel, size: hashed[i]!.size, sha256: hashed[i]!.sha256 }));
    return buildManifest(files, { allowSymlinks, ignorePaths: ignore });
  } finally {
    for (const w of workers) w.removeAllListeners('exit');
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
