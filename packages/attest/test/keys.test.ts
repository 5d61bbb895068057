import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StewardError } from '@steward/domain';
import { SignatureError, generateSigningKeyPair, loadSigningPrivateKey, loadVerificationPublicKey, publicKeyHint } from '../src/index.js';
import { vectorKey } from './helpers/vectors.js';

describe('generateSigningKeyPair', () => {
  it.each([
    ['P-256', 'prime256v1'],
    ['P-384', 'secp384r1'],
  ] as const)('%s: PKCS#8 private and SPKI public PEM of one pair', (curve, named) => {
    const k = generateSigningKeyPair({ curve });
    expect(k.curve).toBe(curve);
    expect(k.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(k.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(createPrivateKey(k.privateKeyPem).asymmetricKeyDetails?.namedCurve).toBe(named);
    expect(createPublicKey(k.privateKeyPem).export({ type: 'spki', format: 'pem' })).toBe(k.publicKeyPem);
  });

  it('defaults to P-256 and refuses other curves', () => {
    expect(generateSigningKeyPair().curve).toBe('P-256');
    expect(() => generateSigningKeyPair({ curve: 'P-521' as 'P-256' })).toThrow('unsupported curve "P-521" (use P-256 or P-384)');
  });
});

describe('key loaders', () => {
  const pkcs8 = (k: { export(o: object): string | Buffer }) => k.export({ type: 'pkcs8', format: 'pem' }) as string;
  const spki = (k: { export(o: object): string | Buffer }) => k.export({ type: 'spki', format: 'pem' }) as string;

  it('accept P-256, P-384 and P-521 with the hash of their size, SEC1 and PKCS#8 alike', () => {
    for (const [curve, hash] of [['P-256', 'sha256'], ['P-384', 'sha384'], ['P-521', 'sha512']] as const) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      expect(loadSigningPrivateKey(pkcs8(privateKey))).toMatchObject({ curve, hash });
      expect(loadVerificationPublicKey(spki(publicKey))).toMatchObject({ curve, hash });
    }
    // The vectors' key is SEC1 ("EC PRIVATE KEY") after a certtool text dump.
    expect(loadSigningPrivateKey(vectorKey('signing-key.pem')).curve).toBe('P-384');
  });

  it.each<[string, () => { privateKey: { export(o: object): string | Buffer }; publicKey: { export(o: object): string | Buffer } }, string, string]>([
    ['Ed25519', () => generateKeyPairSync('ed25519'), 'wrong_key_type', 'is an Ed25519 key, not ECDSA'],
    ['RSA', () => generateKeyPairSync('rsa', { modulusLength: 2048 }), 'wrong_key_type', 'is an RSA key, not ECDSA'],
    ['secp256k1', () => generateKeyPairSync('ec', { namedCurve: 'secp256k1' }), 'unsupported_curve', 'is on curve secp256k1; model signatures use P-256, P-384 or P-521'],
  ])('refuse %s', (_, make, reason, message) => {
    const k = make();
    for (const load of [() => loadSigningPrivateKey(pkcs8(k.privateKey)), () => loadVerificationPublicKey(spki(k.publicKey))]) {
      try {
        load();
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(SignatureError);
        expect((e as SignatureError).reason).toBe(reason);
        expect((e as Error).message).toContain(message);
      }
    }
  });

  it('say what is wrong with the PEM', () => {
    const k = generateSigningKeyPair();
    expect(() => loadSigningPrivateKey(k.publicKeyPem)).toThrow('this is a public key; signing needs the private key');
    expect(() => loadVerificationPublicKey(k.privateKeyPem)).toThrow('this is a private key; verification needs the public key');
    expect(() => loadVerificationPublicKey('')).toThrow('not a PEM public key');
    const encrypted = createPrivateKey(k.privateKeyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string;
    expect(() => loadSigningPrivateKey(encrypted)).toThrow('the private key is encrypted');
    expect(() => loadSigningPrivateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')).toThrow(StewardError);
  });
});

describe('publicKeyHint', () => {
  it("is SHA-256 of the canonical PEM: the vectors' hint, though their key file starts with a text dump", () => {
    expect(publicKeyHint(loadVerificationPublicKey(vectorKey('signing-key-pub.pem')).key)).toBe('e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e');
  });
});
