/**
 * Builds an evidence archive. Members are spooled to a private temporary directory as they
 * arrive (hashed while written, never held whole in memory), because index.json, which lists
 * every member's digest, must come first; then the tar is streamed through gzip into a temporary
 * file beside the output and renamed over it, so a failed run leaves no half archive.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import {
  type AbsentMember,
  EVIDENCE_FORMAT,
  EVIDENCE_FORMAT_VERSION,
  type EvidenceIndex,
  EvidenceIndexSchema,
  INDEX_PATH,
  type IndexMember,
  type MemberKind,
  kindOfPath,
  mediaTypeOf,
} from './format.js';

export interface IndexHeader {
  model: string;
  version: string;
  versionId: string;
  manifestDigest: string;
  generatedAt: string;
  generator: string;
  server: string | null;
}

export class EvidenceSpool {
  private readonly dir: string;
  private readonly members: (IndexMember & { file: string })[] = [];
  private readonly absent: AbsentMember[] = [];
  private n = 0;

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async create(): Promise<EvidenceSpool> {
    return new EvidenceSpool(await fs.promises.mkdtemp(path.join(os.tmpdir(), 'steward-evidence-')));
  }

  private check(memberPath: string, kind: MemberKind): void {
    if (kindOfPath(memberPath) !== kind) throw new Error(`evidence member ${memberPath} is not of kind ${kind}`);
    if (this.has(memberPath)) throw new Error(`evidence member ${memberPath} added twice`);
  }

  has(memberPath: string): boolean {
    return this.members.some((m) => m.path === memberPath) || this.absent.some((a) => a.path === memberPath);
  }

  /** Streams `source` into the spool; returns the member as it will be listed. */
  async addStream(memberPath: string, kind: MemberKind, source: Readable | Iterable<Buffer> | AsyncIterable<Buffer | string>): Promise<IndexMember> {
    this.check(memberPath, kind);
    const file = path.join(this.dir, String(this.n++));
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(source, tap, fs.createWriteStream(file, { mode: 0o600 }));
    const member = { path: memberPath, kind, size, sha256: hash.digest('hex'), mediaType: mediaTypeOf(memberPath) };
    this.members.push({ ...member, file });
    return member;
  }

  async addBytes(memberPath: string, kind: MemberKind, bytes: Buffer | string): Promise<IndexMember> {
    return this.addStream(memberPath, kind, Readable.from([Buffer.from(bytes)]));
  }

  markAbsent(memberPath: string, kind: MemberKind, reason: string): void {
    this.check(memberPath, kind);
    this.absent.push({ path: memberPath, kind, reason });
  }

  /** Opens a spooled member again (the assembler re-reads a few to cross-check them). */
  read(memberPath: string): Promise<Buffer> {
    const m = this.members.find((x) => x.path === memberPath);
    if (!m) throw new Error(`no spooled member ${memberPath}`);
    return fs.promises.readFile(m.file);
  }

  index(header: IndexHeader): EvidenceIndex {
    return EvidenceIndexSchema.parse({
      format: EVIDENCE_FORMAT,
      formatVersion: EVIDENCE_FORMAT_VERSION,
      ...header,
      members: this.members.map(({ file: _file, ...m }) => m),
      absent: this.absent,
    });
  }

  /** Writes the archive (index first, then members in the order they were added) and renames it into place. */
  async write(outFile: string, header: IndexHeader): Promise<EvidenceIndex> {
    const index = this.index(header);
    const indexBytes = Buffer.from(JSON.stringify(index, null, 2) + '\n');
    const mtime = new Date(header.generatedAt);
    const tmp = `${outFile}.${process.pid}.tmp`;
    const pack = tar.pack();
    const base = { mode: 0o644, mtime, uid: 0, gid: 0, uname: '', gname: '', type: 'file' as const };
    const members = this.members;
    const feed = (async () => {
      await entry(pack, { ...base, name: INDEX_PATH, size: indexBytes.length }, Readable.from([indexBytes]));
      for (const m of members) await entry(pack, { ...base, name: m.path, size: m.size }, fs.createReadStream(m.file));
      pack.finalize();
    })();
    try {
      await Promise.all([pipeline(pack, zlib.createGzip({ level: 9 }), fs.createWriteStream(tmp, { mode: 0o644 })), feed.catch((err: unknown) => {
        pack.destroy(err as Error);
        throw err;
      })]);
      await fs.promises.rename(tmp, outFile);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
    return index;
  }

  async dispose(): Promise<void> {
    await fs.promises.rm(this.dir, { recursive: true, force: true });
  }
}

/** One tar entry from a stream, resolved when tar-stream has taken all of it (backpressure preserved). */
function entry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, source: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    source.on('error', (err) => {
      sink.destroy(err);
      reject(err);
    });
    source.pipe(sink);
  });
}
