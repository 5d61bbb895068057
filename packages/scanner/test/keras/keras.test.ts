import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hdf5Handler } from '../../src/formats/hdf5.js';
import { analyzeKerasConfig, decodeJsonBytes, kerasConfigHandler, parsePyJson, type JsonValue } from '../../src/formats/keras.js';
import { dataHandler, jsonHandler, textHandler } from '../../src/formats/plain.js';
import { scanBuffer, type ScanEngine } from '../../src/scan.js';
import { findSuperblock } from '../../src/hdf5/reader.js';
import { BufferSource } from '../../src/source.js';
import { DEFAULT_LIMITS, type FileReport } from '../../src/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fx = (name: string) => path.join(here, 'fixtures', name);

export const engine: ScanEngine = {
  handlers: [hdf5Handler, kerasConfigHandler, jsonHandler, textHandler, dataHandler],
  allowlist: () => ({ classify: () => ({ verdict: 'unknown', reason: 'test' }) }),
};

const scanFixture = (name: string) => scanBuffer(engine, fs.readFileSync(fx(name)), name);
const ruleSet = (r: { findings: { ruleId: string }[] }) => [...new Set(r.findings.map((f) => f.ruleId))].sort();

describe('Keras config.json', () => {
  it('benign Sequential / Functional (nested model, Bidirectional wrapper) / UTF-16 configs are safe', async () => {
    for (const name of ['benign-sequential.config.json', 'benign-functional.config.json', 'benign-utf16.config.json']) {
      const r = await scanFixture(name);
      expect(r.format, name).toBe('json');
      expect(r.findings, name).toEqual([]);
      expect(r.verdict, name).toBe('safe');
      expect(r.details?.kind).toBe('keras-config');
    }
    const f = await scanFixture('benign-functional.config.json');
    expect(f.details).toMatchObject({ modelClass: 'Functional', classes: { Dense: 2, LSTM: 1, Bidirectional: 1, Sequential: 1 } });
    expect((await scanFixture('benign-utf16.config.json')).details?.encoding).toBe('utf-16le');
  });

  const cases: [string, string, 'unsafe' | 'unknown', string, string?][] = [
    ['lambda-nested.config.json', 'keras.lambda-layer', 'unsafe', 'config.layers[1].config.layers[1].config.layer', 'critical'],
    ['lambda-utf16.config.json', 'keras.lambda-layer', 'unsafe', 'config.layers[1]'],
    ['lambda-padded.config.json', 'keras.lambda-layer', 'unsafe', 'config.layers[1]'],
    ['lambda-activation.config.json', 'keras.lambda-function', 'unsafe', 'config.layers[1].config.activation', 'critical'],
    ['foreign-builtins.config.json', 'keras.foreign-module', 'unsafe', 'config.layers[1].config.activation', 'critical'],
    ['foreign-os-class.config.json', 'keras.foreign-module', 'unsafe', 'config.layers[1]'],
    ['foreign-custom.config.json', 'keras.foreign-module', 'unknown', 'config.layers[1]', 'medium'],
    ['tfsm-layer.config.json', 'keras.tfsm-layer', 'unsafe', 'config.layers[1]', 'high'],
    ['torch-wrapper.config.json', 'keras.torch-module-wrapper', 'unsafe', 'config.layers[1]', 'critical'],
    ['unsafe-flag.config.json', 'keras.unsafe-flag', 'unsafe', 'config.layers[1].config.activation', 'high'],
  ];
  for (const [name, rule, verdict, where, severity] of cases) {
    it(`${name}: ${verdict} (${rule})`, async () => {
      const r = await scanFixture(name);
      expect(r.format).toBe('json');
      expect(r.verdict).toBe(verdict);
      expect(ruleSet(r)).toEqual([rule]);
      const f = r.findings[0]!;
      expect(f).toMatchObject({ ruleId: rule, verdict, location: { path: where } });
      if (severity) expect(f.severity).toBe(severity);
    });
  }

  it('a custom layer allowed by policy (--allow my_package.layers.FancyDense) is safe; dangerous modules stay unsafe', async () => {
    const allowing: ScanEngine = { ...engine, allowlist: () => ({ classify: (m, n) => (`${m}.${n}` === 'my_package.layers.FancyDense' || m === 'builtins' ? { verdict: 'safe', reason: 'policy' } : { verdict: 'unknown', reason: 'no' }) }) };
    const r = await scanBuffer(allowing, fs.readFileSync(fx('foreign-custom.config.json')), 'config.json');
    expect(r).toMatchObject({ verdict: 'safe', findings: [] });
    const b = await scanBuffer(allowing, fs.readFileSync(fx('foreign-builtins.config.json')), 'config.json');
    expect(b.verdict).toBe('unsafe');
  });

  it('get-file.config.json: keras.utils.get_file is unsafe (keras.remote-reference), the URL is noted', async () => {
    const r = await scanFixture('get-file.config.json');
    expect(r.verdict).toBe('unsafe');
    expect(ruleSet(r)).toEqual(['keras.remote-reference']);
    expect(r.findings.find((f) => f.verdict === 'unsafe')?.location?.path).toBe('config.layers[1].config.activation');
  });

  it('the Lambda message says what it runs', async () => {
    const r = await scanFixture('lambda-nested.config.json');
    expect(r.findings[0]?.message).toMatch(/Lambda layer "hidden_lambda" runs marshalled Python bytecode/);
  });

  it('non-Keras JSON objects are plain data; arrays and binary are not claimed', async () => {
    const tok = await scanBuffer(engine, Buffer.from(JSON.stringify({ version: '1.0', model: { type: 'BPE', vocab: { a: 1 } } })), 'tokenizer.json');
    expect(tok).toMatchObject({ format: 'json', verdict: 'safe', findings: [] });
    expect(kerasConfigHandler.detect(Buffer.from('[1, 2]'), 6, 'x')).toBe(false);
    expect(kerasConfigHandler.detect(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x00]), 5, 'x')).toBe(false);
    expect(kerasConfigHandler.detect(Buffer.from('{"a": 1}'), 8, 'x')).toBe(true);
    expect(kerasConfigHandler.detect(Buffer.from('\ufeff  {\n"a": 1}'), 8, 'x')).toBe(true);
  });

  it('malformed JSON that mentions class_name is unknown (keras.malformed); other broken JSON is left alone', async () => {
    const r = await scanBuffer(engine, Buffer.from('{"class_name": "Sequential", "config": {'), 'config.json');
    expect(r.verdict).toBe('unknown');
    expect(ruleSet(r)).toEqual(['keras.malformed']);
    const o = await scanBuffer(engine, Buffer.from('{"a": '), 'x.json');
    expect(o.verdict).toBe('safe');
  });

  it('class_name written with \\u escapes is still a Keras config', async () => {
    const text = JSON.stringify({ module: 'keras', class_name: 'Sequential', config: { layers: [{ module: 'keras.layers', class_name: 'Lambda', config: {} }] } }).replace(/class_name/g, 'class\\u005Fname');
    expect(text).not.toContain('class_name');
    const r = await scanBuffer(engine, Buffer.from(text), 'config.json');
    expect(r.verdict).toBe('unsafe');
    expect(ruleSet(r)).toEqual(['keras.lambda-layer']);
    const big = Buffer.from(JSON.stringify({ pad: 'x'.repeat(5000), k: 'Lambda' }).replace('"k"', '"cl\\u0061ss_name"'));
    expect((await scanBuffer(engine, big, 'config.json', { limits: { maxTextBytes: 1000 } })).verdict).toBe('inconclusive');
  });

  it('whitespace padding longer than the head does not hide a config', async () => {
    const cfg = fs.readFileSync(fx('lambda-nested.config.json'));
    const padded = Buffer.concat([Buffer.alloc(10_000, 0x20), cfg]);
    const r = await scanBuffer(engine, padded, 'config.json');
    expect(r.verdict).toBe('unsafe');
    expect(ruleSet(r)).toEqual(['keras.lambda-layer']);
    // A file of whitespace only is not JSON: nothing to report.
    expect((await scanBuffer(engine, Buffer.alloc(10_000, 0x20), 'blank.json')).verdict).toBe('safe');
  });

  it('a JSON document over maxTextBytes is inconclusive only when it mentions class_name', async () => {
    const big = Buffer.from(JSON.stringify({ pad: 'x'.repeat(5000), class_name: 'Lambda' }));
    const r = await scanBuffer(engine, big, 'config.json', { limits: { maxTextBytes: 1000 } });
    expect(r.verdict).toBe('inconclusive');
    expect(ruleSet(r)).toEqual(['limit.maxTextBytes']);
    const plain = Buffer.from(JSON.stringify({ pad: 'x'.repeat(5000) }));
    expect((await scanBuffer(engine, plain, 'x.json', { limits: { maxTextBytes: 1000 } })).verdict).toBe('safe');
  });
});

