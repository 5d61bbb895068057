/**
 * Streaming zlib/gzip decompression of a region into a ByteSource: in memory up to IN_MEMORY bytes,
 * spilled to a file in the scan's temp dir beyond that. Enforces the expansion limits (total size,
 * and the compression ratio once the output is large enough for a bomb to matter). A corrupt stream
 * keeps what was decompressed before the error (a loader unpickles that much before failing).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { LimitExceeded, type ScanContext } from '../context.js';
import { BufferSource, FileSource, type ByteSource } from '../source.js';

const IN_MEMORY = 64 * 1024 * 1024;
/** Outputs below this size are never called bombs, whatever their ratio (zeros compress 1000:1). */
const RATIO_FLOOR = 64 * 1024 * 1024;

export interface Inflated {
  source: ByteSource;
  size: number;
  /** The decompressor's error, when the stream is corrupt or truncated. */
  error?: string;
  close(): Promise<void>;
}

export async function inflateRegion(ctx: ScanContext, source: ByteSource, start: number, kind: 'zlib' | 'gzip'): Promise<Inflated> {
  const compressed = source.size - start;
  const z = kind === 'gzip' ? zlib.createGunzip() : zlib.createInflate();
  const input = Readable.from(source.chunks(start, source.size, 1 << 20));
  input.on('error', (err) => z.destroy(err));
  input.pipe(z);
  const chunks: Buffer[] = [];
  let size = 0;
  let file: fs.FileHandle | null = null;
  let filePath = '';
  let error: string | undefined;
  try {
    for await (const chunk of z as AsyncIterable<Buffer>) {
      ctx.checkTime();
      size += chunk.length;
      if (size > ctx.limits.maxExpandedBytes) {
        throw new LimitExceeded('maxExpandedBytes', `decompressed ${kind} stream exceeds ${ctx.limits.maxExpandedBytes} bytes`);
      }
      if (size > RATIO_FLOOR && size > compressed * ctx.limits.maxCompressionRatio) {
        throw new LimitExceeded('maxCompressionRatio', `decompressed ${kind} stream expands more than ${ctx.limits.maxCompressionRatio}x (${size} bytes from ${compressed})`);
      }
      if (file) {
        await file.write(chunk);
      } else if (size > IN_MEMORY) {
        filePath = path.join(await ctx.tempDir(), `inflate-${randomBytes(6).toString('hex')}.bin`);
        file = await fs.open(filePath, 'w');
        for (const c of chunks) await file.write(c);
        chunks.length = 0;
        await file.write(chunk);
      } else {
        chunks.push(chunk);
      }
    }
  } catch (err) {
    if (err instanceof LimitExceeded) {
      input.destroy();
      z.destroy();
      if (file) await file.close();
      if (filePath) await fs.rm(filePath, { force: true });
      throw err;
    }
    error = (err as Error).message;
  } finally {
    input.destroy();
  }
  if (file) {
    await file.close();
    const fsrc = await FileSource.open(filePath);
    return {
      source: fsrc,
      size,
      ...(error !== undefined ? { error } : {}),
      close: async () => {
        await fsrc.close();
        await fs.rm(filePath, { force: true });
      },
    };
  }
  return { source: new BufferSource(Buffer.concat(chunks)), size, ...(error !== undefined ? { error } : {}), close: async () => {} };
}

/** Decompresses the start of a zlib/gzip stream (for content detection); null when it is not one. */
export function inflateHead(head: Buffer, kind: 'zlib' | 'gzip'): Buffer | null {
  try {
    const opts = { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: 64 * 1024 };
    return kind === 'gzip' ? zlib.gunzipSync(head, opts) : zlib.inflateSync(head, opts);
  } catch (err) {
    // maxOutputLength exceeded still means it decompresses; anything else is not a stream.
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      try {
        const opts = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
        return (kind === 'gzip' ? zlib.gunzipSync(head.subarray(0, 1024), opts) : zlib.inflateSync(head.subarray(0, 1024), opts)).subarray(0, 64 * 1024);
      } catch {
        return null;
      }
    }
    return null;
  }
}
