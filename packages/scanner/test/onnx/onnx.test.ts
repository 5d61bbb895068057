import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { onnxHandler, unsafeLocationReason } from '../../src/formats/onnx.js';
import { dataHandler, jsonHandler, textHandler } from '../../src/formats/plain.js';
import { classifyProtoHead } from '../../src/protobuf/detect.js';
import { PbReader, ProtoError, decodeVarint } from '../../src/protobuf/reader.js';
import { scanBuffer, scanPaths, type ScanEngine } from '../../src/scan.js';
import type { ByteSource } from '../../src/source.js';
import type { FileReport } from '../../src/types.js';
import { encode, M, S, V } from './pb-encode.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fx = (name: string) => path.join(here, 'fixtures', name);

export const engine: ScanEngine = {
  handlers: [onnxHandler, jsonHandler, textHandler, dataHandler],
  allowlist: () => ({ classify: () => ({ verdict: 'unknown', reason: 'test' }) }),
};

async function scanFixture(name: string): Promise<FileReport> {
  return scanBuffer(engine, fs.readFileSync(fx(name)), name);
}

const rules = (r: FileReport) => r.findings.map((f) => f.ruleId);

describe('ONNX detection', () => {
  it('recognizes real models by content, whatever their name', async () => {
    for (const name of ['benign-mlp.onnx', 'benign-if.onnx', 'benign-function.onnx', 'benign-external.onnx']) {
      const buf = fs.readFileSync(fx(name));
      expect(classifyProtoHead(buf.subarray(0, 4096), buf.length, 'weights.bin')).toBe('onnx');
      const r = await scanBuffer(engine, buf, 'renamed.bin');
      expect(r.format).toBe('onnx');
    }
  });

  it('does not claim random data, text, or a SavedModel proto', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const buf = Buffer.from(Array.from({ length: 64 + (i % 5000) }, rnd));
      expect(classifyProtoHead(buf.subarray(0, 4096), buf.length, 'x.onnx')).not.toBe('onnx');
    }
    expect(classifyProtoHead(Buffer.from('{"a": 1}'), 8, 'model.onnx')).toBeNull();
    expect(classifyProtoHead(Buffer.from('hello world'), 11, 'model.onnx')).toBeNull();
    // saved_model_schema_version=1, meta_graphs { meta_info_def {tags: "serve"}, graph_def { node { name: "a" op: "Const" } } }
    const sm = encode([V(1, 1), M(2, M(1, S(4, 'serve')), M(2, M(1, S(1, 'a'), S(2, 'Const'))))]);
    expect(classifyProtoHead(sm, sm.length, 'model.onnx')).toBe('savedmodel');
  });

  it('recognizes an ONNX model whose fields are out of the usual order, or whose head is one long field', () => {
    const graph = M(7, M(1, S(4, 'Relu'), S(1, 'x'), S(2, 'y')));
    const reordered = encode([graph, M(8, V(2, 13)), V(1, 8)]);
    expect(classifyProtoHead(reordered, reordered.length, 'a')).toBe('onnx');
    const padded = encode([V(1, 8), S(2, 'p'.repeat(10_000)), graph]);
    expect(classifyProtoHead(padded.subarray(0, 4096), padded.length, 'a')).toBe('onnx');
    const docFirst = encode([S(6, 'd'.repeat(10_000)), V(1, 8), graph]);
    expect(classifyProtoHead(docFirst.subarray(0, 4096), docFirst.length, 'a')).toBe('onnx');
  });

  it('unknown fields and groups (which protobuf parsers skip) do not hide a model', () => {
    const graph = M(7, M(1, S(4, 'Relu'), S(1, 'x'), S(2, 'y')));
    // field 99 varint, field 7 as a varint (wrong wire type: skipped), a group, then the model.
    const group = Buffer.from([0x9b, 0x06, 0x08, 0x01, 0x9c, 0x06]); // start group 99, field 1 = 1, end group 99
    const onnx = Buffer.concat([encode([V(99, 1), V(7, 5)]), group, encode([V(1, 8), graph, M(8, V(2, 13))])]);
    expect(classifyProtoHead(onnx, onnx.length, 'a')).toBe('onnx');
    const sm = Buffer.concat([group, encode([V(50, 1), V(1, 1), M(2, S(99, 'x'), M(1, S(4, 'serve')), M(2, M(1, S(1, 'a'), S(2, 'ReadFile'))))])]);
    expect(classifyProtoHead(sm, sm.length, 'a')).toBe('savedmodel');
    // A known message field that does not parse makes the file no ONNX model at all.
    const broken = encode([V(1, 8), S(7, Buffer.from([0x0a, 0x50])), M(8, V(2, 13))]);
    expect(classifyProtoHead(broken, broken.length, 'a')).toBeNull();
  });
});

