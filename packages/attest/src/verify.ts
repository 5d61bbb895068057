/**
 * Verification of OpenSSF model signatures (model_signing 1.x "key" and "certificate" methods)
 * and of other signed in-toto statements (SLSA provenance) in the same bundle format.
 *
 * Order, as the reference: bundle format, then the signature (certificate chain first), then the
 * statement, then the files. Nothing is hashed until the signature is known to be good.
 */
import { X509Certificate, verify as cryptoVerify } from 'node:crypto';
import { join } from 'node:path';
import { compareManifestPaths } from '@steward/domain/core';
import {
  SIGSTORE_BUNDLE_MEDIA_TYPE,
  decodeBundleBase64,
  parseDsseBundle,
  parseInTotoStatement,
  parseModelSigningStatement,
  type InTotoStatement,
  type ParsedDsseBundle,
  type ParsedModelSigningBundle,
} from './bundle.js';
import { parsePemCertificates, verifyCertificateChain } from './certificates.js';
import { preAuthEncoding } from './dsse.js';
import type { HashModelDirectoryOptions } from './hash-directory.js';
import { ecdsaKeyOf, loadVerificationPublicKey, publicKeyHint, type EcdsaCurve, type EcdsaKey } from './keys.js';
import { normalizeIgnorePaths, type Manifest, type ModelSigningStatement } from './manifest.js';
import { SINGLE_FILE_RESOURCE, hashModel, modelKindOf, modelNameOf, signatureIgnorePath, type ModelKind } from './model-path.js';
import { refuseSignature } from './signature-error.js';

/** What the verifier trusts: one public key, or CA certificates (PEM texts, any number of certificates each). */
export type VerificationTrust = { publicKeyPem: string } | { certificateChainPem: string | readonly string[] };

export type SignerIdentity =
  | {
      method: 'key';
      /** Hex SHA-256 of the trusted key's SPKI PEM (what the bundle's publicKey.hint holds). */
      publicKeyHint: string;
      curve: EcdsaCurve;
    }
  | {
      method: 'certificate';
      /** Subject of the signing certificate, one RDN per line as Node prints it. */
      subject: string;
      issuer: string;
      serialNumber: string;
      fingerprint256: string;
      curve: EcdsaCurve;
      /** Subjects from the signing certificate up to the trusted CA. */
      chain: string[];
      /** When validity periods were checked (the signing certificate's notBefore unless told otherwise). */
      checkedAt: string;
    };

