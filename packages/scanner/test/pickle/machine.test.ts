/**
 * The pickle machine's semantics (stack, memo, marks, errors), its limits, and streaming.
 */
import { mkdtempSync, openSync, closeSync, writeSync, rmSync, ftruncateSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAllowlist } from '../../src/pickle/allowlist.js';
import { PickleMachine, dtypeInfo, probePickle } from '../../src/pickle/machine.js';
import { parseFloatText, parseIntText, rawUnicodeEscapeDecode, escapeDecode } from '../../src/pickle/opcodes.js';
import { PyGlobal, PyList, PyObj, PyTuple, type Val } from '../../src/pickle/values.js';
import { FileSource, type ByteSource } from '../../src/source.js';
import { DEFAULT_LIMITS } from '../../src/types.js';
import { asm, callGlobal, u64 } from './asm.js';
import { machine, ruleIds, scan } from './helpers.js';

describe('parse errors are malformed (fail-closed) with their offset', () => {
  it.each([
    ['an unknown opcode', asm().proto(2).none().raw(0xff).bytes(), 3, 'invalid opcode'],
    ['a truncated argument', asm().proto(2).raw('J', 1, 2).bytes(), 2, 'truncated'],
    ['a string longer than the file', asm().proto(2).raw('X', Buffer.from([0xff, 0xff, 0, 0]), 'ab').bytes(), 2, 'remain'],
    ['stack underflow', asm().proto(2).none().tuple2().bytes(), 3, 'underflow'],
    ['a missing memo entry', asm().proto(2).binget(5).stop().bytes(), 2, 'memo'],
    ['a missing MARK', asm().proto(2).none().appends().bytes(), 3, 'MARK'],
    ['an unsupported protocol', asm().proto(9).none().stop().bytes(), 0, 'protocol'],
    ['no STOP', asm().proto(2).none().bytes(), 3, 'truncated'],
    ['a negative BINSTRING length', asm().raw('T', Buffer.from([0xff, 0xff, 0xff, 0xff])).bytes(), 0, 'negative'],
    ['an unquoted STRING', asm().raw("Sabc\n.").bytes(), 0, 'quoted'],
    ['a bad INT', asm().raw('Ixyz\n.').bytes(), 0, 'INT'],
    ['APPEND to a tuple', asm().proto(2).emptyTuple().none().append().stop().bytes(), 4, 'does not support'],
  ])('%s', async (_n, p, offset, text) => {
    const r = await machine(p);
    expect(r.stoppedBy).toBe('error');
    const f = r.findings.find((x) => x.ruleId === 'pickle.malformed');
    expect(f).toBeDefined();
    expect(f!.verdict).toBe('unsafe');
    expect(f!.location?.offset).toBe(offset);
    expect(f!.message).toContain(text);
  });

  it('STOP with values left on the stack is malformed (no pickler writes that)', async () => {
    const r = await machine(asm().proto(2).none().none().stop().bytes());
    expect(ruleIds(r)).toEqual(['pickle.malformed']);
  });

  it('everything before the error is kept', async () => {
    const r = await machine(Buffer.concat([asm().proto(2).global('collections', 'OrderedDict').global('torch', 'Size').bytes(), Buffer.from([0xee])]));
    expect(r.imports.map((i) => `${i.module}.${i.name}`)).toEqual(['collections.OrderedDict', 'torch.Size']);
  });
});

