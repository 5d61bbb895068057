/**
 * verifyModelSignature on bundles made by the reference implementation (model_signing v0.3.1 ..
 * v1.1.0): every vector verifies, and every kind of tampering is refused with its reason.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StewardError } from '@steward/domain';
import { SignatureError, verifyModelSignature, type VerifyModelSignatureOptions } from '../src/index.js';
import { VECTOR_NAMES, fixture, ignoresFor, modelPathOf, refusal, scratch, signsOneFile, trustFor, vectorKey, VECTORS } from './helpers/vectors.js';

const tmp = scratch('attest-verify-');
afterAll(tmp.cleanup);

function optionsFor(vector: string, dir: string, patch: Partial<VerifyModelSignatureOptions> = {}): VerifyModelSignatureOptions {
  return {
    modelPath: modelPathOf(vector, dir),
    bundle: readFileSync(join(dir, 'model.sig')),
    trust: trustFor(vector),
    ignorePaths: ignoresFor(dir),
    signaturePath: join(dir, 'model.sig'),
    ...patch,
  };
}

const pem = (k: { export(o: object): string | Buffer }) => k.export({ type: 'spki', format: 'pem' }) as string;

describe('reference vectors verify', () => {
  it('there are seven vectors', () => expect(VECTOR_NAMES.length).toBeGreaterThanOrEqual(7));

  it.each(VECTOR_NAMES)('%s', async (vector) => {
    const dir = join(VECTORS, vector);
    const r = await verifyModelSignature(optionsFor(vector, dir));
    const signed = JSON.parse(Buffer.from(JSON.parse(readFileSync(join(dir, 'model.sig'), 'utf8')).dsseEnvelope.payload, 'base64').toString());
    expect(r.rootDigest).toBe(signed.subject[0].digest.sha256);
    expect(r.modelName).toBe(signsOneFile(vector) ? 'signme-1' : vector);
    expect(r.kind).toBe(signsOneFile(vector) ? 'file' : 'directory');
    expect(r.statement.predicate.resources.length).toBe(r.manifest.files.length);
    if (vector.includes('certificate')) {
      expect(r.signer).toMatchObject({ method: 'certificate', subject: 'CN=intermediate-ca', issuer: 'CN=intermediate-ca', curve: 'P-384' });
      expect(r.signer.method === 'certificate' && r.signer.chain).toEqual(['CN=intermediate-ca', 'CN=intermediate-ca', 'CN=root-ca']);
      // Checked at the signing certificate's notBefore, as the reference.
      expect(r.signer.method === 'certificate' && r.signer.checkedAt).toBe('2025-05-02T23:36:28.000Z');
    } else {
      expect(r.signer).toEqual({ method: 'key', publicKeyHint: 'e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e', curve: 'P-384' });
    }
  });

  it('the certificate vectors also verify with the intermediate CA as the only given CA', async () => {
    const dir = join(VECTORS, 'v1.1.0-certificate');
    const r = await verifyModelSignature(optionsFor('v1.1.0-certificate', dir, { trust: { certificateChainPem: vectorKey('int-ca-cert.pem') } }));
    expect(r.signer.method === 'certificate' && r.signer.chain).toEqual(['CN=intermediate-ca', 'CN=intermediate-ca']);
  });

  it('a single-file signature checked against its directory names the file to verify', async () => {
    const dir = join(VECTORS, 'v0.3.1-elliptic-key');
    const e = await refusal(() => verifyModelSignature(optionsFor('v0.3.1-elliptic-key', dir, { modelPath: dir })), 'other_model');
    expect(e.message).toContain('single file named "signme-1"');
  });

  it('the ignore-me file counts as an extra file unless ignored', async () => {
    const dir = join(VECTORS, 'v1.0.1-elliptic-key');
    const e = await refusal(() => verifyModelSignature(optionsFor('v1.0.1-elliptic-key', dir, { ignorePaths: [] })), 'model_mismatch');
    expect(e.details).toMatchObject({ extra: ['ignore-me'], changed: [], missing: [] });
    expect(e.message).toContain('extra file: ignore-me');
    // v1.1.0 records ignore-me in the signed ignore_paths: nothing to pass.
    const v110 = join(VECTORS, 'v1.1.0-elliptic-key');
    await expect(verifyModelSignature(optionsFor('v1.1.0-elliptic-key', v110, { ignorePaths: [] }))).resolves.toBeTruthy();
  });

  it('the model name is the directory name unless told otherwise', async () => {
    const dir = tmp.copy('v1.1.0-elliptic-key', 'renamed-model');
    const e = await refusal(() => verifyModelSignature(optionsFor('v1.1.0-elliptic-key', dir)), 'other_model');
    expect(e.message).toContain('for model "v1.1.0-elliptic-key", not "renamed-model"');
    await expect(verifyModelSignature(optionsFor('v1.1.0-elliptic-key', dir, { modelName: 'v1.1.0-elliptic-key' }))).resolves.toBeTruthy();
    await expect(verifyModelSignature(optionsFor('v1.1.0-elliptic-key', dir, { modelName: null }))).resolves.toBeTruthy();
    // Without the name check, another model's bundle (same signing key) still fails on content.
    writeFileSync(join(dir, 'model.sig'), readFileSync(join(VECTORS, 'v1.1.0-certificate', 'model.sig')));
    const swapped = await refusal(() => verifyModelSignature(optionsFor('v1.1.0-elliptic-key', dir, { modelName: null })), 'model_mismatch');
    expect(swapped.details).toMatchObject({ changed: ['signme-1'] });
  });
});

describe.each(VECTOR_NAMES)('tampering with %s', (vector) => {
  it('a changed signed file', async () => {
    const dir = tmp.copy(vector);
    const f = join(dir, 'signme-1');
    const bytes = readFileSync(f);
    bytes[0] = bytes[0]! ^ 1;
    writeFileSync(f, bytes);
    const e = await refusal(() => verifyModelSignature(optionsFor(vector, dir)), 'model_mismatch');
    expect(e.details).toMatchObject({ changed: ['signme-1'], extra: [], missing: [] });
    expect(e.message).toBe('the model does not match its signature: file changed: signme-1');
    expect(e).toBeInstanceOf(StewardError);
    expect(e.code).toBe('digest_mismatch');
  });

  it('an extra file that is not ignored', async () => {
    const dir = tmp.copy(vector);
    writeFileSync(join(dir, 'extra.bin'), 'not signed');
    if (signsOneFile(vector)) {
      // The signature covers the one file; the directory around it is not the model.
      await expect(verifyModelSignature(optionsFor(vector, dir))).resolves.toBeTruthy();
      return;
    }
    const e = await refusal(() => verifyModelSignature(optionsFor(vector, dir)), 'model_mismatch');
    expect(e.details).toMatchObject({ changed: [], extra: ['extra.bin'], missing: [] });
    expect(e.message).toContain('extra file: extra.bin');
  });

  it('a deleted file', async () => {
    const dir = tmp.copy(vector);
    if (signsOneFile(vector)) {
      rmSync(join(dir, 'signme-1'));
      const e = await verifyModelSignature(optionsFor(vector, dir)).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(StewardError);
      expect((e as Error).message).toContain('cannot open model');
      return;
    }
    rmSync(join(dir, 'signme-2'));
    const e = await refusal(() => verifyModelSignature(optionsFor(vector, dir)), 'model_mismatch');
    expect(e.details).toMatchObject({ changed: [], extra: [], missing: ['signme-2'] });
    expect(e.message).toContain('missing file: signme-2');
  });

  it('a flipped signature bit', async () => {
    const dir = tmp.copy(vector);
    const bundle = JSON.parse(readFileSync(join(dir, 'model.sig'), 'utf8'));
    const sig = Buffer.from(bundle.dsseEnvelope.signatures[0].sig, 'base64');
    sig[sig.length - 1] = sig[sig.length - 1]! ^ 0x01;
    bundle.dsseEnvelope.signatures[0].sig = sig.toString('base64');
    writeFileSync(join(dir, 'model.sig'), JSON.stringify(bundle));
    await refusal(() => verifyModelSignature(optionsFor(vector, dir)), 'signature_invalid');
  });

  it.each(VECTOR_NAMES.filter((v) => v !== vector))("another vector's bundle (%s)", async (other) => {
    const dir = tmp.copy(vector);
    writeFileSync(join(dir, 'model.sig'), readFileSync(join(VECTORS, other, 'model.sig')));
    const e = await verifyModelSignature(optionsFor(vector, dir)).then(
      () => undefined,
      (x: unknown) => x,
    );
    if (signsOneFile(vector) && signsOneFile(other)) {
      // v0.3.1 and v1.0.0 signed the very same file (same name, same bytes) with the same key:
      // the other bundle is a valid signature of this model.
      expect(e).toBeUndefined();
      return;
    }
    expect(e, `${other}'s bundle accepted for ${vector}`).toBeInstanceOf(SignatureError);
    // Same key everywhere, so the signature itself is fine: the statement is about another model.
    expect(['other_model', 'model_mismatch', 'wrong_signing_method']).toContain((e as SignatureError).reason);
  });
});

describe('trust material', () => {
  const dir = join(VECTORS, 'v1.1.0-elliptic-key');
  const withKey = (publicKeyPem: string) => verifyModelSignature(optionsFor('v1.1.0-elliptic-key', dir, { trust: { publicKeyPem } }));

  it('refuses Ed25519 and RSA keys (wrong key type) and secp256k1 (unsupported curve)', async () => {
    const ed = await refusal(() => withKey(pem(generateKeyPairSync('ed25519').publicKey)), 'wrong_key_type');
    expect(ed.message).toBe('the public key is an Ed25519 key, not ECDSA: model signatures use ECDSA keys on P-256, P-384 or P-521');
    const rsa = await refusal(() => withKey(pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey)), 'wrong_key_type');
    expect(rsa.message).toContain('an RSA key');
    const k1 = await refusal(() => withKey(pem(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey)), 'unsupported_curve');
    expect(k1.message).toContain('secp256k1');
  });

  it('refuses a private key or garbage where a public key belongs', async () => {
    await expect(withKey(vectorKey('signing-key.pem'))).rejects.toThrow('this is a private key; verification needs the public key');
    await expect(withKey('hello')).rejects.toThrow('not a PEM public key');
  });

  it('a hint naming another key is a key mismatch; without a hint a wrong key fails the signature', async () => {
    const other = pem(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey);
    const e = await refusal(() => withKey(other), 'key_mismatch');
    expect(e.message).toContain('signed with a different key');
    const old = join(VECTORS, 'v1.0.1-elliptic-key');
    await refusal(() => verifyModelSignature(optionsFor('v1.0.1-elliptic-key', old, { trust: { publicKeyPem: other } })), 'signature_invalid');
  });

  it('a key bundle checked with CA certificates, and a CA that is not the signer\'s', async () => {
    const e = await refusal(
      () => verifyModelSignature(optionsFor('v1.1.0-elliptic-key', dir, { trust: { certificateChainPem: [vectorKey('ca-cert.pem')] } })),
      'wrong_signing_method',
    );
    expect(e.message).toContain('verify it with the public key');
    const cert = join(VECTORS, 'v1.1.0-certificate');
    const u = await refusal(
      () => verifyModelSignature(optionsFor('v1.1.0-certificate', cert, { trust: { certificateChainPem: [fixture('root-ca.pem')] } })),
      'certificate_untrusted',
    );
    expect(u.message).toContain('does not lead to a given CA');
  });
});

describe('malformed bundles', () => {
  const dir = join(VECTORS, 'v1.1.0-elliptic-key');
  const original = JSON.parse(readFileSync(join(dir, 'model.sig'), 'utf8'));
  const withBundle = (bundle: string) => verifyModelSignature(optionsFor('v1.1.0-elliptic-key', dir, { bundle }));
  const patched = (patch: (b: any) => void) => {
    const b = structuredClone(original);
    patch(b);
    return JSON.stringify(b);
  };

  it.each<[string, string, string, string]>([
    ['not JSON', '{"mediaType":', 'malformed_bundle', 'not valid JSON'],
    ['a JSON array', '[]', 'malformed_bundle', 'must be a JSON object'],
    ['not a Sigstore bundle', patched((b) => (b.mediaType = 'application/json')), 'malformed_bundle', 'not a Sigstore bundle'],
    ['an older bundle version', patched((b) => (b.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.2')), 'unsupported_bundle', 'unsupported bundle mediaType'],
    ['payloadType not in-toto', patched((b) => (b.dsseEnvelope.payloadType = 'application/vnd.dev.sigstore.rekor+json')), 'malformed_bundle', 'payloadType must be application/vnd.in-toto+json'],
    ['no signatures', patched((b) => (b.dsseEnvelope.signatures = [])), 'malformed_bundle', 'signatures must be a non-empty array'],
    ['no signature field', patched((b) => delete b.dsseEnvelope.signatures[0].sig), 'malformed_bundle', 'sig must be a base64 string'],
    ['bad base64 in the signature', patched((b) => (b.dsseEnvelope.signatures[0].sig = 'MEUC!!!')), 'malformed_bundle', 'not valid base64'],
    ['bad base64 in the payload', patched((b) => (b.dsseEnvelope.payload = '***')), 'malformed_bundle', 'not valid base64'],
    ['no verificationMaterial', patched((b) => delete b.verificationMaterial), 'malformed_bundle', 'no verificationMaterial'],
    ['a payload that is not a statement', patched((b) => (b.dsseEnvelope.payload = Buffer.from('{"_type":"x"}').toString('base64'))), 'malformed_bundle', '_type'],
  ])('%s', async (_, bundle, reason, needle) => {
    const e = await refusal(() => withBundle(bundle), reason as SignatureError['reason']);
    expect(e.message).toContain(needle);
    expect(e.code).toBe('bad_request');
  });

  it('a re-encoded payload (same statement, other bytes) fails the signature', async () => {
    const statement = JSON.parse(Buffer.from(original.dsseEnvelope.payload, 'base64').toString());
    await refusal(() => withBundle(patched((b) => (b.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64')))), 'signature_invalid');
  });

  it('shards and other hash types are refused as unsupported (after the signature checks out)', async () => {
    // Signed by us, so the signature is valid and the refusal is about the statement.
    const { signStatement } = await import('../src/index.js');
    const statement = JSON.parse(Buffer.from(original.dsseEnvelope.payload, 'base64').toString());
    statement.predicate.serialization = { method: 'files', hash_type: 'blake2b', allow_symlinks: false };
    const bundle = signStatement(statement, { privateKeyPem: vectorKey('signing-key.pem') });
    const e = await refusal(() => withBundle(bundle), 'unsupported_bundle');
    expect(e.message).toContain('blake2b');
  });
});