export interface EnvelopeVerificationOptions {
  trust: VerificationTrust;
  /** Check certificate validity at this time instead of the signing certificate's notBefore (see certificates.ts). */
  certificateTime?: Date;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function signatureVerifies(key: EcdsaKey, bundle: ParsedDsseBundle): boolean {
  const pae = preAuthEncoding(bundle.payloadType, bundle.payloadBytes);
  // DSSE accepts an envelope when any one of its signatures verifies with a trusted key.
  return bundle.signatures.some((s, i) => {
    const sig = decodeBundleBase64(s.sig, `signatures[${i}].sig`);
    try {
      return cryptoVerify(key.hash, pae, { key: key.key, dsaEncoding: 'der' }, sig);
    } catch {
      return false; // not DER at all
    }
  });
}

function refuseBadSignature(): never {
  refuseSignature('signature_invalid', 'the signature does not verify: the signed statement or the signature was altered, or it was signed with another key');
}

/** Checks the bundle's format and its signature against `trust`; returns who signed. */
export function verifyBundleSignature(bundle: ParsedDsseBundle, opts: EnvelopeVerificationOptions): SignerIdentity {
  if (bundle.mediaType !== SIGSTORE_BUNDLE_MEDIA_TYPE) {
    refuseSignature('unsupported_bundle', `unsupported bundle mediaType ${JSON.stringify(bundle.mediaType)} (expected ${SIGSTORE_BUNDLE_MEDIA_TYPE})`);
  }
  const material = bundle.verificationMaterial;
  if (!isObject(material)) refuseSignature('malformed_bundle', 'model signature: bundle has no verificationMaterial');

  if ('publicKeyPem' in opts.trust) {
    const key = loadVerificationPublicKey(opts.trust.publicKeyPem);
    const hint = publicKeyHint(key.key);
    // As the reference: a hint naming another key is an error (a clearer one than "signature
    // invalid"); no hint (bundles before 1.1 carry rawBytes instead) is accepted.
    const given = isObject(material.publicKey) ? material.publicKey.hint : undefined;
    if (typeof given === 'string' && given !== '' && given.toLowerCase() !== hint) {
      refuseSignature('key_mismatch', `the bundle was signed with a different key (its key hint is ${given}, the given public key's is ${hint})`, {
        bundleHint: given,
        keyHint: hint,
      });
    }
    if (!signatureVerifies(key, bundle)) refuseBadSignature();
    return { method: 'key', publicKeyHint: hint, curve: key.curve };
  }

  const chainMaterial = isObject(material.x509CertificateChain) ? material.x509CertificateChain.certificates : undefined;
  if (chainMaterial === undefined) {
    refuseSignature(
      'wrong_signing_method',
      isObject(material.publicKey)
        ? 'the bundle was signed with a plain key, not a certificate: verify it with the public key'
        : 'the bundle carries no certificate chain',
    );
  }
  if (!Array.isArray(chainMaterial) || chainMaterial.length === 0) refuseSignature('malformed_bundle', 'model signature: x509CertificateChain.certificates must be a non-empty array');
  const chain = chainMaterial.map((c, i) => {
    const der = decodeBundleBase64(isObject(c) ? c.rawBytes : undefined, `certificates[${i}].rawBytes`);
    try {
      return new X509Certificate(der);
    } catch (e) {
      refuseSignature('malformed_bundle', `model signature: certificates[${i}] is not an X.509 certificate (${(e as Error).message})`);
    }
  });
  const pems = typeof opts.trust.certificateChainPem === 'string' ? [opts.trust.certificateChainPem] : opts.trust.certificateChainPem;
  const trusted = pems.flatMap((pem, i) => parsePemCertificates(pem, pems.length > 1 ? `CA certificate file ${i + 1}` : 'CA certificate file'));
  const checked = verifyCertificateChain(chain, trusted, opts.certificateTime);
  const leaf = chain[0]!;
  const key = ecdsaKeyOf(leaf.publicKey, 'the signing certificate key');
  if (!signatureVerifies(key, bundle)) refuseBadSignature();
  return {
    method: 'certificate',
    subject: leaf.subject,
    issuer: leaf.issuer,
    serialNumber: leaf.serialNumber,
    fingerprint256: leaf.fingerprint256,
    curve: key.curve,
    chain: checked.path.map((c) => c.subject),
    checkedAt: checked.checkedAt.toISOString(),
  };
}

export interface VerifyModelSignatureOptions extends EnvelopeVerificationOptions, Pick<HashModelDirectoryOptions, 'concurrency' | 'onProgress' | 'ignoreGitPaths'> {
  /** A model directory, or a single model file (bundles that signed one file, like the v0.3.1 vectors). */
  modelPath: string;
  /** The bundle: JSON text, its bytes, or already parsed. */
  bundle: string | Uint8Array | ParsedModelSigningBundle;
  /** More paths (relative to the model directory) to leave out, on top of the statement's own ignore_paths. */
  ignorePaths?: readonly string[];
  /** Follow symlinks inside the model (default: what the statement records). */
  allowSymlinks?: boolean;
  /** Where the bundle lives, left out of the model when inside it (default: model.sig in the model directory). */
  signaturePath?: string;
  /**
   * The model the bundle must be about: its subject name (default: the model path's last
   * component, which is what signers write). null skips the check, as the reference does (it
   * treats the name as informative); pass the original name when a directory was renamed.
   */
  modelName?: string | null;
}

export interface ModelSignatureVerification {
  kind: ModelKind;
  /** The subject name in the statement. */
  modelName: string;
  rootDigest: string;
  statement: ModelSigningStatement;
  signer: SignerIdentity;
  /** The model as hashed now (equal to the statement's resources). */
  manifest: Manifest;
}

export interface ManifestDifferences {
  changed: string[];
  extra: string[];
  missing: string[];
}

function listed(one: string, many: string, paths: string[]): string {
  const MAX = 10;
  const shown = paths.slice(0, MAX).join(', ');
  return `${paths.length > 1 ? many : one}: ${shown}${paths.length > MAX ? ` and ${paths.length - MAX} more` : ''}`;
}

/** Signed resources vs the files found now, by path. */
export function diffManifest(statement: ModelSigningStatement, manifest: Manifest): ManifestDifferences {
  const signed = new Map(statement.predicate.resources.map((r) => [r.name, r.digest]));
  const found = new Map(manifest.files.map((f) => [f.path, f.sha256]));
  const changed: string[] = [];
  const missing: string[] = [];
  for (const [name, digest] of signed) {
    const now = found.get(name);
    if (now === undefined) missing.push(name);
    else if (now !== digest) changed.push(name);
  }
  const extra = [...found.keys()].filter((p) => !signed.has(p));
  for (const list of [changed, extra, missing]) list.sort(compareManifestPaths);
  return { changed, extra, missing };
}

function checkStatementIsVerifiable(statement: ModelSigningStatement): void {
  const { serialization, resources } = statement.predicate;
  if (serialization.method !== 'files') {
    refuseSignature('unsupported_bundle', `the model was signed with the "${serialization.method}" serialization; only "files" can be verified`);
  }
  if (serialization.hash_type !== 'sha256') {
    refuseSignature('unsupported_bundle', `the model was hashed with ${serialization.hash_type}; only sha256 can be verified`);
  }
  const names = new Set<string>();
  for (const r of resources) {
    if (r.algorithm !== 'sha256') refuseSignature('unsupported_bundle', `resource ${JSON.stringify(r.name)} uses ${r.algorithm}; only sha256 can be verified`);
    if (names.has(r.name)) refuseSignature('malformed_bundle', `model signature: resource ${JSON.stringify(r.name)} is listed twice`);
    names.add(r.name);
  }
}

/** The statement's own ignore_paths; entries that cannot name a path inside the model are dropped (ignoring less is stricter). */
function signedIgnorePaths(statement: ModelSigningStatement): string[] {
  const out: string[] = [];
  for (const p of statement.predicate.serialization.ignore_paths ?? []) {
    try {
      out.push(...normalizeIgnorePaths([p]));
    } catch {
      // not a relative path inside the model
    }
  }
  return out;
}

/** The signed payload as JSON (a bundle parsed elsewhere may carry anything). */
function payloadJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch (e) {
    refuseSignature('malformed_bundle', `model signature: DSSE payload is not UTF-8 JSON (${(e as Error).message})`);
  }
}

