/**
 * The scanner's report model. Pure data: the CLI renders it as text, JSON or SARIF, the server
 * stores it as JSON. Documented field by field in docs/scanner.md.
 */

/**
 * - safe: every import is on the allowlist and the structure is valid.
 * - unknown: something cannot be proved safe (an import not on the allowlist, an unrecognized callable).
 * - inconclusive: a resource limit was hit before the analysis finished.
 * - unsafe: a known-dangerous import, an unresolvable callable, or a structural attack.
 */
export type Verdict = 'safe' | 'unknown' | 'inconclusive' | 'unsafe';

/** Worst first when aggregating: unsafe > inconclusive > unknown > safe. */
export const VERDICT_RANK: Record<Verdict, number> = { safe: 0, unknown: 1, inconclusive: 2, unsafe: 3 };

export function worstVerdict(verdicts: Iterable<Verdict>): Verdict {
  let worst: Verdict = 'safe';
  for (const v of verdicts) if (VERDICT_RANK[v] > VERDICT_RANK[worst]) worst = v;
  return worst;
}

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

export interface FindingLocation {
  /** Byte offset in the file or member where the problem is. */
  offset?: number;
  /** Archive member path (as the archive names it), for findings about a member. */
  member?: string;
  /** JSON pointer / dotted path inside a structured document (config.json, ONNX graph...). */
  path?: string;
  /** 1-based line in a text document (templates, JSON). */
  line?: number;
}

export interface Finding {
  /** Stable rule id, e.g. `pickle.unsafe-import`, `zip.path-traversal`. Listed in docs/scanner.md. */
  ruleId: string;
  severity: Severity;
  /** The verdict this finding alone implies for its file. */
  verdict: Verdict;
  message: string;
  location?: FindingLocation;
}

export type ImportVerdict = 'safe' | 'unsafe' | 'unknown';

/** One import (GLOBAL, INST, STACK_GLOBAL, EXT*) a pickle performs. */
export interface PickleImport {
  module: string;
  name: string;
  verdict: ImportVerdict;
  /** Why: the allowlist entry, the denylist entry, or "not on the allowlist". */
  reason: string;
  /** Opcode that imported it and its byte offset (within the pickle's file or member). */
  opcode: string;
  offset: number;
  /** Index of the pickle in a stack of pickles (0 for the first). */
  pickleIndex: number;
}

export type FormatId =
  | 'pickle'
  | 'pytorch-zip'
  | 'pytorch-legacy'
  | 'joblib'
  | 'numpy-npy'
  | 'numpy-npz'
  | 'safetensors'
  | 'gguf'
  | 'jinja-template'
  | 'tokenizer-config'
  | 'onnx'
  | 'keras-zip'
  | 'keras-h5'
  | 'hdf5'
  | 'tf-savedmodel'
  | 'zip'
  | 'tar'
  | 'gzip'
  | 'json'
  | 'text'
  | 'python-source'
  | 'data'
  | 'empty'
  | 'directory';

export interface FileReport {
  /** Display path: the file's path as given, members as `archive.zip!dir/member`. */
  path: string;
  format: FormatId;
  size: number;
  /** SHA-256 hex of the content when it was read completely (or supplied); null when only the parts that matter were read. */
  sha256: string | null;
  verdict: Verdict;
  findings: Finding[];
  /** Present for pickle-family content: every import, in order of appearance. */
  imports?: PickleImport[];
  /** Archive members and embedded documents, recursively. */
  children?: FileReport[];
  /** Format facts worth showing (protocol, tensor count, GGUF version, ONNX opsets...). */
  details?: Record<string, unknown>;
}

export interface ScanSummary {
  /** Top-level files scanned; the verdict counts below are over these. */
  files: number;
  /** Archive members and embedded documents scanned inside them. */
  members: number;
  safe: number;
  unknown: number;
  inconclusive: number;
  unsafe: number;
}

export interface ScanReport {
  tool: { name: 'steward-scanner'; version: string };
  scannedAt: string;
  verdict: Verdict;
  summary: ScanSummary;
  /** Imports added to the allowlist for this scan (`--allow`, policy). */
  extraAllowed: string[];
  files: FileReport[];
}

export interface ScanLimits {
  /** Archive nesting depth (an archive inside an archive is depth 2). */
  maxDepth: number;
  /** Members per archive. */
  maxMembers: number;
  /** Total uncompressed bytes per archive. */
  maxExpandedBytes: number;
  /** Uncompressed / compressed ratio of one member above which it is a bomb. */
  maxCompressionRatio: number;
  /** Pickle opcodes per pickle. */
  maxPickleOpcodes: number;
  /** Pickle memo entries and stack depth. */
  maxPickleMemo: number;
  maxPickleStack: number;
  /** Wall-clock budget for one top-level file, including its members. */
  timeBudgetMs: number;
  /** Largest text document (template, JSON config) parsed in memory. */
  maxTextBytes: number;
}

export const DEFAULT_LIMITS: ScanLimits = {
  maxDepth: 4,
  maxMembers: 100_000,
  maxExpandedBytes: 64 * 1024 ** 3,
  maxCompressionRatio: 200,
  maxPickleOpcodes: 50_000_000,
  maxPickleMemo: 1_000_000,
  maxPickleStack: 1_000_000,
  timeBudgetMs: 120_000,
  maxTextBytes: 64 * 1024 * 1024,
};

export interface ScanOptions {
  /** Extra `module.name` (or `module.*`) entries treated as safe imports. */
  allow?: string[];
  limits?: Partial<ScanLimits>;
  /** Hash every file completely even when the analysis needs only parts (slower on big tensors). */
  fullDigest?: boolean;
  /** Digests already known (e.g. from a version manifest), keyed by absolute path, so they need not be recomputed. */
  knownDigests?: Map<string, string>;
}
