/**
 * Verification of a user-supplied bundle against a stored version, before it is accepted
 * (ADR 0012). Order: the bundle's format, then what it signs (the version's manifest, exactly:
 * a registry version is its root digest, so a signature that leaves files out is not a signature
 * of the version), then the signature against each candidate the org knows, then against what the
 * uploader supplied (stored as untrusted). Every refusal is a SignatureError or a StewardError
 * naming the reason; nothing is written before all checks pass.
 */
import { X509Certificate, createHash, createPublicKey } from 'node:crypto';
import {
  SLSA_PROVENANCE_PREDICATE_TYPE,
  SignatureError,
  decodeBundleBase64,
  diffManifest,
  loadVerificationPublicKey,
  parseDsseBundle,
  parseInTotoStatement,
  parseModelSigningStatement,
  parsePemCertificates,
  publicKeyHint,
  refuseSignature,
  verifyBundleSignature,
  type Manifest,
  type ModelSigningStatement,
  type ParsedDsseBundle,
  type SignerIdentity,
} from '@steward/attest';
import { keyFingerprint } from './org-key.js';

export interface TrustCandidates {
  /** Public keys (PEM) of the org's signing keys, current and retired. */
  orgKeys: string[];
  /** Public keys (PEM) the org registered as trusted. */
  trustedKeys: string[];
  /** CA certificates (PEM, one each) the org registered as trusted. */
  trustedCas: string[];
}

export interface UploadedMaterial {
  publicKeyPem?: string | undefined;
  caCertificatesPem?: string[] | undefined;
}