describe('ONNX benign models', () => {
  it('a real MLP made with onnx.helper is safe, with details', async () => {
    const r = await scanFixture('benign-mlp.onnx');
    expect(r.verdict).toBe('safe');
    expect(r.findings).toEqual([]);
    expect(r.details).toMatchObject({ irVersion: 8, producer: 'steward-fixtures 1', opsets: [{ domain: '', version: 13 }], nodes: 4, initializers: 3, externalTensors: 0 });
  });

  it('external data with a normal relative location is safe and listed', async () => {
    const r = await scanFixture('benign-external.onnx');
    expect(r.verdict).toBe('safe');
    expect(r.details?.externalFiles).toEqual(['benign-external.onnx.data']);
    expect(r.details?.externalTensors).toBe(3);
    const ext = r.details?.externalData as { location: string; length?: string }[];
    expect(ext[0]).toMatchObject({ location: 'benign-external.onnx.data', length: '128' });
    const sub = await scanFixture('benign-external-subdir.onnx');
    expect(sub.verdict).toBe('safe');
    expect(sub.details?.externalFiles).toEqual(['weights/w1.bin', 'weights/b1.bin', 'weights/w2.bin']);
  });

  it('subgraphs and model-local functions (their domain is not a custom op library) are safe', async () => {
    const r = await scanFixture('benign-if.onnx');
    expect(r.verdict).toBe('safe');
    expect(r.details?.graphs).toBe(3);
    const f = await scanFixture('benign-function.onnx');
    expect(f.verdict).toBe('safe');
    expect(f.details).toMatchObject({ functions: 1, customDomains: ['steward.local'] });
  });

  it('scanning a directory with the model and its data file', async () => {
    const rep = await scanPaths(engine, [fx('benign-external.onnx'), fx('benign-external.onnx.data')]);
    expect(rep.files.map((f) => [f.format, f.verdict])).toEqual([
      ['onnx', 'safe'],
      ['data', 'safe'],
    ]);
  });
});

