/**
 * signModel / signStatement: bundles shaped like model_signing 1.1's, that our verifier and a
 * plain crypto.verify over the DSSE PAE accept.
 */
import { X509Certificate, createPublicKey, generateKeyPairSync, verify as cryptoVerify } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StewardError } from '@steward/domain';
import { generateSigningKeyPair, preAuthEncoding, signModel, verifyModelSignature } from '../src/index.js';
import { VECTORS, fixture, refusal, scratch, vectorKey } from './helpers/vectors.js';

const tmp = scratch('attest-sign-');
afterAll(tmp.cleanup);

let n = 0;
function model(files: Record<string, string> = { 'config.json': '{"layers": 2}', 'weights/model.safetensors': 'tensor bytes', 'weights/extra.bin': 'x' }): string {
  const dir = join(tmp.root, `m${n++}`, 'my-model');
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

const decode = (bundleJson: string) => {
  const bundle = JSON.parse(bundleJson);
  return { bundle, payload: Buffer.from(bundle.dsseEnvelope.payload, 'base64'), sig: Buffer.from(bundle.dsseEnvelope.signatures[0].sig, 'base64') };
};
const vectorBundle = (name: string) => decode(readFileSync(join(VECTORS, name, 'model.sig'), 'utf8'));

/** The structure of a JSON value: key sets (sorted) and value types, arrays by their first element. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return [v.length === 0 ? 'empty' : shape(v[0])];
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape((v as Record<string, unknown>)[k])]));
  return typeof v;
}

/** An independent PAE, written from the DSSE spec: "DSSEv1" SP len(type) SP type SP len(body) SP body. */
function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);
}