describe('Keras config analysis rules', () => {
  const an = (v: unknown) => analyzeKerasConfig(v as JsonValue);
  const fn = (module: string | null, name: string) => ({ module, class_name: 'function', config: name, registered_name: 'function' });
  const seq = (...layers: unknown[]) => ({ module: 'keras', class_name: 'Sequential', config: { name: 's', layers } });
  const dense = (activation: unknown) => ({ module: 'keras.layers', class_name: 'Dense', config: { units: 1, activation } });

  it('function references: Keras math modules are fine, other Keras functions unknown, gadgets unsafe', () => {
    expect(an(seq(dense(fn('keras.activations', 'relu')))).findings).toEqual([]);
    expect(an(seq(dense(fn('keras.src.ops.nn', 'gelu')))).findings).toEqual([]);
    expect(an(seq(dense(fn('keras.utils', 'normalize')))).findings.map((f) => [f.ruleId, f.verdict])).toEqual([['keras.function-reference', 'unknown']]);
    expect(an(seq(dense(fn('keras.models', 'load_model')))).findings.map((f) => [f.ruleId, f.verdict])).toEqual([['keras.dangerous-function', 'unsafe']]);
    expect(an(seq(dense(fn(null, 'my_act')))).findings.map((f) => [f.ruleId, f.verdict])).toEqual([['keras.function-reference', 'unknown']]);
    expect(an(seq(dense(fn('numpy', 'tanh')))).findings.map((f) => [f.ruleId, f.verdict])).toEqual([['keras.foreign-module', 'unknown']]);
    expect(an(seq(dense(fn('os.path', 'join')))).findings.map((f) => [f.ruleId, f.verdict])).toEqual([['keras.foreign-module', 'unsafe']]);
  });

  it('module prefixes are matched by component, not by string prefix', () => {
    expect(an(seq({ module: 'kerasevil.layers', class_name: 'Dense', config: {} })).findings.map((f) => f.verdict)).toEqual(['unknown']);
    expect(an(seq({ module: 'keras_hub.src.models', class_name: 'GemmaBackbone', config: {}, registered_name: 'keras_hub>GemmaBackbone' })).findings).toEqual([]);
    expect(an(seq({ module: 'subprocess.x', class_name: 'Popen', config: {} })).findings.map((f) => f.verdict)).toEqual(['unsafe']);
  });

  it('registered_name packages, dotted class names, __main__ custom layers', () => {
    expect(an(seq({ module: 'keras.layers', class_name: 'Dense', config: {}, registered_name: 'evilpkg>Dense' })).findings.map((f) => [f.ruleId, f.verdict])).toEqual([['keras.foreign-module', 'unknown']]);
    expect(an(seq({ class_name: 'os.system', config: {} })).findings.map((f) => [f.ruleId, f.verdict])).toEqual([['keras.foreign-module', 'unsafe']]);
    expect(an(seq({ module: '__main__', class_name: 'MyLayer', config: {}, registered_name: 'Custom>MyLayer' })).findings.map((f) => [f.ruleId, f.verdict])).toEqual([['keras.foreign-module', 'unknown']]);
  });

  it('legacy Lambda (function_type lambda), Lambda calling a function, safe_mode false in arguments (CVE-2025-9906)', () => {
    const legacy = { class_name: 'Lambda', config: { function: ['4wEAAAAA', null, null], function_type: 'lambda', module: '__main__' } };
    expect(an(seq(legacy)).findings.map((f) => f.ruleId)).toEqual(['keras.lambda-layer']);
    const chain = { module: 'keras.layers', class_name: 'Lambda', config: { function: fn('keras.models', 'load_model'), arguments: { safe_mode: false } } };
    const r = an(seq(chain));
    expect(r.findings.map((f) => f.ruleId).sort()).toEqual(['keras.lambda-layer', 'keras.unsafe-flag']);
    expect(r.findings.find((f) => f.ruleId === 'keras.lambda-layer')?.message).toContain('keras.models.load_model');
    // function_type lambda outside a Lambda layer
    expect(an(seq(dense({ function_type: 'lambda', function: 'abc' }))).findings.map((f) => f.ruleId)).toEqual(['keras.lambda-function']);
  });

  it('URLs are unknown remote references', () => {
    const r = an(seq({ module: 'keras.layers', class_name: 'Dense', config: { kernel_initializer: 'hf://evil/init' } }));
    expect(r.findings.map((f) => [f.ruleId, f.verdict])).toEqual([['keras.remote-reference', 'unknown']]);
  });

  it('walks very deep configs without recursion', () => {
    let v: JsonValue = { module: 'keras.layers', class_name: 'Lambda', config: {} };
    for (let i = 0; i < 200_000; i++) v = { class_name: 'TimeDistributed', config: { layer: v } };
    expect(an(v).findings.map((f) => f.ruleId)).toEqual(['keras.lambda-layer']);
  });
});