describe('semantics', () => {
  it('POP removes a mark when the mark is on top (like _pickle.c)', async () => {
    const r = await machine(asm().proto(2).none().mark().pop().stop().bytes());
    expect(r.findings).toEqual([]);
    expect(r.pickles[0]!.value).toBe(null);
  });

  it('values: ints, longs, floats, strings, containers', async () => {
    const p = asm().mark()
      .int(7).int('00').int(' 0x10 ').long('123456789012345678901234567890').float('1_0.5').binint(-5).long1([0xff, 0x7f])
      .string('a\\x41\\n').unicodeRaw('\\u00e9\\\\u0041').shortBinunicode('é').tuple().stop().bytes();
    const r = await machine(p);
    expect(r.findings).toEqual([]);
    const t = r.pickles[0]!.value as PyTuple;
    expect(t.items).toEqual([7, false, 16, 123456789012345678901234567890n, 10.5, -5, 32767, 'aA\n', 'é\\\\u0041', 'é']);
  });

  it('persistent ids are counted, not imports', async () => {
    const r = await scan(asm().proto(2).mark().persid('storage0').shortBinunicode('k').binpersid().list().stop().bytes());
    expect(r.verdict).toBe('safe');
    expect(r.imports).toEqual([]);
    expect(r.details?.persistentIds).toBe(2);
  });

  it('containers keep a bounded number of items but the exact count', async () => {
    const a = asm().proto(2).emptyList().mark();
    for (let i = 0; i < 70_000; i++) a.binint1(1);
    const r = await machine(a.appends().stop().bytes());
    const l = r.pickles[0]!.value as PyList;
    expect(l.count).toBe(70_000);
    expect(l.items.length).toBeLessThanOrEqual(65_536);
  });

  it('imports are listed once per pickle, with the first offset', async () => {
    const r = await machine(asm().proto(2).global('torch', 'Size').pop().global('torch', 'Size').stop().bytes());
    expect(r.imports).toHaveLength(1);
    expect(r.imports[0]!.offset).toBe(2);
  });

  it('text argument parsers follow CPython', () => {
    expect(parseIntText('1_000')).toBe(1000);
    expect(parseIntText('010')).toBe(8); // C strtol octal
    expect(parseIntText('1__0')).toBe(null);
    expect(parseIntText('0x')).toBe(null);
    expect(parseFloatText('inf')).toBe(Infinity);
    expect(parseFloatText('1e5')).toBe(1e5);
    expect(parseFloatText('x')).toBe(null);
    expect(escapeDecode(Buffer.from('\\x4'))).toBe(null);
    expect(escapeDecode(Buffer.from('\\101\\q'))).toBe('A\\q');
    expect(rawUnicodeEscapeDecode(Buffer.from('\\u00'))).toBe(null);
    expect(rawUnicodeEscapeDecode(Buffer.from('\\\\u0041'))).toBe('\\\\u0041');
  });

  it('probe: detection sees the head only', () => {
    const p = callGlobal('os', 'system');
    expect(probePickle(p, p.length)).toMatchObject({ ok: true, complete: true, calls: 1 });
    // A head cut from a larger file: ends without error, incomplete.
    expect(probePickle(p.subarray(0, 8), 100)).toMatchObject({ ok: true, complete: false });
    expect(probePickle(Buffer.from('# Title\n'), 8)).toMatchObject({ ok: false, calls: 0 });
  });
});

describe('numpy dtype sizing (for joblib arrays) matches numpy', () => {
  function dt(code: string, state?: Val[]): PyObj {
    const o = new PyObj(new PyGlobal('numpy', 'dtype', 'safe', true), 'REDUCE', new PyTuple([code, false, true], 3));
    if (state) o.state = new PyTuple(state, state.length);
    return o;
  }
  // Each expectation was observed with numpy 1.24: np.dtype(code, False, True).__setstate__(state).
  it.each([
    ['f8', [3, '<', null, null, null, 16, 8, 0], { itemsize: 8, hasObject: false }],
    ['V8', [3, '|', null, null, null, 16, 1, 0], { itemsize: 16, hasObject: false }],
    ['U10', [3, '<', null, null, null, 8, 4, 8], { itemsize: 8, hasObject: false }],
    ['f8', [3, '<', null, null, null, -1, -1, 63], { itemsize: 8, hasObject: true }],
    ['O8', [3, '|', null, null, null, -1, -1, 0], { itemsize: 8, hasObject: false }],
    ['f8', [4, '<', null, null, null, 16, 8, 0, null], { itemsize: 8, hasObject: false }],
    ['U10', undefined, { itemsize: 40, hasObject: false }],
    ['O8', undefined, { itemsize: 8, hasObject: true }],
    ['f3', undefined, null],
    ['V8', [1, '|', null, null, null, 8, 1], null],
    ['f8', [3, '<', null, null, null, 'x', 8, 0], null],
  ] as [string, Val[] | undefined, unknown][])('%s with state %j', (code, state, expected) => {
    expect(dtypeInfo(dt(code, state))).toEqual(expected);
  });
});

