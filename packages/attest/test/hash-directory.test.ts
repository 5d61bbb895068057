import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { StewardError } from '@steward/domain';
import { hashModelDirectory, sha256File, type Manifest } from '../src/index.js';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const root = mkdtempSync(join(tmpdir(), 'attest-hash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
let dir: string;
beforeEach(() => {
  dir = join(root, `m${n++}`);
  mkdirSync(dir);
});

function put(rel: string, content: string | Buffer = rel): Buffer {
  const p = join(dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  const buf = typeof content === 'string' ? Buffer.from(content) : content;
  writeFileSync(p, buf);
  return buf;
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const rootOf = (m: Manifest) => sha(Buffer.concat(m.files.map((f) => Buffer.from(f.sha256, 'hex'))));

async function refusal(p: Promise<unknown>): Promise<StewardError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StewardError);
    return e as StewardError;
  }
  throw new Error('expected a refusal');
}

describe('sha256File', () => {
  it.each([0, 1, 1024 * 1024 - 1, 1024 * 1024, 1024 * 1024 + 1, 3 * 1024 * 1024 + 7])('hashes %i bytes', async (size) => {
    const buf = put(`f${size}`, randomBytes(size));
    expect(await sha256File(join(dir, `f${size}`))).toEqual({ sha256: sha(buf), size });
    expect(await sha256File(join(dir, `f${size}`), { chunkSize: 4096 })).toEqual({ sha256: sha(buf), size });
  });
});

describe('hashModelDirectory', () => {
  it('orders paths component by component and computes the root digest over raw digests', async () => {
    for (const p of ['b', 'a-b/x', 'a/b', 'a.b', 'a/c/d', 'a/c-d', 'A', 'a0/z']) put(p);
    const m = await hashModelDirectory(dir);
    expect(m.files.map((f) => f.path)).toEqual(['A', 'a/b', 'a/c/d', 'a/c-d', 'a-b/x', 'a.b', 'a0/z', 'b']);
    for (const f of m.files) expect(f).toEqual({ path: f.path, size: Buffer.byteLength(f.path), sha256: sha(f.path) });
    expect(m.rootDigest).toBe(rootOf(m));
    expect(m.serialization).toEqual({
      method: 'files',
      hash_type: 'sha256',
      allow_symlinks: false,
      ignore_paths: ['.git', '.gitattributes', '.github', '.gitignore'],
    });
  });

  it('hashes empty files', async () => {
    put('empty', '');
    put('d/also-empty', '');
    const m = await hashModelDirectory(dir);
    expect(m.files).toEqual([
      { path: 'd/also-empty', size: 0, sha256: EMPTY_SHA256 },
      { path: 'empty', size: 0, sha256: EMPTY_SHA256 },
    ]);
  });

  it('gives SHA-256 of nothing for an empty directory (empty subdirectories contribute nothing)', async () => {
    expect(await hashModelDirectory(dir)).toMatchObject({ files: [], rootDigest: EMPTY_SHA256 });
    mkdirSync(join(dir, 'a/b'), { recursive: true });
    expect(await hashModelDirectory(dir)).toMatchObject({ files: [], rootDigest: EMPTY_SHA256 });
  });

  it('changes the root digest when one byte changes', async () => {
    const orig = randomBytes(2 * 1024 * 1024 + 5);
    put('w.bin', orig);
    put('other', 'x');
    const a = await hashModelDirectory(dir);
    orig[2 * 1024 * 1024 + 1] = orig[2 * 1024 * 1024 + 1]! ^ 0x80; // in the third 1 MiB chunk
    put('w.bin', orig);
    const b = await hashModelDirectory(dir);
    expect(b.rootDigest).not.toBe(a.rootDigest);
    expect(b.files.find((f) => f.path === 'w.bin')!.sha256).not.toBe(a.files.find((f) => f.path === 'w.bin')!.sha256);
    expect(b.files.find((f) => f.path === 'other')).toEqual(a.files.find((f) => f.path === 'other'));
  });

  it('gives the same manifest with 1 and 4 workers, and matches sha256File', async () => {
    for (let i = 0; i < 24; i++) put(`d${i % 3}/f${i}`, randomBytes((i * 397_123) % (3 * 1024 * 1024)));
    const seq = await hashModelDirectory(dir, { concurrency: 1 });
    const par = await hashModelDirectory(dir, { concurrency: 4 });
    expect(par).toEqual(seq);
    expect(seq.files).toHaveLength(24);
    for (const f of seq.files) expect(await sha256File(join(dir, f.path))).toEqual({ sha256: f.sha256, size: f.size });
  });

  it('stops when its signal is aborted: rejects with the reason, and an aborted signal hashes nothing', async () => {
    for (let i = 0; i < 8; i++) put(`f${i}`, randomBytes(8 * 1024 * 1024));
    const stop = new AbortController();
    const why = new Error('policies do not lint');
    let progressCalls = 0;
    const hashing = hashModelDirectory(dir, { concurrency: 2, signal: stop.signal, onProgress: () => (++progressCalls === 1 ? stop.abort(why) : undefined) });
    await expect(hashing).rejects.toBe(why);
    const before = new AbortController();
    before.abort(new Error('already stopped'));
    await expect(hashModelDirectory(dir, { signal: before.signal })).rejects.toThrow('already stopped');
    // Nothing is left running: the same directory hashes normally right after.
    expect((await hashModelDirectory(dir, { concurrency: 2 })).files).toHaveLength(8);
  });

  it('reports progress up to the total', async () => {
    put('big', randomBytes(40 * 1024 * 1024));
    put('small', 'x');
    const seen: [number, number][] = [];
    await hashModelDirectory(dir, { onProgress: (d, t) => seen.push([d, t]) });
    const total = 40 * 1024 * 1024 + 1;
    expect(seen.every(([, t]) => t === total)).toBe(true);
    expect(seen.at(-1)).toEqual([total, total]);
    expect(seen.length).toBeGreaterThan(3); // intermediate reports inside the big file
    for (let i = 1; i < seen.length; i++) expect(seen[i]![0]).toBeGreaterThanOrEqual(seen[i - 1]![0]);
  });

  describe('ignore paths', () => {
    it('ignores git files at the root by default, not deeper', async () => {
      put('.git/HEAD');
      put('.github/workflows/x.yml');
      put('.gitignore');
      put('.gitattributes');
      put('sub/.gitignore');
      put('model.bin');
      mkdirSync(join(dir, '.git/hooks'));
      execFileSync('mkfifo', [join(dir, '.git/fifo')]); // inside an ignored tree: never looked at
      symlinkSync('/etc/passwd', join(dir, '.git/link'));
      const m = await hashModelDirectory(dir);
      expect(m.files.map((f) => f.path)).toEqual(['model.bin', 'sub/.gitignore']);
    });

    it('can include git files', async () => {
      put('.gitignore');
      put('model.bin');
      const m = await hashModelDirectory(dir, { ignoreGitPaths: false });
      expect(m.files.map((f) => f.path)).toEqual(['.gitignore', 'model.bin']);
      expect(m.serialization.ignore_paths).toEqual([]);
    });

    it('ignores listed files and whole directories, and records them', async () => {
      put('model.sig');
      put('keep/a');
      put('drop/a');
      put('drop/b/c');
      put('dropper');
      put('keep/ignore-me');
      const m = await hashModelDirectory(dir, { ignorePaths: ['model.sig', 'drop/', 'keep/ignore-me', 'does-not-exist'] });
      expect(m.files.map((f) => f.path)).toEqual(['dropper', 'keep/a']);
      expect(m.serialization.ignore_paths).toEqual([
        '.git',
        '.gitattributes',
        '.github',
        '.gitignore',
        'does-not-exist',
        'drop',
        'keep/ignore-me',
        'model.sig',
      ]);
    });

    it('does not ignore the signature file unless told', async () => {
      put('model.sig');
      put('w');
      expect((await hashModelDirectory(dir)).files.map((f) => f.path)).toEqual(['model.sig', 'w']);
    });

    it('refuses invalid ignore paths', async () => {
      put('w');
      for (const bad of ['../x', '/abs', 'a//b', '']) {
        expect((await refusal(hashModelDirectory(dir, { ignorePaths: [bad] }))).code).toBe('invalid_path');
      }
    });
  });

  describe('symlinks and special files', () => {
    it('refuses a symlink by default, naming its relative path', async () => {
      put('real/w', 'data');
      symlinkSync('../real/w', join(dir, 'real/link'));
      const e = await refusal(hashModelDirectory(dir));
      expect(e.code).toBe('invalid_path');
      expect(e.message).toContain('real/link');
      expect(e.message).toContain('symbolic link');
      expect(e.details).toMatchObject({ path: 'real/link' });
    });

    it('follows symlinks inside the directory when allowed, under the link path', async () => {
      put('real/w', 'data');
      symlinkSync('real/w', join(dir, 'file-link'));
      symlinkSync('real', join(dir, 'dir-link'));
      const m = await hashModelDirectory(dir, { allowSymlinks: true });
      expect(m.serialization.allow_symlinks).toBe(true);
      expect(m.files).toEqual([
        { path: 'dir-link/w', size: 4, sha256: sha('data') },
        { path: 'file-link', size: 4, sha256: sha('data') },
        { path: 'real/w', size: 4, sha256: sha('data') },
      ]);
    });

    it('refuses a symlink pointing outside the directory even when allowed', async () => {
      put('w');
      const outside = join(root, `outside-${n}`);
      writeFileSync(outside, 'secret');
      symlinkSync(outside, join(dir, 'escape'));
      const e = await refusal(hashModelDirectory(dir, { allowSymlinks: true }));
      expect(e.code).toBe('invalid_path');
      expect(e.message).toContain('"escape"');
      expect(e.message).toContain('outside');
      rmSync(join(dir, 'escape'));
      symlinkSync('../', join(dir, 'up'));
      expect((await refusal(hashModelDirectory(dir, { allowSymlinks: true }))).message).toContain('outside');
    });

    it('refuses dangling links and link cycles', async () => {
      put('w');
      symlinkSync('nowhere', join(dir, 'dangling'));
      expect((await refusal(hashModelDirectory(dir, { allowSymlinks: true }))).message).toContain('broken symbolic link');
      rmSync(join(dir, 'dangling'));
      mkdirSync(join(dir, 'sub'));
      symlinkSync('..', join(dir, 'sub/loop'));
      const e = await refusal(hashModelDirectory(dir, { allowSymlinks: true }));
      expect(e.message).toContain('sub/loop');
      expect(e.message).toContain('cycle');
    });

    it('refuses fifos and sockets', async () => {
      put('w');
      execFileSync('mkfifo', [join(dir, 'pipe')]);
      const e = await refusal(hashModelDirectory(dir));
      expect(e.code).toBe('invalid_path');
      expect(e.message).toContain('"pipe"');
      expect(e.message).toContain('fifo');
      rmSync(join(dir, 'pipe'));
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(join(dir, 'sock'), resolve));
      try {
        const e2 = await refusal(hashModelDirectory(dir));
        expect(e2.message).toContain('"sock"');
        expect(e2.message).toContain('socket');
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('refuses a symlink to a device even when allowed (it leaves the directory)', async () => {
      put('w');
      symlinkSync('/dev/null', join(dir, 'null'));
      expect((await refusal(hashModelDirectory(dir, { allowSymlinks: true }))).code).toBe('invalid_path');
    });
  });

  describe('path rules', () => {
    it.each([
      ['back\\slash', 'backslash'],
      ['new\nline', 'control character'],
      ['C:drive', 'Windows drive letter'],
    ])('refuses a file named %j', async (name, reason) => {
      put(name);
      const e = await refusal(hashModelDirectory(dir));
      expect(e.code).toBe('invalid_path');
      expect(e.message).toContain(reason);
    });

    it('refuses file names that are not UTF-8', async () => {
      put('w');
      const p = Buffer.concat([Buffer.from(dir + '/bad-'), Buffer.from([0xff, 0xfe])]);
      writeFileSync(p, 'x');
      const e = await refusal(hashModelDirectory(dir));
      expect(e.code).toBe('invalid_path');
      expect(e.message).toContain('UTF-8');
    });

    it('refuses a model path that is not a directory', async () => {
      put('w');
      expect((await refusal(hashModelDirectory(join(dir, 'w')))).code).toBe('bad_request');
      expect((await refusal(hashModelDirectory(join(dir, 'missing')))).code).toBe('bad_request');
      expect((await refusal(hashModelDirectory(dir, { concurrency: 0 }))).code).toBe('bad_request');
    });
  });
});
