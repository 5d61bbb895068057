/**
 * The engine the archive tests scan with: the archive handlers, stand-ins for the pickle handler
 * (another engineer's; an integration test uses the real one once it lands), and the plain ones.
 */
import type { FormatHandler } from '../../src/context.js';
import { dataHandler, jsonHandler, pythonSourceHandler, textHandler } from '../../src/formats/plain.js';
import { gzipHandler, unsupportedCompressionHandler, zlibHandler } from '../../src/formats/gzip.js';
import { damagedTarHandler, tarHandler } from '../../src/formats/tar.js';
import { zipHandler } from '../../src/formats/zip.js';
import type { ScanEngine } from '../../src/scan.js';
import type { FileReport } from '../../src/types.js';

/** Stands in for the pickle handler on the fixtures' payload: a GLOBAL of os.system. */
export const payloadStandIn: FormatHandler = {
  id: 'pickle',
  detect: (head) => head.subarray(0, 10).toString('latin1') === 'cos\nsystem',
  async scan(_ctx, source, report) {
    const head = await source.read(0, 4096);
    report.findings.push({ ruleId: 'test.pickle-payload', severity: 'critical', verdict: 'unsafe', message: 'os.system', location: { offset: head.indexOf('cos\nsystem') } });
  },
};

/** Stands in for the pickle handler on benign binary pickles (protocol 2-5): no findings. */
export const pickleStandIn: FormatHandler = {
  id: 'pickle',
  detect: (head) => head.length >= 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5,
  async scan(_ctx, _source, report) {
    report.details = { standIn: true };
  },
};

export const ARCHIVE_HANDLERS: readonly FormatHandler[] = [
  zipHandler,
  gzipHandler,
  payloadStandIn,
  pickleStandIn,
  tarHandler,
  zlibHandler,
  unsupportedCompressionHandler,
  damagedTarHandler,
  jsonHandler,
  pythonSourceHandler,
  textHandler,
  dataHandler,
];

export const engine: ScanEngine = {
  handlers: ARCHIVE_HANDLERS,
  allowlist: () => ({ classify: () => ({ verdict: 'unknown', reason: 'test' }) }),
};

export function flatten(r: FileReport): FileReport[] {
  return [r, ...(r.children ?? []).flatMap(flatten)];
}

/** Rule ids of a report and all its descendants. */
export function allRules(r: FileReport): string[] {
  return flatten(r).flatMap((x) => x.findings.map((f) => f.ruleId));
}
