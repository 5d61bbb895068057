/**
 * The built-in policy library: YAML files shipped in packages/policy/library, documented rule by
 * rule in docs/policy-library.md. Paths are `builtin:<file>` so results and diagnostics say where
 * a rule comes from without pointing into the repository under check.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PolicySource, PreparedPolicyFile } from './lint.js';

// Resolved from src/ (tests) and dist/ (built) alike: both sit next to library/.
const LIBRARY_DIR = fileURLToPath(new URL('../library/', import.meta.url));
/**
 * The library parsed by the build (scripts/prepare-policy-library.js), beside the built module.
 * Absent when running from src/ or after a tsc-only build: the files are then parsed as any other.
 */
export const PREPARED_LIBRARY_FILE = fileURLToPath(new URL('./library-index.json', import.meta.url));

let cached: PolicySource[] | null = null;

export function builtinPolicyFiles(): PolicySource[] {
  cached ??= readdirSync(LIBRARY_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ path: `builtin:${f}`, text: readFileSync(`${LIBRARY_DIR}${f}`, 'utf8') }));
  return cached.map((f) => ({ ...f }));
}

let prepared: ReadonlyMap<string, PreparedPolicyFile> | null = null;

/**
 * The prepared built-in files by the SHA-256 of their text. Keyed by content, an index left over
 * from an older build can only miss, never stand in for a changed file.
 */
export function preparedBuiltinFiles(): ReadonlyMap<string, PreparedPolicyFile> {
  prepared ??= new Map(readPreparedLibrary().map((f) => [f.sha256, f]));
  return prepared;
}

/** A damaged index only costs the speed-up: the files are then parsed. */
function readPreparedLibrary(): PreparedPolicyFile[] {
  if (!existsSync(PREPARED_LIBRARY_FILE)) return [];
  try {
    const files = (JSON.parse(readFileSync(PREPARED_LIBRARY_FILE, 'utf8')) as { files?: unknown }).files;
    if (!Array.isArray(files)) return [];
    return files.filter(
      (f): f is PreparedPolicyFile => typeof f?.sha256 === 'string' && typeof f.starts === 'object' && f.starts !== null && typeof f.js === 'object' && f.js !== null,
    );
  } catch {
    return [];
  }
}

export const BUILTIN_PREFIX = 'builtin:';
