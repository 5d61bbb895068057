/**
 * Rules for file paths inside a model manifest (OpenSSF model-signing "files" method):
 * POSIX, relative, canonical, and portable enough that a verifier can join them to a root safely.
 */
import { StewardError } from './errors.js';

export const MAX_MODEL_PATH_BYTES = 4096;
export const MAX_MODEL_PATH_COMPONENT_BYTES = 255;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function refuse(p: string, reason: string): never {
  throw new StewardError('invalid_path', `invalid model path ${JSON.stringify(p)}: ${reason}`, {
    path: p,
    reason,
  });
}

/** Returns `p` unchanged if it is a valid manifest path; throws StewardError('invalid_path') otherwise. */
export function validateModelPath(p: string): string {
  if (typeof p !== 'string') {
    throw new StewardError('invalid_path', 'invalid model path: not a string', { path: p });
  }
  if (p.length === 0) refuse(p, 'empty path');
  if (p.startsWith('/')) refuse(p, 'absolute path');
  if (/^[A-Za-z]:/.test(p)) refuse(p, 'Windows drive letter');
  if (p.includes('\\')) refuse(p, 'backslash');
  // C0 controls (NUL included), DEL and C1 controls.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(p)) refuse(p, 'NUL or control character');
  // A lone surrogate has no UTF-8 form, so it cannot name a file portably.
  if (LONE_SURROGATE.test(p)) refuse(p, 'not valid Unicode (lone surrogate)');
  if (Buffer.byteLength(p, 'utf8') > MAX_MODEL_PATH_BYTES) {
    refuse(p, `longer than ${MAX_MODEL_PATH_BYTES} bytes`);
  }
  for (const part of p.split('/')) {
    if (part === '') refuse(p, 'empty component (double or trailing slash)');
    if (part === '.' || part === '..') refuse(p, `"${part}" component`);
    if (Buffer.byteLength(part, 'utf8') > MAX_MODEL_PATH_COMPONENT_BYTES) {
      refuse(p, `component longer than ${MAX_MODEL_PATH_COMPONENT_BYTES} bytes`);
    }
  }
  return p;
}

/**
 * Code-point order of two strings (= UTF-8 byte order = Python str order), which differs from
 * JS `<` (UTF-16 code units) only when a surrogate meets a unit in U+E000..U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Shift surrogates above the BMP private-use/specials range so units order like code points.
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/**
 * Manifest order of the reference implementation: pathlib parts compared as tuples, so
 * `a/b` < `a-b/x` (component `a` < `a-b`) although `'a/b' > 'a-b/x'` as plain strings.
 */
export function compareManifestPaths(a: string, b: string): number {
  if (a === b) return 0;
  const pa = a.split('/');
  const pb = b.split('/');
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const c = compareCodePoints(pa[i]!, pb[i]!);
    if (c !== 0) return c;
  }
  return pa.length - pb.length < 0 ? -1 : pa.length === pb.length ? 0 : 1;
}
