/**
 * Streams an evidence archive once: index.json first (bounded, schema-checked), then every member
 * hashed as it passes. Only members the caller asks for are kept in memory (the JSON and text the
 * verifier parses); the rest are hashed and dropped. Anything that is not a well-formed archive
 * (not tar or gzip, truncated, unsafe or duplicate names, links, an oversized or invalid index)
 * is an ArchiveFormatError: exit 2, one clear sentence, no stack trace.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { CliError } from '../errors.js';
import { type EvidenceIndex, EvidenceIndexSchema, INDEX_PATH, MAX_INDEX_BYTES, MAX_MEMBER_BYTES, MAX_MEMBERS, MAX_PARSED_MEMBER_BYTES, memberPathProblem } from './format.js';

export class ArchiveFormatError extends CliError {
  constructor(file: string, problem: string) {
    super(`${file}: not a readable evidence archive: ${problem}`, 2, { problem });
    this.name = 'ArchiveFormatError';
  }
}

export interface ArchiveMember {
  path: string;
  /** Bytes actually read. */
  size: number;
  sha256: string;
  /** The bytes, when the caller asked to keep this member (and it was not too large to keep). */
  content: Buffer | null;
  /** Set when the member was to be kept but exceeded MAX_PARSED_MEMBER_BYTES. */
  tooLargeToParse: boolean;
}

export interface ReadArchive {
  compressed: boolean;
  index: EvidenceIndex;
  /** The index's own bytes (so a report can quote its digest). */
  indexSha256: string;
  /** In archive order. */
  members: ArchiveMember[];
}

const GZIP_MAGIC = [0x1f, 0x8b];

async function sniffGzip(file: string): Promise<boolean> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, 2);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new ArchiveFormatError(file, 'not a regular file');
    if (st.size === 0) throw new ArchiveFormatError(file, 'the file is empty');
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}

/** What tar-stream and zlib say, in words an auditor can act on. */
function describeStreamError(err: unknown, compressed: boolean): string {
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (/Unexpected end of data/i.test(msg) || /unexpected end of file/i.test(msg) || code === 'Z_BUF_ERROR') return 'the archive is truncated (it ends in the middle of a member)';
  if (/Invalid tar header/i.test(msg)) return compressed ? 'the decompressed data is not a tar archive (or it is corrupted)' : 'not a tar archive (nor gzip-compressed tar), or it is corrupted';
  if (code?.startsWith('Z_')) return `the gzip stream is corrupt (${msg})`;
  return msg;
}

async function readBounded(entry: AsyncIterable<unknown> & { resume(): unknown }, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of entry) {
    n += (c as Buffer).length;
    if (n > limit) {
      entry.resume();
      return null;
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads the archive at `file`. `keep(path)` says which members to hold in memory (up to
 * MAX_PARSED_MEMBER_BYTES each). Members are returned whatever the index says: comparing them
 * with the index is the verifier's job, so that a tampered member is a failed check (exit 1), not
 * an unreadable archive.
 */
export async function readEvidenceArchive(file: string, keep: (path: string) => boolean): Promise<ReadArchive> {
  const compressed = await sniffGzip(file);
  const extract = tar.extract();
  const source = fs.createReadStream(file);
  // The pipeline's own rejection is reported through the iteration below; keep it from going unhandled.
  let pipeError: unknown = null;
  const piping = (compressed ? pipeline(source, zlib.createGunzip(), extract) : pipeline(source, extract)).catch((err: unknown) => {
    pipeError = err;
  });

  let index: EvidenceIndex | null = null;
  let indexSha256 = '';
  const members: ArchiveMember[] = [];
  const seen = new Set<string>();
  try {
    for await (const entry of extract) {
      const { name, type } = entry.header;
      const size = entry.header.size ?? 0;
      const isDirectory = type === 'directory';
      const path = isDirectory ? name.replace(/\/$/, '') : name;
      const problem = memberPathProblem(path);
      if (problem) throw new ArchiveFormatError(file, `member ${JSON.stringify(name)} has an unsafe name (${problem})`);
      if (isDirectory) {
        entry.resume();
        continue;
      }
      if (type !== 'file' && type !== 'contiguous-file') throw new ArchiveFormatError(file, `member ${JSON.stringify(name)} is a ${type ?? 'special entry'}; an evidence archive holds regular files only`);
      if (seen.has(path)) throw new ArchiveFormatError(file, `member ${JSON.stringify(path)} appears twice`);
      seen.add(path);
      if (seen.size > MAX_MEMBERS + 1) throw new ArchiveFormatError(file, `more than ${MAX_MEMBERS} members`);

      if (index === null) {
        if (path !== INDEX_PATH) throw new ArchiveFormatError(file, `the first member is ${JSON.stringify(path)}, not ${INDEX_PATH}`);
        if (size > MAX_INDEX_BYTES) throw new ArchiveFormatError(file, `${INDEX_PATH} is ${size} bytes, more than the ${MAX_INDEX_BYTES} an index may have`);
        const bytes = await readBounded(entry, MAX_INDEX_BYTES);
        if (bytes === null) throw new ArchiveFormatError(file, `${INDEX_PATH} is larger than ${MAX_INDEX_BYTES} bytes`);
        index = parseIndex(file, bytes);
        indexSha256 = createHash('sha256').update(bytes).digest('hex');
        continue;
      }

      if (size > MAX_MEMBER_BYTES) throw new ArchiveFormatError(file, `member ${JSON.stringify(path)} is ${size} bytes, more than the ${MAX_MEMBER_BYTES} any evidence member may have`);
      const hash = createHash('sha256');
      const wanted = keep(path);
      const chunks: Buffer[] = [];
      let read = 0;
      let tooLarge = false;
      for await (const c of entry) {
        const chunk = c as Buffer;
        hash.update(chunk);
        read += chunk.length;
        if (wanted && !tooLarge) {
          if (read > MAX_PARSED_MEMBER_BYTES) {
            tooLarge = true;
            chunks.length = 0;
          } else chunks.push(chunk);
        }
      }
      members.push({ path, size: read, sha256: hash.digest('hex'), content: wanted && !tooLarge ? Buffer.concat(chunks) : null, tooLargeToParse: tooLarge });
    }
  } catch (err) {
    if (err instanceof CliError) {
      extract.destroy();
      await piping;
      throw err;
    }
    await piping;
    throw new ArchiveFormatError(file, describeStreamError(pipeError ?? err, compressed));
  }
  await piping;
  if (pipeError) throw new ArchiveFormatError(file, describeStreamError(pipeError, compressed));
  if (index === null) throw new ArchiveFormatError(file, seen.size === 0 ? 'the archive has no members (or is not a tar archive)' : `no ${INDEX_PATH}`);
  return { compressed, index, indexSha256, members };
}

function parseIndex(file: string, bytes: Buffer): EvidenceIndex {
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new ArchiveFormatError(file, `${INDEX_PATH} is not UTF-8 JSON (${(err as Error).message})`);
  }
  const parsed = EvidenceIndexSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    const isFormat = (data as { format?: unknown } | null)?.format;
    if (isFormat !== undefined && isFormat !== 'steward-evidence') throw new ArchiveFormatError(file, `${INDEX_PATH} is of format ${JSON.stringify(isFormat)}, not steward-evidence`);
    throw new ArchiveFormatError(file, `${INDEX_PATH} is not a valid evidence index: ${where}: ${issue.message}`);
  }
  return parsed.data;
}
