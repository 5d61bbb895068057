/**
 * `steward keys create`, `steward sign` and `steward verify-signature` as real processes, on
 * copies of the model-signing interop vectors and on models they sign themselves.
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { json, ok, runCli } from './helpers/processes.js';
import { writeTree } from './helpers/files.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const VECTORS = path.resolve(here, '../../../../shared/vectors/model-signing');
const KEYS = path.join(VECTORS, 'keys', 'certificate');
const CERTS = path.resolve(here, '../../attest/test/fixtures/certificates');
const PUB = path.join(KEYS, 'signing-key-pub.pem');
const CA = path.join(KEYS, 'ca-cert.pem');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-sign-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** A writable copy of a vector, under its own name (the subject name is the directory name). */
function copy(vector: string): string {
  const dst = path.join(tmp, String(n++), vector);
  fs.cpSync(path.join(VECTORS, vector), dst, { recursive: true });
  fs.chmodSync(dst, 0o755);
  for (const f of fs.readdirSync(dst)) fs.chmodSync(path.join(dst, f), 0o644);
  return dst;
}

function trustArgs(vector: string): string[] {
  return vector.includes('certificate') ? ['--certificate-chain', CA] : ['--public-key', PUB];
}

/** verify-signature arguments for a vector directory as the reference CLI would be run on it. */
function verifyArgs(vector: string, dir: string): string[] {
  const oneFile = vector === 'v0.3.1-elliptic-key' || vector === 'v1.0.0-elliptic-key';
  const ignore = fs.existsSync(path.join(dir, 'ignore-me')) ? ['--ignore-paths', path.join(dir, 'ignore-me')] : [];
  return ['verify-signature', oneFile ? path.join(dir, 'signme-1') : dir, '--signature', path.join(dir, 'model.sig'), ...trustArgs(vector), ...ignore];
}

const VECTOR_NAMES = fs.readdirSync(VECTORS).filter((v) => v.startsWith('v')).sort();