describe('DSSE PAE', () => {
  it('matches the DSSE specification example', () => {
    expect(preAuthEncoding('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  });

  it('counts bytes, not characters', () => {
    expect(preAuthEncoding('t', Buffer.from('é')).toString('latin1')).toBe('DSSEv1 1 t 2 \xc3\xa9');
  });
});

describe('signModel with a key', () => {
  it('a fresh P-256 key: our verifier and crypto.verify over the PAE accept the bundle', async () => {
    const keys = generateSigningKeyPair({ curve: 'P-256' });
    const dir = model();
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref');
    const signed = await signModel({ modelPath: dir, privateKeyPem: keys.privateKeyPem, signaturePath: join(dir, 'model.sig') });
    writeFileSync(join(dir, 'model.sig'), signed.bundleJson);

    const { bundle, payload, sig } = decode(signed.bundleJson);
    expect(payload.toString()).toBe(JSON.stringify(signed.statement, null, 2));
    expect(cryptoVerify('sha256', pae('application/vnd.in-toto+json', payload), { key: createPublicKey(keys.publicKeyPem), dsaEncoding: 'der' }, sig)).toBe(true);
    expect(sig[0]).toBe(0x30); // DER SEQUENCE, not IEEE P1363
    expect(bundle.verificationMaterial.publicKey.hint).toMatch(/^[0-9a-f]{64}$/);

    const r = await verifyModelSignature({ modelPath: dir, bundle: signed.bundleJson, trust: { publicKeyPem: keys.publicKeyPem } });
    expect(r.modelName).toBe('my-model');
    // Everything wrong at once is reported at once, by path in manifest order.
    const copy = join(dir, '..', 'copy', 'my-model');
    cpSync(dir, copy, { recursive: true });
    writeFileSync(join(copy, 'config.json'), '{"layers": 3}');
    writeFileSync(join(copy, 'weights', 'extra.bin'), 'y');
    rmSync(join(copy, 'weights', 'model.safetensors'));
    for (let i = 0; i < 12; i++) writeFileSync(join(copy, `new-${String(i).padStart(2, '0')}`), '');
    const e = await refusal(() => verifyModelSignature({ modelPath: copy, bundle: signed.bundleJson, trust: { publicKeyPem: keys.publicKeyPem } }), 'model_mismatch');
    expect(e.message).toBe(
      'the model does not match its signature: files changed: config.json, weights/extra.bin; ' +
        'extra files: new-00, new-01, new-02, new-03, new-04, new-05, new-06, new-07, new-08, new-09 and 2 more; missing file: weights/model.safetensors',
    );
    expect((e.details as { extra: string[] }).extra).toHaveLength(12);
    expect(r.manifest.files.map((f) => f.path)).toEqual(['config.json', 'weights/extra.bin', 'weights/model.safetensors']);
    expect(signed.statement.predicate.serialization.ignore_paths).toEqual(['.git', '.gitattributes', '.github', '.gitignore', 'model.sig']);
  });

  it('has the structure of a model_signing 1.1 bundle and statement', async () => {
    const keys = generateSigningKeyPair({ curve: 'P-384' });
    const dir = model({ 'signme-1': 'a', 'signme-2': 'b', 'ignore-me': '' });
    const signed = await signModel({ modelPath: dir, privateKeyPem: keys.privateKeyPem, ignorePaths: ['ignore-me'], signaturePath: join(dir, 'model.sig') });
    const ours = decode(signed.bundleJson);
    const ref = vectorBundle('v1.1.0-elliptic-key');
    expect(Object.keys(ours.bundle)).toEqual(Object.keys(ref.bundle));
    expect(shape(ours.bundle)).toEqual(shape(ref.bundle));
    expect(JSON.stringify(ours.bundle.verificationMaterial).replace(/[0-9a-f]{64}/, 'H')).toBe('{"publicKey":{"hint":"H"},"tlogEntries":[]}');
    expect(ours.bundle.dsseEnvelope.signatures[0].keyid).toBe('');

    const ourStatement = JSON.parse(ours.payload.toString());
    const refStatement = JSON.parse(ref.payload.toString());
    expect(Object.keys(ourStatement)).toEqual(Object.keys(refStatement));
    expect(shape(ourStatement)).toEqual(shape(refStatement));
    expect(ourStatement.predicateType).toBe(refStatement.predicateType);
    // The same files, signed by both: identical resources, root digest and ignore_paths (as a set).
    const vector = JSON.parse(vectorBundle('v1.1.0-elliptic-key').payload.toString());
    const copy = tmp.copy('v1.1.0-elliptic-key');
    const sameFiles = await signModel({ modelPath: copy, privateKeyPem: keys.privateKeyPem, ignorePaths: ['ignore-me'], signaturePath: join(copy, 'model.sig') });
    expect([...sameFiles.statement.predicate.serialization.ignore_paths!].sort()).toEqual([...vector.predicate.serialization.ignore_paths].sort());
    expect(sameFiles.statement.predicate.resources).toEqual(vector.predicate.resources.map((r: any) => ({ name: r.name, algorithm: r.algorithm, digest: r.digest })));
    expect(sameFiles.statement.subject).toEqual(vector.subject);
    // Indentation as protobuf's MessageToJson writes it.
    expect(ours.payload.toString().split('\n').slice(0, 3)).toEqual(ref.payload.toString().split('\n').slice(0, 3));
  });

  it("the vectors' P-384 key: the reference's public key verifies it and the hint matches theirs", async () => {
    const dir = model({ 'signme-1': 'a' });
    const signed = await signModel({ modelPath: dir, privateKeyPem: vectorKey('signing-key.pem') });
    const { bundle, payload, sig } = decode(signed.bundleJson);
    expect(bundle.verificationMaterial.publicKey.hint).toBe(vectorBundle('v1.1.0-elliptic-key').bundle.verificationMaterial.publicKey.hint);
    expect(cryptoVerify('sha384', pae(bundle.dsseEnvelope.payloadType, payload), { key: createPublicKey(vectorKey('signing-key-pub.pem')), dsaEncoding: 'der' }, sig)).toBe(true);
    await expect(verifyModelSignature({ modelPath: dir, bundle: signed.bundleJson, trust: { publicKeyPem: vectorKey('signing-key-pub.pem') } })).resolves.toBeTruthy();
  });

  it('a single file is a model of one resource named "."', async () => {
    const keys = generateSigningKeyPair();
    const dir = model({ 'model.gguf': 'gguf bytes' });
    const file = join(dir, 'model.gguf');
    const signed = await signModel({ modelPath: file, privateKeyPem: keys.privateKeyPem });
    expect(signed.kind).toBe('file');
    expect(signed.statement.subject[0]!.name).toBe('model.gguf');
    expect(signed.statement.predicate.resources.map((r) => r.name)).toEqual(['.']);
    await expect(verifyModelSignature({ modelPath: file, bundle: signed.bundleJson, trust: { publicKeyPem: keys.publicKeyPem } })).resolves.toBeTruthy();
    writeFileSync(file, 'other bytes');
    const e = await refusal(() => verifyModelSignature({ modelPath: file, bundle: signed.bundleJson, trust: { publicKeyPem: keys.publicKeyPem } }), 'model_mismatch');
    expect(e.message).toBe('the model does not match its signature: file changed: model.gguf');
  });

  it('symlinks: the model path may be one; inside the model only when allowed, as recorded at signing', async () => {
    const keys = generateSigningKeyPair();
    const dir = model({ 'weights.bin': 'w' });
    const link = join(dir, '..', 'latest');
    symlinkSync(dir, link);
    const signed = await signModel({ modelPath: link, privateKeyPem: keys.privateKeyPem });
    expect(signed.statement.subject[0]!.name).toBe('latest');
    await expect(verifyModelSignature({ modelPath: link, bundle: signed.bundleJson, trust: { publicKeyPem: keys.publicKeyPem } })).resolves.toBeTruthy();

    symlinkSync('weights.bin', join(dir, 'alias.bin'));
    const refused = await verifyModelSignature({ modelPath: dir, modelName: null, bundle: signed.bundleJson, trust: { publicKeyPem: keys.publicKeyPem } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StewardError);
    expect((refused as StewardError).code).toBe('invalid_path');
    const withLinks = await signModel({ modelPath: dir, privateKeyPem: keys.privateKeyPem, allowSymlinks: true });
    expect(withLinks.statement.predicate.serialization.allow_symlinks).toBe(true);
    // The verifier follows links because the statement says the signer did.
    const r = await verifyModelSignature({ modelPath: dir, bundle: withLinks.bundleJson, trust: { publicKeyPem: keys.publicKeyPem } });
    expect(r.manifest.files.map((f) => f.path)).toEqual(['alias.bin', 'weights.bin']);
  });

  it('refuses keys that are not ECDSA on P-256/P-384/P-521, and empty models', async () => {
    const dir = model();
    const pkcs8 = (k: { export(o: object): string | Buffer }) => k.export({ type: 'pkcs8', format: 'pem' }) as string;
    await refusal(() => signModel({ modelPath: dir, privateKeyPem: pkcs8(generateKeyPairSync('ed25519').privateKey) }), 'wrong_key_type');
    await refusal(() => signModel({ modelPath: dir, privateKeyPem: pkcs8(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey) }), 'wrong_key_type');
    await refusal(() => signModel({ modelPath: dir, privateKeyPem: pkcs8(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey) }), 'unsupported_curve');
    await expect(signModel({ modelPath: dir, privateKeyPem: generateSigningKeyPair().publicKeyPem })).rejects.toThrow('this is a public key');
    const empty = model({ '.gitignore': '*.tmp' });
    const e = await signModel({ modelPath: empty, privateKeyPem: generateSigningKeyPair().privateKeyPem }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StewardError);
    expect((e as Error).message).toContain('no files to sign');
  });
});

describe('signModel with a certificate', () => {
  it("the vectors' key and certificate chain: verifies against their CA, shaped like their bundle", async () => {
    const dir = model({ 'signme-1': 'a', 'signme-2': 'b' });
    const signed = await signModel({
      modelPath: dir,
      privateKeyPem: vectorKey('signing-key.pem'),
      certificateChainPem: [vectorKey('signing-key-cert.pem'), vectorKey('int-ca-cert.pem')],
    });
    const ours = decode(signed.bundleJson);
    const ref = vectorBundle('v1.1.0-certificate');
    expect(shape(ours.bundle)).toEqual(shape(ref.bundle));
    expect(ours.bundle.verificationMaterial).toEqual(ref.bundle.verificationMaterial); // same two certificates, same order
    const leaf = new X509Certificate(Buffer.from(ours.bundle.verificationMaterial.x509CertificateChain.certificates[0].rawBytes, 'base64'));
    expect(cryptoVerify('sha384', pae(ours.bundle.dsseEnvelope.payloadType, ours.payload), { key: leaf.publicKey, dsaEncoding: 'der' }, ours.sig)).toBe(true);
    const r = await verifyModelSignature({ modelPath: dir, bundle: signed.bundleJson, trust: { certificateChainPem: [vectorKey('ca-cert.pem')] } });
    expect(r.signer.method).toBe('certificate');
  });

  it('refuses a certificate that is not for the private key', async () => {
    await expect(
      signModel({ modelPath: model(), privateKeyPem: generateSigningKeyPair({ curve: 'P-384' }).privateKeyPem, certificateChainPem: fixture('leaf.pem') }),
    ).rejects.toThrow('is not for this private key');
  });
});
