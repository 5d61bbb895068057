import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { StewardError } from '@steward/domain';
import type { PutBlobInput, Sha256Hex } from './types.js';

const DIGEST_RE = /^[0-9a-f]{64}$/;
const TEMP_SUFFIX = '.part';

/** Refuses anything but 64 lowercase hex chars, so a digest can never become a path or key traversal. */
export function assertDigest(digest: unknown): asserts digest is Sha256Hex {
  if (typeof digest !== 'string' || !DIGEST_RE.test(digest)) {
    throw new StewardError('bad_request', 'digest must be 64 lowercase hex characters (sha256)', {
      digest: typeof digest === 'string' ? digest.slice(0, 80) : typeof digest,
    });
  }
}

export function isDigest(value: string): boolean {
  return DIGEST_RE.test(value);
}

/** Validates an inclusive byte range; returns it unchanged. */
export function assertRange(range: { start: number; end: number }): { start: number; end: number } {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new StewardError('bad_request', 'range must be integers with 0 <= start <= end', { start, end });
  }
  return range;
}

export function withCause<E extends Error>(err: E, cause: unknown): E {
  (err as { cause?: unknown }).cause = cause;
  return err;
}

export interface SpooledBlob {
  /** Temporary file holding exactly the verified bytes; the caller publishes or deletes it. */
  path: string;
  digest: Sha256Hex;
  size: number;
}

/**
 * Streams `input.body` into a fresh temp file under `tmpDir`, hashing and counting as bytes pass,
 * fsyncs it and verifies digest and size. On any failure the temp file is removed and the error
 * rethrown as a StewardError. The body is not destroyed on early exit (e.g. payload_too_large):
 * the caller owns it, so an HTTP layer can still answer before closing the connection.
 */
export async function spoolVerified(input: PutBlobInput, tmpDir: string): Promise<SpooledBlob> {
  assertDigest(input.expectedDigest);
  const { maxBytes, expectedSize } = input;
  if (!(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) {
    throw new StewardError('bad_request', 'maxBytes must be a non-negative integer', { maxBytes });
  }
  if (expectedSize !== undefined && !(Number.isSafeInteger(expectedSize) && expectedSize >= 0)) {
    throw new StewardError('bad_request', 'expectedSize must be a non-negative integer', { expectedSize });
  }
  if (expectedSize !== undefined && expectedSize > maxBytes) {
    throw new StewardError('payload_too_large', `blob of ${expectedSize} bytes exceeds the limit of ${maxBytes}`, {
      maxBytes,
      expectedSize,
    });
  }

  const path = join(tmpDir, `${Date.now()}-${randomUUID()}${TEMP_SUFFIX}`);
  let fh: FileHandle | undefined;
  try {
    try {
      fh = await open(path, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // The temp dir vanished (e.g. cleaned by an operator); recreate once.
      await mkdir(tmpDir, { recursive: true });
      fh = await open(path, 'wx', 0o600);
    }
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of readChunks(input.body)) {
      size += chunk.length;
      if (size > maxBytes) {
        throw new StewardError('payload_too_large', `blob exceeds the limit of ${maxBytes} bytes`, { maxBytes });
      }
      hash.update(chunk);
      await writeAll(fh, chunk);
    }
    await fh.sync();
    await fh.close();
    fh = undefined;

    const actual = hash.digest('hex');
    if (actual !== input.expectedDigest || (expectedSize !== undefined && expectedSize !== size)) {
      const sizeWrong = expectedSize !== undefined && expectedSize !== size;
      throw new StewardError(
        'digest_mismatch',
        sizeWrong ? `blob is ${size} bytes, expected ${expectedSize}` : 'blob content does not match the expected digest',
        {
          expected: input.expectedDigest,
          actual,
          ...(expectedSize === undefined ? {} : { expectedSize, actualSize: size }),
        },
      );
    }
    return { path, digest: actual, size };
  } catch (err) {
    await fh?.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw toStewardError(err, 'writing a temporary blob file');
  }
}

class BodyError extends Error {
  constructor(readonly original: unknown) {
    super('upload body failed');
  }
}

/** Yields Buffers from the body; read failures are tagged so they map to bad_request, not unavailable. */
async function* readChunks(body: Readable): AsyncGenerator<Buffer> {
  // destroyOnReturn:false — see spoolVerified: early exits leave the body to the caller.
  const it =
    typeof body.iterator === 'function'
      ? body.iterator({ destroyOnReturn: false })[Symbol.asyncIterator]()
      : (body as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<unknown>;
      try {
        next = await it.next();
      } catch (err) {
        throw new BodyError(err);
      }
      if (next.done) return;
      const chunk = next.value;
      if (Buffer.isBuffer(chunk)) yield chunk;
      else if (chunk instanceof Uint8Array) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      else if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8');
      else throw new StewardError('bad_request', 'upload body must yield bytes');
    }
  } finally {
    // Detaches the iterator's listeners; does not destroy the body (destroyOnReturn:false).
    await it.return?.().catch(() => {});
  }
}

async function writeAll(fh: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

export function toStewardError(err: unknown, doing: string): StewardError {
  if (err instanceof StewardError) return err;
  if (err instanceof BodyError) {
    const msg = err.original instanceof Error ? err.original.message : String(err.original);
    return withCause(new StewardError('bad_request', `upload body ended with an error: ${msg}`), err.original);
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return withCause(
    new StewardError('unavailable', `blob storage failed while ${doing}${code ? ` (${code})` : ''}`),
    err,
  );
}

export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw toStewardError(err, 'removing a temporary file');
  });
}

/** Deletes regular files in `dir` whose mtime is before `olderThan`; returns how many. */
export async function sweepDir(dir: string, olderThan: Date): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw toStewardError(err, 'listing temporaries');
  }
  let removed = 0;
  for (const name of names) {
    const p = join(dir, name);
    try {
      const st = await stat(p);
      if (!st.isFile() || st.mtime >= olderThan) continue;
      await unlink(p);
      removed += 1;
    } catch (err) {
      // Raced with a finishing upload (renamed or removed meanwhile).
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw toStewardError(err, 'sweeping temporaries');
    }
  }
  return removed;
}