describe('JSON as Python reads it', () => {
  it('accepts NaN/Infinity, keeps the last duplicate key, treats __proto__ as data', () => {
    const v = parsePyJson('{"a": NaN, "b": -Infinity, "c": 1, "c": 2, "__proto__": {"x": 1}}') as Record<string, unknown>;
    expect(Number.isNaN(v.a)).toBe(true);
    expect(v.b).toBe(-Infinity);
    expect(v.c).toBe(2);
    expect(Object.keys(v)).toContain('__proto__');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(() => parsePyJson('{"a": 1} x')).toThrow(/extra data/);
    expect(() => parsePyJson('{"a": "\u0001"}')).toThrow(/control/);
    expect(parsePyJson(' [1, 2.5e3, "\\u00e9\\n", true, false, null, {}] ')).toEqual([1, 2500, 'é\n', true, false, null, {}]);
  });

  it('parses 1,000,000-deep nesting without a stack overflow', () => {
    const depth = 1_000_000;
    const v = parsePyJson('['.repeat(depth) + ']'.repeat(depth));
    expect(Array.isArray(v)).toBe(true);
  });

  it('decodes UTF-16 and UTF-32, with or without BOM, like json.detect_encoding', () => {
    const s = '{"class_name": "é"}';
    expect(decodeJsonBytes(Buffer.from('\ufeff' + s, 'utf16le'))).toBe(s);
    expect(decodeJsonBytes(Buffer.from(s, 'utf16le'))).toBe(s);
    const be = Buffer.from(s, 'utf16le').swap16();
    expect(decodeJsonBytes(be)).toBe(s);
    const u32 = Buffer.alloc(s.length * 4);
    [...s].forEach((ch, i) => u32.writeUInt32LE(ch.codePointAt(0)!, i * 4));
    expect(decodeJsonBytes(u32)).toBe(s);
    expect(decodeJsonBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(s)]))).toBe(s);
  });
});

