/**
 * One test per class of pickle attack in the reference (shared/reference/scanner.md), each asserting
 * the exact verdict and rule. Attack pickles are hand-assembled (asm.ts) where no pickler writes them.
 */
import { describe, expect, it } from 'vitest';
import { asm, callGlobal } from './asm.js';
import { importPaths, ruleIds, scan } from './helpers.js';

describe('imports', () => {
  it('GLOBAL os.system is unsafe (critical)', async () => {
    const r = await scan(callGlobal('os', 'system'));
    expect(r.format).toBe('pickle');
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.unsafe-import']);
    expect(r.findings[0]!.severity).toBe('critical');
    expect(r.imports).toEqual([expect.objectContaining({ module: 'os', name: 'system', verdict: 'unsafe', opcode: 'GLOBAL', offset: 2, pickleIndex: 0 })]);
    expect(r.details?.calls).toEqual({ 'os.system': 1 });
  });

  it('STACK_GLOBAL with module and name from the memo (BINGET after MEMOIZE)', async () => {
    const p = asm().proto(4)
      .shortBinunicode('os').memoize().pop()
      .shortBinunicode('system').memoize().pop()
      .binget(0).binget(1).stackGlobal()
      .shortBinunicode('id').tuple1().reduce().stop().bytes();
    const r = await scan(p);
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.unsafe-import']);
    expect(r.imports).toEqual([expect.objectContaining({ module: 'os', name: 'system', opcode: 'STACK_GLOBAL', verdict: 'unsafe' })]);
  });

  it('STACK_GLOBAL with memo entries made by PUT/GET text opcodes and LONG_BINPUT/LONG_BINGET', async () => {
    const p = asm().proto(4).string('subprocess').put(7).pop().binunicode('check_output').longBinput(70000).pop()
      .get(7).longBinget(70000).stackGlobal().stop().bytes();
    const r = await scan(p);
    expect(r.verdict).toBe('unsafe');
    expect(importPaths(r)).toEqual(['subprocess.check_output']);
  });

  it.each([
    ['SHORT_BINSTRING', asm().proto(4).shortBinstring('os').shortBinstring('system')],
    ['BINSTRING', asm().proto(4).binstring('os').binstring('system')],
    ['STRING', asm().proto(4).string('os').stringRaw('"sys\\x74em"')],
    ['UNICODE with \\u escapes', asm().proto(4).unicodeRaw('\\u006fs').unicodeRaw('system')],
    ['BINUNICODE8', asm().proto(4).binunicode8('os').binunicode8('system')],
  ])('STACK_GLOBAL with arguments from %s', async (_name, a) => {
    const r = await scan(a.stackGlobal().stop().bytes());
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.unsafe-import']);
    expect(importPaths(r)).toEqual(['os.system']);
  });

  it('STACK_GLOBAL with a non-constant module (the result of a call) is unresolved-global', async () => {
    // _codecs.encode("bf", "rot13") is "os" at run time: allowed callable, unknowable result.
    const p = asm().proto(4)
      .global('_codecs', 'encode').shortBinunicode('bf').shortBinunicode('rot13').tuple2().reduce()
      .shortBinunicode('system').stackGlobal()
      .shortBinunicode('id').tuple1().reduce().stop().bytes();
    const r = await scan(p);
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.unresolved-global']);
    expect(r.findings[0]!.severity).toBe('critical');
    expect(r.imports!.find((i) => i.opcode === 'STACK_GLOBAL')).toMatchObject({ verdict: 'unsafe', name: 'system' });
  });

  it('STACK_GLOBAL with a non-string argument is unresolved-global', async () => {
    const r = await scan(asm().proto(4).binint1(1).shortBinunicode('system').stackGlobal().stop().bytes());
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.unresolved-global']);
  });

  it.each([
    ['EXT1', asm().proto(2).ext1(1)],
    ['EXT2', asm().proto(2).ext2(300)],
    ['EXT4', asm().proto(2).ext4(70000)],
  ])('%s (copyreg extension registry) is unsafe ext-opcode', async (_n, a) => {
    const r = await scan(a.shortBinunicode('id').tuple1().reduce().stop().bytes());
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.ext-opcode']);
    expect(r.imports![0]).toMatchObject({ module: '<copyreg extension>', verdict: 'unsafe' });
  });

  it('INST imports and calls', async () => {
    const r = await scan(asm().mark().string('id').inst('os', 'system').stop().bytes(), 'model.bin');
    expect(r.format).toBe('pickle');
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.unsafe-import']);
    expect(r.imports![0]).toMatchObject({ module: 'os', name: 'system', opcode: 'INST' });
    expect(r.details?.calls).toEqual({ 'os.system': 1 });
  });

  it('OBJ calls the class after the mark', async () => {
    const r = await scan(asm().mark().global('subprocess', 'Popen').string('id').obj().stop().bytes());
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.unsafe-import']);
    expect(r.details?.calls).toEqual({ 'subprocess.Popen': 1 });
  });

  it('NEWOBJ_EX on a denied class', async () => {
    const p = asm().proto(4).shortBinunicode('subprocess').shortBinunicode('Popen').stackGlobal()
      .shortBinunicode('id').tuple1().emptyDict().newobjEx().stop().bytes();
    const r = await scan(p);
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.unsafe-import']);
    expect(r.details?.calls).toEqual({ 'subprocess.Popen': 1 });
  });

  it('NEWOBJ_EX on an unknown class is unknown', async () => {
    const p = asm().proto(4).shortBinunicode('mypkg.models').shortBinunicode('Net').stackGlobal()
      .emptyTuple().emptyDict().newobjEx().stop().bytes();
    const r = await scan(p);
    expect(r.verdict).toBe('unknown');
    expect(ruleIds(r)).toEqual(['pickle.unknown-import']);
    expect(r.findings[0]!.message).toContain('--allow mypkg.models.Net');
  });

  it('BUILD (__setstate__) on an instance of an unknown class is unknown and recorded', async () => {
    const p = asm().proto(2).global('mypkg.models', 'Net').emptyTuple().newobj()
      .emptyDict().shortBinunicode('w').binint1(1).setitem().build().stop().bytes();
    const r = await scan(p);
    expect(r.verdict).toBe('unknown');
    expect(ruleIds(r)).toEqual(['pickle.unknown-import']);
    expect(r.details?.calls).toMatchObject({ 'mypkg.models.Net': 1, 'mypkg.models.Net.__setstate__': 1 });
  });

  it('BUILD on a class object itself (not an instance) is an unresolved call', async () => {
    const r = await scan(asm().proto(2).global('collections', 'OrderedDict').emptyDict().build().stop().bytes());
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.unresolved-call']);
  });

  it('REDUCE on the result of a call is an unresolved call', async () => {
    // getattr-style chains: call something, then call what it returned.
    const p = asm().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce().emptyTuple().reduce().stop().bytes();
    const r = await scan(p);
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.unresolved-call']);
  });

  it('REDUCE on a persistent id is an unresolved call', async () => {
    const r = await scan(asm().proto(2).shortBinunicode('x').binpersid().emptyTuple().reduce().stop().bytes());
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.unresolved-call']);
  });

  it('SETITEM on an imported object (module-level state) is an unresolved call', async () => {
    const p = asm().proto(2).global('collections', 'OrderedDict').shortBinunicode('k').binint1(1).setitem().stop().bytes();
    const r = await scan(p);
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.unresolved-call']);
  });
});

