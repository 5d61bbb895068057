/**
 * Worker thread: hashes whole files, one job at a time, streaming 1 MiB chunks through one reused
 * buffer. Synchronous reads are deliberate: this thread does nothing else, and it keeps the
 * per-chunk cost to one syscall plus the hash update.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

export interface HashJob {
  id: number;
  path: string;
  /** Open with O_NOFOLLOW: the walk saw a plain file, so a symlink here means it was swapped. */
  noFollow: boolean;
  /** Post a progress message every this many bytes (0: never). */
  progressEvery: number;
}

export type HashReply =
  | { type: 'done'; id: number; sha256: string; size: number }
  | { type: 'progress'; id: number; bytes: number }
  | { type: 'error'; id: number; code: string; message: string };

const CHUNK = 1024 * 1024;
const buf = Buffer.allocUnsafe(CHUNK);

function hashFile(job: HashJob, port: NonNullable<typeof parentPort>): void {
  const flags = constants.O_RDONLY | (job.noFollow ? constants.O_NOFOLLOW : 0);
  const fd = openSync(job.path, flags);
  try {
    if (!fstatSync(fd).isFile()) {
      throw Object.assign(new Error('not a regular file'), { code: 'ENOTREGULAR' });
    }
    const hash = createHash('sha256');
    let size = 0;
    let nextProgress = job.progressEvery || Infinity;
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(n === CHUNK ? buf : buf.subarray(0, n));
      size += n;
      if (size >= nextProgress) {
        port.postMessage({ type: 'progress', id: job.id, bytes: size } satisfies HashReply);
        nextProgress = size + job.progressEvery;
      }
    }
    port.postMessage({ type: 'done', id: job.id, sha256: hash.digest('hex'), size } satisfies HashReply);
  } finally {
    closeSync(fd);
  }
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (job: HashJob) => {
    try {
      hashFile(job, port);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      port.postMessage({
        type: 'error',
        id: job.id,
        code: typeof err.code === 'string' ? err.code : 'EUNKNOWN',
        message: err.message ?? String(e),
      } satisfies HashReply);
    }
  });
}
