import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { safetensorsHandler, SAFETENSORS_RULES } from '../../src/formats/safetensors.js';
import { scanPaths } from '../../src/scan.js';
import { engine, ruleIds, scan } from '../jinja/engine.js';
import { fuzzSeconds, fuzzSeed, reportFailures } from '../jinja/fuzz-core.js';
import { fuzzSafetensors } from './fuzz-lib.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name));

/** A safetensors file from a header object and data bytes. */
function st(header: unknown, data: Buffer = Buffer.alloc(0), headerText?: string): Buffer {
  const h = Buffer.from(headerText ?? JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

describe('safetensors: benign files', () => {
  test.each(['model.safetensors', 'no-metadata.safetensors', 'empty-header.safetensors', 'only-metadata.safetensors'])('%s is safe', async (name) => {
    const r = await scan(fixture(name), name);
    expect(r.format).toBe('safetensors');
    expect(r.findings).toEqual([]);
    expect(r.verdict).toBe('safe');
  });

  test('details: tensors, dtypes, parameters, metadata keys (torch-made tensors)', async () => {
    const r = await scan(fixture('model.safetensors'), 'model.safetensors');
    expect(r.details).toMatchObject({
      tensors: 9,
      dtypes: { F32: 3, BF16: 1, F16: 1, I64: 1, BOOL: 1, U8: 1, F64: 1 },
      parameters: 12 + 3 + 4 + 5 + 6 + 4 + 3 + 1 + 0,
      metadataKeys: ['format', 'source'],
    });
  });

  test('edge cases the reference library accepts', async () => {
    const cases: Buffer[] = [
      st({ __metadata__: null, a: { dtype: 'F32', shape: [0], data_offsets: [0, 0] } }),
      st({}, Buffer.alloc(0), '{}     \n\t'),
      st({ c: { dtype: 'C64', shape: [2], data_offsets: [0, 16] } }, Buffer.alloc(16)),
      st({ f4: { dtype: 'F4', shape: [4], data_offsets: [0, 2] } }, Buffer.alloc(2)),
      st({ a: { dtype: 'U8', shape: [2], data_offsets: [2, 4] }, b: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, z: { dtype: 'F32', shape: [0, 7], data_offsets: [4, 4] } }, Buffer.alloc(4)),
      st({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4], extra: 'ignored by the library' } }, Buffer.alloc(4)),
    ];
    for (const c of cases) {
      const r = await scan(c, 'x.bin');
      expect(r.format).toBe('safetensors');
      expect(r.findings, JSON.stringify(r.findings)).toEqual([]);
    }
  });
});

describe('safetensors: every structural rule', () => {
  const cases: [string, string][] = [
    ['header-too-large.safetensors', 'safetensors.header-too-large'],
    ['header-out-of-bounds.safetensors', 'safetensors.header-out-of-bounds'],
    ['not-json.safetensors', 'safetensors.invalid-header'],
    ['trailing-garbage.safetensors', 'safetensors.invalid-header'],
    ['bad-utf8.safetensors', 'safetensors.invalid-header'],
    ['deep-nesting.safetensors', 'safetensors.invalid-header'],
    ['duplicate-key.safetensors', 'safetensors.duplicate-key'],
    ['metadata-not-strings.safetensors', 'safetensors.invalid-metadata'],
    ['missing-dtype.safetensors', 'safetensors.invalid-tensor'],
    ['negative-shape.safetensors', 'safetensors.invalid-tensor'],
    ['float-offsets.safetensors', 'safetensors.invalid-tensor'],
    ['reversed-offsets.safetensors', 'safetensors.invalid-tensor'],
    ['unknown-dtype.safetensors', 'safetensors.unknown-dtype'],
    ['shape-overflow.safetensors', 'safetensors.shape-overflow'],
    ['size-mismatch.safetensors', 'safetensors.size-mismatch'],
    ['out-of-bounds.safetensors', 'safetensors.out-of-bounds'],
    ['overlap.safetensors', 'safetensors.overlap'],
    ['gap.safetensors', 'safetensors.gap'],
    ['trailing-bytes.safetensors', 'safetensors.gap'],
  ];
  test.each(cases)('%s -> %s', async (name, rule) => {
    const r = await scan(fixture(name), name);
    expect(r.format).toBe('safetensors');
    expect(ruleIds(r)).toContain(rule);
    const def = SAFETENSORS_RULES[rule.slice('safetensors.'.length) as keyof typeof SAFETENSORS_RULES];
    // The file's verdict is the rule's verdict: structural attacks unsafe, mere invalidity unknown.
    expect(r.verdict).toBe(def.verdict);
    expect(r.findings.find((f) => f.ruleId === rule)!.location?.offset).toBeTypeOf('number');
  });

  test('every rule has a fixture', () => {
    const covered = new Set(cases.map(([, r]) => r));
    for (const k of Object.keys(SAFETENSORS_RULES)) expect(covered).toContain(`safetensors.${k}`);
  });

  test('structural attacks are unsafe, invalidity is unknown', () => {
    expect(SAFETENSORS_RULES.overlap.verdict).toBe('unsafe');
    expect(SAFETENSORS_RULES['header-too-large'].verdict).toBe('unsafe');
    expect(SAFETENSORS_RULES['invalid-header'].verdict).toBe('unsafe');
    expect(SAFETENSORS_RULES.gap.verdict).toBe('unknown');
    expect(SAFETENSORS_RULES['unknown-dtype'].verdict).toBe('unknown');
  });

  test('duplicate keys are caught where JSON.parse would keep the last silently', async () => {
    const r = await scan(st(null, Buffer.alloc(4), '{"__metadata__":{"a":"1","a":"2"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'), 'x');
    expect(ruleIds(r)).toEqual(['safetensors.duplicate-key']);
    expect(r.findings[0]!.location).toMatchObject({ path: '__metadata__' });
  });

  test('offsets beyond 2^53 are compared exactly', async () => {
    const r = await scan(st(null, Buffer.alloc(4), '{"w":{"dtype":"U8","shape":[4],"data_offsets":[9007199254740993,9007199254740997]}}'), 'x');
    expect(ruleIds(r)).toContain('safetensors.out-of-bounds');
    const r2 = await scan(st(null, Buffer.alloc(4), '{"w":{"dtype":"U8","shape":[4],"data_offsets":[0,18446744073709551616]}}'), 'x');
    expect(ruleIds(r2)).toContain('safetensors.invalid-tensor');
  });

  test('sub-byte dtypes must fill whole bytes', async () => {
    const r = await scan(st({ f4: { dtype: 'F4', shape: [3], data_offsets: [0, 2] } }, Buffer.alloc(2)), 'x');
    expect(ruleIds(r)).toContain('safetensors.size-mismatch');
  });

  test('a header above the in-memory text limit is inconclusive, never safe', async () => {
    const r = await scan(fixture('model.safetensors'), 'model.safetensors', { limits: { maxTextBytes: 64 } });
    expect(r.verdict).toBe('inconclusive');
    expect(ruleIds(r)).toEqual(['limit.maxTextBytes']);
  });
});

