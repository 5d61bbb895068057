/** Test engine: the handlers of this area before the plain-content ones, as the registry orders them. */
import type { ScanEngine } from '../../src/scan.js';
import { scanBuffer } from '../../src/scan.js';
import { ggufHandler } from '../../src/formats/gguf.js';
import { jinjaTemplateHandler } from '../../src/formats/jinja-template.js';
import { dataHandler, jsonHandler, pythonSourceHandler, textHandler } from '../../src/formats/plain.js';
import { safetensorsHandler } from '../../src/formats/safetensors.js';
import { tokenizerConfigHandler } from '../../src/formats/tokenizer-config.js';
import type { FileReport, ScanOptions } from '../../src/types.js';

export const engine: ScanEngine = {
  handlers: [ggufHandler, safetensorsHandler, tokenizerConfigHandler, jinjaTemplateHandler, jsonHandler, pythonSourceHandler, textHandler, dataHandler],
  allowlist: () => ({ classify: () => ({ verdict: 'unknown', reason: 'test' }) }),
};

export function scan(buf: Buffer | string, name: string, options: ScanOptions = {}): Promise<FileReport> {
  return scanBuffer(engine, typeof buf === 'string' ? Buffer.from(buf, 'utf8') : buf, name, options);
}

export function ruleIds(r: FileReport): string[] {
  return [...new Set(r.findings.map((f) => f.ruleId))].sort();
}
