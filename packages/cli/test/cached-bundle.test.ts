/**
 * The code-cached CommonJS bundle loader (src/cached-bundle.ts) and the built `steward check`
 * bundle it loads: a cache is used only for the exact source it was made from, a broken one is
 * ignored, and the built bundle runs with its cache accepted and finds its assets (policy library,
 * hash worker) from packages/cli/dist.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheFileOf, loadCachedBundle } from '../src/cached-bundle.js';
import { CLI_BIN } from './helpers/processes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.resolve(here, '../dist');
const EXAMPLE_CONFIG = path.resolve(here, '../../../examples/steward.yaml');

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-cached-bundle-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * Loads a bundle in a fresh process, as bin.js does: within one process V8 reuses what it compiled
 * from the same source before and never looks at the cache data.
 */
function loadInChild(file: string): { used: boolean; answer: number } {
  const loader = path.join(DIST, 'cached-bundle.js');
  const script = `import { loadCachedBundle } from ${JSON.stringify(loader)}; const b = loadCachedBundle(${JSON.stringify(file)}); console.log(JSON.stringify({ used: b.cacheUsed, answer: b.exports.answer() }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`loading ${file} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { used: boolean; answer: number };
}

const source = (answer: number) => `exports.answer = () => ${answer};\nexports.sep = async () => (await import('node:path')).sep;\nexports.file = __filename;\n`;

describe('loadCachedBundle', () => {
  it('runs the bundle, then uses the cache it wrote', async () => {
    const file = path.join(tmp, 'a.cjs');
    fs.writeFileSync(file, source(42));
    const first = loadCachedBundle(file);
    expect(first.cacheUsed).toBe(false);
    expect((first.exports.answer as () => number)()).toBe(42);
    expect(await (first.exports.sep as () => Promise<string>)()).toBe(path.sep);
    expect(first.exports.file).toBe(file);
    first.writeCache();
    expect(fs.existsSync(cacheFileOf(file))).toBe(true);

    expect(loadInChild(file)).toEqual({ used: true, answer: 42 });
  });

  it('ignores a cache made from other source of the same length (V8 alone would only compare lengths)', () => {
    const file = path.join(tmp, 'b.cjs');
    fs.writeFileSync(file, source(42));
    loadCachedBundle(file).writeCache();
    fs.writeFileSync(file, source(43));
    expect(loadInChild(file)).toEqual({ used: false, answer: 43 });
  });

  it('runs without the cache when it is corrupt, truncated or missing', () => {
    const file = path.join(tmp, 'c.cjs');
    fs.writeFileSync(file, source(7));
    const loaded = loadCachedBundle(file);
    loaded.writeCache();
    const cache = fs.readFileSync(cacheFileOf(file));

    expect(loadInChild(file)).toEqual({ used: true, answer: 7 });

    // The digest matches, the V8 data does not: V8 rejects it.
    fs.writeFileSync(cacheFileOf(file), Buffer.concat([cache.subarray(0, 32), Buffer.alloc(cache.length - 32, 0xab)]));
    expect(loadInChild(file)).toEqual({ used: false, answer: 7 });

    fs.writeFileSync(cacheFileOf(file), cache.subarray(0, 20));
    expect(loadInChild(file)).toEqual({ used: false, answer: 7 });

    fs.rmSync(cacheFileOf(file));
    expect(loadInChild(file)).toEqual({ used: false, answer: 7 });
  });
});

describe('the built steward check bundle', () => {
  it('loads with its code cache accepted by this Node', () => {
    const loader = path.join(DIST, 'cached-bundle.js');
    const script = `import { loadCachedBundle } from ${JSON.stringify(loader)}; const b = loadCachedBundle(${JSON.stringify(path.join(DIST, 'check-bundle.cjs'))}); console.log(JSON.stringify({ used: b.cacheUsed, main: typeof b.exports.checkMain }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ used: true, main: 'function' });
  });

  it('runs steward check from the bundle: the policy library and the hash worker are found', () => {
    const r = spawnSync(process.execPath, [CLI_BIN, 'check', '--config', EXAMPLE_CONFIG, '--format', 'json'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { outcome: string; evaluations: { results: { ruleId: string; status: string }[] }[] };
    expect(report.outcome).toBe('passed');
    const results = report.evaluations[0]!.results;
    expect(results.find((x) => x.ruleId === 'integrity.locked')?.status).toBe('pass');
    expect(results.length).toBeGreaterThan(20);
  });
});
