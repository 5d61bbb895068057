/**
 * The pickle-family handlers on real files written by torch, numpy, scikit-learn and joblib
 * (fixtures/generate.py), on their malicious counterparts, and on hand-made edge cases.
 */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parsePythonLiteral, npyDtype } from '../../src/formats/numpy-npy.js';
import { asm, callGlobal, u32 } from './asm.js';
import { fixture, fixtureNames, importPaths, ruleIds, scan } from './helpers.js';

const EXPECTED_FORMAT: Record<string, string> = {
  npy: 'numpy-npy',
  joblib: 'joblib',
  pt: 'pytorch-legacy',
  pkl: 'pickle',
  txt: 'pickle',
};

function formatOf(name: string): string {
  if (name.startsWith('joblib_compat')) return 'joblib';
  return EXPECTED_FORMAT[name.split('.').pop()!]!;
}

describe('benign real files', () => {
  it.each(fixtureNames('benign').filter((n) => !n.includes('_lzma')))('%s is safe', async (name) => {
    const r = await scan(fixture('benign', name), name);
    expect(r.format).toBe(formatOf(name));
    expect(r.findings).toEqual([]);
    expect(r.verdict).toBe('safe');
    expect(r.imports?.every((i) => i.verdict === 'safe')).not.toBe(false);
  });

  it('lzma-compressed joblib is inconclusive (never safe, never unsafe)', async () => {
    const r = await scan(fixture('benign', 'sklearn_logreg_lzma.joblib'), 'model.joblib');
    expect(r.format).toBe('joblib');
    expect(r.verdict).toBe('inconclusive');
    expect(ruleIds(r)).toEqual(['joblib.unsupported-compression']);
  });

  it('no benign fixture is ever unsafe, whatever its name', async () => {
    for (const name of fixtureNames('benign')) {
      const r = await scan(fixture('benign', name), 'renamed.bin');
      expect([name, r.verdict]).not.toEqual([name, 'unsafe']);
    }
  });

  it('a torch state dict lists the expected imports and persistent ids', async () => {
    const r = await scan(fixture('benign', 'torch_state_dict.data.pkl'), 'archive/data.pkl');
    expect(new Set(importPaths(r))).toEqual(new Set(['collections.OrderedDict', 'torch._utils._rebuild_tensor_v2', 'torch.FloatStorage', 'torch.LongStorage']));
    expect(r.details).toMatchObject({ protocol: 2, pickles: 1 });
    expect(r.details!.persistentIds).toBeGreaterThan(0);
  });

  it('sklearn models are safe by exact class name', async () => {
    const r = await scan(fixture('benign', 'sklearn_pipeline.joblib'), 'pipe.joblib');
    expect(importPaths(r)).toEqual(expect.arrayContaining(['sklearn.pipeline.Pipeline', 'sklearn.preprocessing._data.StandardScaler', 'sklearn.linear_model._logistic.LogisticRegression', 'joblib.numpy_pickle.NumpyArrayWrapper']));
    expect(r.verdict).toBe('safe');
  });
});

describe('malicious real files', () => {
  it.each(fixtureNames('malicious'))('%s is unsafe', async (name) => {
    const r = await scan(fixture('malicious', name), name);
    expect(r.format).toBe(formatOf(name));
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toContain('pickle.unsafe-import');
    expect(r.imports!.some((i) => i.verdict === 'unsafe' && ['posix.system', 'builtins.eval'].includes(`${i.module}.${i.name}`))).toBe(true);
  });

  it('the legacy torch payload is in the 4th pickle (the object pickle)', async () => {
    const r = await scan(fixture('malicious', 'torch_legacy_payload.pt'), 'model.pt');
    expect(r.imports!.find((i) => i.verdict === 'unsafe')!.pickleIndex).toBe(3);
  });

  it('a malicious pickle is found under any name (.bin, .npy, .model)', async () => {
    for (const name of ['pytorch_model.bin', 'weights.npy', 'x.model', 'README']) {
      const r = await scan(fixture('malicious', 'reduce_system_p4.pkl'), name);
      expect(r.verdict).toBe('unsafe');
    }
  });
});

