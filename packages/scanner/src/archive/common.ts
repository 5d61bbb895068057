/**
 * What zip, tar and gzip share: the archive rule table, member-name checks, and the constants that
 * decide where inflated bytes go. Every rule id the archive readers emit is listed in ARCHIVE_RULES
 * with its severity and verdict, so docs/scanner.md and the tests read them from one place.
 */
import type { Finding, FindingLocation, Severity, Verdict } from '../types.js';

export interface RuleSpec {
  severity: Severity;
  verdict: Verdict;
  /** One line for the docs: what it means and why it has this verdict. */
  doc: string;
}

export const ARCHIVE_RULES = {
  'archive.path-traversal': { severity: 'high', verdict: 'unsafe', doc: 'member path with `..`, an absolute path, a drive letter or a backslash: extraction writes outside the target folder' },
  'archive.symlink': { severity: 'high', verdict: 'unsafe', doc: 'symbolic link member: extraction (or a loader following it) reads or writes outside the archive' },
  'archive.hardlink': { severity: 'high', verdict: 'unsafe', doc: 'hard link member (tar): extraction links to a file outside the archive' },
  'archive.special-file': { severity: 'high', verdict: 'unsafe', doc: 'device node or fifo member: no model needs one; extracting it as root grants raw device access, a fifo hangs the loader' },
  'archive.suspicious-name': { severity: 'high', verdict: 'unsafe', doc: 'member name with a NUL byte: Python truncates it there, miniz and tar tools do not, so readers see different names' },
  'archive.bomb': { severity: 'high', verdict: 'unsafe', doc: 'declared sizes show a decompression bomb: a member above the compression-ratio limit, or a total above the expanded-bytes limit' },
  'archive.unsupported-compression': { severity: 'medium', verdict: 'unknown', doc: 'bzip2/xz/zstd stream (joblib and tarfile read them): cannot be decompressed here, so its content is not inspected' },
  'zip.name-mismatch': { severity: 'high', verdict: 'unsafe', doc: 'local header name differs from the central directory name (CVE-2025-1944): readers disagree on the member name; the data is scanned once and both names reported' },
  'zip.duplicate-name': { severity: 'high', verdict: 'unsafe', doc: 'two members with the same name: the loader picks one, a scanner may pick the other; every copy is scanned' },
  'zip.overlap': { severity: 'high', verdict: 'unsafe', doc: 'member data overlaps another member or the central directory (overlapping-member bombs, scanner confusion)' },
  'zip.count-mismatch': { severity: 'high', verdict: 'unsafe', doc: 'the end record declares a different member count than the central directory holds: miniz reads the count, Python the bytes' },
  'zip.ambiguous-directory': { severity: 'high', verdict: 'unsafe', doc: 'two different central directories parse (at the declared offset, as miniz reads it, and right before the end record, as Python reads it); both are scanned' },
  'zip.hidden-member': { severity: 'high', verdict: 'unsafe', doc: 'a local file entry that the central directory does not list: streaming readers extract it, directory readers do not' },
  'zip.prepended-data': { severity: 'medium', verdict: 'unknown', doc: 'bytes before the first member (a polyglot: another format up front); scanned as their own content' },
  'zip.unreferenced-data': { severity: 'medium', verdict: 'unknown', doc: 'bytes between members or before the central directory that no member owns; scanned as their own content' },
  'zip.crc-mismatch': { severity: 'medium', verdict: 'unknown', doc: 'CRC-32 differs from the declared one (CVE-2025-10156): PyTorch ignores it, Python refuses; the member is still scanned' },
  'zip.encrypted': { severity: 'medium', verdict: 'unknown', doc: 'encrypted member: its content cannot be inspected' },
  'zip.unsupported-method': { severity: 'medium', verdict: 'unknown', doc: 'compression method other than stored/deflate (bzip2, lzma, zstd...): Python-based loaders (Keras, numpy) read it, the scanner cannot' },
  'zip.size-mismatch': { severity: 'medium', verdict: 'unknown', doc: 'inflated size differs from the declared one (or a stored member whose sizes differ): readers stop at different places' },
  'zip.out-of-bounds': { severity: 'medium', verdict: 'unknown', doc: 'member data lies (partly) outside the file: it cannot be read completely' },
  'zip.bad-local-header': { severity: 'medium', verdict: 'unknown', doc: 'a member\'s local header is missing or malformed: it cannot be read' },
  'zip.bad-central-directory': { severity: 'medium', verdict: 'unknown', doc: 'the central directory ends early or has a malformed entry: later members cannot be listed' },
  'zip.no-central-directory': { severity: 'medium', verdict: 'unknown', doc: 'no end-of-central-directory record: members found by walking local headers are scanned, the rest is unknown' },
  'zip.corrupt-data': { severity: 'medium', verdict: 'unknown', doc: 'the compressed data of a member is corrupt; what inflated before the error is scanned' },
  'zip.header-mismatch': { severity: 'medium', verdict: 'unknown', doc: 'local header and central directory disagree on the compression method: streaming and directory readers decode differently' },
  'zip.multi-disk': { severity: 'medium', verdict: 'unknown', doc: 'split (multi-disk) archive: parts may be missing' },
  'zip.unusual-flags': { severity: 'info', verdict: 'safe', doc: 'general-purpose flag bits that Python zipfile rejects but PyTorch ignores (CVE-2025-1945); the member is scanned like PyTorch reads it' },
  'tar.bad-checksum': { severity: 'medium', verdict: 'unknown', doc: 'header checksum mismatch: Python tarfile stops there, GNU tar skips ahead; the scanner resynchronizes and scans what follows' },
  'tar.truncated': { severity: 'medium', verdict: 'unknown', doc: 'the archive ends inside a header or member data; the partial member is scanned' },
  'tar.duplicate-name': { severity: 'medium', verdict: 'unknown', doc: 'two members with the same path: extraction keeps the last one; every copy is scanned' },
  'tar.sparse': { severity: 'medium', verdict: 'unknown', doc: 'GNU sparse member: its logical content is not reconstructed, so it is not inspected' },
  'tar.trailing-data': { severity: 'medium', verdict: 'unknown', doc: 'non-zero bytes after the end-of-archive marker (read by `tar --ignore-zeros`)' },
  'gzip.corrupt-data': { severity: 'medium', verdict: 'unknown', doc: 'corrupt gzip/zlib stream (bad data or CRC); what inflated before the error is scanned' },
  'limit.maxMembers': { severity: 'medium', verdict: 'inconclusive', doc: 'more members than limits.maxMembers; the rest are not scanned' },
  'limit.maxExpandedBytes': { severity: 'medium', verdict: 'inconclusive', doc: 'inflating stopped at limits.maxExpandedBytes; the part inflated so far is scanned' },
  'limit.maxCompressionRatio': { severity: 'medium', verdict: 'inconclusive', doc: 'a stream inflated past limits.maxCompressionRatio (and past 16 MiB); the part inflated so far is scanned' },
} as const satisfies Record<string, RuleSpec>;

