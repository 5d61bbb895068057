import type { ScanEngine } from './scan.js';
import { HANDLERS } from './formats/registry.js';
import { createAllowlist } from './pickle/allowlist.js';

/** The scanner as shipped: every format handler and the documented pickle allowlist. */
export function defaultEngine(): ScanEngine {
  return { handlers: HANDLERS, allowlist: createAllowlist };
}