describe('content detection', () => {
  it.each([
    ['a markdown README', '# Title\n\nIn this model card we describe...\n', 'text'],
    ['prose', 'In this repository you will find the weights.\n', 'text'],
    ['a parenthesis', '(see below) for details\n', 'text'],
    ['a requirements file starting with c', 'click\nrequests\nnumpy\n', 'text'],
    ['a requirements file starting with i', 'idna\nnumpy\n', 'text'],
    ['python source', 'import os\nimport sys\n\ndef main():\n    pass\n', 'python-source'],
    ['a JSON object', '{"a": 1}', 'json'],
    ['a JSON array', '[1, 2, 3]', 'json'],
    ['a version string', 'Version 2\nThis is the second release of the tokenizer files.\n', 'text'],
    ['a CSV', '1,2,3\n4,5,6\n', 'text'],
  ])('%s is not a pickle', async (_n, text, format) => {
    const r = await scan(Buffer.from(text), 'notes.txt');
    expect(r.format).toBe(format);
  });

  it('text that starts like a pickle ("N.B.") is claimed but only as unaccounted trailing data', async () => {
    const r = await scan(Buffer.from('N.B. this file is documentation\n'), 'NOTE');
    expect(r.format).toBe('pickle');
    expect(r.verdict).toBe('unknown');
    expect(ruleIds(r)).toEqual(['pickle.trailing-data']);
  });

  it('a protocol 1 pickle starting with a long string then a payload past the head is claimed', async () => {
    const p = Buffer.concat([asm().binstring('x'.repeat(10_000)).pop().bytes(), Buffer.from("cos\nsystem\n(S'id'\ntR.", 'latin1')]);
    const r = await scan(p, 'data.txt');
    expect(r.format).toBe('pickle');
    expect(r.verdict).toBe('unsafe');
  });
});

describe('torch legacy', () => {
  it('details describe the storages', async () => {
    const r = await scan(fixture('benign', 'torch_legacy_state_dict.pt'), 'model.pt');
    expect(r.format).toBe('pytorch-legacy');
    expect(r.details).toMatchObject({ pickles: 5, protocolVersion: 1001 });
    expect(r.details!.storages).toBeGreaterThan(0);
  });

  it('raw storage bytes that look like a pickle are data, not pickles', async () => {
    const buf = Buffer.from(fixture('benign', 'torch_legacy_state_dict.pt'));
    // Overwrite the first storage's bytes (after its 8-byte numel) with pickle text.
    const r0 = await scan(buf, 'model.pt');
    const dataBytes = r0.details!.storageBytes as number;
    const storageStart = buf.length - dataBytes - 8 * (r0.details!.storages as number);
    const payload = Buffer.from("cos\nsystem\n(S'id'\ntR.", 'latin1');
    const firstNumel = Number(buf.readBigInt64LE(storageStart));
    expect(firstNumel).toBeGreaterThan(0);
    payload.copy(buf, storageStart + 8, 0, Math.min(payload.length, firstNumel));
    const r = await scan(buf, 'model.pt');
    expect(r.verdict).toBe('safe');
  });

  it('a pickle appended after the storages is scanned', async () => {
    const buf = Buffer.concat([fixture('benign', 'torch_legacy_state_dict.pt'), callGlobal('os', 'system')]);
    const r = await scan(buf, 'model.pt');
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.unsafe-import', 'torch-legacy.trailing-data']);
    expect(r.imports!.find((i) => i.module === 'os')!.pickleIndex).toBe(5);
  });

  it('garbage appended after the storages is unaccounted data', async () => {
    const buf = Buffer.concat([fixture('benign', 'torch_legacy_state_dict.pt'), Buffer.from([0, 1, 2, 3])]);
    const r = await scan(buf, 'model.pt');
    expect(r.verdict).toBe('unknown');
    expect(ruleIds(r)).toEqual(['pickle.trailing-data']);
  });

  it('a file cut inside the storages cannot be located', async () => {
    const full = fixture('benign', 'torch_legacy_state_dict.pt');
    const r = await scan(full.subarray(0, full.length - 3), 'model.pt');
    expect(r.verdict).toBe('unknown');
    expect(ruleIds(r)).toEqual(['torch-legacy.unresolved-storage']);
  });

  it('a file cut inside the pickles is malformed', async () => {
    const full = fixture('benign', 'torch_legacy_state_dict.pt');
    const r = await scan(full.subarray(0, 300), 'model.pt');
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.malformed']);
  });
});

