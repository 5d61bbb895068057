import { mkdir, open, opendir, rename, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { StewardError } from '@steward/domain';
import {
  assertDigest,
  assertRange,
  isDigest,
  spoolVerified,
  sweepDir,
  toStewardError,
} from './hashing-writer.js';
import type { BlobInfo, BlobStore, PutBlobInput, Sha256Hex } from './types.js';

const FANOUT_RE = /^[0-9a-f]{2}$/;

/** Blobs live at `dir/sha256/ab/abcdef…`; uploads in flight at `dir/tmp/` (same filesystem, so rename is atomic). */
export class LocalBlobStore implements BlobStore {
  readonly kind = 'local' as const;
  readonly blobDir: string;
  readonly tmpDir: string;

  private constructor(readonly dir: string) {
    this.blobDir = join(dir, 'sha256');
    this.tmpDir = join(dir, 'tmp');
  }

  static async open(dir: string): Promise<LocalBlobStore> {
    const store = new LocalBlobStore(dir);
    try {
      await mkdir(store.blobDir, { recursive: true });
      await mkdir(store.tmpDir, { recursive: true });
    } catch (err) {
      throw toStewardError(err, `creating blob directories under ${dir}`);
    }
    return store;
  }

  private pathOf(digest: Sha256Hex): string {
    return join(this.blobDir, digest.slice(0, 2), digest);
  }

  async stat(digest: Sha256Hex): Promise<BlobInfo | null> {
    assertDigest(digest);
    try {
      const st = await stat(this.pathOf(digest));
      return { digest, size: st.size, storedAt: st.mtime };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw toStewardError(err, 'reading blob metadata');
    }
  }

  async put(input: PutBlobInput): Promise<BlobInfo> {
    assertDigest(input.expectedDigest);
    const spooled = await spoolVerified(input, this.tmpDir);
    const target = this.pathOf(spooled.digest);
    try {
      const existing = await this.stat(spooled.digest);
      if (existing) {
        await unlink(spooled.path).catch(() => {});
        // Refresh storedAt so garbage collection treats a re-uploaded blob as young again.
        const now = new Date();
        await utimes(target, now, now).catch(() => {});
        return { ...existing, storedAt: now };
      }
      const fanout = join(this.blobDir, spooled.digest.slice(0, 2));
      await mkdir(fanout, { recursive: true });
      await rename(spooled.path, target);
      await fsyncDir(fanout);
      const st = await stat(target);
      return { digest: spooled.digest, size: st.size, storedAt: st.mtime };
    } catch (err) {
      await unlink(spooled.path).catch(() => {});
      throw toStewardError(err, 'publishing a blob');
    }
  }

  async get(digest: Sha256Hex, range?: { start: number; end: number }): Promise<Readable> {
    assertDigest(digest);
    if (range) assertRange(range);
    let fh;
    try {
      fh = await open(this.pathOf(digest), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new StewardError('not_found', 'blob not found', { digest });
      }
      throw toStewardError(err, 'opening a blob');
    }
    if (!range) return fh.createReadStream();
    try {
      const { size } = await fh.stat();
      if (range.start >= size) {
        throw new StewardError('bad_request', 'range start is beyond the end of the blob', { ...range, size });
      }
      // The handle stays open until the stream ends or is destroyed (autoClose).
      return fh.createReadStream({ start: range.start, end: Math.min(range.end, size - 1) });
    } catch (err) {
      await fh.close().catch(() => {});
      throw toStewardError(err, 'reading a blob');
    }
  }

  async delete(digest: Sha256Hex): Promise<void> {
    assertDigest(digest);
    try {
      await unlink(this.pathOf(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw toStewardError(err, 'deleting a blob');
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    let top;
    try {
      top = await opendir(this.blobDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw toStewardError(err, 'listing blobs');
    }
    // opendir streams entries, so memory stays bounded however many blobs there are.
    for await (const fan of top) {
      if (!fan.isDirectory() || !FANOUT_RE.test(fan.name)) continue;
      const fanPath = join(this.blobDir, fan.name);
      let inner;
      try {
        inner = await opendir(fanPath);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw toStewardError(err, 'listing blobs');
      }
      for await (const ent of inner) {
        if (!ent.isFile() || !isDigest(ent.name) || !ent.name.startsWith(fan.name)) continue;
        try {
          const st = await stat(join(fanPath, ent.name));
          yield { digest: ent.name, size: st.size, storedAt: st.mtime };
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted meanwhile
          throw toStewardError(err, 'listing blobs');
        }
      }
    }
  }

  sweepTemporaries(olderThan: Date): Promise<number> {
    return sweepDir(this.tmpDir, olderThan);
  }

  async close(): Promise<void> {}
}

/** Makes a rename durable across power loss; some filesystems refuse fsync on directories, which is fine. */
async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // best effort
  } finally {
    await fh?.close().catch(() => {});
  }
}