function parseModelBundle(bundle: VerifyModelSignatureOptions['bundle']): ParsedDsseBundle & { statement: ModelSigningStatement } {
  const parsed = typeof bundle === 'string' || bundle instanceof Uint8Array ? parseDsseBundle(bundle) : { ...bundle, payload: undefined };
  // Re-read the statement from the signed bytes: a parsed bundle handed in could disagree with them.
  const payload = payloadJson(parsed.payloadBytes);
  return { ...parsed, payload, statement: parseModelSigningStatement(payload) };
}

/**
 * Verifies a model against its model_signing bundle: the signature (key or certificate chain),
 * then that the statement is about this model, then every file. Throws a SignatureError naming
 * the reason (see SignatureFailureReason); StewardErrors of other kinds mean the model or the
 * trust material could not be read.
 */
export async function verifyModelSignature(opts: VerifyModelSignatureOptions): Promise<ModelSignatureVerification> {
  const bundle = parseModelBundle(opts.bundle);
  const signer = verifyBundleSignature(bundle, opts);
  const { statement } = bundle;
  checkStatementIsVerifiable(statement);

  const subject = statement.subject[0]!;
  const kind = await modelKindOf(opts.modelPath);
  const signedOneFile = statement.predicate.resources.length === 1 && statement.predicate.resources[0]!.name === SINGLE_FILE_RESOURCE;
  if (kind === 'directory' && signedOneFile) {
    refuseSignature('other_model', `the signature is for a single file named ${JSON.stringify(subject.name)}, not a directory: verify that file (${join(opts.modelPath, subject.name)})`, {
      signedName: subject.name,
    });
  }
  if (kind === 'file' && !signedOneFile) {
    refuseSignature('other_model', `the signature is for a directory named ${JSON.stringify(subject.name)}, not a single file`, { signedName: subject.name });
  }
  const expectedName = opts.modelName === undefined ? modelNameOf(opts.modelPath) : opts.modelName;
  if (expectedName !== null && subject.name !== expectedName) {
    refuseSignature('other_model', `the signature is for model ${JSON.stringify(subject.name)}, not ${JSON.stringify(expectedName)} (if the model was renamed, say which name it was signed under)`, {
      signedName: subject.name,
      expectedName,
    });
  }

  const signaturePath = opts.signaturePath ?? join(opts.modelPath, 'model.sig');
  const hashed = await hashModel(opts.modelPath, {
    allowSymlinks: opts.allowSymlinks ?? statement.predicate.serialization.allow_symlinks,
    ignorePaths: kind === 'file' ? [] : [...signedIgnorePaths(statement), ...(opts.ignorePaths ?? []), ...(await signatureIgnorePath(opts.modelPath, signaturePath, kind))],
    ...(opts.ignoreGitPaths === undefined ? {} : { ignoreGitPaths: opts.ignoreGitPaths }),
    ...(opts.concurrency === undefined ? {} : { concurrency: opts.concurrency }),
    ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress }),
  });

  const found = diffManifest(statement, hashed.manifest);
  // A single-file model's one resource is named "."; name the file instead.
  const shown = (p: string) => (kind === 'file' && p === SINGLE_FILE_RESOURCE ? hashed.name : p);
  const diff = { changed: found.changed.map(shown), extra: found.extra.map(shown), missing: found.missing.map(shown) };
  if (diff.changed.length + diff.extra.length + diff.missing.length > 0) {
    const parts = [
      ...(diff.changed.length ? [listed('file changed', 'files changed', diff.changed)] : []),
      ...(diff.extra.length ? [listed('extra file', 'extra files', diff.extra)] : []),
      ...(diff.missing.length ? [listed('missing file', 'missing files', diff.missing)] : []),
    ];
    refuseSignature('model_mismatch', `the model does not match its signature: ${parts.join('; ')}`, { ...diff });
  }
  // Follows from the resources matching (the parser checked the statement's own root digest); kept as the final word.
  if (hashed.manifest.rootDigest !== subject.digest.sha256) {
    refuseSignature('model_mismatch', `the model's root digest ${hashed.manifest.rootDigest} is not the signed ${subject.digest.sha256}`);
  }
  return { kind, modelName: subject.name, rootDigest: hashed.manifest.rootDigest, statement, signer, manifest: hashed.manifest };
}

