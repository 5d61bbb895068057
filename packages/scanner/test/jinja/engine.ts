/** Test engine: the production handler registry (detection order included), with a stub allowlist. */
import { HANDLERS } from '../../src/formats/registry.js';
import type { ScanEngine } from '../../src/scan.js';
import { scanBuffer } from '../../src/scan.js';
import type { FileReport, ScanOptions } from '../../src/types.js';

export const engine: ScanEngine = {
  handlers: HANDLERS,
  allowlist: () => ({ classify: () => ({ verdict: 'unknown', reason: 'test' }) }),
};

export function scan(buf: Buffer | string, name: string, options: ScanOptions = {}): Promise<FileReport> {
  return scanBuffer(engine, typeof buf === 'string' ? Buffer.from(buf, 'utf8') : buf, name, options);
}

export function ruleIds(r: FileReport): string[] {
  return [...new Set(r.findings.map((f) => f.ruleId))].sort();
}