describe('ONNX external data traversal', () => {
  const cases: [string, string][] = [
    ['traversal-initializer.onnx', 'graph.initializer[0](w1)'],
    ['traversal-absolute.onnx', 'graph.initializer[1](b1)'],
    ['traversal-normalized.onnx', 'graph.initializer[2](w2)'],
    ['traversal-backslash.onnx', 'graph.initializer[0](w1)'],
    ['traversal-url.onnx', 'graph.initializer[0](w1)'],
    ['traversal-ortmem.onnx', 'graph.initializer[0](w1)'],
    ['traversal-sparse.onnx', 'graph.sparse_initializer[0].values(sp_values)'],
    ['traversal-attribute.onnx', 'graph.node[0].attribute[else_branch].g.node[0].attribute[value].t(e_val)'],
    ['traversal-subgraph.onnx', 'graph.node[0].attribute[then_branch].g.initializer[0](t_val)'],
    ['traversal-loop.onnx', 'graph.node[0].attribute[body].g.node[1].attribute[value].t(loop_val)'],
    ['traversal-function.onnx', 'functions[0].node[0].attribute[value].t(k_val)'],
  ];
  for (const [name, where] of cases) {
    it(`${name} is unsafe (onnx.external-data-traversal at ${where})`, async () => {
      const r = await scanFixture(name);
      expect(r.format).toBe('onnx');
      expect(r.verdict).toBe('unsafe');
      const f = r.findings.filter((x) => x.ruleId === 'onnx.external-data-traversal');
      expect(f).toHaveLength(1);
      expect(f[0]).toMatchObject({ verdict: 'unsafe', severity: 'critical', location: { path: where } });
      expect(rules(r).every((x) => x === 'onnx.external-data-traversal')).toBe(true);
    });
  }

  it('classifies locations', () => {
    for (const bad of ['/etc/passwd', '../x', 'a/../../x', 'a/../b', '..', 'a\\..\\b', 'C:/x', 'c:x', 'file:///etc/passwd', 'http://h/x', 'a\0b', '*/_ORT_MEM_ADDR_/*', '//server/share']) {
      expect(unsafeLocationReason(bad), bad).not.toBeNull();
    }
    for (const ok of ['model.onnx.data', 'weights/w1.bin', './w.bin', 'a..b', '..a/b', 'a/..b', 'weights.onnx_data', 'x:y']) {
      if (ok === 'x:y') continue; // a scheme-like prefix is refused on purpose
      expect(unsafeLocationReason(ok), ok).toBeNull();
    }
    expect(unsafeLocationReason('a/../../x')).toMatch(/climb out/);
  });

  it('a traversal location is flagged even when data_location is not EXTERNAL', async () => {
    const tensor = M(5, S(8, 'w'), M(13, S(1, 'location'), S(2, '../../x')), S(9, Buffer.alloc(8)));
    const buf = encode([V(1, 8), M(7, tensor), M(8, V(2, 13))]);
    const r = await scanBuffer(engine, buf, 'm.onnx');
    expect(r.verdict).toBe('unsafe');
    expect(r.findings[0]?.message).toMatch(/not EXTERNAL/);
  });

  it('EXTERNAL without a location, or a non-numeric offset, is malformed (unknown)', async () => {
    const noLoc = encode([V(1, 8), M(7, M(5, S(8, 'w'), V(14, 1))), M(8, V(2, 13))]);
    const r = await scanBuffer(engine, noLoc, 'm.onnx');
    expect(r.verdict).toBe('unknown');
    expect(rules(r)).toEqual(['onnx.malformed']);
    const badOff = encode([V(1, 8), M(7, M(5, S(8, 'w'), V(14, 1), M(13, S(1, 'location'), S(2, 'w.bin')), M(13, S(1, 'offset'), S(2, '-5')))), M(8, V(2, 13))]);
    const r2 = await scanBuffer(engine, badOff, 'm.onnx');
    expect(r2.verdict).toBe('unknown');
    expect(rules(r2)).toEqual(['onnx.malformed']);
  });

  it('training_info graphs and sparse attribute tensors are checked too', async () => {
    const badTensor = [S(8, 'w'), V(14, 1), M(13, S(1, 'location'), S(2, '/etc/hosts'))];
    const bad = M(5, ...badTensor);
    const training = encode([V(1, 8), M(7, M(1, S(4, 'Relu'))), M(8, V(2, 13)), M(20, M(1, bad))]);
    expect((await scanBuffer(engine, training, 'm.onnx')).findings[0]).toMatchObject({ ruleId: 'onnx.external-data-traversal', location: { path: 'training_info[0].initialization.initializer[0](w)' } });
    const sparseAttr = encode([V(1, 8), M(7, M(1, S(4, 'Constant'), M(5, S(1, 'sparse_value'), M(22, M(1, ...badTensor))))), M(8, V(2, 13))]);
    const r = await scanBuffer(engine, sparseAttr, 'm.onnx');
    expect(r.findings[0]).toMatchObject({ ruleId: 'onnx.external-data-traversal', location: { path: 'graph.node[0].attribute[sparse_value].sparse_tensor.values(w)' } });
  });
});

describe('ONNX custom operator domains', () => {
  it('a node in a custom domain is unknown (onnx.custom-op-domain)', async () => {
    const r = await scanFixture('custom-domain.onnx');
    expect(r.verdict).toBe('unknown');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ ruleId: 'onnx.custom-op-domain', verdict: 'unknown', severity: 'medium', location: { path: 'graph.node[4] (custom)' } });
    expect(r.findings[0]?.message).toContain('com.evil.ops');
    expect(r.findings[0]?.message).toContain('Backdoor');
  });

  it('ONNX Runtime contrib domains are built in', async () => {
    const buf = encode([V(1, 8), M(7, M(1, S(4, 'FusedMatMul'), S(7, 'com.microsoft'))), M(8, V(2, 13)), M(8, S(1, 'com.microsoft'), V(2, 1))]);
    expect((await scanBuffer(engine, buf, 'm.onnx')).verdict).toBe('safe');
  });
});

/** A ByteSource over a buffer that counts the bytes handed out. */
class CountingSource implements ByteSource {
  bytes = 0;
  readonly size: number;
  constructor(private readonly buf: Buffer) {
    this.size = buf.length;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    const b = this.buf.subarray(offset, Math.min(this.size, offset + length));
    this.bytes += b.length;
    return b;
  }
  async *chunks(start = 0, end = this.size, chunkSize = 1 << 20): AsyncIterable<Buffer> {
    for (let p = start; p < end; p += chunkSize) yield await this.read(p, Math.min(chunkSize, end - p));
  }
}