export interface VerifyStatementBundleOptions extends EnvelopeVerificationOptions {
  bundle: string | Uint8Array | ParsedDsseBundle;
  /** Refuse statements of any other predicate type (e.g. SLSA_PROVENANCE_PREDICATE_TYPE). */
  predicateType?: string;
  /** The model the statement must be about: one subject's sha256 must be its root digest. */
  manifest?: Pick<Manifest, 'rootDigest'>;
}

export interface StatementVerification {
  statement: InTotoStatement;
  /** The exact signed payload. */
  payloadBytes: Uint8Array;
  signer: SignerIdentity;
}

/** Verifies a bundle over any in-toto statement (provenance, attestations) and optionally ties it to a model. */
export function verifyStatementBundle(opts: VerifyStatementBundleOptions): StatementVerification {
  const parsed = typeof opts.bundle === 'string' || opts.bundle instanceof Uint8Array ? parseDsseBundle(opts.bundle) : opts.bundle;
  const signer = verifyBundleSignature(parsed, opts);
  const statement = parseInTotoStatement(payloadJson(parsed.payloadBytes));
  if (opts.predicateType !== undefined && statement.predicateType !== opts.predicateType) {
    refuseSignature('malformed_bundle', `the statement's predicateType is ${JSON.stringify(statement.predicateType)}, expected ${opts.predicateType}`);
  }
  if (opts.manifest && !statement.subject.some((s) => s.digest.sha256 === opts.manifest!.rootDigest)) {
    refuseSignature('subject_mismatch', `the statement is not about this model: no subject has sha256 ${opts.manifest.rootDigest}`, {
      subjects: statement.subject.map((s) => ({ name: s.name, sha256: s.digest.sha256 })),
    });
  }
  return { statement, payloadBytes: parsed.payloadBytes, signer };
}
