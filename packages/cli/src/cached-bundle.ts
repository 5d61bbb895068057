/**
 * Loads a lean command's CommonJS bundle (scripts/bundle-cli.js) through vm.Script with V8's code
 * cache: the bytecode of every function a typical run compiles, recorded by a training run at build
 * time. `steward check` compiles about 1.7 MB of bundled code (policy engine, CEL, YAML, zod,
 * scanner, card parser) on every CI run; with the cache that is a deserialization instead (ADR 0019).
 *
 * The cache file starts with the SHA-256 of the bundle it was made from: V8 itself only compares
 * the source's length, so a cache from another build of the same length would be accepted. A
 * missing, stale or rejected cache (another Node version, other V8 flags) only costs the speed-up.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

const DIGEST_BYTES = 32;

export interface CachedBundle {
  exports: Record<string, unknown>;
  /** True when V8 took the code cache. */
  cacheUsed: boolean;
  /** Writes the code cache: everything compiled so far (call it after a representative run). */
  writeCache(): void;
}

export function cacheFileOf(bundleFile: string): string {
  return `${bundleFile}.v8cache`;
}

function readCache(file: string, digest: Buffer): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return undefined;
  }
  if (data.length <= DIGEST_BYTES || !data.subarray(0, DIGEST_BYTES).equals(digest)) return undefined;
  return data.subarray(DIGEST_BYTES);
}

/** Compiles and runs `bundleFile` (CommonJS) with its code cache when one matches. */
export function loadCachedBundle(bundleFile: string): CachedBundle {
  const source = readFileSync(bundleFile, 'utf8');
  const digest = createHash('sha256').update(source).digest();
  const cacheFile = cacheFileOf(bundleFile);
  const cachedData = readCache(cacheFile, digest);
  // The same wrapper Node gives a CommonJS module; the bundle's own line 1 follows it on the same line.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundleFile,
    ...(cachedData ? { cachedData } : {}),
    // The bundle's few import() calls are of Node's built-in modules.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} as Record<string, unknown> };
  const wrapper = script.runInThisContext() as (e: unknown, r: NodeJS.Require, m: unknown, f: string, d: string) => void;
  wrapper(module.exports, createRequire(bundleFile), module, bundleFile, path.dirname(bundleFile));
  return {
    exports: module.exports,
    cacheUsed: cachedData !== undefined && !script.cachedDataRejected,
    writeCache() {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, Buffer.concat([digest, script.createCachedData()]));
      renameSync(tmp, cacheFile);
    },
  };
}