describe('names', () => {
  it.each([
    ['protocol 0', asm().global('__builtin__', 'eval').mark().string('1+1').tuple().reduce().stop().bytes()],
    ['protocol 2', asm().proto(2).global('__builtin__', 'eval').shortBinunicode('1+1').tuple1().reduce().stop().bytes()],
  ])('Python 2 names map to Python 3 (__builtin__.eval is builtins.eval) in %s', async (_n, p) => {
    const r = await scan(p);
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.unsafe-import']);
    expect(importPaths(r)).toEqual(['builtins.eval']);
  });

  it('a Python 2 name of a denied callable is unsafe at protocol 4 too', async () => {
    const r = await scan(asm().proto(4).shortBinunicode('__builtin__').shortBinunicode('eval').stackGlobal().stop().bytes());
    expect(r.verdict).toBe('unsafe');
    expect(importPaths(r)).toEqual(['__builtin__.eval']);
  });

  it('Python 2 safe names map too (copy_reg._reconstructor, __builtin__.set)', async () => {
    const p = asm().proto(2).global('copy_reg', '_reconstructor').global('__builtin__', 'object').pop().pop()
      .global('__builtin__', 'set').emptyList().tuple1().reduce().stop().bytes();
    const r = await scan(p);
    expect(r.verdict).toBe('safe');
    expect(importPaths(r)).toEqual(['copyreg._reconstructor', 'builtins.object', 'builtins.set']);
  });

  it('cPickle.loads (a nested unpickler, Python 2 name) is denied', async () => {
    const r = await scan(callGlobal('cPickle', 'loads'));
    expect(r.verdict).toBe('unsafe');
    expect(importPaths(r)).toEqual(['pickle.loads']);
  });

  it('a dotted name walks attributes: pathlib + os.system is os.system', async () => {
    const p = asm().proto(4).shortBinunicode('pathlib').shortBinunicode('os.system').stackGlobal()
      .shortBinunicode('id').tuple1().reduce().stop().bytes();
    const r = await scan(p);
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.unsafe-import']);
    expect(r.imports![0]!.reason).toContain('dotted name');
  });

  it('a dotted name through an allowed module to builtins is denied (torch._utils + builtins.eval)', async () => {
    const r = await scan(asm().proto(4).shortBinunicode('torch._utils').shortBinunicode('builtins.eval').stackGlobal().stop().bytes());
    expect(r.verdict).toBe('unsafe');
  });

  it('a dunder attribute walk is unsafe (collections + OrderedDict.__init__.__globals__)', async () => {
    const r = await scan(asm().proto(4).shortBinunicode('collections').shortBinunicode('OrderedDict.__init__.__globals__').stackGlobal().stop().bytes());
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.unsafe-import']);
  });

  it('a module prefix is matched: asyncio.unix_events is under asyncio', async () => {
    const r = await scan(callGlobal('asyncio.unix_events', '_UnixSubprocessTransport'));
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.unsafe-import']);
  });

  it('sys.modules (module-level state) is denied', async () => {
    const r = await scan(asm().proto(2).global('sys', 'modules').stop().bytes());
    expect(r.verdict).toBe('unsafe');
  });

  // Every callable of the picklescan advisories named in the reference.
  it.each([
    ['pip', 'main'],
    ['pkgutil', 'resolve_name'],
    ['uuid', '_get_command_stdout'],
    ['imaplib', 'IMAP4_stream'],
    ['doctest', 'debug_script'],
    ['profile', 'run'],
    ['cProfile', 'run'],
    ['timeit', 'timeit'],
    ['trace', 'Trace'],
    ['pydoc', 'pipepager'],
    ['ensurepip', '_run_pip'],
    ['idlelib.pyshell', 'ModifiedInterpreter'],
    ['idlelib.autocomplete', 'AutoComplete'],
    ['lib2to3.pgen2.grammar', 'Grammar'],
    ['code', 'InteractiveInterpreter'],
    ['ctypes', 'CDLL'],
    ['_io', 'FileIO'],
    ['io', 'FileIO'],
    ['logging', 'FileHandler'],
    ['functools', 'partial'],
    ['types', 'CodeType'],
    ['types', 'FunctionType'],
    ['marshal', 'loads'],
    ['importlib', 'import_module'],
    ['inspect', 'getattr_static'],
    ['torch.utils.collect_env', 'run'],
    ['torch', 'load'],
    ['numpy', 'load'],
    ['operator', 'attrgetter'],
    ['operator', 'methodcaller'],
    ['operator', 'itemgetter'],
    ['builtins', 'getattr'],
    ['builtins', 'exec'],
    ['builtins', 'compile'],
    ['builtins', 'open'],
    ['builtins', '__import__'],
    ['posix', 'system'],
    ['nt', 'system'],
    ['pty', 'spawn'],
    ['socket', 'create_connection'],
    ['shutil', 'rmtree'],
    ['runpy', 'run_path'],
    ['webbrowser', 'open'],
    ['pdb', 'run'],
    ['asyncio.subprocess', 'create_subprocess_shell'],
  ])('%s.%s is unsafe', async (module, name) => {
    const r = await scan(callGlobal(module, name));
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.unsafe-import']);
    expect(r.imports![0]).toMatchObject({ module, name, verdict: 'unsafe' });
  });
});

