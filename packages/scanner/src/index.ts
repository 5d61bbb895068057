export * from './types.js';
export * from './source.js';
export { LimitExceeded, type Allowlist, type FormatHandler, type ScanContext } from './context.js';
export { scanPaths, scanSources, scanBuffer, type SourceToScan, buildReport, settleVerdict, emptyReport, detectHandler, ScanIoError, SCANNER_VERSION, type ScanEngine } from './scan.js';
export { HANDLERS } from './formats/registry.js';
export { renderText, toSarif, exitCodeFor, type FailOn } from './render.js';
export { defaultEngine } from './engine.js';