describe('numpy .npy', () => {
  it('parses header literals without evaluating them', () => {
    expect(parsePythonLiteral("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }")).toEqual(new Map<unknown, unknown>([['descr', '<f8'], ['fortran_order', false], ['shape', expect.anything()]]));
    expect(() => parsePythonLiteral("{'descr': __import__('os').system('id')}")).toThrow();
    expect(() => parsePythonLiteral('(' .repeat(100) + ')'.repeat(100))).toThrow(/deep/);
  });

  it('sizes dtypes', () => {
    expect(npyDtype('<f8')).toEqual({ itemsize: 8, hasObject: false });
    expect(npyDtype('<U10')).toEqual({ itemsize: 40, hasObject: false });
    expect(npyDtype('|O')).toEqual({ itemsize: 8, hasObject: true });
    expect(npyDtype(parsePythonLiteral("[('a', '<f4'), ('b', '|O'), ('c', '<i2', (2, 3))]"))).toEqual({ itemsize: 4 + 8 + 12, hasObject: true });
  });

  function npy(header: string, data: Buffer, version = 1): Buffer {
    const pad = 64 - ((10 + header.length + 1) % 64);
    const h = Buffer.from(header + ' '.repeat(pad % 64) + '\n', 'latin1');
    const pre = version === 1 ? Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]) : Buffer.concat([Buffer.from('\x93NUMPY\x02\x00', 'latin1'), u32(h.length)]);
    return Buffer.concat([pre, h, data]);
  }

  it('a raw array whose size does not match its shape is unknown', async () => {
    const r = await scan(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", Buffer.alloc(24)), 'a.npy');
    expect(r.verdict).toBe('unknown');
    expect(ruleIds(r)).toEqual(['npy.size-mismatch']);
  });

  it('an object array is a pickle and is scanned', async () => {
    const r = await scan(npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", callGlobal('os', 'system'), 2), 'a.npy');
    expect(r.verdict).toBe('unsafe');
    expect(importPaths(r)).toEqual(['os.system']);
    expect(r.imports![0]!.offset).toBeGreaterThan(64);
  });

  it('a structured dtype with an object field is a pickle too', async () => {
    const r = await scan(npy("{'descr': [('a', '<f8'), ('b', '|O')], 'fortran_order': False, 'shape': (1,), }", callGlobal('builtins', 'exec')), 'a.npy');
    expect(r.verdict).toBe('unsafe');
  });

  it('a header that is not a literal is refused (unknown)', async () => {
    const r = await scan(npy("{'descr': __import__('os'), 'fortran_order': False, 'shape': (1,), }", Buffer.alloc(8)), 'a.npy');
    expect(r.verdict).toBe('unknown');
    expect(ruleIds(r)).toEqual(['npy.bad-header']);
  });
});