describe('limits give inconclusive, never safe and never a crash', () => {
  function many(n: number): Buffer {
    const a = asm().proto(2).emptyList();
    for (let i = 0; i < n; i++) a.binint1(1).append();
    return a.stop().bytes();
  }

  it('maxPickleOpcodes', async () => {
    const r = await scan(many(200_000), 'x.pkl', { limits: { maxPickleOpcodes: 100_000 } });
    expect(r.verdict).toBe('inconclusive');
    expect(ruleIds(r)).toEqual(['limit.maxPickleOpcodes']);
  });

  it('a payload before the limit is still unsafe', async () => {
    const p = Buffer.concat([callGlobal('os', 'system').subarray(0, -1), many(200_000).subarray(2)]);
    const r = await scan(p, 'x.pkl', { limits: { maxPickleOpcodes: 100_000 } });
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['limit.maxPickleOpcodes', 'pickle.unsafe-import']);
  });

  it('maxPickleMemo', async () => {
    const a = asm().proto(4).none();
    for (let i = 0; i < 2000; i++) a.memoize();
    const r = await scan(a.stop().bytes(), 'x.pkl', { limits: { maxPickleMemo: 1000 } });
    expect(r.verdict).toBe('inconclusive');
    expect(ruleIds(r)).toEqual(['limit.maxPickleMemo']);
  });

  it('maxPickleStack', async () => {
    const r = await scan(Buffer.concat([Buffer.from([0x80, 2]), Buffer.alloc(5000, 'N'), Buffer.from('.')]), 'x.pkl', { limits: { maxPickleStack: 1000 } });
    expect(r.verdict).toBe('inconclusive');
    expect(ruleIds(r)).toEqual(['limit.maxPickleStack']);
  });

  it('the time budget', async () => {
    const r = await scan(many(300_000), 'x.pkl', { limits: { timeBudgetMs: 0 } });
    expect(r.verdict).toBe('inconclusive');
    expect(ruleIds(r)).toEqual(['limit.time']);
  });

  it('deep nesting (a million nested lists and marks) is iterative: no stack overflow', async () => {
    const n = 1_000_000;
    const lists = Buffer.concat([Buffer.from([0x80, 2]), Buffer.alloc(n, ']'), Buffer.alloc(n - 1, 'a'), Buffer.from('.')]);
    const r = await scan(lists, 'deep.pkl', { limits: { maxPickleStack: 2 * n } });
    expect(r.verdict).toBe('safe');
    const marks = Buffer.concat([Buffer.alloc(n / 2, '('), Buffer.from('N'), Buffer.alloc(n / 2, 't'), Buffer.from('.')]);
    const r2 = await scan(marks, 'deep.pkl', { limits: { maxPickleStack: 2 * n } });
    expect(r2.verdict).toBe('safe');
    expect(() => JSON.stringify(r2)).not.toThrow();
  });
});

describe('streaming', () => {
  /** Wraps a source and counts the bytes read. */
  function counting(src: ByteSource): ByteSource & { bytesRead: number } {
    const c = {
      size: src.size,
      bytesRead: 0,
      async read(offset: number, length: number) {
        const b = await src.read(offset, length);
        c.bytesRead += b.length;
        return b;
      },
      chunks: (s?: number, e?: number, n?: number) => src.chunks(s, e, n),
    };
    return c;
  }

  it('large payloads are skipped, not read, and the window is bounded', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pickle-stream-'));
    const file = path.join(dir, 'big.pkl');
    try {
      const size = 3 * 1024 ** 3; // sparse: 3 GiB of BINBYTES8 payload
      const head = asm().proto(4).raw(0x8e, u64(size)).bytes();
      const fd = openSync(file, 'w');
      writeSync(fd, head, 0, head.length, 0);
      ftruncateSync(fd, head.length + size);
      writeSync(fd, callGlobal('os', 'system', 'id', 4), 0, undefined, head.length + size);
      closeSync(fd);
      const src = await FileSource.open(file);
      try {
        const c = counting(src);
        const r = await new PickleMachine(c, { allowlist: createAllowlist(), limits: DEFAULT_LIMITS }).scanAll();
        // STOP is missing after the payload: the next bytes are the second pickle (os.system).
        expect(r.imports.map((i) => `${i.module}.${i.name}`)).toEqual(['os.system']);
        expect(c.bytesRead).toBeLessThan(4 * 1024 * 1024);
      } finally {
        await src.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a text argument longer than the window is read by the slow path', async () => {
    const long = 'x'.repeat(3 * 1024 * 1024);
    const r = await scan(Buffer.from(`(S'${long}'\nVabc\ncos\nsystem\nt.`, 'latin1'), 'x.pkl');
    expect(r.verdict).toBe('unsafe');
    const g = await scan(Buffer.from(`\x80\x02c${'m'.repeat(2 * 1024 * 1024)}\nname\n.`, 'latin1'), 'x.pkl');
    expect(g.verdict).toBe('unknown');
  });
});