export interface VerifiedUpload {
  kind: 'key' | 'certificate';
  signer: string;
  keyFingerprint: string;
  /** certificate: SHA-256 of the DER of the CA certificate the chain was verified up to. */
  trustAnchor: string | null;
  identity: SignerIdentity;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const MAX_LISTED = 5;

function firstDifference(statement: ModelSigningStatement, manifest: Manifest): string {
  const d = diffManifest(statement, manifest);
  const all = [
    ...d.changed.map((p) => `file ${JSON.stringify(p)} differs`),
    ...d.extra.map((p) => `file ${JSON.stringify(p)} of the version is not in the signature`),
    ...d.missing.map((p) => `file ${JSON.stringify(p)} is signed but not in the version`),
  ];
  if (all.length === 0) return 'the root digests differ';
  return `${all.slice(0, MAX_LISTED).join('; ')}${all.length > MAX_LISTED ? ` (and ${all.length - MAX_LISTED} more differences)` : ''}`;
}

/** What the bundle signs must be exactly this version. */
function checkSubject(bundle: ParsedDsseBundle, subject: 'model' | 'provenance', manifest: Manifest, versionRef: string): void {
  if (subject === 'model') {
    const payload = bundle.payload as Record<string, unknown> | null;
    if (isObject(payload) && payload.predicateType === SLSA_PROVENANCE_PREDICATE_TYPE) {
      refuseSignature('malformed_bundle', 'this bundle signs SLSA provenance, not the model files: add it as provenance (steward signatures add --provenance)');
    }
    const statement = parseModelSigningStatement(bundle.payload);
    const s = statement.predicate.serialization;
    if (s.method !== 'files') refuseSignature('unsupported_bundle', `the model was signed with the "${s.method}" serialization; only "files" can be checked against a version`);
    if (s.hash_type !== 'sha256') refuseSignature('unsupported_bundle', `the model was hashed with ${s.hash_type}; only sha256 can be checked against a version`);
    const bad = statement.predicate.resources.find((r) => r.algorithm !== 'sha256');
    if (bad) refuseSignature('unsupported_bundle', `resource ${JSON.stringify(bad.name)} uses ${bad.algorithm}; only sha256 can be checked against a version`);
    const signedRoot = statement.subject[0]!.digest.sha256!;
    if (signedRoot !== manifest.rootDigest) {
      refuseSignature('model_mismatch', `the bundle does not sign ${versionRef}: ${firstDifference(statement, manifest)}`, {
        signedDigest: signedRoot,
        versionDigest: manifest.rootDigest,
        ...diffManifest(statement, manifest),
      });
    }
    return;
  }
  const statement = parseInTotoStatement(bundle.payload);
  if (statement.predicateType !== SLSA_PROVENANCE_PREDICATE_TYPE) {
    refuseSignature('malformed_bundle', `the statement's predicateType is ${JSON.stringify(statement.predicateType)}, expected ${SLSA_PROVENANCE_PREDICATE_TYPE}`);
  }
  if (!statement.subject.some((s) => s.digest.sha256 === manifest.rootDigest)) {
    refuseSignature('subject_mismatch', `the provenance is not about ${versionRef}: no subject has its manifest digest sha256:${manifest.rootDigest}`, {
      subjects: statement.subject.map((s) => ({ name: s.name, sha256: s.digest.sha256 ?? null })),
    });
  }
}

function verifyWithKey(bundle: ParsedDsseBundle, candidates: { pem: string; supplied: boolean }[]): VerifiedUpload {
  const material = bundle.verificationMaterial as Record<string, unknown>;
  const hint = isObject(material.publicKey) && typeof material.publicKey.hint === 'string' && material.publicKey.hint !== '' ? material.publicKey.hint.toLowerCase() : null;
  const keys = candidates.map((c) => ({ ...c, key: createPublicKey(c.pem) }));
  const matching = hint === null ? keys : keys.filter((k) => publicKeyHint(k.key) === hint);
  if (matching.length === 0) {
    const supplied = keys.find((k) => k.supplied);
    refuseSignature(
      'key_mismatch',
      supplied
        ? `the bundle was signed with another key (its key hint is ${hint}, the given public key's is ${publicKeyHint(supplied.key)})`
        : `the bundle was signed with a key the org does not know (key hint ${hint}): not the org signing key nor a key the org trusts; give its public key (steward signatures add --public-key) to store the signature as untrusted, or ask an org admin to trust the key (steward trusted-signers add)`,
      { bundleHint: hint },
    );
  }
  for (const k of matching) {
    try {
      const identity = verifyBundleSignature(bundle, { trust: { publicKeyPem: k.pem } });
      return { kind: 'key', signer: `sha256:${keyFingerprint(k.key)}`, keyFingerprint: keyFingerprint(k.key), trustAnchor: null, identity };
    } catch (e) {
      if (!(e instanceof SignatureError) || e.reason !== 'signature_invalid') throw e;
    }
  }
  refuseSignature('signature_invalid', 'the signature does not verify: the signed statement or the signature was altered, or it was signed with another key');
}

function verifyWithCertificates(bundle: ParsedDsseBundle, anchors: { pem: string; supplied: boolean }[]): VerifiedUpload {
  if (anchors.length === 0) {
    refuseSignature(
      'certificate_untrusted',
      'the bundle is signed with a certificate, and the org trusts no CA: give the CA certificate (steward signatures add --ca) to store the signature as untrusted, or ask an org admin to trust the CA (steward trusted-signers add --ca)',
    );
  }
  const failures: SignatureError[] = [];
  for (const a of anchors) {
    try {
      const identity = verifyBundleSignature(bundle, { trust: { certificateChainPem: a.pem } });
      const material = bundle.verificationMaterial as { x509CertificateChain: { certificates: { rawBytes: string }[] } };
      const leaf = new X509Certificate(decodeBundleBase64(material.x509CertificateChain.certificates[0]!.rawBytes, 'certificates[0].rawBytes'));
      const anchor = parsePemCertificates(a.pem)[0]!;
      return {
        kind: 'certificate',
        signer: leaf.subject.replace(/\n/g, ', '),
        keyFingerprint: keyFingerprint(leaf.publicKey),
        trustAnchor: createHash('sha256').update(anchor.raw).digest('hex'),
        identity,
      };
    } catch (e) {
      if (!(e instanceof SignatureError)) throw e;
      failures.push(e);
    }
  }
  // A chain that reached a CA and then failed (expired, usage, bad signature) says more than "not this CA".
  const telling = failures.find((f) => f.reason !== 'certificate_untrusted');
  if (telling) throw telling;
  refuseSignature(
    'certificate_untrusted',
    `the certificate chain does not lead to a CA the org trusts${anchors.some((a) => a.supplied) ? ' or to a given CA' : ''}: ${failures[0]!.message}`,
    isObject(failures[0]!.details) ? (failures[0]!.details as Record<string, unknown>) : {},
  );
}

/**
 * Verifies `bundleJson` over the version (manifest) against the org's trust and what the
 * uploader supplied. Throws SignatureError (reason in details) or StewardError (bad_request).
 */
export function verifyUploadedBundle(opts: {
  bundleJson: string;
  subject: 'model' | 'provenance';
  manifest: Manifest;
  versionRef: string;
  trust: TrustCandidates;
  supplied: UploadedMaterial;
}): VerifiedUpload {
  // Supplied trust material first: a bad key file is the uploader's mistake, whatever the bundle.
  if (opts.supplied.publicKeyPem !== undefined) loadVerificationPublicKey(opts.supplied.publicKeyPem);
  const suppliedCas = (opts.supplied.caCertificatesPem ?? []).flatMap((pem, i) =>
    parsePemCertificates(pem, `CA certificate ${i + 1}`).map((c) => `-----BEGIN CERTIFICATE-----\n${c.raw.toString('base64')}\n-----END CERTIFICATE-----\n`),
  );

  const bundle = parseDsseBundle(opts.bundleJson);
  checkSubject(bundle, opts.subject, opts.manifest, opts.versionRef);

  const material = bundle.verificationMaterial;
  if (!isObject(material)) refuseSignature('malformed_bundle', 'model signature: bundle has no verificationMaterial');
  if (isObject(material.x509CertificateChain)) {
    return verifyWithCertificates(bundle, [...opts.trust.trustedCas.map((pem) => ({ pem, supplied: false })), ...suppliedCas.map((pem) => ({ pem, supplied: true }))]);
  }
  if (!isObject(material.publicKey)) {
    if (isObject(material.certificate) || (Array.isArray(material.tlogEntries) && material.tlogEntries.length > 0)) {
      refuseSignature('unsupported_bundle', 'Sigstore (keyless) bundles are not supported yet: sign with a key or a certificate chain');
    }
    refuseSignature('malformed_bundle', 'model signature: verificationMaterial has neither publicKey nor x509CertificateChain');
  }
  const keys = [
    ...opts.trust.orgKeys.map((pem) => ({ pem, supplied: false })),
    ...opts.trust.trustedKeys.map((pem) => ({ pem, supplied: false })),
    ...(opts.supplied.publicKeyPem === undefined ? [] : [{ pem: opts.supplied.publicKeyPem, supplied: true }]),
  ];
  return verifyWithKey(bundle, keys);
}