describe('ONNX streaming', () => {
  it('skips inline tensor payloads: a 48 MiB model is scanned reading a few hundred KiB', async () => {
    const raw = Buffer.alloc(16 * 1024 * 1024, 1);
    const init = (name: string) => M(5, V(1, raw.length / 4), V(2, 1), S(8, name), S(9, raw));
    const buf = encode([V(1, 8), S(2, 'big'), M(7, M(1, S(4, 'Add'), S(1, 'a'), S(1, 'b'), S(2, 'c')), init('a'), init('b'), init('c')), M(8, V(2, 13))]);
    const src = new CountingSource(buf);
    const report: FileReport = { path: 'big.onnx', format: 'onnx', size: buf.length, sha256: null, verdict: 'safe', findings: [] };
    const ctx = { limits: {} as never, allowlist: { classify: () => ({ verdict: 'unknown' as const, reason: '' }) }, depth: 0, checkTime() {}, scanChild: () => Promise.reject(new Error('no')), tempDir: () => Promise.reject(new Error('no')) };
    await onnxHandler.scan(ctx, src, report);
    expect(report.findings).toEqual([]);
    expect(report.details).toMatchObject({ nodes: 1, initializers: 3 });
    expect(src.bytes).toBeLessThan(64 * 1024);
  });

  it('thousands of inline tensors cost a few hundred bytes each', async () => {
    const raw = Buffer.alloc(40_000, 2);
    const inits = Array.from({ length: 1500 }, (_, i) => M(5, V(1, raw.length / 4), V(2, 1), S(8, `t${i}`), S(9, raw)));
    const buf = encode([V(1, 8), M(7, M(1, S(4, 'Relu')), ...inits), M(8, V(2, 13))]);
    const src = new CountingSource(buf);
    const report: FileReport = { path: 'many.onnx', format: 'onnx', size: buf.length, sha256: null, verdict: 'safe', findings: [] };
    const ctx = { limits: {} as never, allowlist: { classify: () => ({ verdict: 'unknown' as const, reason: '' }) }, depth: 0, checkTime() {}, scanChild: () => Promise.reject(new Error('no')), tempDir: () => Promise.reject(new Error('no')) };
    await onnxHandler.scan(ctx, src, report);
    expect(report.details).toMatchObject({ initializers: 1500 });
    expect(src.bytes / 1500).toBeLessThan(2048);
    expect(buf.length).toBeGreaterThan(55_000_000);
  });
});

describe('protobuf reader', () => {
  it('decodes 64-bit varints as bigint when they are not safe integers', () => {
    expect(decodeVarint(Buffer.from([0xac, 0x02]), 0, 2, 0)).toEqual([300, 2]);
    const max = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(decodeVarint(max, 0, 10, 0)).toEqual([0xffff_ffff_ffff_ffffn, 10]);
    expect(() => decodeVarint(Buffer.alloc(11, 0xff), 0, 11, 0)).toThrow(ProtoError);
    expect(() => decodeVarint(Buffer.from([0x80]), 0, 1, 0)).toThrow(/truncated/);
  });

  it('rejects a length past the end, bad wire types and field 0', async () => {
    const walk = async (b: Buffer) => {
      const r = PbReader.open(b);
      while (await r.next());
    };
    await expect(walk(Buffer.from([0x0a, 0x05, 0x01]))).rejects.toThrow(/past the end/);
    await expect(walk(Buffer.from([0x0f]))).rejects.toThrow(/wire type/);
    await expect(walk(Buffer.from([0x00, 0x01]))).rejects.toThrow(/field number 0/);
    await expect(walk(Buffer.from([0x0d, 0x01]))).rejects.toThrow(/truncated fixed/);
    await expect(walk(Buffer.from([0x0c]))).rejects.toThrow(/end-group/);
    // A group is skipped whole.
    const r = PbReader.open(Buffer.from([0x0b, 0x10, 0x01, 0x0c, 0x18, 0x02]));
    expect((await r.next())?.num).toBe(1);
    expect((await r.next())?.varint).toBe(2);
  });

  it('limits nesting depth', async () => {
    // graph -> node -> attribute -> g -> graph ...: three message levels per nesting.
    let inner = encode([M(1, S(4, 'Relu'))]);
    for (let i = 0; i < 40; i++) inner = encode([S(1, encode([S(4, 'If'), S(5, encode([S(1, 'b'), S(6, inner)]))]))]);
    const buf = encode([V(1, 8), { n: 7, bytes: inner }, M(8, V(2, 13))]);
    const r = await scanBuffer(engine, buf, 'deep.onnx');
    expect(r.verdict).toBe('inconclusive');
    expect(rules(r)).toContain('onnx.limit');
  });
});
