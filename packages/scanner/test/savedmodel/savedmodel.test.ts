import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { onnxHandler } from '../../src/formats/onnx.js';
import { dataHandler, jsonHandler, textHandler } from '../../src/formats/plain.js';
import { kerasMetadataHandler, savedModelHandler } from '../../src/formats/savedmodel.js';
import { scanBuffer, type ScanEngine } from '../../src/scan.js';
import { encode, M, S, V } from '../onnx/pb-encode.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fx = (name: string) => path.join(here, 'fixtures', name);

export const engine: ScanEngine = {
  handlers: [onnxHandler, savedModelHandler, kerasMetadataHandler, jsonHandler, textHandler, dataHandler],
  allowlist: () => ({ classify: () => ({ verdict: 'unknown', reason: 'test' }) }),
};

const scanFixture = (name: string, as = 'saved_model.pb') => scanBuffer(engine, fs.readFileSync(fx(name)), as);
const ruleSet = (r: { findings: { ruleId: string }[] }) => [...new Set(r.findings.map((f) => f.ruleId))].sort();

describe('SavedModel', () => {
  it('benign TF1 (Saver) and TF2 (function library) SavedModels are safe, whatever their name', async () => {
    for (const name of ['benign-tf1.pb', 'benign-tf2.pb']) {
      for (const as of ['saved_model.pb', 'model.onnx', 'blob']) {
        const r = await scanFixture(name, as);
        expect(r.format, `${name} as ${as}`).toBe('tf-savedmodel');
        expect(r.findings, name).toEqual([]);
        expect(r.verdict).toBe('safe');
      }
    }
    const r = await scanFixture('benign-tf2.pb');
    expect(r.details).toMatchObject({ metaGraphs: 1, tags: [['serve']], tensorflowVersion: '2.15.0', functions: 3, sensitiveOps: { SaveV2: 1, RestoreV2: 1, MergeV2Checkpoints: 1 } });
  });

  const cases: [string, string, 'unsafe' | 'unknown', string][] = [
    ['readfile.pb', 'savedmodel.file-access', 'unsafe', 'meta_graphs[0].graph_def.node[12]'],
    ['writefile.pb', 'savedmodel.file-access', 'unsafe', 'meta_graphs[0].graph_def.library.function[3](__inference_backdoor_40).node_def[2]'],
    ['pyfunc.pb', 'savedmodel.py-func', 'unsafe', 'meta_graphs[0].graph_def.library.function[3](__inference_py_50).node_def[0]'],
    ['pyfunc-tf1.pb', 'savedmodel.py-func', 'unsafe', 'meta_graphs[0].graph_def.node[11]'],
    ['matchingfiles.pb', 'savedmodel.file-listing', 'unknown', 'meta_graphs[0].graph_def.node[12]'],
    ['hardcoded-save.pb', 'savedmodel.hardcoded-checkpoint-path', 'unsafe', 'meta_graphs[0].graph_def.node[13]'],
    ['printv2-file.pb', 'savedmodel.file-access', 'unsafe', 'meta_graphs[0].graph_def.node[11]'],
  ];
  for (const [name, rule, verdict, where] of cases) {
    it(`${name}: ${verdict} (${rule})`, async () => {
      const r = await scanFixture(name);
      expect(r.format).toBe('tf-savedmodel');
      expect(r.verdict).toBe(verdict);
      expect(ruleSet(r)).toEqual([rule]);
      expect(r.findings).toHaveLength(1);
      expect(r.findings[0]?.location?.path).toBe(where);
    });
  }

  it('names the op and the constant path', async () => {
    expect((await scanFixture('readfile.pb')).findings[0]?.message).toMatch(/op ReadFile \(node "leak"\) reads files/);
    expect((await scanFixture('hardcoded-save.pb')).findings[0]?.message).toContain('/tmp/../etc/cron.d/x');
  });

  it('a broken SavedModel keeps what was seen and is unknown (savedmodel.malformed)', async () => {
    // A truncated file is no protobuf at all (TensorFlow refuses it whole): not claimed. Damage inside
    // a message past the 4 KiB head is only seen at scan time: malformed.
    const good = fs.readFileSync(fx('readfile.pb'));
    expect((await scanBuffer(engine, good.subarray(0, good.length - 5), 'saved_model.pb')).format).not.toBe('tf-savedmodel');
    const big = encode([V(1, 1), M(2, M(1, S(4, 'serve'), S(6, 'x'.repeat(8000))), M(2, S(1, Buffer.from([0x0a, 0x7f]))))]);
    const r = await scanBuffer(engine, big, 'saved_model.pb');
    expect(r.format).toBe('tf-savedmodel');
    expect(r.verdict).toBe('unknown');
    expect(ruleSet(r)).toEqual(['savedmodel.malformed']);
    // A ReadFile node followed by a broken field in the same graph: the op is still reported.
    const sm = encode([V(1, 1), M(2, M(2, M(1, S(1, 'leak'), S(2, 'ReadFile'), S(3, 'p')), { n: 1, bytes: Buffer.from([0x0a, 0x7f]) }))]);
    const r2 = await scanBuffer(engine, sm, 'saved_model.pb');
    expect(ruleSet(r2)).toEqual(['savedmodel.file-access', 'savedmodel.malformed']);
    expect(r2.verdict).toBe('unsafe');
  });

  it('tf.keras metadata: keras_metadata.pb and the legacy object graph are analyzed as Keras configs', async () => {
    const benign = await scanFixture('keras_metadata-benign.pb', 'keras_metadata.pb');
    expect(benign).toMatchObject({ format: 'tf-savedmodel', verdict: 'safe', findings: [], details: { kind: 'keras-metadata', kerasObjects: 2 } });
    const bad = await scanFixture('keras_metadata-lambda.pb', 'whatever.bin');
    expect(bad.format).toBe('tf-savedmodel');
    expect(bad.verdict).toBe('unsafe');
    expect(ruleSet(bad)).toEqual(['keras.lambda-layer']);
    expect(bad.findings[0]?.location?.path).toBe('nodes[2](root.layer-1).metadata');
    const og = await scanFixture('object-graph-lambda.pb');
    expect(og.verdict).toBe('unsafe');
    expect(ruleSet(og)).toEqual(['keras.lambda-layer']);
    expect(og.findings[0]?.location?.path).toBe('meta_graphs[0].object_graph_def.nodes[1].user_object.metadata');
  });
});
