import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

export const HASH_CHUNK_SIZE = 1024 * 1024;

export interface FileDigest {
  sha256: string;
  size: number;
}

export interface Sha256FileOptions {
  /** Read size in bytes (default 1 MiB, as the reference implementation). */
  chunkSize?: number;
  signal?: AbortSignal;
}

/** Streams one file through SHA-256 with a single reused buffer (never holds the whole file). */
export async function sha256File(path: string, opts: Sha256FileOptions = {}): Promise<FileDigest> {
  const chunkSize = opts.chunkSize ?? HASH_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) throw new RangeError('chunkSize must be a positive integer');
  const buf = Buffer.allocUnsafe(chunkSize);
  const hash = createHash('sha256');
  const fh = await open(path, 'r');
  let size = 0;
  try {
    for (;;) {
      opts.signal?.throwIfAborted();
      const { bytesRead } = await fh.read(buf, 0, chunkSize, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      size += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return { sha256: hash.digest('hex'), size };
}