describe('frames', () => {
  it('a BINBYTES straddling the frame end (hiding a GLOBAL) is a frame violation', async () => {
    const hidden = Buffer.from("cos\nsystem\n(S'id'\ntR.", 'latin1');
    const inFrame = asm().shortBinunicode('x').binbytesHeader(hidden.length + 5).raw('AAAAA').bytes();
    const p = asm().proto(4).framed(inFrame).raw(hidden).stop().bytes();
    const r = await scan(p);
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toContain('pickle.frame-violation');
    expect(r.findings.find((f) => f.ruleId === 'pickle.frame-violation')!.message).toContain('runs past the end of its frame');
  });

  it('an opcode argument straddling the frame end is a frame violation', async () => {
    // The frame ends inside SHORT_BINUNICODE's payload.
    const body = asm().raw(0x8c, 6, 'os').bytes();
    const p = asm().proto(4).framed(body).raw('.....').stop().bytes();
    const r = await scan(Buffer.concat([p]));
    expect(ruleIds(r)).toContain('pickle.frame-violation');
    expect(r.verdict).toBe('unsafe');
  });

  it('a FRAME inside a frame is a frame violation', async () => {
    const inner = asm().frame(2).raw('N.').bytes();
    const p = asm().proto(4).frame(inner.length + 1).raw(inner).raw('.').bytes();
    const r = await scan(p);
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toContain('pickle.frame-violation');
  });

  it('opcodes outside any frame once framing is in use are a frame violation', async () => {
    const p = asm().proto(4).framed(asm().emptyList().memoize().bytes()).global('collections', 'OrderedDict').pop().stop().bytes();
    const r = await scan(p);
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.frame-violation']);
  });

  it('STOP before the end of its frame (bytes the C and Python loaders treat differently)', async () => {
    const body = asm().none().stop().raw(callGlobal('os', 'system', 'id', 4).subarray(2)).bytes();
    const p = asm().proto(4).framed(body).bytes();
    const r = await scan(p);
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toContain('pickle.frame-violation');
  });

  it('a frame longer than the file is a frame violation (and truncation)', async () => {
    const p = asm().proto(4).frame(1000).none().stop().bytes();
    const r = await scan(p);
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toContain('pickle.frame-violation');
  });

  it('FRAME in a protocol 2 pickle is a frame violation', async () => {
    const r = await scan(asm().proto(2).framed(asm().none().stop().bytes()).bytes());
    expect(ruleIds(r)).toEqual(['pickle.frame-violation']);
  });

  it('well-formed frames, with large payloads and a tiny tail outside frames, are fine', async () => {
    const big = Buffer.alloc(70_000, 0x41);
    const p = asm().proto(4).framed(asm().emptyList().memoize().mark().binint1(1).bytes()).binbytes(big).framed(asm().memoize().appends().bytes()).raw('.').bytes();
    // tail "." (1 byte) outside a frame, as CPython writes frames of < 4 bytes without FRAME
    const r = await scan(p);
    expect(r.findings).toEqual([]);
    expect(r.verdict).toBe('safe');
  });
});