describe('safetensors: detection by content', () => {
  const head = (b: Buffer) => b.subarray(0, 4096);
  test('claims real files whatever their name', () => {
    expect(safetensorsHandler.detect(head(fixture('model.safetensors')), 773, 'pytorch_model.bin')).toBe(true);
    expect(safetensorsHandler.detect(head(fixture('header-too-large.safetensors')), 15, 'x')).toBe(true);
  });
  test('does not claim text with "{" at byte 8, GGUF, or tiny headers', () => {
    expect(safetensorsHandler.detect(Buffer.from('{"a": [1,{"b": 2}]}'), 20, 'x.json')).toBe(false);
    expect(safetensorsHandler.detect(Buffer.from('abcdefgh{}'), 10, 'x')).toBe(false);
    const gguf = Buffer.alloc(24);
    gguf.write('GGUF');
    gguf.writeUInt32LE(3, 4);
    gguf[8] = 0x7b;
    expect(safetensorsHandler.detect(gguf, 24, 'x')).toBe(false);
    const one = Buffer.alloc(10);
    one.writeBigUInt64LE(1n);
    one[8] = 0x7b;
    expect(safetensorsHandler.detect(one, 10, 'x')).toBe(false);
  });
});

describe('safetensors: reads only the header', () => {
  test('a 2 GiB file scans in milliseconds without reading tensor data', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-big-'));
    const file = path.join(dir, 'big.safetensors');
    try {
      const size = 2 * 1024 ** 3;
      // Header length chosen so that one U8 tensor covers the rest of the file exactly.
      const base = { __metadata__: { format: 'pt' }, w: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } };
      let h = Buffer.from(JSON.stringify(base));
      for (let i = 0; i < 3; i++) {
        const dataLen = size - 8 - h.length;
        h = Buffer.from(JSON.stringify({ ...base, w: { dtype: 'U8', shape: [dataLen], data_offsets: [0, dataLen] } }));
      }
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(h.length));
      const fd = fs.openSync(file, 'w');
      fs.writeSync(fd, Buffer.concat([len, h]));
      fs.ftruncateSync(fd, size); // sparse: the data is never written nor read
      fs.closeSync(fd);
      const rss0 = process.memoryUsage().rss;
      const t0 = performance.now();
      const report = await scanPaths(engine, [file]);
      const ms = performance.now() - t0;
      const f = report.files[0]!;
      expect(f.format).toBe('safetensors');
      expect(f.findings).toEqual([]);
      expect(f.verdict).toBe('safe');
      expect(f.sha256).toBeNull(); // above the auto-digest size: only the header was read
      expect(ms).toBeLessThan(1000);
      expect(process.memoryUsage().rss - rss0).toBeLessThan(100 * 1024 * 1024);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('safetensors: fuzzing', () => {
  test('mutated files never crash the scanner, never hang, always get a verdict', async () => {
    const r = await fuzzSafetensors(fuzzSeconds(2), fuzzSeed(0x5afe));
    expect(r.cases).toBeGreaterThan(100);
    expect(r.formats['safetensors'] ?? 0).toBeGreaterThan(r.cases / 3);
    expect(reportFailures('fuzzSafetensors', r)).toEqual([]);
  });
});