describe('HDF5 / legacy Keras .h5', () => {
  it('a benign legacy model (fixed-length and vlen model_config) is keras-h5 and safe', async () => {
    for (const name of ['benign-model.h5', 'benign-vlen.h5']) {
      const r = await scanFixture(name);
      expect(r.format, name).toBe('keras-h5');
      expect(r.verdict, name).toBe('safe');
      expect(r.details).toMatchObject({ kerasVersion: '2.15.0', backend: 'tensorflow', keras: { modelClass: 'Sequential' } });
    }
  });

  it('plain HDF5 (weights only, Keras 3 model.weights.h5) is hdf5 and safe', async () => {
    for (const name of ['weights-only.h5', 'model.weights.h5']) {
      const r: FileReport = await scanFixture(name);
      expect(r).toMatchObject({ format: 'hdf5', verdict: 'safe', findings: [] });
    }
  });

  const lambdas: [string, string][] = [
    ['lambda.h5', 'attrs.model_config.config.layers[2]'],
    ['lambda-vlen.h5', 'attrs.model_config.config.layers[1]'],
    ['lambda-userblock.h5', 'attrs.model_config.config.layers[1]'],
    ['lambda-latest.h5', 'attrs.model_config.config.layers[1]'],
    ['lambda-dense-attrs.h5', 'attrs.model_config.config.layers[1]'],
  ];
  for (const [name, where] of lambdas) {
    it(`${name}: Lambda in model_config is unsafe (keras.lambda-layer, CVE-2025-9905)`, async () => {
      const r = await scanFixture(name);
      expect(r.format).toBe('keras-h5');
      expect(r.verdict).toBe('unsafe');
      expect(ruleSet(r)).toEqual(['keras.lambda-layer']);
      expect(r.findings[0]?.location?.path).toBe(where);
    });
  }

  it('records the layout: user block, superblock v3 and dense attributes', async () => {
    expect((await scanFixture('lambda-userblock.h5')).details).toMatchObject({ userBlockBytes: 512, superblockVersion: 0 });
    expect((await scanFixture('lambda-latest.h5')).details).toMatchObject({ superblockVersion: 3, objectHeaderVersion: 2 });
    expect((await scanFixture('lambda-dense-attrs.h5')).details).toMatchObject({ denseAttributes: true });
  });

  it('a superblock past the 4 KiB head is found at scan time (the head-only detection misses it)', async () => {
    const buf = fs.readFileSync(fx('lambda-userblock4k.h5'));
    expect(hdf5Handler.detect(buf.subarray(0, 4096), buf.length, 'model.h5')).toBe(false);
    const src = new BufferSource(buf);
    expect(await findSuperblock(src)).toBe(4096);
    const report: FileReport = { path: 'm.h5', format: 'hdf5', size: buf.length, sha256: null, verdict: 'safe', findings: [] };
    const ctx = { limits: DEFAULT_LIMITS, allowlist: { classify: () => ({ verdict: 'unknown' as const, reason: '' }) }, depth: 0, checkTime() {}, scanChild: () => Promise.reject(new Error('no')), tempDir: () => Promise.reject(new Error('no')) };
    await hdf5Handler.scan(ctx, src, report);
    expect(report.format).toBe('keras-h5');
    expect(ruleSet(report)).toEqual(['keras.lambda-layer']);
  });

  it('dense attributes that cannot all be enumerated are unknown (hdf5.unread-attributes)', async () => {
    const buf = Buffer.from(fs.readFileSync(fx('lambda-dense-attrs.h5')));
    const bt = buf.indexOf('BTHD');
    expect(bt).toBeGreaterThan(0);
    buf.writeUInt32LE(99, bt + 16 + 8 + 2); // total records in the attribute name index
    const r = await scanBuffer(engine, buf, 'x.h5');
    expect(ruleSet(r)).toEqual(['hdf5.unread-attributes', 'keras.lambda-layer']);
    expect(r.findings.find((f) => f.ruleId === 'hdf5.unread-attributes')).toMatchObject({ verdict: 'unknown', severity: 'medium' });
  });

  it('training_config is analyzed too (a loss imported from subprocess)', async () => {
    const r = await scanFixture('training-config-foreign.h5');
    expect(r.verdict).toBe('unsafe');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ ruleId: 'keras.foreign-module', verdict: 'unsafe', location: { path: 'attrs.training_config.loss' } });
  });

  it('malformed files give hdf5.malformed (unknown), never a crash', async () => {
    const good = fs.readFileSync(fx('lambda.h5'));
    const truncated = good.subarray(0, 200);
    const r = await scanBuffer(engine, truncated, 'x.h5');
    expect(r).toMatchObject({ format: 'hdf5', verdict: 'unknown' });
    expect(ruleSet(r)).toEqual(['hdf5.malformed']);
    // Root object header address pointing past the end of the file.
    const bad = Buffer.from(good);
    bad.writeUInt32LE(0x7fff_fff0, 0x40); // root symbol table entry: object header address (superblock v0)
    const r2 = await scanBuffer(engine, bad, 'x.h5');
    expect(ruleSet(r2)).toEqual(['hdf5.malformed']);
    expect(r2.findings[0]?.message).toMatch(/past the end|outside the file/);
  });
});
