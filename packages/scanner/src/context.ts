import type { ByteSource } from './source.js';
import type { FileReport, FormatId, ImportVerdict, ScanLimits } from './types.js';

/** Decides whether a pickle import is safe. Implemented in pickle/allowlist.ts; extended with --allow. */
export interface Allowlist {
  classify(module: string, name: string): { verdict: ImportVerdict; reason: string };
}

/** Thrown when a resource limit is hit; the file's verdict becomes `inconclusive`, never `safe`. */
export class LimitExceeded extends Error {
  constructor(
    readonly limit: keyof ScanLimits | 'time',
    message: string,
  ) {
    super(message);
    this.name = 'LimitExceeded';
  }
}

export interface ScanContext {
  readonly limits: ScanLimits;
  readonly allowlist: Allowlist;
  /** Archive nesting depth of the source being scanned (0 for a file on disk). */
  readonly depth: number;
  /** Throws LimitExceeded('time') once the per-file budget is spent. Call it in loops. */
  checkTime(): void;
  /**
   * Scans embedded content (an archive member, a decompressed stream) with full format detection,
   * one level deeper. Returns the child's report; the caller adds it to `children`.
   */
  scanChild(source: ByteSource, displayPath: string, nameHint: string): Promise<FileReport>;
  /** Directory for temporary files (large inflated members); removed after the scan. */
  tempDir(): Promise<string>;
}

/**
 * One artifact format. `detect` looks at content only (the first bytes and the size); the name is
 * a hint used solely to break ties between formats that both parse (see docs/scanner.md).
 */
export interface FormatHandler {
  readonly id: FormatId;
  detect(head: Buffer, size: number, nameHint: string): boolean;
  /** Fills report.format/findings/imports/children/details (and sha256 when it read everything). */
  scan(ctx: ScanContext, source: ByteSource, report: FileReport): Promise<void>;
}
