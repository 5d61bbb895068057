import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type FormatHandler, LimitExceeded, type ScanContext, type Allowlist } from './context.js';
import { BufferSource, type ByteSource, FileSource } from './source.js';
import { probeTrailingZip, scanZip } from './formats/zip.js';
import { DEFAULT_LIMITS, type FileReport, type ScanLimits, type ScanOptions, type ScanReport, type Verdict, worstVerdict } from './types.js';

export const SCANNER_VERSION = '0.1.0';
const HEAD_BYTES = 4096;
const ZIP_FAMILY = new Set(['zip', 'pytorch-zip', 'numpy-npz', 'keras-zip']);
/** Files up to this size are always fully hashed; larger ones only with fullDigest (the scan reads only what it must). */
export const AUTO_DIGEST_MAX_BYTES = 256 * 1024 * 1024;

export interface ScanEngine {
  handlers: readonly FormatHandler[];
  /** Builds the allowlist from the scan's extra entries. */
  allowlist(extra: string[]): Allowlist;
}

/** Picks the first handler whose content check accepts the head; falls back to `data`. */
export function detectHandler(handlers: readonly FormatHandler[], head: Buffer, size: number, nameHint: string): FormatHandler | null {
  for (const h of handlers) if (h.detect(head, size, nameHint)) return h;
  return null;
}

/** The verdict of a report: worst of its findings, its imports and its children. */
export function settleVerdict(report: FileReport): Verdict {
  const vs: Verdict[] = report.findings.map((f) => f.verdict);
  for (const i of report.imports ?? []) vs.push(i.verdict);
  for (const c of report.children ?? []) vs.push(c.verdict);
  report.verdict = worstVerdict(vs);
  return report.verdict;
}

class Scan {
  private temp: string | null = null;
  readonly limits: ScanLimits;
  readonly allowlist: Allowlist;

  constructor(
    readonly engine: ScanEngine,
    readonly options: ScanOptions,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.allowlist = engine.allowlist(options.allow ?? []);
  }

  async tempDir(): Promise<string> {
    this.temp ??= await fs.mkdtemp(path.join(os.tmpdir(), 'steward-scan-'));
    return this.temp;
  }

  async cleanup(): Promise<void> {
    if (this.temp) await fs.rm(this.temp, { recursive: true, force: true });
  }

  context(depth: number, deadline: number): ScanContext {
    return {
      limits: this.limits,
      allowlist: this.allowlist,
      depth,
      checkTime: () => {
        if (Date.now() > deadline) throw new LimitExceeded('time', `time budget of ${this.limits.timeBudgetMs} ms exceeded`);
      },
      scanChild: (source, displayPath, nameHint) => {
        if (depth + 1 > this.limits.maxDepth) {
          const r = emptyReport(displayPath, source.size);
          r.findings.push({ ruleId: 'archive.depth-limit', severity: 'medium', verdict: 'inconclusive', message: `nesting deeper than ${this.limits.maxDepth} levels; not scanned` });
          settleVerdict(r);
          return Promise.resolve(r);
        }
        return this.scanSource(source, displayPath, nameHint, depth + 1, deadline);
      },
      tempDir: () => this.tempDir(),
    };
  }

  async scanSource(source: ByteSource, displayPath: string, nameHint: string, depth: number, deadline: number): Promise<FileReport> {
    const report = emptyReport(displayPath, source.size);
    const ctx = this.context(depth, deadline);
    try {
      const head = await source.read(0, HEAD_BYTES);
      const handler = source.size === 0 ? null : detectHandler(this.engine.handlers, head, source.size, nameHint);
      if (source.size === 0) report.format = 'empty';
      if (handler) {
        report.format = handler.id;
        await handler.scan(ctx, source, report);
      }
      // Python's zipfile (Keras, numpy) finds a zip by its end record, whatever precedes it.
      if (source.size > HEAD_BYTES && !ZIP_FAMILY.has(report.format) && (await probeTrailingZip(source))) {
        const child = emptyReport(`${displayPath}!<zip>`, source.size);
        child.format = 'zip';
        child.findings.push({ ruleId: 'zip.trailing-archive', severity: 'medium', verdict: 'unknown', message: `the file also reads as a zip archive (end record at the end; ${report.format} at the start): a polyglot` });
        await scanZip(ctx, source, child);
        settleVerdict(child);
        (report.children ??= []).push(child);
      }
    } catch (err) {
      if (err instanceof LimitExceeded) {
        report.findings.push({ ruleId: `limit.${err.limit}`, severity: 'medium', verdict: 'inconclusive', message: err.message });
      } else {
        // A scanner bug must never read as safe.
        report.findings.push({ ruleId: 'scanner.error', severity: 'high', verdict: 'inconclusive', message: `scanner failed: ${(err as Error).message}` });
      }
    }
    settleVerdict(report);
    return report;
  }