describe('stacked pickles and broken tails', () => {
  it('a payload in the 4th stacked pickle is found', async () => {
    const benign = asm().proto(2).emptyDict().stop().bytes();
    const r = await scan(Buffer.concat([benign, benign, benign, callGlobal('os', 'system')]));
    expect(r.verdict).toBe('unsafe');
    expect(r.imports).toEqual([expect.objectContaining({ module: 'os', name: 'system', pickleIndex: 3 })]);
    expect(r.details?.pickles).toBe(4);
  });

  it('a payload followed by a deliberately broken tail (nullifAI) is unsafe and keeps the import', async () => {
    const p = Buffer.concat([asm().proto(2).global('os', 'system').shortBinunicode('id').tuple1().reduce().bytes(), Buffer.from([0xff, 0x00, 0x13])]);
    const r = await scan(p);
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.malformed', 'pickle.unsafe-import']);
    expect(r.findings.find((f) => f.ruleId === 'pickle.malformed')!.location?.offset).toBe(p.length - 3);
  });

  it('a broken pickle with only safe imports is still unsafe (fail-closed)', async () => {
    const p = Buffer.concat([asm().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce().bytes(), Buffer.from('\x00garbage')]);
    const r = await scan(p);
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.malformed']);
  });

  it('a protocol 0 pickle named data.txt is a pickle', async () => {
    const r = await scan(Buffer.from("cos\nsystem\n(S'echo pwned'\ntR.", 'latin1'), 'archive/data.txt');
    expect(r.format).toBe('pickle');
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.unsafe-import']);
  });

  it('a protocol 0 payload followed by text is still claimed (the import runs before the break)', async () => {
    const r = await scan(Buffer.from("cposix\nsystem\n(S'id'\ntR\nThis is just a README.\n", 'latin1'), 'README.md');
    expect(r.format).toBe('pickle');
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toEqual(['pickle.malformed', 'pickle.unsafe-import']);
  });
});

describe('nested payloads', () => {
  it('torch.storage._load_from_bytes with a non-raw argument cannot be verified', async () => {
    const p = asm().proto(2).global('torch.storage', '_load_from_bytes').global('_codecs', 'encode').shortBinunicode('x').shortBinunicode('latin1').tuple2().reduce().tuple1().reduce().stop().bytes();
    const r = await scan(p);
    expect(r.verdict).toBe('unknown');
    expect(ruleIds(r)).toEqual(['pickle.nested-load-unverified']);
  });

  it('torch.storage._load_from_bytes payloads are scanned as children', async () => {
    const inner = callGlobal('os', 'system');
    const p = asm().proto(4).global('torch.storage', '_load_from_bytes').binbytes(inner).tuple1().reduce().stop().bytes();
    const r = await scan(p);
    expect(r.verdict).toBe('unsafe');
    expect(r.findings).toEqual([]);
    expect(r.children).toHaveLength(1);
    expect(r.children![0]).toMatchObject({ format: 'pickle', verdict: 'unsafe' });
  });
});
