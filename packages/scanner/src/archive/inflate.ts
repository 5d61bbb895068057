/**
 * Streaming decompression with limits: node:zlib inflates compressed chunks read from a ByteSource,
 * bytes are counted as they come out, and inflation stops at `maxBytes` (never a byte more in
 * memory or on disk). Output up to MEMORY_SPILL_BYTES stays in a BufferSource; past that it is
 * written to a temp file under ctx.tempDir() and read back through a FileSource. The caller
 * closes the result, which deletes the temp file.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { LimitExceeded, type ScanContext } from '../context.js';
import { BufferSource, type ByteSource, FileSource } from '../source.js';
import { MEMORY_SPILL_BYTES } from './common.js';

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

const nativeCrc32 = (zlib as unknown as { crc32?: (data: Buffer, value?: number) => number }).crc32;

/** CRC-32 (zip/gzip polynomial), continuing from `prev`. node:zlib's when present (Node >= 20.15). */
export function crc32(data: Buffer, prev = 0): number {
  if (nativeCrc32) return nativeCrc32(data, prev) >>> 0;
  let c = ~prev;
  for (let i = 0; i < data.length; i++) c = (CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)) | 0;
  return ~c >>> 0;
}

export type InflateFormat = 'raw' | 'gzip' | 'zlib';

export interface InflateOptions {
  format: InflateFormat;
  /** Stop after this many output bytes; `overflow` tells whether more would have come. */
  maxBytes: number;
  /** Hash the output (SHA-256) for the member's report. */
  digest?: boolean;
}

export interface Inflated {
  source: ByteSource;
  size: number;
  crc32: number;
  /** SHA-256 hex of the output, when requested. */
  sha256: string | null;
  /** The compressed stream reached its proper end (and, for gzip, its trailer checked out). */
  ended: boolean;
  /** Output went past maxBytes: inflation was stopped and the output cut at maxBytes. */
  overflow: boolean;
  /** zlib's error for corrupt or truncated input; the output before it is kept. */
  error: string | null;
  /** Compressed bytes consumed (exact when the stream ended). */
  consumed: number;
  close(): Promise<void>;
}

/**
 * Inflates `input` (compressed chunks) with limits. Throws only LimitExceeded('time') (from
 * ctx.checkTime) and I/O errors of the temp file; corrupt data is reported in `error`.
 */
export async function inflateLimited(ctx: ScanContext, input: AsyncIterable<Buffer>, opts: InflateOptions): Promise<Inflated> {
  const zopts = { chunkSize: 64 * 1024 };
  const z = opts.format === 'raw' ? zlib.createInflateRaw(zopts) : opts.format === 'gzip' ? zlib.createGunzip(zopts) : zlib.createInflate(zopts);
  // Keep small inputs: when zlib fails, the output of its last step is lost with the error, and
  // salvage() recovers everything that inflated before the bad byte (lesson 9).
  const kept: Buffer[] = [];
  let keptBytes = 0;
  async function* recording(): AsyncGenerator<Buffer> {
    for await (const c of input) {
      keptBytes += c.length;
      if (keptBytes <= SALVAGE_MAX_INPUT) kept.push(c);
      yield c;
    }
  }
  const src = Readable.from(recording());
  src.on('error', (err) => z.destroy(err));
  src.pipe(z);

  let hash = opts.digest ? createHash('sha256') : null;
  let crc = 0;
  let size = 0;
  let overflow = false;
  let error: string | null = null;
  let ended = false;
  const parts: Buffer[] = [];
  let file: { handle: fs.FileHandle; path: string } | null = null;

  const append = async (b: Buffer) => {
    if (b.length === 0) return;
    crc = crc32(b, crc);
    hash?.update(b);
    size += b.length;
    if (file) {
      await writeAll(file.handle, b);
      return;
    }
    parts.push(b);
    if (size > MEMORY_SPILL_BYTES) {
      const p = path.join(await ctx.tempDir(), `inflate-${randomBytes(8).toString('hex')}`);
      file = { handle: await fs.open(p, 'w+'), path: p };
      for (const part of parts) await writeAll(file.handle, part);
      parts.length = 0;
    }
  };

  try {
    for await (const chunk of z as AsyncIterable<Buffer>) {
      ctx.checkTime();
      const room = opts.maxBytes - size;
      if (chunk.length > room) {
        await append(chunk.subarray(0, room));
        overflow = true;
        break;
      }
      await append(chunk);
    }
    if (!overflow) ended = true;
  } catch (err) {
    if (err instanceof LimitExceeded) {
      await discard(file);
      throw err;
    }
    if (!overflow) error = (err as Error).message;
  } finally {
    src.destroy();
    z.destroy();
  }
  if (error !== null && !file && keptBytes <= SALVAGE_MAX_INPUT) {
    const cap = Math.min(opts.maxBytes, MEMORY_SPILL_BYTES);
    const more = salvage(opts.format, Buffer.concat(kept, keptBytes), cap);
    if (more && more.length > size) {
      parts.length = 0;
      parts.push(more);
      size = more.length;
      crc = crc32(more);
      if (hash) {
        hash = createHash('sha256');
        hash.update(more);
      }
    }
  }
  // A zero-length output may still have hit overflow when maxBytes is 0 and more came.
  const consumed = z.bytesWritten;
  const result = { size, crc32: crc, sha256: hash ? hash.digest('hex') : null, ended, overflow, error, consumed };
  const f = file as { handle: fs.FileHandle; path: string } | null;
  if (f) {
    await f.handle.close();
    const fsrc = await FileSource.open(f.path);
    return {
      ...result,
      source: fsrc,
      close: async () => {
        await fsrc.close().catch(() => undefined);
        await fs.rm(f.path, { force: true });
      },
    };
  }
  return { ...result, source: new BufferSource(Buffer.concat(parts, size)), close: async () => undefined };
}

/** Inputs up to this size are kept so that a corrupt stream's last output can be salvaged. */
const SALVAGE_MAX_INPUT = 4 * 1024 * 1024;

/**
 * The longest output of a prefix of `input` that inflates without error (a binary search over
 * prefix lengths; a prefix of a good prefix is good). Null when nothing inflates.
 */
function salvage(format: InflateFormat, input: Buffer, cap: number): Buffer | null {
  const fn = format === 'raw' ? zlib.inflateRawSync : format === 'gzip' ? zlib.gunzipSync : zlib.inflateSync;
  const attempt = (k: number): Buffer | 'big' | null => {
    try {
      return fn(input.subarray(0, k), { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: Math.max(1, cap) });
    } catch (err) {
      return err instanceof RangeError ? 'big' : null;
    }
  };
  let lo = 0;
  let hi = input.length;
  let best: Buffer | null = null;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const r = attempt(mid);
    if (r === null) hi = mid - 1;
    else {
      lo = mid;
      if (r !== 'big') best = r;
    }
  }
  return best;
}

async function writeAll(handle: fs.FileHandle, b: Buffer): Promise<void> {
  let off = 0;
  while (off < b.length) {
    const { bytesWritten } = await handle.write(b, off, b.length - off);
    off += bytesWritten;
  }
}

async function discard(file: { handle: fs.FileHandle; path: string } | null): Promise<void> {
  if (!file) return;
  await file.handle.close().catch(() => undefined);
  await fs.rm(file.path, { force: true });
}
