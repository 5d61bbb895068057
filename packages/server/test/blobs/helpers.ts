import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { StewardError, type ErrorCode } from '@steward/domain';
import { expect } from 'vitest';

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A body delivered in several chunks, like a network stream. */
export function bodyOf(data: Buffer | string, chunkSize = 7): Readable {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunkSize) chunks.push(buf.subarray(i, i + chunkSize));
  return Readable.from(chunks, { objectMode: false });
}

/** Emits `first`, then fails like a client disconnecting mid-upload. */
export function failingBody(first: Buffer): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    yield first;
    await new Promise((r) => setTimeout(r, 5));
    throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
  }
  return Readable.from(gen(), { objectMode: false });
}

/** Reads a (small) stream fully; for tests only. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/** Hashes a stream without holding it in memory. */
export async function digestOf(stream: AsyncIterable<unknown>): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const c of stream) {
    const b = c as Buffer;
    hash.update(b);
    size += b.length;
  }
  return { digest: hash.digest('hex'), size };
}

/** A large deterministic blob as a re-playable generator of 1 MiB chunks (never concatenated). */
export function largeBlob(mib: number): { chunks: () => Generator<Buffer>; digest: string; size: number } {
  const base = randomBytes(1024 * 1024);
  function* chunks(): Generator<Buffer> {
    for (let i = 0; i < mib; i++) {
      const c = Buffer.from(base);
      c.writeUInt32BE(i, 0);
      yield c;
    }
  }
  const hash = createHash('sha256');
  for (const c of chunks()) hash.update(c);
  return { chunks, digest: hash.digest('hex'), size: mib * 1024 * 1024 };
}

export async function expectStewardError(p: Promise<unknown>, code: ErrorCode): Promise<StewardError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a ${code} StewardError`).toBeInstanceOf(StewardError);
  expect((err as StewardError).code).toBe(code);
  return err as StewardError;
}
