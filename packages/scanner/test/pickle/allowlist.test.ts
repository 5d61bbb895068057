import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ALLOW_GROUPS, DENY_GROUPS, createAllowlist, denyMatch } from '../../src/pickle/allowlist.js';
import { renderAllowlistDoc } from '../../src/pickle/allowlist-doc.js';
import { mapPython2Name } from '../../src/pickle/compat.js';
import { callGlobal } from './asm.js';
import { scan } from './helpers.js';

const allow = createAllowlist();

describe('classification', () => {
  it.each([
    ['builtins', 'set', 'safe'],
    ['builtins', 'getattr', 'unsafe'],
    ['builtins', 'eval', 'unsafe'],
    ['builtins', 'print', 'unknown'],
    ['collections', 'OrderedDict', 'safe'],
    ['torch._utils', '_rebuild_tensor_v2', 'safe'],
    ['torch', 'FloatStorage', 'safe'],
    ['torch', 'load', 'unsafe'],
    ['torch.utils.collect_env', 'run', 'unsafe'],
    ['numpy.core.multiarray', '_reconstruct', 'safe'],
    ['numpy._core.multiarray', '_reconstruct', 'safe'],
    ['numpy', 'load', 'unsafe'],
    ['numpy.testing._private.utils', 'runstring', 'unsafe'],
    ['_codecs', 'encode', 'safe'],
    ['copyreg', '_reconstructor', 'safe'],
    ['copyreg', 'add_extension', 'unsafe'],
    ['sklearn.linear_model._logistic', 'LogisticRegression', 'safe'],
    ['sklearn.utils._testing', 'assert_run_python_script', 'unsafe'],
    ['sklearn.linear_model._logistic', 'some_function', 'unknown'],
    ['asyncio.unix_events', '_UnixSubprocessTransport', 'unsafe'],
    ['os.path', 'join', 'unsafe'],
    ['pathlib', 'PosixPath', 'safe'],
    ['pathlib', 'os.system', 'unsafe'],
    ['pathlib', 'os', 'unknown'],
    ['collections', 'OrderedDict.__init__', 'unsafe'],
    ['__main__', 'MyModel', 'unknown'],
    ['mypkg', 'Model', 'unknown'],
    ['', 'x', 'unknown'],
  ])('%s.%s is %s', (module, name, verdict) => {
    expect(allow.classify(module, name).verdict).toBe(verdict);
  });

  it('unsafe classifications carry a severity', () => {
    expect(allow.classify('os', 'system').severity).toBe('critical');
    expect(allow.classify('socket', 'socket').severity).toBe('high');
  });

  it('dotted names are matched by every suffix', () => {
    expect(denyMatch('torch._utils', 'a.builtins.eval')).toMatchObject({ entry: 'builtins.eval', path: 'builtins.eval' });
    expect(denyMatch('pathlib', 'Path')).toBeUndefined();
  });

  it('Python 2 names map like _compat_pickle', () => {
    expect(mapPython2Name('__builtin__', 'xrange')).toEqual(['builtins', 'range']);
    expect(mapPython2Name('copy_reg', '_reconstructor')).toEqual(['copyreg', '_reconstructor']);
    expect(mapPython2Name('exceptions', 'ValueError')).toEqual(['builtins', 'ValueError']);
    expect(mapPython2Name('UserDict', 'UserDict')).toEqual(['collections', 'UserDict']);
    expect(mapPython2Name('commands', 'getoutput')).toEqual(['subprocess', 'getoutput']);
    expect(mapPython2Name('toString', 'x')).toEqual(['toString', 'x']);
  });
});

describe('extra entries (--allow)', () => {
  it('an exact entry allows one name', () => {
    const a = createAllowlist(['mypkg.models.Net']);
    expect(a.classify('mypkg.models', 'Net').verdict).toBe('safe');
    expect(a.classify('mypkg.models', 'Other').verdict).toBe('unknown');
  });

  it('a module wildcard allows plain names of the module and its submodules only', () => {
    const a = createAllowlist(['mypkg.*']);
    expect(a.classify('mypkg', 'Net').verdict).toBe('safe');
    expect(a.classify('mypkg.sub', 'Net').verdict).toBe('safe');
    expect(a.classify('mypkgx', 'Net').verdict).toBe('unknown');
    expect(a.classify('mypkg', 'os.system').verdict).toBe('unsafe');
    expect(a.classify('mypkg', 'helpers.thing').verdict).toBe('unknown');
    expect(a.classify('mypkg', '__builtins__').verdict).toBe('unsafe');
  });

  it('the denylist wins over --allow', () => {
    const a = createAllowlist(['os.system', 'builtins.*']);
    expect(a.classify('os', 'system').verdict).toBe('unsafe');
    expect(a.classify('builtins', 'eval').verdict).toBe('unsafe');
    expect(a.classify('builtins', 'print').verdict).toBe('safe');
  });

  it('malformed entries are ignored', () => {
    const a = createAllowlist(['', '*', 'os', 'a b.c', '.x']);
    expect(a.classify('a b', 'c').verdict).toBe('unknown');
  });

  it('scans honour --allow', async () => {
    const r = await scan(callGlobal('mypkg.models', 'Net'), 'm.pkl', { allow: ['mypkg.models.Net'] });
    expect(r.verdict).toBe('safe');
    expect(r.imports![0]!.reason).toContain('--allow');
  });
});

describe('the data', () => {
  it('no entry is both allowed and denied', () => {
    const allowed = ALLOW_GROUPS.flatMap((g) => g.entries);
    for (const e of allowed) {
      const dot = e.lastIndexOf('.');
      expect([e, denyMatch(e.slice(0, dot), e.slice(dot + 1))]).toEqual([e, undefined]);
    }
  });

  it('no duplicate entries', () => {
    const allowed = ALLOW_GROUPS.flatMap((g) => g.entries);
    const denied = DENY_GROUPS.flatMap((g) => g.entries);
    expect(new Set(allowed).size).toBe(allowed.length);
    expect(new Set(denied).size).toBe(denied.length);
  });

  it('every group explains why', () => {
    for (const g of [...ALLOW_GROUPS, ...DENY_GROUPS]) expect(g.why.length).toBeGreaterThan(40);
  });

  it('docs/scanner-allowlist.md is generated from this data', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../../docs/scanner-allowlist.md', import.meta.url)), 'utf8');
    expect(doc).toBe(renderAllowlistDoc());
  });
});