  async scanFile(absPath: string, displayPath: string): Promise<FileReport> {
    let source: FileSource;
    try {
      source = await FileSource.open(absPath);
    } catch (err) {
      throw new ScanIoError(`${displayPath}: ${(err as NodeJS.ErrnoException).code ?? ''} ${(err as Error).message}`.trim());
    }
    try {
      const report = await this.scanSource(source, displayPath, path.basename(absPath), 0, Date.now() + this.limits.timeBudgetMs);
      if (report.sha256 === null) {
        const known = this.options.knownDigests?.get(absPath);
        if (known) report.sha256 = known;
        else if (this.options.fullDigest || source.size <= AUTO_DIGEST_MAX_BYTES) report.sha256 = await digestOf(source);
      }
      return report;
    } finally {
      await source.close();
    }
  }

  async scanPath(p: string, out: FileReport[]): Promise<void> {
    let st;
    try {
      st = await fs.lstat(p);
    } catch (err) {
      throw new ScanIoError(`${p}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
    }
    if (st.isSymbolicLink()) {
      const r = emptyReport(p, 0);
      const target = await fs.readlink(p).catch(() => '?');
      r.findings.push({ ruleId: 'fs.symlink', severity: 'medium', verdict: 'unknown', message: `symbolic link to "${target}" was not followed; loaders would read whatever it points at` });
      settleVerdict(r);
      out.push(r);
      return;
    }
    if (st.isDirectory()) {
      const entries = (await fs.readdir(p)).sort();
      for (const e of entries) await this.scanPath(path.join(p, e), out);
      return;
    }
    if (!st.isFile()) {
      const r = emptyReport(p, 0);
      r.findings.push({ ruleId: 'fs.special-file', severity: 'medium', verdict: 'unknown', message: 'not a regular file (device, fifo or socket); not scanned' });
      settleVerdict(r);
      out.push(r);
      return;
    }
    out.push(await this.scanFile(path.resolve(p), p));
  }
}

export class ScanIoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScanIoError';
  }
}

export function emptyReport(displayPath: string, size: number): FileReport {
  return { path: displayPath, format: 'data', size, sha256: null, verdict: 'safe', findings: [] };
}

async function digestOf(source: ByteSource): Promise<string> {
  const h = createHash('sha256');
  for await (const c of source.chunks()) h.update(c);
  return h.digest('hex');
}

function flatten(reports: FileReport[]): FileReport[] {
  return reports.flatMap((r) => [r, ...flatten(r.children ?? [])]);
}

/** Scans files and directories (recursively, without following links). I/O errors throw ScanIoError. */
export async function scanPaths(engine: ScanEngine, paths: string[], options: ScanOptions = {}): Promise<ScanReport> {
  const scan = new Scan(engine, options);
  const files: FileReport[] = [];
  try {
    for (const p of paths) await scan.scanPath(p, files);
  } finally {
    await scan.cleanup();
  }
  return buildReport(files, options);
}

export interface SourceToScan {
  source: ByteSource;
  /** Display path (a manifest path for a stored version). */
  path: string;
  /** Known SHA-256 of the whole content, if any. */
  sha256?: string;
}

/** Scans already-open sources (a stored model version's blobs), each with its own time budget. */
export async function scanSources(engine: ScanEngine, items: SourceToScan[], options: ScanOptions = {}): Promise<ScanReport> {
  const scan = new Scan(engine, options);
  const files: FileReport[] = [];
  try {
    for (const item of items) {
      const r = await scan.scanSource(item.source, item.path, path.posix.basename(item.path), 0, Date.now() + scan.limits.timeBudgetMs);
      if (item.sha256) r.sha256 = item.sha256;
      files.push(r);
    }
  } finally {
    await scan.cleanup();
  }
  return buildReport(files, options);
}

/** Scans bytes already in memory (tests, small uploads). */
export async function scanBuffer(engine: ScanEngine, buf: Buffer, displayPath: string, options: ScanOptions = {}): Promise<FileReport> {
  const scan = new Scan(engine, options);
  try {
    const r = await scan.scanSource(new BufferSource(buf), displayPath, path.basename(displayPath), 0, Date.now() + scan.limits.timeBudgetMs);
    r.sha256 ??= createHash('sha256').update(buf).digest('hex');
    return r;
  } finally {
    await scan.cleanup();
  }
}

export function buildReport(files: FileReport[], options: ScanOptions): ScanReport {
  const all = flatten(files);
  const count = (v: Verdict) => files.filter((f) => f.verdict === v).length;
  return {
    tool: { name: 'steward-scanner', version: SCANNER_VERSION },
    scannedAt: new Date().toISOString(),
    verdict: worstVerdict(files.map((f) => f.verdict)),
    summary: { files: files.length, members: all.length - files.length, safe: count('safe'), unknown: count('unknown'), inconclusive: count('inconclusive'), unsafe: count('unsafe') },
    extraAllowed: [...(options.allow ?? [])],
    files,
  };
}
