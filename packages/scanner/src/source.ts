import fs from 'node:fs/promises';

/**
 * Random access to bytes being scanned: a file on disk, a slice of one (a stored archive member),
 * or a bounded in-memory buffer (a small inflated member). Parsers read only what they need.
 */
export interface ByteSource {
  readonly size: number;
  /** Exactly min(length, size - offset) bytes starting at offset. */
  read(offset: number, length: number): Promise<Buffer>;
  /** Sequential chunks of [start, end), each at most chunkSize bytes. */
  chunks(start?: number, end?: number, chunkSize?: number): AsyncIterable<Buffer>;
  /** The absolute file path when the source is a whole file. */
  readonly filePath?: string;
}

const DEFAULT_CHUNK = 1024 * 1024;

export class FileSource implements ByteSource {
  private constructor(
    private readonly handle: fs.FileHandle,
    readonly size: number,
    readonly filePath: string,
  ) {}

  static async open(path: string): Promise<FileSource> {
    const handle = await fs.open(path, 'r');
    try {
      const st = await handle.stat();
      return new FileSource(handle, st.size, path);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    const buf = Buffer.allocUnsafe(n);
    let done = 0;
    while (done < n) {
      const { bytesRead } = await this.handle.read(buf, done, n - done, offset + done);
      if (bytesRead === 0) return buf.subarray(0, done);
      done += bytesRead;
    }
    return buf;
  }

  async *chunks(start = 0, end = this.size, chunkSize = DEFAULT_CHUNK): AsyncIterable<Buffer> {
    for (let pos = start; pos < end; pos += chunkSize) {
      const b = await this.read(pos, Math.min(chunkSize, end - pos));
      if (b.length === 0) return;
      yield b;
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export class SliceSource implements ByteSource {
  readonly size: number;
  constructor(
    private readonly parent: ByteSource,
    private readonly start: number,
    size: number,
  ) {
    this.size = Math.max(0, Math.min(size, parent.size - start));
  }

  read(offset: number, length: number): Promise<Buffer> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    return this.parent.read(this.start + offset, n);
  }

  async *chunks(start = 0, end = this.size, chunkSize = DEFAULT_CHUNK): AsyncIterable<Buffer> {
    yield* this.parent.chunks(this.start + start, this.start + Math.min(end, this.size), chunkSize);
  }
}

export class BufferSource implements ByteSource {
  readonly size: number;
  constructor(private readonly buf: Buffer) {
    this.size = buf.length;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    return this.buf.subarray(offset, Math.min(this.size, offset + length));
  }

  async *chunks(start = 0, end = this.size, chunkSize = DEFAULT_CHUNK): AsyncIterable<Buffer> {
    for (let pos = start; pos < end; pos += chunkSize) yield this.buf.subarray(pos, Math.min(end, pos + chunkSize));
  }
}
