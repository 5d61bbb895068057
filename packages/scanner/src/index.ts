export * from './types.js';
export * from './source.js';
export { LimitExceeded, type Allowlist, type FormatHandler, type ScanContext } from './context.js';
export { scanPaths, scanBuffer, buildReport, settleVerdict, emptyReport, detectHandler, ScanIoError, SCANNER_VERSION, type ScanEngine } from './scan.js';
export { HANDLERS } from './formats/registry.js';
