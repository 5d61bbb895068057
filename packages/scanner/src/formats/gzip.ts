/**
 * Compressed streams. gzip (`.tar.gz`, gzipped pickles, joblib `compress='gzip'`) and zlib (joblib's
 * default compressor) are inflated with limits and their content scanned as a child, detected by
 * content. bzip2, xz, lzma and zstd streams (joblib and tarfile read them) cannot be inflated with
 * node:zlib on Node 20: they are `unknown`, never treated as opaque safe data.
 */
import zlib from 'node:zlib';
import type { FormatHandler, ScanContext } from '../context.js';
import type { ByteSource } from '../source.js';
import type { FileReport } from '../types.js';
import { BOMB_MIN_EXPANDED_BYTES, FindingSink, basenameOf } from '../archive/common.js';
import { type InflateFormat, inflateLimited } from '../archive/inflate.js';

const FEXTRA = 0x04;
const FNAME = 0x08;

export function isGzip(head: Buffer): boolean {
  return head.length >= 10 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 8 && (head[3]! & 0xe0) === 0;
}

/**
 * A zlib stream: a valid CMF/FLG pair (deflate, window <= 32 KiB, check bits, no preset dictionary)
 * and a head that inflates without error. Two bytes alone would claim safetensors headers and
 * other binary data; the trial inflation rejects them.
 */
export function isZlib(head: Buffer): boolean {
  if (head.length < 8) return false;
  const cmf = head[0]!;
  const flg = head[1]!;
  if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7 || (cmf * 256 + flg) % 31 !== 0 || (flg & 0x20) !== 0) return false;
  try {
    const out = zlib.inflateSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    return out.length > 0;
  } catch {
    return false;
  }
}

/** The member name stored in a gzip header (FNAME), if any. */
export function gzipStoredName(head: Buffer): string | null {
  if (!isGzip(head)) return null;
  const flags = head[3]!;
  let p = 10;
  if (flags & FEXTRA) {
    if (p + 2 > head.length) return null;
    p += 2 + head.readUInt16LE(p);
  }
  if (!(flags & FNAME)) return null;
  const z = head.indexOf(0, p);
  if (z < 0) return null;
  return head.subarray(p, z).toString('latin1');
}

function innerName(reportPath: string, head: Buffer): string {
  const stored = gzipStoredName(head);
  if (stored) return basenameOf(stored);
  const outer = basenameOf(reportPath.slice(reportPath.lastIndexOf('!') + 1));
  if (/\.tgz$/i.test(outer)) return outer.replace(/\.tgz$/i, '.tar');
  const stripped = outer.replace(/\.(gz|z|zlib)$/i, '');
  return stripped === outer ? `${outer}.content` : stripped;
}

async function scanCompressed(ctx: ScanContext, source: ByteSource, report: FileReport, format: InflateFormat): Promise<void> {
  const sink = new FindingSink(report.findings);
  report.children ??= [];
  try {
    const limits = ctx.limits;
    const ratioCap = Math.max(BOMB_MIN_EXPANDED_BYTES, limits.maxCompressionRatio * source.size);
    const maxBytes = Math.min(limits.maxExpandedBytes, ratioCap);
    const head = await source.read(0, 1024);
    const inflated = await inflateLimited(ctx, source.chunks(), { format, maxBytes, digest: true });
    try {
      if (inflated.overflow) {
        if (ratioCap < limits.maxExpandedBytes) sink.add('limit.maxCompressionRatio', `the stream expands more than ${limits.maxCompressionRatio} times its ${source.size} bytes; inflating stopped at ${inflated.size} bytes and that part is scanned`);
        else sink.add('limit.maxExpandedBytes', `inflating stopped at ${limits.maxExpandedBytes} bytes; that part is scanned`);
      } else if (inflated.error !== null) {
        sink.add('gzip.corrupt-data', `${inflated.error} after ${inflated.size} inflated bytes; that part is scanned (a streaming loader would have run it)`);
      }
      const name = format === 'gzip' ? innerName(report.path, head) : innerName(report.path, Buffer.alloc(0));
      const child = await ctx.scanChild(inflated.source, `${report.path}!${name}`, name);
      if (child.sha256 === null && !inflated.overflow && inflated.ended) child.sha256 = inflated.sha256;
      report.children.push(child);
      report.details = { ...report.details, container: format === 'gzip' ? 'gzip' : 'zlib', expandedBytes: inflated.size };
    } finally {
      await inflated.close();
    }
  } finally {
    sink.flush();
  }
}

/** gzip (`\x1f\x8b`, deflate), single or multi-member. */
export const gzipHandler: FormatHandler = {
  id: 'gzip',
  detect: (head) => isGzip(head),
  scan: (ctx, source, report) => scanCompressed(ctx, source, report, 'gzip'),
};

/**
 * zlib streams (joblib's default compressor). Labelled `gzip` (the report model has one id for
 * deflate containers; details.container says `zlib`). Place it after the formats with magic
 * numbers: its detection is a checksum plus a trial inflation of the head.
 */
export const zlibHandler: FormatHandler = {
  id: 'gzip',
  detect: (head) => isZlib(head),
  scan: (ctx, source, report) => scanCompressed(ctx, source, report, 'zlib'),
};

function unsupportedKind(head: Buffer): string | null {
  if (head.length >= 10 && head.toString('latin1', 0, 3) === 'BZh' && head[3]! >= 0x31 && head[3]! <= 0x39 && head.subarray(4, 10).equals(Buffer.from([0x31, 0x41, 0x59, 0x26, 0x53, 0x59]))) return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 13 && head[0] === 0x5d) {
    // lzma "alone" (joblib's 'lzma'): properties 0x5d, a power-of-two dictionary, then the size (often all 0xff).
    const dict = head.readUInt32LE(1);
    const sizeUnknown = head.subarray(5, 13).every((b) => b === 0xff);
    const sizePlausible = head.readUInt16LE(11) === 0 && head[10] === 0;
    if (dict >= 4096 && (dict & (dict - 1)) === 0 && (sizeUnknown || sizePlausible)) return 'lzma';
  }
  return null;
}

/**
 * bzip2 / xz / lzma / zstd streams: content the scanner cannot decompress, but loaders do (joblib,
 * tarfile, pandas). Reported `unknown` with format `data`; the FormatId set has no ids for them.
 */
export const unsupportedCompressionHandler: FormatHandler = {
  id: 'data',
  detect: (head) => unsupportedKind(head) !== null,
  async scan(_ctx, source, report) {
    const head = await source.read(0, 16);
    const kind = unsupportedKind(head) ?? 'compressed';
    const sink = new FindingSink(report.findings);
    sink.add('archive.unsupported-compression', `${kind} stream: it cannot be decompressed here, so its content (a pickle, a tar...) is not inspected`);
    report.details = { ...report.details, container: kind };
  },
};
