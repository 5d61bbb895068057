import { LedgerFormatError, LedgerVerificationError } from './errors.js';
import { HASH_SIZE } from './hash.js';
import { type NoteSignature, type NoteSigner, type NoteVerifier, decodeBase64Strict, openNote, signNote } from './note.js';

/**
 * C2SP tlog-checkpoint: the signed-note text
 *   <origin>\n<tree size in decimal>\n<base64 root hash>\n[<extension line>\n]*
 */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Buffer;
  readonly extensionLines: readonly string[];
}

export interface CheckpointFields {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly extensionLines?: readonly string[];
}

export interface OpenedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The note text that was signed (the output of formatCheckpoint). */
  readonly text: string;
  readonly verifiedBy: readonly NoteSignature[];
  readonly unverified: readonly NoteSignature[];
}

const TREE_SIZE = /^(?:0|[1-9][0-9]*)$/;

function checkLine(line: string, what: string, lineNumber: number): void {
  if (line === '') throw new LedgerFormatError(`${what} must not be empty`, { line: lineNumber });
  if (/[\x00-\x1f]/.test(line)) throw new LedgerFormatError(`${what} contains a control character or newline`, { line: lineNumber });
  if (!line.isWellFormed()) throw new LedgerFormatError(`${what} contains a lone surrogate`, { line: lineNumber });
}

export function formatCheckpoint(fields: CheckpointFields): string {
  const { origin, size, rootHash, extensionLines = [] } = fields;
  checkLine(origin, 'origin', 1);
  if (!Number.isSafeInteger(size) || size < 0) throw new LedgerFormatError(`tree size must be a non-negative safe integer, got ${String(size)}`, { line: 2 });
  if (rootHash.length !== HASH_SIZE) throw new LedgerFormatError(`root hash must be ${HASH_SIZE} bytes, got ${rootHash.length}`, { line: 3 });
  extensionLines.forEach((line, i) => checkLine(line, 'extension line', 4 + i));
  const lines = [origin, String(size), Buffer.from(rootHash).toString('base64'), ...extensionLines];
  return `${lines.join('\n')}\n`;
}

export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new LedgerFormatError('checkpoint must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  const [origin = '', sizeLine = '', rootLine = '', ...extensionLines] = lines;
  if (lines.length < 3) throw new LedgerFormatError(`checkpoint needs origin, tree size and root hash lines; it has ${lines.length} lines`);
  checkLine(origin, 'origin', 1);
  if (!TREE_SIZE.test(sizeLine)) {
    throw new LedgerFormatError(`tree size must be decimal digits without leading zeros, got ${JSON.stringify(sizeLine)}`, { line: 2 });
  }
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) throw new LedgerFormatError(`tree size ${sizeLine} is larger than this implementation supports`, { line: 2 });
  const rootHash = decodeBase64Strict(rootLine);
  if (rootHash === undefined) throw new LedgerFormatError('root hash is not canonical base64', { line: 3 });
  if (rootHash.length !== HASH_SIZE) throw new LedgerFormatError(`root hash must be ${HASH_SIZE} bytes, got ${rootHash.length}`, { line: 3 });
  extensionLines.forEach((line, i) => checkLine(line, 'extension line', 4 + i));
  return { origin, size, rootHash, extensionLines };
}

export function signCheckpoint(fields: CheckpointFields, signers: NoteSigner | readonly NoteSigner[]): string {
  return signNote(formatCheckpoint(fields), signers);
}

/**
 * Verifies a signed checkpoint note against known keys and parses its body. With `expectedOrigin`, a
 * checkpoint for another log is rejected even if a known key signed it.
 */
export function openCheckpoint(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
  options: { expectedOrigin?: string } = {},
): OpenedCheckpoint {
  const opened = openNote(note, verifiers);
  const checkpoint = parseCheckpoint(opened.text);
  if (options.expectedOrigin !== undefined && checkpoint.origin !== options.expectedOrigin) {
    throw new LedgerVerificationError(`checkpoint origin ${JSON.stringify(checkpoint.origin)} is not the expected ${JSON.stringify(options.expectedOrigin)}`);
  }
  return { checkpoint, text: opened.text, verifiedBy: opened.verifiedBy, unverified: opened.unverified };
}
