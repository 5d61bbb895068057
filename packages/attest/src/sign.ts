/**
 * Signing in the OpenSSF model-signing format (model_signing 1.x, "key" and "certificate"
 * methods): an in-toto statement, wrapped in a DSSE envelope, in a Sigstore bundle v0.3.
 */
import { sign as cryptoSign } from 'node:crypto';
import { resolve } from 'node:path';
import { StewardError } from '@steward/domain/core';
import { SIGSTORE_BUNDLE_MEDIA_TYPE } from './bundle.js';
import { parsePemCertificates } from './certificates.js';
import { preAuthEncoding } from './dsse.js';
import { loadSigningPrivateKey, publicKeyHint } from './keys.js';
import { IN_TOTO_PAYLOAD_TYPE, toInTotoStatement, type Manifest, type ModelSigningStatement } from './manifest.js';
import { hashModel, modelKindOf, signatureIgnorePath, type ModelKind } from './model-path.js';
import type { HashModelDirectoryOptions } from './hash-directory.js';

export interface SigningKeyMaterial {
  /** PEM private key (PKCS#8 or SEC1), ECDSA on P-256, P-384 or P-521. */
  privateKeyPem: string;
  /**
   * PEM certificates, the signing certificate first, then any intermediates to ship in the bundle
   * (not the root the verifier already trusts). Absent: the "key" method (public key hint only).
   */
  certificateChainPem?: string | readonly string[];
}

/** The JSON text of a Sigstore bundle v0.3 over `statement`, as model_signing writes it. */
export function signStatement(statement: object, key: SigningKeyMaterial): string {
  const signer = loadSigningPrivateKey(key.privateKeyPem);
  let verificationMaterial: object;
  if (key.certificateChainPem !== undefined) {
    const pems = typeof key.certificateChainPem === 'string' ? [key.certificateChainPem] : key.certificateChainPem;
    const certs = pems.flatMap((pem, i) => parsePemCertificates(pem, `certificate chain ${i + 1}`));
    const leaf = certs[0];
    if (!leaf) throw new StewardError('bad_request', 'the certificate chain is empty');
    // As the reference: a certificate for another key would make a bundle nobody can verify.
    if (!leaf.publicKey.equals(signer.publicKey)) {
      throw new StewardError('bad_request', `the signing certificate (${leaf.subject.replace(/\n/g, ', ')}) is not for this private key`);
    }
    verificationMaterial = { x509CertificateChain: { certificates: certs.map((c) => ({ rawBytes: c.raw.toString('base64') })) }, tlogEntries: [] };
  } else {
    verificationMaterial = { publicKey: { hint: publicKeyHint(signer.publicKey) }, tlogEntries: [] };
  }
  // Two-space indentation and ": " separators, like protobuf's MessageToJson in the reference.
  const payload = Buffer.from(JSON.stringify(statement, null, 2), 'utf8');
  const sig = cryptoSign(signer.hash, preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, payload), { key: signer.key, dsaEncoding: 'der' });
  return JSON.stringify({
    mediaType: SIGSTORE_BUNDLE_MEDIA_TYPE,
    verificationMaterial,
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType: IN_TOTO_PAYLOAD_TYPE,
      signatures: [{ sig: sig.toString('base64'), keyid: '' }],
    },
  });
}

export interface SignModelOptions extends SigningKeyMaterial, Pick<HashModelDirectoryOptions, 'concurrency' | 'onProgress' | 'ignoreGitPaths'> {
  /** A model directory, or a single model file. */
  modelPath: string;
  /** Relative to the model directory; recorded in the statement's ignore_paths. */
  ignorePaths?: readonly string[];
  allowSymlinks?: boolean;
  /** Where the bundle will be written: left out of the manifest when inside the model directory. */
  signaturePath?: string;
}

export interface SignedModel {
  /** The bundle, JSON text: write it as it is. */
  bundleJson: string;
  statement: ModelSigningStatement;
  manifest: Manifest;
  kind: ModelKind;
}

/** Hashes the model and signs its model_signing statement (subject named after the model path). */
export async function signModel(opts: SignModelOptions): Promise<SignedModel> {
  // Check the key before hashing gigabytes.
  loadSigningPrivateKey(opts.privateKeyPem);
  const kind = await modelKindOf(opts.modelPath);
  const sigIgnore = opts.signaturePath === undefined ? [] : await signatureIgnorePath(opts.modelPath, resolve(opts.signaturePath), kind);
  const hashed = await hashModel(opts.modelPath, {
    allowSymlinks: opts.allowSymlinks ?? false,
    ignorePaths: [...(opts.ignorePaths ?? []), ...sigIgnore],
    ...(opts.ignoreGitPaths === undefined ? {} : { ignoreGitPaths: opts.ignoreGitPaths }),
    ...(opts.concurrency === undefined ? {} : { concurrency: opts.concurrency }),
    ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress }),
  });
  // As the reference: a signature over nothing would verify any empty directory.
  if (hashed.manifest.files.length === 0) {
    throw new StewardError('bad_request', `${opts.modelPath}: the model has no files to sign after the ignored paths are left out`);
  }
  const statement = toInTotoStatement(hashed.manifest, hashed.name);
  const key: SigningKeyMaterial = { privateKeyPem: opts.privateKeyPem };
  if (opts.certificateChainPem !== undefined) key.certificateChainPem = opts.certificateChainPem;
  return { bundleJson: signStatement(statement, key), statement, manifest: hashed.manifest, kind };
}