describe('joblib', () => {
  /** A joblib stream: NumpyArrayWrapper for a uint8 array of `data.length` items, then the raw data. */
  function wrapper(data: Buffer, aligned: boolean, after = asm().stop().bytes(), opts: { flags?: number; shapes?: number[] } = {}): Buffer {
    const a = asm().proto(2)
      .global('joblib.numpy_pickle', 'NumpyArrayWrapper').emptyTuple().newobj()
      .emptyDict().mark()
      .shortBinunicode('subclass').global('numpy', 'ndarray');
    for (const n of opts.shapes ?? [data.length]) a.shortBinunicode('shape').binint(n).tuple1();
    a.shortBinunicode('order').shortBinunicode('C')
      .shortBinunicode('dtype').global('numpy', 'dtype').shortBinunicode('u1').raw(0x89).newTrue().tuple3().reduce()
      .mark().binint1(3).shortBinunicode('|').none().none().none().binint(-1).binint(-1).binint1(opts.flags ?? 0).tuple().build()
      .shortBinunicode('allow_mmap').raw(0x89);
    if (aligned) a.shortBinunicode('numpy_array_alignment_bytes').binint1(16);
    a.setitems().build();
    const head = a.bytes();
    const pad = aligned ? Buffer.from([0]) : Buffer.alloc(0);
    return Buffer.concat([head, pad, data, after]);
  }

  it('array bytes after a NumpyArrayWrapper are skipped the way joblib.load reads them', async () => {
    const r = await scan(wrapper(Buffer.from([0x63, 0xff, 0x00, 0x52, 0x2e]), true), 'x.joblib');
    expect(r.format).toBe('joblib');
    expect(r.verdict).toBe('safe');
  });

  it('array bytes that plain pickle.load would run as opcodes (a polyglot) are unsafe', async () => {
    const hidden = Buffer.from("cos\nsystem\n(S'id'\ntR0", 'latin1');
    const r = await scan(wrapper(hidden, false), 'x.joblib');
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['joblib.polyglot-array-data', 'pickle.unsafe-import']);
    expect(importPaths(r)).toContain('os.system');
  });

  it('the plain pickle.load reading starts from the outer stack and memo (a polyglot that needs them)', async () => {
    // POP needs the wrapper that is on the outer stack; BINGET 0 needs the outer memo.
    const hidden = Buffer.from("0h\x000cos\nsystem\n(S'id'\ntR.", 'latin1');
    const p = wrapper(hidden, false).toString('latin1').replace('\x81', '\x81q\x00');
    const r = await scan(Buffer.from(p, 'latin1'), 'x.joblib');
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toContain('joblib.polyglot-array-data');
  });

  it('a repeated state key counts as Python counts it (the last one wins)', async () => {
    // joblib reads 1 byte (the last shape), then runs the rest as opcodes.
    const r = await scan(wrapper(Buffer.concat([Buffer.from([0x4e]), callGlobal('os', 'system').subarray(2)]), false, Buffer.alloc(0), { shapes: [40, 1] }), 'x.joblib');
    expect(r.verdict).toBe('unsafe');
    expect(importPaths(r)).toContain('os.system');
  });

  it('the dtype state flags decide hasobject, as in numpy (object data is a nested pickle)', async () => {
    // A uint8 dtype whose state says "has objects": joblib.load runs pickle.load on what follows.
    const nested = Buffer.concat([asm().proto(2).mark().bytes(), Buffer.alloc(12_000, 'N'), asm().popMark().bytes(), callGlobal('os', 'system').subarray(2)]);
    const r = await scan(wrapper(nested, false, asm().stop().bytes(), { flags: 1, shapes: [1] }), 'x.joblib');
    expect(r.verdict).toBe('unsafe');
    expect(importPaths(r)).toContain('os.system');
    expect(ruleIds(r)).not.toContain('joblib.polyglot-array-data');
  });

  it('an array wrapper whose dtype cannot be sized stops the analysis as unknown', async () => {
    const bad = wrapper(Buffer.alloc(4), false).toString('latin1').replace('u1', 'zz');
    const r = await scan(Buffer.from(bad, 'latin1'), 'x.joblib');
    expect(r.verdict).toBe('unknown');
    expect(ruleIds(r)).toEqual(['joblib.unresolved-array']);
  });

  it('zlib and gzip compressed payloads are decompressed and scanned', async () => {
    const inner = callGlobal('os', 'system', 'id', 4);
    for (const packed of [zlib.deflateSync(inner), zlib.gzipSync(inner)]) {
      const r = await scan(packed, 'model.pkl');
      expect(r.format).toBe('joblib');
      expect(r.verdict).toBe('unsafe');
      expect(r.details).toMatchObject({ offsets: 'in the decompressed stream' });
    }
  });

  it('a truncated compressed stream keeps what decompressed', async () => {
    const inner = Buffer.concat([callGlobal('os', 'system', 'id', 4), Buffer.alloc(100_000)]);
    const packed = zlib.deflateSync(inner);
    const r = await scan(packed.subarray(0, packed.length - 20), 'model.joblib');
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toContain('joblib.corrupt-compression');
    expect(importPaths(r)).toContain('os.system');
  });

  it('a decompression bomb is inconclusive', async () => {
    const p = Buffer.concat([asm().proto(4).raw(0x8e).raw(Buffer.from([0, 0, 0, 0x05, 0, 0, 0, 0])).bytes(), Buffer.alloc(0x05000000), Buffer.from('.')]);
    const r = await scan(zlib.deflateSync(p, { level: 1 }), 'bomb.joblib');
    expect(r.verdict).toBe('inconclusive');
    expect(ruleIds(r)).toEqual(['limit.maxCompressionRatio']);
  }, 60_000);

  it.each([
    ['bz2', Buffer.from('BZh91AY&SY\x00\x00\x00\x00', 'latin1')],
    ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0])],
    ['lz4', Buffer.from([0x04, 0x22, 0x4d, 0x18, 0, 0])],
  ])('%s content is inconclusive', async (_n, head) => {
    const r = await scan(Buffer.concat([head, Buffer.alloc(32)]), 'model.joblib');
    expect(r.verdict).toBe('inconclusive');
    expect(ruleIds(r)).toEqual(['joblib.unsupported-compression']);
  });
});
