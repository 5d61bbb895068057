import { describe, expect, it } from 'vitest';
import { StewardError } from '../src/errors.js';
import { compareCodePoints, compareManifestPaths, validateModelPath } from '../src/paths.js';

function refusal(p: string): StewardError {
  try {
    validateModelPath(p);
  } catch (e) {
    expect(e).toBeInstanceOf(StewardError);
    return e as StewardError;
  }
  throw new Error(`expected ${JSON.stringify(p)} to be refused`);
}

describe('validateModelPath', () => {
  it.each([
    'model.safetensors',
    'a/b/c.bin',
    '.hidden',
    '..foo',
    'foo..',
    'a/.b',
    'dir with space/file',
    'ünïcødé/ファイル',
    'emoji/😀.txt',
    'c/d:e',
    'x'.repeat(255),
    Array.from({ length: 17 }, () => 'y'.repeat(240)).join('/'), // 4096 bytes exactly
  ])('accepts %j', (p) => {
    expect(validateModelPath(p)).toBe(p);
  });

  it.each([
    ['', 'empty path'],
    ['/etc/passwd', 'absolute path'],
    ['/', 'absolute path'],
    ['C:/model.bin', 'Windows drive letter'],
    ['c:model.bin', 'Windows drive letter'],
    ['a\\b', 'backslash'],
    ['../secret', '".." component'],
    ['a/../b', '".." component'],
    ['a/..', '".." component'],
    ['./a', '"." component'],
    ['a/./b', '"." component'],
    ['.', '"." component'],
    ['a//b', 'empty component'],
    ['a/', 'empty component'],
    ['a\u0000b', 'NUL or control character'],
    ['a\nb', 'NUL or control character'],
    ['a\u007fb', 'NUL or control character'],
    ['a\u0085b', 'NUL or control character'],
    ['a\ud800b', 'lone surrogate'],
    ['x'.repeat(256), 'component longer than 255 bytes'],
    ['é'.repeat(128), 'component longer than 255 bytes'], // 256 UTF-8 bytes
    [Array.from({ length: 20 }, () => 'y'.repeat(250)).join('/'), 'longer than 4096 bytes'],
  ])('refuses %j (%s)', (p, reason) => {
    const e = refusal(p);
    expect(e.code).toBe('invalid_path');
    expect(e.message).toContain(reason);
    expect(e.message).toContain(JSON.stringify(p).slice(0, 20));
    expect(e.details).toMatchObject({ path: p });
  });
});

describe('compareManifestPaths', () => {
  const sorted = (xs: string[]) => [...xs].sort(compareManifestPaths);

  it('orders component by component, not as plain strings', () => {
    expect(compareManifestPaths('a/b', 'a-b/x')).toBeLessThan(0);
    expect(compareManifestPaths('a-b/x', 'a/b')).toBeGreaterThan(0);
    // Plain string order would put a-b/x first ('-' < '/').
    expect(['a/b', 'a-b/x'].sort()).toEqual(['a-b/x', 'a/b']);
    expect(sorted(['a-b/x', 'a/b', 'a.b', 'a/a/z', 'a0'])).toEqual(['a/a/z', 'a/b', 'a-b/x', 'a.b', 'a0']);
  });

  it('puts a prefix first and is consistent', () => {
    expect(compareManifestPaths('a', 'a/b')).toBeLessThan(0);
    expect(compareManifestPaths('a/b', 'a')).toBeGreaterThan(0);
    expect(compareManifestPaths('a/b', 'a/b')).toBe(0);
    expect(sorted(['d1/f2', 'd0/f00', 'f3', 'd0/f01', 'd1/f1', 'D'])).toEqual([
      'D',
      'd0/f00',
      'd0/f01',
      'd1/f1',
      'd1/f2',
      'f3',
    ]);
  });

  it('compares components by code point (byte order), case-sensitively', () => {
    expect(compareManifestPaths('B', 'a')).toBeLessThan(0);
    expect(compareManifestPaths('z', 'é')).toBeLessThan(0);
    // U+1F600 (surrogate pair in UTF-16) sorts after U+FF5E as code points / UTF-8 bytes, unlike JS `<`.
    expect('😀' < '\uff5e').toBe(true);
    expect(compareCodePoints('😀', '\uff5e')).toBe(1);
    expect(compareManifestPaths('d/😀', 'd/\uff5e')).toBeGreaterThan(0);
    expect(Buffer.compare(Buffer.from('😀'), Buffer.from('\uff5e'))).toBe(1);
  });

  it('matches UTF-8 byte order on random strings', () => {
    const alphabet = ['a', 'b', '-', '.', '/', 'é', '\uff5e', '😀', '\ue000', 'Z'];
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const gen = () => Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      const a = gen().replace(/\/+/g, '');
      const b = gen().replace(/\/+/g, '');
      expect(Math.sign(compareCodePoints(a, b))).toBe(Buffer.compare(Buffer.from(a), Buffer.from(b)));
    }
  });
});
