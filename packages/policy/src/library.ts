/**
 * The built-in policy library: YAML files shipped in packages/policy/library, documented rule by
 * rule in docs/policy-library.md. Paths are `builtin:<file>` so results and diagnostics say where
 * a rule comes from without pointing into the repository under check.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PolicySource } from './lint.js';

// Resolved from src/ (tests) and dist/ (built) alike: both sit next to library/.
const LIBRARY_DIR = fileURLToPath(new URL('../library/', import.meta.url));

let cached: PolicySource[] | null = null;

export function builtinPolicyFiles(): PolicySource[] {
  cached ??= readdirSync(LIBRARY_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ path: `builtin:${f}`, text: readFileSync(`${LIBRARY_DIR}${f}`, 'utf8') }));
  return cached.map((f) => ({ ...f }));
}

export const BUILTIN_PREFIX = 'builtin:';
