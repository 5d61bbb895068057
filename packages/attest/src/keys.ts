/**
 * ECDSA keys for model signatures, as model_signing 1.x accepts them: P-256, P-384 or P-521,
 * each signing with the hash of its size (SHA-256, SHA-384, SHA-512).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { StewardError } from '@steward/domain/core';
import { refuseSignature } from './signature-error.js';

export type EcdsaCurve = 'P-256' | 'P-384' | 'P-521';
/** Curves Steward generates keys on (P-521 is accepted for verification only). */
export type SigningCurve = 'P-256' | 'P-384';
export type EcdsaHash = 'sha256' | 'sha384' | 'sha512';

export const SIGNING_CURVES: readonly SigningCurve[] = ['P-256', 'P-384'];

const CURVES: Record<string, { curve: EcdsaCurve; hash: EcdsaHash }> = {
  prime256v1: { curve: 'P-256', hash: 'sha256' },
  secp384r1: { curve: 'P-384', hash: 'sha384' },
  secp521r1: { curve: 'P-521', hash: 'sha512' },
};

export interface EcdsaKey {
  key: KeyObject;
  curve: EcdsaCurve;
  hash: EcdsaHash;
}

export interface EcdsaPrivateKey extends EcdsaKey {
  publicKey: KeyObject;
}

export interface SigningKeyPairPem {
  curve: SigningCurve;
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  /** SubjectPublicKeyInfo PEM. */
  publicKeyPem: string;
}

export function generateSigningKeyPair(opts: { curve?: SigningCurve } = {}): SigningKeyPairPem {
  const curve = opts.curve ?? 'P-256';
  if (!SIGNING_CURVES.includes(curve)) {
    throw new StewardError('bad_request', `unsupported curve ${JSON.stringify(curve)} (use ${SIGNING_CURVES.join(' or ')})`);
  }
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
  return {
    curve,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

/** Checks that `key` (public or private) is ECDSA on a supported curve; `what` names it in errors. */
export function ecdsaKeyOf(key: KeyObject, what: string): EcdsaKey {
  if (key.asymmetricKeyType !== 'ec') {
    refuseSignature('wrong_key_type', `${what} is ${describeKeyType(key)}, not ECDSA: model signatures use ECDSA keys on P-256, P-384 or P-521`, {
      keyType: key.asymmetricKeyType,
    });
  }
  const named = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
  const known = CURVES[named];
  if (!known) {
    refuseSignature('unsupported_curve', `${what} is on curve ${named}; model signatures use P-256, P-384 or P-521`, { curve: named });
  }
  return { key, ...known };
}

function describeKeyType(key: KeyObject): string {
  const t = key.asymmetricKeyType;
  if (t === 'rsa' || t === 'rsa-pss') return 'an RSA key';
  if (t === 'ed25519' || t === 'ed448') return `an ${t === 'ed25519' ? 'Ed25519' : 'Ed448'} key`;
  return `a ${t ?? 'symmetric'} key`;
}

const PRIVATE_PEM = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;
const PUBLIC_PEM = /-----BEGIN (?:RSA )?PUBLIC KEY-----/;

/** A PEM private key (PKCS#8 or SEC1 "EC PRIVATE KEY"), refused unless ECDSA on a supported curve. */
export function loadSigningPrivateKey(pem: string): EcdsaPrivateKey {
  if (!PRIVATE_PEM.test(pem)) {
    throw new StewardError('bad_request', PUBLIC_PEM.test(pem) ? 'this is a public key; signing needs the private key' : 'not a PEM private key');
  }
  // PKCS#8 "ENCRYPTED PRIVATE KEY" or a legacy PEM with "Proc-Type: 4,ENCRYPTED".
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: *4, *ENCRYPTED/.test(pem)) {
    throw new StewardError('bad_request', 'the private key is encrypted; passphrase-protected keys are not supported');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw new StewardError('bad_request', `cannot read the private key: ${(e as Error).message}`);
  }
  return { ...ecdsaKeyOf(key, 'the private key'), publicKey: createPublicKey(key) };
}

/** A PEM public key (SubjectPublicKeyInfo), refused unless ECDSA on a supported curve. */
export function loadVerificationPublicKey(pem: string): EcdsaKey {
  if (!PUBLIC_PEM.test(pem)) {
    // Node would happily derive a public key from a private one: refuse, a private key has no business here.
    throw new StewardError('bad_request', PRIVATE_PEM.test(pem) ? 'this is a private key; verification needs the public key' : 'not a PEM public key');
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw new StewardError('bad_request', `cannot read the public key: ${(e as Error).message}`);
  }
  return ecdsaKeyOf(key, 'the public key');
}

/**
 * The `publicKey.hint` model_signing writes: hex SHA-256 of the key's canonical SPKI PEM text
 * (64-column base64, "\n" line ends, trailing newline), not of the key file as found on disk (the
 * vectors' signing-key-pub.pem starts with a certtool text dump and still matches).
 */
export function publicKeyHint(publicKey: KeyObject): string {
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  return createHash('sha256').update(pem, 'utf8').digest('hex');
}
