/**
 * Input that does not have the shape a ledger format requires: a malformed note, checkpoint, key,
 * tile path, JSON value, or a set of stored tree nodes that is missing pieces.
 */
export class LedgerFormatError extends Error {
  /** 1-based line of the offending text, when the input is line-oriented (notes, checkpoints). */
  readonly line: number | undefined;

  constructor(message: string, options?: { line?: number; cause?: unknown }) {
    super(options?.line === undefined ? message : `line ${options.line}: ${message}`, { cause: options?.cause });
    this.name = 'LedgerFormatError';
    this.line = options?.line;
  }
}

/**
 * Well-formed input whose cryptography does not check out: a signature that does not verify, a note
 * with no signature from a trusted key, a proof that does not lead to the expected root.
 */
export class LedgerVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerVerificationError';
  }
}
