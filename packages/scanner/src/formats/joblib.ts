/**
 * joblib files (`joblib.dump`, scikit-learn's recommended format). `joblib.load` picks the reader
 * from the first bytes, whatever the name:
 *
 * - uncompressed: a pickle in which every `NumpyArrayWrapper` is followed by the array's raw bytes
 *   (a padding byte and padding since joblib 1.2). The pickle machine skips them the way
 *   `joblib.load` reads them, and also reads them the way plain `pickle.load` would.
 * - zlib (`x`), gzip (`\x1f\x8b`), and the pre-0.10 `ZF` + hex length + zlib format: decompressed
 *   here (streaming, with size and ratio limits) and the inner pickle scanned the same way.
 * - bz2, xz, lzma, lz4: joblib reads them, Node cannot decompress them: `inconclusive`.
 */
import type { FormatHandler } from '../context.js';
import { inflateHead, inflateRegion } from '../pickle/inflate.js';
import { PickleMachine } from '../pickle/machine.js';
import { applyMachineResult, looksLikePickle, machineOptions, scanNestedPayloads, scanPickleStream } from '../pickle/report.js';

type Compression = 'none' | 'zlib' | 'gzip' | 'compat' | 'bz2' | 'xz' | 'lzma' | 'lz4';

const UNSUPPORTED = new Set<Compression>(['bz2', 'xz', 'lzma', 'lz4']);
/** `ZF` + hex length left-justified to len(hex(2**64)) = 19 characters. */
const ZF_HEADER = 21;

function isZlibHeader(head: Buffer): boolean {
  return head.length >= 2 && (head[0]! & 0x0f) === 8 && head[0]! >> 4 <= 7 && ((head[0]! << 8) | head[1]!) % 31 === 0;
}

function compressionOf(head: Buffer): Compression | null {
  if (head.length >= 4 && head.subarray(0, 2).toString('latin1') === 'ZF' && /^0x[0-9a-fA-F]+ *$/.test(head.subarray(2, Math.min(ZF_HEADER, head.length)).toString('latin1'))) return 'compat';
  if (head.length >= 10 && head.subarray(0, 3).toString('latin1') === 'BZh' && head[3]! >= 0x31 && head[3]! <= 0x39 && head.subarray(4, 10).equals(Buffer.from([0x31, 0x41, 0x59, 0x26, 0x53, 0x59]))) return 'bz2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 4 && head.subarray(0, 4).equals(Buffer.from([0x04, 0x22, 0x4d, 0x18]))) return 'lz4';
  if (head.length >= 13 && head[0] === 0x5d && head[1] === 0x00 && head[2] === 0x00) {
    // .lzma (LZMA_Alone): properties 0x5d, a dictionary size, then the uncompressed size or -1.
    const usize = head.subarray(5, 13);
    if (usize.every((b) => b === 0xff) || usize[7] === 0) return 'lzma';
  }
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) return 'gzip';
  if (isZlibHeader(head)) return 'zlib';
  return null;
}

/** Compressed content counts as joblib when what it decompresses to starts like a pickle. */
function compressedPickle(head: Buffer, kind: 'zlib' | 'gzip', skip = 0): boolean {
  const inner = inflateHead(head.subarray(skip), kind);
  return inner !== null && inner.length > 0 && looksLikePickle(inner, Number.MAX_SAFE_INTEGER);
}

export const joblibHandler: FormatHandler = {
  id: 'joblib',
  detect(head, size) {
    const kind = compressionOf(head);
    if (kind === 'compat') return true;
    if (kind !== null && UNSUPPORTED.has(kind)) return true;
    if (kind === 'gzip') return compressedPickle(head, 'gzip');
    if (kind === 'zlib' && compressedPickle(head, 'zlib')) return true;
    return head.includes('joblib.numpy_pickle') && looksLikePickle(head, size);
  },
  async scan(ctx, source, report) {
    const head = await source.read(0, 64);
    const kind = compressionOf(head) ?? 'none';
    const details = (report.details ??= {});
    details.compression = kind;
    if (kind === 'none' || (kind === 'zlib' && !compressedPickle(await source.read(0, 4096), 'zlib'))) {
      details.compression = 'none';
      await scanPickleStream(ctx, source, report);
      return;
    }
    if (UNSUPPORTED.has(kind)) {
      report.findings.push({
        ruleId: 'joblib.unsupported-compression',
        severity: 'medium',
        verdict: 'inconclusive',
        message: `${kind}-compressed content: joblib.load decompresses and unpickles it, but this scanner cannot decompress ${kind}; the pickle inside was not analyzed`,
        location: { offset: 0 },
      });
      return;
    }
    let start = 0;
    if (kind === 'compat') {
      start = ZF_HEADER;
      const next = await source.read(start, 1);
      if (next[0] === 0x20) start++;
      details.declaredLength = parseInt(head.subarray(2, ZF_HEADER).toString('latin1').trim(), 16);
    }
    const inflated = await inflateRegion(ctx, source, start, kind === 'gzip' ? 'gzip' : 'zlib');
    try {
      details.decompressedBytes = inflated.size;
      details.offsets = 'in the decompressed stream';
      if (inflated.error !== undefined) {
        report.findings.push({
          ruleId: 'joblib.corrupt-compression',
          severity: 'medium',
          verdict: 'unknown',
          message: `the ${kind} stream is corrupt or truncated after ${inflated.size} decompressed bytes (${inflated.error}); what decompressed was analyzed`,
        });
      }
      const result = await new PickleMachine(inflated.source, machineOptions(ctx)).scanAll();
      applyMachineResult(report, result);
      await scanNestedPayloads(ctx, inflated.source, report, result);
    } finally {
      await inflated.close();
    }
  },
};
