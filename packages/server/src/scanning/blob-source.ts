import type { ByteSource } from '@steward/scanner';
import type { BlobStore } from '../blobs/types.js';

const CHUNK = 1024 * 1024;

/** Random access to a stored blob through ranged reads, so a scan reads only what it needs. */
export class BlobByteSource implements ByteSource {
  constructor(
    private readonly store: BlobStore,
    private readonly digest: string,
    readonly size: number,
  ) {}

  async read(offset: number, length: number): Promise<Buffer> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    if (n === 0) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    for await (const c of await this.store.get(this.digest, { start: offset, end: offset + n - 1 })) parts.push(c as Buffer);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  async *chunks(start = 0, end = this.size, chunkSize = CHUNK): AsyncIterable<Buffer> {
    if (end <= start) return;
    // One ranged stream instead of a request per chunk; re-chunk to the asked size.
    let pending: Buffer[] = [];
    let pendingLen = 0;
    for await (const c of await this.store.get(this.digest, { start, end: end - 1 })) {
      pending.push(c as Buffer);
      pendingLen += (c as Buffer).length;
      while (pendingLen >= chunkSize) {
        const all = Buffer.concat(pending);
        yield all.subarray(0, chunkSize);
        pending = [all.subarray(chunkSize)];
        pendingLen = all.length - chunkSize;
      }
    }
    if (pendingLen > 0) yield Buffer.concat(pending);
  }
}
