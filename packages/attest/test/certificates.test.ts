/**
 * Certificate-method signatures against the fixture CA (test/fixtures/certificates/generate.sh):
 * trusted, untrusted, expired, not for signing, not a CA, not ECDSA.
 */
import { X509Certificate, createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { preAuthEncoding, signModel, verifyModelSignature, type VerifyModelSignatureOptions } from '../src/index.js';
import { fixture, refusal, scratch } from './helpers/vectors.js';

const tmp = scratch('attest-certs-');
afterAll(tmp.cleanup);

const dir = join(tmp.root, 'cert-model');
mkdirSync(dir);
writeFileSync(join(dir, 'weights.bin'), 'weights');
writeFileSync(join(dir, 'config.json'), '{}');

const ROOT = { certificateChainPem: [fixture('root-ca.pem')] };

async function signedWith(...chain: string[]): Promise<string> {
  return (await signModel({ modelPath: dir, privateKeyPem: fixture('leaf.key'), certificateChainPem: chain.map(fixture) })).bundleJson;
}

function verify(bundle: string, patch: Partial<VerifyModelSignatureOptions> = {}) {
  return verifyModelSignature({ modelPath: dir, bundle, trust: ROOT, ...patch });
}

describe('certificate chains', () => {
  it('a code-signing certificate issued by the given CA verifies; the signer is its subject', async () => {
    const r = await verify(await signedWith('leaf.pem'));
    expect(r.signer).toMatchObject({ method: 'certificate', subject: 'CN=model signer', issuer: 'CN=Steward Test Root CA', curve: 'P-256' });
    expect(r.signer.method === 'certificate' && r.signer.chain).toEqual(['CN=model signer', 'CN=Steward Test Root CA']);
  });

  it('a chain that does not lead to the given CA is untrusted', async () => {
    const e = await refusal(async () => verify(await signedWith('leaf.pem'), { trust: { certificateChainPem: fixture('other-ca.pem') } }), 'certificate_untrusted');
    expect(e.message).toBe('certificate chain does not lead to a given CA: no trusted issuer for CN=model signer (issued by CN=Steward Test Root CA)');
  });

  it('a certificate that has expired since is checked at its notBefore (as the reference), or refused when checked now', async () => {
    const bundle = await signedWith('expired-leaf.pem');
    const r = await verify(bundle);
    expect(r.signer.method === 'certificate' && r.signer.checkedAt).toBe('2021-01-01T00:00:00.000Z');
    const e = await refusal(() => verify(bundle, { certificateTime: new Date() }), 'certificate_expired');
    expect(e.message).toMatch(/^signing certificate had expired at .* \(valid 2021-01-01T00:00:00.000Z to 2022-01-01T00:00:00.000Z\)$/);
  });

  it('a CA that had expired before it issued the signing certificate is refused', async () => {
    const e = await refusal(async () => verify(await signedWith('leaf-under-expired-ca.pem', 'expired-int-ca.pem')), 'certificate_expired');
    expect(e.message).toBe(
      'CA certificate CN=Expired Intermediate CA had expired at 2022-01-01T00:00:00.000Z (valid 2020-01-01T00:00:00.000Z to 2021-01-01T00:00:00.000Z)',
    );
  });

  it('a certificate without digitalSignature or codeSigning may not sign', async () => {
    const e = await refusal(async () => verify(await signedWith('no-signing-leaf.pem')), 'certificate_usage');
    expect(e.message).toContain('keyUsage lacks digitalSignature and extendedKeyUsage lacks codeSigning');
  });

  it('a certificate issued by a non-CA is untrusted', async () => {
    const e = await refusal(async () => verify(await signedWith('issued-by-leaf.pem', 'leaf.pem')), 'certificate_untrusted');
    // OpenSSL's issuer check already refuses it (no keyCertSign), so no path is found.
    expect(e.message).toContain('no trusted issuer for CN=issued by a leaf (issued by CN=model signer)');
  });

  it('a signing certificate with an Ed25519 key is the wrong key type', async () => {
    // Built by hand: signModel refuses Ed25519 keys.
    const bundle = JSON.parse(await signedWith('leaf.pem'));
    const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
    const sig = cryptoSign(null, preAuthEncoding(bundle.dsseEnvelope.payloadType, payload), createPrivateKey(fixture('ed25519-leaf.key')));
    bundle.dsseEnvelope.signatures[0].sig = sig.toString('base64');
    bundle.verificationMaterial.x509CertificateChain.certificates = [{ rawBytes: new X509Certificate(fixture('ed25519-leaf.pem')).raw.toString('base64') }];
    const e = await refusal(() => verify(JSON.stringify(bundle)), 'wrong_key_type');
    expect(e.message).toContain('the signing certificate key is an Ed25519 key');
  });

  it('a certificate chain that is not DER is a malformed bundle; no CA at all is an error', async () => {
    const bundle = JSON.parse(await signedWith('leaf.pem'));
    bundle.verificationMaterial.x509CertificateChain.certificates[0].rawBytes = Buffer.from('not a certificate').toString('base64');
    await refusal(() => verify(JSON.stringify(bundle)), 'malformed_bundle');
    await expect(verify(await signedWith('leaf.pem'), { trust: { certificateChainPem: 'no certificates here' } })).rejects.toThrow('no PEM certificate found');
  });
});
