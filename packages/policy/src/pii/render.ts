/** `steward pii` text output: counts per file, then where (never what). */
import { PII_KINDS } from './kinds.js';
import type { PiiLocation, PiiScanResult } from './scan.js';

function where(l: PiiLocation): string {
  return [l.line !== undefined ? `line ${l.line}` : '', l.column !== undefined ? `column ${l.column}` : '', l.row !== undefined ? `row ${l.row}` : '', l.field !== undefined ? `field ${l.field}` : ''].filter(Boolean).join(', ');
}

export function renderPiiText(results: readonly PiiScanResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    const kinds = PII_KINDS.filter((k) => r.counts[k] > 0).map((k) => `${k} ${r.counts[k]}`);
    out.push(`${r.file} (${r.format}, ${r.records} records): ${r.total === 0 ? 'no PII found' : `${r.total} found: ${kinds.join(', ')}`}`);
    for (const l of r.locations) out.push(`  ${l.kind.padEnd(10)} ${where(l)}`);
    if (r.locationsTruncated) out.push(`  … ${r.total - r.locations.length} more (counts above are complete)`);
  }
  return `${out.join('\n')}\n`;
}
