/** The model-signing interop vectors (../shared beside the checkout) and temp copies of them. */
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { SignatureError, type SignatureFailureReason, type VerificationTrust } from '../../src/index.js';

export const VECTORS = fileURLToPath(new URL('../../../../../shared/vectors/model-signing', import.meta.url));
export const VECTOR_KEYS = join(VECTORS, 'keys', 'certificate');
export const FIXTURE_CERTS = fileURLToPath(new URL('../fixtures/certificates', import.meta.url));

export const VECTOR_NAMES = readdirSync(VECTORS)
  .filter((n) => n.startsWith('v'))
  .sort();

export const vectorKey = (name: string) => readFileSync(join(VECTOR_KEYS, name), 'utf8');
export const fixture = (name: string) => readFileSync(join(FIXTURE_CERTS, name), 'utf8');

/** The README: key vectors verify with signing-key-pub.pem, certificate vectors with ca-cert.pem. */
export function trustFor(vector: string): VerificationTrust {
  return vector.includes('certificate') ? { certificateChainPem: [vectorKey('ca-cert.pem')] } : { publicKeyPem: vectorKey('signing-key-pub.pem') };
}

/** v0.3.1 and v1.0.0 key vectors signed the single file signme-1 (resource "."), as the reference verifies them. */
export function signsOneFile(vector: string): boolean {
  return vector === 'v0.3.1-elliptic-key' || vector === 'v1.0.0-elliptic-key';
}

export function ignoresFor(dir: string): string[] {
  return existsSync(join(dir, 'ignore-me')) ? ['ignore-me'] : [];
}

export function modelPathOf(vector: string, dir: string): string {
  return signsOneFile(vector) ? join(dir, 'signme-1') : dir;
}

/** A scratch directory; call the returned cleanup in afterAll. */
export function scratch(prefix: string): { root: string; copy: (vector: string, as?: string) => string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  let n = 0;
  return {
    root,
    // Each copy in its own parent, named like the vector (the subject name is the directory name).
    copy(vector, as = vector) {
      const dst = join(root, String(n++), as);
      cpSync(join(VECTORS, vector), dst, { recursive: true });
      chmodSync(dst, 0o755);
      for (const f of readdirSync(dst)) if (statSync(join(dst, f)).isFile()) chmodSync(join(dst, f), 0o644);
      return dst;
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Runs fn, expects a SignatureError with the given reason, returns it. */
export async function refusal(fn: () => unknown, reason: SignatureFailureReason): Promise<SignatureError> {
  try {
    await fn();
  } catch (e) {
    expect(e, (e as Error).message).toBeInstanceOf(SignatureError);
    expect((e as SignatureError).reason, (e as Error).message).toBe(reason);
    expect((e as Error).message).not.toMatch(/\n\s+at /);
    return e as SignatureError;
  }
  throw new Error(`expected a refusal (${reason})`);
}
