/**
 * Interop: model folders signed by the reference implementation (model_signing v0.3.1 .. v1.1.0)
 * must hash to the digests recorded in their signatures.
 */
import { cpSync, chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { hashModelDirectory, parseModelSigningBundle, toInTotoStatement } from '../src/index.js';

// shared/ sits beside the repository checkout (../shared from the repo root).
const VECTORS = fileURLToPath(new URL('../../../../shared/vectors/model-signing', import.meta.url));
const folders = readdirSync(VECTORS)
  .filter((n) => n.startsWith('v'))
  .sort();

function ignoresFor(dir: string): string[] {
  return ['model.sig', 'ignore-me'].filter((n) => existsSync(join(dir, n)));
}

function load(dir: string) {
  return parseModelSigningBundle(readFileSync(join(dir, 'model.sig'), 'utf8'));
}

/**
 * v0.3.1 and v1.0.0 elliptic-key vectors signed a single FILE (signme-1), not the folder: the
 * subject is named after the file and its one resource is named ".". Hashing the folder gives
 * the same root digest (names are not hashed), with the file under its own name.
 */
function expectedResources(bundle: ReturnType<typeof load>) {
  const { subject, predicate } = bundle.statement;
  const single = predicate.resources.length === 1 && predicate.resources[0]!.name === '.';
  return predicate.resources.map((r) => ({ ...r, name: single ? subject[0]!.name : r.name }));
}

describe('model-signing vectors', () => {
  expect(folders.length).toBeGreaterThanOrEqual(7);

  it.each(folders)('%s: root digest and resources match the signed statement', async (name) => {
    const dir = join(VECTORS, name);
    const bundle = load(dir);
    const manifest = await hashModelDirectory(dir, { ignorePaths: ignoresFor(dir) });

    expect(manifest.rootDigest).toBe(bundle.statement.subject[0]!.digest.sha256);
    expect(manifest.files.map((f) => ({ name: f.path, algorithm: 'sha256', digest: f.sha256 }))).toEqual(
      expectedResources(bundle),
    );
    expect(bundle.statement.predicate.serialization).toMatchObject({ method: 'files', hash_type: 'sha256', allow_symlinks: false });
    expect(bundle.signatures.length).toBe(1);
    expect(JSON.parse(Buffer.from(bundle.payloadBytes).toString('utf8'))._type).toBe('https://in-toto.io/Statement/v1');
  });

  it.each(folders.filter((n) => !n.startsWith('v0.') && !n.startsWith('v1.0.0-elliptic')))(
    '%s: toInTotoStatement reproduces the signed statement',
    async (name) => {
      const dir = join(VECTORS, name);
      const signed = load(dir).statement;
      const ours = toInTotoStatement(await hashModelDirectory(dir, { ignorePaths: ignoresFor(dir) }), basename(dir));
      const strip = (st: typeof signed) => {
        const { ignore_paths, ...serialization } = st.predicate.serialization;
        return { st: { ...st, predicate: { ...st.predicate, serialization } }, ignore_paths };
      };
      const a = strip(ours);
      const b = strip(signed);
      expect(a.st).toEqual(b.st);
      // v1.1.0 records ignore_paths (git defaults + signature + user ones, in set order); v1.0.x did not.
      if (b.ignore_paths) expect([...a.ignore_paths!].sort()).toEqual([...b.ignore_paths].sort());
    },
  );

  describe('tampering', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'attest-vectors-'));
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));

    function copy(name: string): string {
      const dst = join(tmp, name);
      cpSync(join(VECTORS, name), dst, { recursive: true });
      chmodSync(dst, 0o755);
      for (const f of readdirSync(dst)) chmodSync(join(dst, f), 0o644);
      return dst;
    }

    it('a changed byte, an extra file or a missing ignore changes the root digest', async () => {
      const dir = copy('v1.1.0-elliptic-key');
      const expected = load(dir).statement.subject[0]!.digest.sha256;
      expect((await hashModelDirectory(dir, { ignorePaths: ignoresFor(dir) })).rootDigest).toBe(expected);
      // ignore-me not ignored: an extra (empty) file.
      expect((await hashModelDirectory(dir, { ignorePaths: ['model.sig'] })).rootDigest).not.toBe(expected);

      const f = join(dir, 'signme-2');
      const bytes = readFileSync(f);
      bytes[0] = bytes[0]! ^ 1;
      writeFileSync(f, bytes);
      expect((await hashModelDirectory(dir, { ignorePaths: ignoresFor(dir) })).rootDigest).not.toBe(expected);
    });
  });
});
