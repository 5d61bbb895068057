/**
 * Tar archives: every regular member is a zero-copy slice of the file scanned by content through
 * ctx.scanChild; links, devices, traversal and header damage are findings (see archive/tar.ts).
 */
import type { FormatHandler, ScanContext } from '../context.js';
import { type ByteSource, SliceSource } from '../source.js';
import type { FileReport } from '../types.js';
import { basenameOf, FindingSink, printableName, unsafePathReason } from '../archive/common.js';
import { hasUstarMagic, looksLikeTar, readTar } from '../archive/tar.js';

/** Tar archives whose first header is valid (Python's tarfile opens them). Place before the pickle handlers. */
export const tarHandler: FormatHandler = {
  id: 'tar',
  detect: (head) => looksLikeTar(head),
  scan: scanTar,
};

/**
 * The ustar magic with a damaged first header: Python's tarfile refuses it, GNU tar skips to the
 * next valid header and extracts the rest. Place it after the pickle handlers (and every other
 * content format) and before the plain ones: whatever else claims these bytes wins (a pickle with
 * `ustar` planted at 257 is a pickle to pickle.load), and what nothing claims is scanned as GNU tar
 * reads it rather than passing as opaque data.
 */
export const damagedTarHandler: FormatHandler = {
  id: 'tar',
  detect: (head) => hasUstarMagic(head) && !looksLikeTar(head),
  scan: scanTar,
};

/** Normalizes a member path the way extraction resolves it, for duplicate detection. */
function extractedPath(name: string): string {
  return name
    .split('/')
    .filter((c) => c !== '' && c !== '.')
    .join('/');
}

export async function scanTar(ctx: ScanContext, source: ByteSource, report: FileReport): Promise<void> {
  const sink = new FindingSink(report.findings);
  report.children ??= [];
  const seen = new Map<string, number>();
  let members = 0;
  try {
    for await (const ev of readTar(source, { checkTime: () => ctx.checkTime() })) {
      ctx.checkTime();
      if (ev.kind === 'bad-checksum') {
        sink.add('tar.bad-checksum', `header checksum mismatch at offset ${ev.offset}: Python's tarfile stops here; ${ev.resyncedAt === null ? 'no valid header follows' : `GNU tar skips to the next valid header at ${ev.resyncedAt}, scanned from there`}`, { offset: ev.offset });
        continue;
      }
      if (ev.kind === 'bad-header') {
        sink.add('tar.bad-checksum', `malformed header at offset ${ev.offset} (${ev.reason}); the rest of the archive is not read`, { offset: ev.offset });
        continue;
      }
      if (ev.kind === 'truncated') {
        sink.add('tar.truncated', `the archive ends inside ${printableName(ev.what)} (header at offset ${ev.offset})`, { offset: ev.offset });
        continue;
      }
      if (ev.kind === 'trailing-data') {
        sink.add('tar.trailing-data', `non-zero bytes at offset ${ev.offset} after the end-of-archive marker (tar --ignore-zeros reads on); any members there are scanned`, { offset: ev.offset });
        continue;
      }
      const e = ev.entry;
      if (members >= ctx.limits.maxMembers) {
        sink.add('limit.maxMembers', `more than ${ctx.limits.maxMembers} members; the rest are not scanned`, { offset: e.offset });
        break;
      }
      members++;
      const loc = { member: e.name, offset: e.offset };
      const shown = printableName(e.name);
      const why = unsafePathReason(e.name);
      if (why) sink.add('archive.path-traversal', `member "${shown}": ${why}`, loc);
      if (e.name.includes('\0')) sink.add('archive.suspicious-name', `member "${shown}" contains a NUL byte`, loc);
      if (e.type === '2') sink.add('archive.symlink', `member "${shown}" is a symbolic link to "${printableName(e.linkName)}"`, loc);
      else if (e.type === '1') sink.add('archive.hardlink', `member "${shown}" is a hard link to "${printableName(e.linkName)}"`, loc);
      else if (e.type === '3' || e.type === '4') sink.add('archive.special-file', `member "${shown}" is a ${e.type === '3' ? 'character' : 'block'} device node`, loc);
      else if (e.type === '6') sink.add('archive.special-file', `member "${shown}" is a fifo`, loc);
      if (e.type !== '5') {
        const key = extractedPath(e.name);
        const n = (seen.get(key) ?? 0) + 1;
        seen.set(key, n);
        if (n === 2) sink.add('tar.duplicate-name', `more than one member extracts to "${printableName(key)}"; extraction keeps the last; all are scanned`, loc);
      }
      if (!e.hasData) continue;
      if (e.sparse) {
        sink.add('tar.sparse', `member "${shown}" is a GNU sparse file; its content is not reconstructed and not inspected`, loc);
        continue;
      }
      const child = await ctx.scanChild(new SliceSource(source, e.dataOffset, e.size), `${report.path}!${e.name}`, basenameOf(e.name));
      report.children.push(child);
    }
  } finally {
    sink.flush();
    report.details = { ...report.details, members };
  }
}