describe('steward verify-signature on the reference vectors', () => {
  it.each(VECTOR_NAMES)('%s verifies (exit 0)', async (vector) => {
    const r = ok(await runCli(verifyArgs(vector, path.join(VECTORS, vector))));
    expect(r.stdout).toMatch(/^verified \S+: \d files?, sha256:[0-9a-f]{64}\nsigned by (key e8450dec4eb9\S+ \(ECDSA P-384\)|certificate CN=intermediate-ca \(ECDSA P-384\), chain .* -> CN=root-ca, validity checked at 2025-05-02T23:36:28.000Z)\n$/);
  });

  it('ignore paths may also be given relative to the model, and v1.1.0 needs none (its statement lists them)', async () => {
    const dir = path.join(VECTORS, 'v1.0.1-elliptic-key');
    ok(await runCli(['verify-signature', dir, '--public-key', PUB, '--ignore-paths', 'ignore-me']));
    ok(await runCli(['verify-signature', path.join(VECTORS, 'v1.1.0-elliptic-key'), '--public-key', PUB]));
    const r = await runCli(['verify-signature', dir, '--public-key', PUB]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('steward: error: signature verification failed (model_mismatch): the model does not match its signature: extra file: ignore-me\n');
  });

  it('--json reports the signer and statement, and the reason when invalid', async () => {
    const dir = path.join(VECTORS, 'v1.1.0-certificate');
    const good = json(await runCli(['verify-signature', dir, '--certificate-chain', CA, '--json']));
    expect(good).toMatchObject({ verified: true, model: 'v1.1.0-certificate', kind: 'directory', files: 2, signer: { method: 'certificate', subject: 'CN=intermediate-ca' } });
    expect(good.statement.predicateType).toBe('https://model_signing/signature/v1.0');
    const bad = await runCli(['verify-signature', dir, '--certificate-chain', path.join(CERTS, 'other-ca.pem'), '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ verified: false, reason: 'certificate_untrusted' });
    expect(bad.stderr).toContain('signature verification failed (certificate_untrusted): certificate chain does not lead to a given CA');
  });
});

describe('steward verify-signature refuses tampered models (exit 1, reason on stderr)', () => {
  const expectInvalid = async (args: string[], reason: string, needle: string) => {
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`signature verification failed (${reason})`);
    expect(r.stderr).toContain(needle);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stdout).toBe('');
  };

  it.each(['v1.1.0-elliptic-key', 'v1.0.1-certificate'])('%s: changed, extra, missing file; flipped signature bit', async (vector) => {
    let dir = copy(vector);
    fs.appendFileSync(path.join(dir, 'signme-2'), 'x');
    await expectInvalid(verifyArgs(vector, dir), 'model_mismatch', 'file changed: signme-2');

    dir = copy(vector);
    fs.writeFileSync(path.join(dir, 'added.bin'), 'x');
    await expectInvalid(verifyArgs(vector, dir), 'model_mismatch', 'extra file: added.bin');

    dir = copy(vector);
    fs.rmSync(path.join(dir, 'signme-1'));
    await expectInvalid(verifyArgs(vector, dir), 'model_mismatch', 'missing file: signme-1');

    dir = copy(vector);
    const bundle = JSON.parse(fs.readFileSync(path.join(dir, 'model.sig'), 'utf8'));
    const sig = Buffer.from(bundle.dsseEnvelope.signatures[0].sig, 'base64');
    sig[sig.length - 2] = sig[sig.length - 2]! ^ 0x10;
    bundle.dsseEnvelope.signatures[0].sig = sig.toString('base64');
    fs.writeFileSync(path.join(dir, 'model.sig'), JSON.stringify(bundle));
    await expectInvalid(verifyArgs(vector, dir), 'signature_invalid', 'the signature does not verify');
  });

  it("another vector's bundle", async () => {
    const dir = copy('v1.1.0-elliptic-key');
    fs.copyFileSync(path.join(VECTORS, 'v1.0.1-elliptic-key', 'model.sig'), path.join(dir, 'model.sig'));
    await expectInvalid(verifyArgs('v1.1.0-elliptic-key', dir), 'other_model', 'the signature is for model "v1.0.1-elliptic-key", not "v1.1.0-elliptic-key"');
    // Told the name it was signed under, the files decide: these two vectors hold the same bytes.
    ok(await runCli([...verifyArgs('v1.1.0-elliptic-key', dir), '--model-name', 'v1.0.1-elliptic-key']));
    fs.copyFileSync(path.join(VECTORS, 'v1.1.0-certificate', 'model.sig'), path.join(dir, 'model.sig'));
    await expectInvalid([...verifyArgs('v1.1.0-elliptic-key', dir), '--model-name', 'v1.1.0-certificate'], 'model_mismatch', 'file changed: signme-1');
  });

  it('malformed signature files', async () => {
    const dir = copy('v1.1.0-elliptic-key');
    const sigPath = path.join(dir, 'model.sig');
    const original = JSON.parse(fs.readFileSync(sigPath, 'utf8'));
    const cases: [object | string, string, string][] = [
      ['{not json', 'malformed_bundle', 'bundle is not valid JSON'],
      [{ ...original, mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1' }, 'unsupported_bundle', 'unsupported bundle mediaType'],
      [{ ...original, dsseEnvelope: { ...original.dsseEnvelope, payloadType: 'text/plain' } }, 'malformed_bundle', 'payloadType must be application/vnd.in-toto+json'],
      [{ ...original, dsseEnvelope: { ...original.dsseEnvelope, signatures: [] } }, 'malformed_bundle', 'signatures must be a non-empty array'],
      [{ ...original, dsseEnvelope: { ...original.dsseEnvelope, signatures: [{ sig: '%%%', keyid: '' }] } }, 'malformed_bundle', 'not valid base64'],
    ];
    for (const [content, reason, needle] of cases) {
      fs.writeFileSync(sigPath, typeof content === 'string' ? content : JSON.stringify(content));
      await expectInvalid(['verify-signature', dir, '--public-key', PUB, '--ignore-paths', 'ignore-me'], reason, needle);
    }
  });

  it('certificates: not leading to the given CA, expired CA, not for signing', async () => {
    const dir = writeTree(path.join(tmp, String(n++), 'cert-model'), { 'weights.bin': 'w' });
    const signWith = async (...chain: string[]) =>
      ok(await runCli(['sign', dir, '--key', path.join(CERTS, 'leaf.key'), ...chain.flatMap((c) => ['--certificate-chain', path.join(CERTS, c)])]));
    const verifyWith = (ca: string) => runCli(['verify-signature', dir, '--certificate-chain', path.join(CERTS, ca)]);

    await signWith('leaf.pem');
    ok(await verifyWith('root-ca.pem'));
    await expectInvalid(['verify-signature', dir, '--certificate-chain', path.join(CERTS, 'other-ca.pem')], 'certificate_untrusted', 'does not lead to a given CA');
    await signWith('leaf-under-expired-ca.pem', 'expired-int-ca.pem');
    await expectInvalid(['verify-signature', dir, '--certificate-chain', path.join(CERTS, 'root-ca.pem')], 'certificate_expired', 'CA certificate CN=Expired Intermediate CA had expired');
    await signWith('no-signing-leaf.pem');
    await expectInvalid(['verify-signature', dir, '--certificate-chain', path.join(CERTS, 'root-ca.pem')], 'certificate_usage', 'may not sign');
  });
});

describe('usage errors (exit 2)', () => {
  const dir = path.join(VECTORS, 'v1.1.0-elliptic-key');
  const keyFile = (name: string, k: { export(o: object): string | Buffer }) => {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, k.export({ type: 'spki', format: 'pem' }));
    return p;
  };
  const expectUsage = async (args: string[], message: string) => {
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  it('trust material: none, both, unreadable, not ECDSA P-256/384/521', async () => {
    await expectUsage(['verify-signature', dir], 'give --public-key (key signatures) or --certificate-chain');
    await expectUsage(['verify-signature', dir, '--public-key', PUB, '--certificate-chain', CA], 'either --public-key or --certificate-chain, not both');
    await expectUsage(['verify-signature', dir, '--public-key', path.join(tmp, 'missing.pem')], 'cannot read public key');
    await expectUsage(['verify-signature', dir, '--public-key', keyFile('ed.pub', generateKeyPairSync('ed25519').publicKey)], 'the public key is an Ed25519 key, not ECDSA');
    await expectUsage(['verify-signature', dir, '--public-key', keyFile('rsa.pub', generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey)], 'the public key is an RSA key, not ECDSA');
    await expectUsage(['verify-signature', dir, '--public-key', keyFile('k1.pub', generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey)], 'the public key is on curve secp256k1');
    await expectUsage(['verify-signature', dir, '--certificate-chain', PUB], 'no PEM certificate found');
  });

  it('a missing model or signature', async () => {
    await expectUsage(['verify-signature', path.join(tmp, 'nothing-here'), '--public-key', PUB], 'cannot open model');
    await expectUsage(['verify-signature', dir, '--public-key', PUB, '--signature', path.join(tmp, 'none.sig')], 'cannot read signature');
  });
});

describe('steward keys create and steward sign', () => {
  it('creates a P-256 pair by default (private key 0600) and refuses to overwrite it', async () => {
    const prefix = path.join(tmp, 'signer');
    const r = ok(await runCli(['keys', 'create', '--out', prefix]));
    expect(r.stdout).toBe(`${prefix}.pub\n`);
    expect(fs.statSync(`${prefix}.key`).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(`${prefix}.key`, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(fs.readFileSync(`${prefix}.pub`, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const again = await runCli(['keys', 'create', '--out', prefix]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`${prefix}.key already exists; not overwriting a key`);
    const p384 = json(await runCli(['keys', 'create', '--out', path.join(tmp, 'signer384'), '--curve', 'P-384', '--json']));
    expect(p384).toMatchObject({ curve: 'P-384', publicKeyHint: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const bad = await runCli(['keys', 'create', '--out', path.join(tmp, 'k1'), '--curve', 'secp256k1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--curve: "secp256k1" is not one of P-256, P-384');
    expect(fs.existsSync(path.join(tmp, 'k1.key'))).toBe(false);
  });

  it('signs into DIR/model.sig (atomically, leaving it out of the manifest) and the signature verifies', async () => {
    const prefix = path.join(tmp, 'm-signer');
    ok(await runCli(['keys', 'create', '--out', prefix]));
    const dir = writeTree(path.join(tmp, String(n++), 'my-model'), { 'config.json': '{}', 'weights/a.bin': 'a', 'notes.txt': 'scratch' });
    const r = ok(await runCli(['sign', dir, '--key', `${prefix}.key`, '--ignore-paths', 'notes.txt']));
    expect(r.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(r.stderr).toContain(`signed my-model: 2 files`);
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.sig', 'notes.txt', 'weights']); // no temp file left
    const v = json(await runCli(['verify-signature', dir, '--public-key', `${prefix}.pub`, '--json']));
    expect(v.rootDigest).toBe(r.stdout.trim().slice('sha256:'.length));
    expect(v.statement.predicate.serialization.ignore_paths).toEqual(['.git', '.gitattributes', '.github', '.gitignore', 'model.sig', 'notes.txt']);
    // Signing again replaces the signature; a signature elsewhere works too.
    ok(await runCli(['sign', dir, '--key', `${prefix}.key`, '--ignore-paths', 'notes.txt']));
    const elsewhere = path.join(tmp, 'my-model.sig');
    ok(await runCli(['sign', dir, '--key', `${prefix}.key`, '--signature', elsewhere, '--ignore-paths', path.join(dir, 'notes.txt'), '--ignore-paths', 'model.sig']));
    ok(await runCli(['verify-signature', dir, '--public-key', `${prefix}.pub`, '--signature', elsewhere]));
  });

  it("signs with the vectors' key and certificate chain; their CA verifies it", async () => {
    const dir = writeTree(path.join(tmp, String(n++), 'cert-signed'), { 'model.safetensors': 'tensors' });
    ok(await runCli(['sign', dir, '--key', path.join(KEYS, 'signing-key.pem'), '--certificate-chain', path.join(KEYS, 'signing-key-cert.pem'), '--certificate-chain', path.join(KEYS, 'int-ca-cert.pem')]));
    const v = json(await runCli(['verify-signature', dir, '--certificate-chain', CA, '--json']));
    expect(v.signer.chain).toEqual(['CN=intermediate-ca', 'CN=intermediate-ca', 'CN=root-ca']);
  });

  it('refuses keys that are not ECDSA on a supported curve (exit 2) and writes nothing', async () => {
    const dir = writeTree(path.join(tmp, String(n++), 'unsigned'), { 'a.bin': 'a' });
    const ed = path.join(tmp, 'ed.key');
    fs.writeFileSync(ed, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const r = await runCli(['sign', dir, '--key', ed]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the private key is an Ed25519 key, not ECDSA');
    expect(fs.readdirSync(dir)).toEqual(['a.bin']);
  });
});