export type ArchiveRuleId = keyof typeof ARCHIVE_RULES;

export function archiveFinding(ruleId: ArchiveRuleId, message: string, location?: FindingLocation): Finding {
  const spec: RuleSpec = ARCHIVE_RULES[ruleId];
  return location ? { ruleId, severity: spec.severity, verdict: spec.verdict, message, location } : { ruleId, severity: spec.severity, verdict: spec.verdict, message };
}

/** Inflated content up to this size stays in memory; larger goes to a temp file. */
export const MEMORY_SPILL_BYTES = 16 * 1024 * 1024;

/**
 * A compression ratio above the limit makes a bomb only past this many expanded bytes: a 1 MiB
 * array of zeros deflates 1000:1 and harms no one. Below it the ratio is not judged.
 */
export const BOMB_MIN_EXPANDED_BYTES = 16 * 1024 * 1024;

/**
 * Why a member path is unsafe to extract, or null. Checks what any extractor on any OS would do:
 * `..` components, absolute paths, Windows drive letters and UNC paths, backslashes (separators on
 * Windows). Names are judged as bytes decoded leniently; NUL is reported separately.
 */
export function unsafePathReason(name: string): string | null {
  if (name.includes('\\')) return 'backslash (a path separator on Windows)';
  if (name.startsWith('/')) return 'absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'drive letter';
  if (name.split('/').some((c) => c === '..')) return '".." component';
  return null;
}

export function basenameOf(name: string): string {
  const parts = name.split(/[\\/]/).filter((p) => p.length > 0);
  return parts[parts.length - 1] ?? name;
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Decodes a member name for display: UTF-8 when valid, else Latin-1 (one char per byte, nothing lost). */
export function decodeName(raw: Buffer): string {
  try {
    return utf8Strict.decode(raw);
  } catch {
    return raw.toString('latin1');
  }
}

/** Shows control characters in names visibly (a name is attacker-controlled text in a report). */
export function printableName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * Collects an archive's findings, listing at most `cap` per rule (a crafted archive can have a
 * hundred thousand bad members; the report stays readable and the verdict is the same).
 */
export class FindingSink {
  private readonly counts = new Map<ArchiveRuleId, number>();
  constructor(
    private readonly out: Finding[],
    private readonly cap = 50,
  ) {}

  add(ruleId: ArchiveRuleId, message: string, location?: FindingLocation): void {
    const n = (this.counts.get(ruleId) ?? 0) + 1;
    this.counts.set(ruleId, n);
    if (n <= this.cap) this.out.push(archiveFinding(ruleId, message, location));
  }

  has(ruleId: ArchiveRuleId): boolean {
    return this.counts.has(ruleId);
  }

  /** Adds one summary finding per rule that went over the cap. */
  flush(): void {
    for (const [ruleId, n] of this.counts) {
      if (n > this.cap) this.out.push(archiveFinding(ruleId, `${n - this.cap} more ${ruleId} findings in this archive are not listed`));
    }
  }
}
