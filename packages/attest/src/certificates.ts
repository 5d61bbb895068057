/**
 * Certificate-chain checks for model signatures made with a signing certificate, mirroring what
 * model_signing 1.x does (sign_certificate.Verifier._verify_certificates):
 *
 * - the chain from the bundle (leaf first, then intermediates) must lead to one of the CA
 *   certificates the verifier was given;
 * - validity periods are checked at the leaf's notBefore: the bundle carries no trusted
 *   timestamp, so the reference takes the earliest moment the signature can have been made
 *   (`store.set_time(not_valid_before)`). A signing certificate that has expired since still
 *   verifies; a CA that had already expired when the leaf was issued does not. Callers that want
 *   "valid now" pass `at`;
 * - the signing certificate must carry keyUsage with digitalSignature, or (when it lacks that
 *   bit) extendedKeyUsage codeSigning; the reference refuses a certificate with no keyUsage at all.
 *
 * What OpenSSL adds when it builds the chain, and is done here too: every issuer must be a CA
 * (basicConstraints CA:TRUE, keyCertSign when keyUsage is present), path length limits hold, and
 * no certificate on the path may carry a critical extension that is not understood. Unlike
 * OpenSSL's default, any given CA certificate is a trust anchor, self-signed or not.
 */
import { X509Certificate } from 'node:crypto';
import { StewardError } from '@steward/domain/core';
import { DerError, readCertificateFields, type CertificateFields } from './der.js';
import { refuseSignature } from './signature-error.js';

const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
const MAX_CHAIN = 10;
/** Critical extensions whose meaning is checked here or does not restrict this use. */
const UNDERSTOOD_CRITICAL = new Set([
  '2.5.29.15', // keyUsage
  '2.5.29.19', // basicConstraints
  '2.5.29.37', // extendedKeyUsage
  '2.5.29.17', // subjectAltName
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.32', // certificatePolicies (no policy is required)
]);

const PEM_CERT = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/** Every certificate in PEM text (text around the blocks, as certtool writes it, is skipped). */
export function parsePemCertificates(pem: string, what = 'certificate file'): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const m of pem.matchAll(PEM_CERT)) {
    try {
      out.push(new X509Certificate(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
    } catch (e) {
      throw new StewardError('bad_request', `${what}: certificate ${out.length + 1} cannot be read (${(e as Error).message})`);
    }
  }
  if (out.length === 0) throw new StewardError('bad_request', `${what}: no PEM certificate found`);
  return out;
}

function describe(cert: X509Certificate): string {
  return cert.subject.replace(/\n/g, ', ') || '(empty subject)';
}

function fieldsOf(cert: X509Certificate): CertificateFields {
  try {
    return readCertificateFields(cert.raw);
  } catch (e) {
    if (e instanceof DerError) refuseSignature('malformed_bundle', `certificate ${describe(cert)}: ${e.message}`);
    throw e;
  }
}

export interface CertificateChainCheck {
  /** Leaf first, ending with the trusted CA certificate. */
  path: X509Certificate[];
  /** The moment validity periods were checked at. */
  checkedAt: Date;
}

/**
 * Checks `chain` (leaf first) against the trusted CA certificates; throws a SignatureError
 * (certificate_untrusted, certificate_expired, certificate_usage) when it does not hold.
 */
export function verifyCertificateChain(chain: readonly X509Certificate[], trusted: readonly X509Certificate[], at?: Date): CertificateChainCheck {
  const leaf = chain[0];
  if (!leaf) refuseSignature('malformed_bundle', 'the certificate chain is empty');
  if (trusted.length === 0) throw new StewardError('bad_request', 'no CA certificate given to verify the signing certificate against');
  const leafFields = fieldsOf(leaf);
  const checkedAt = at ?? leafFields.notBefore;

  const isTrusted = (c: X509Certificate) => trusted.some((t) => t.raw.equals(c.raw));
  // Trusted certificates first: the shortest path to an anchor wins.
  const candidates = [...trusted, ...chain.slice(1)];
  const path: X509Certificate[] = [leaf];
  for (let current = leaf; !isTrusted(current); ) {
    if (path.length > MAX_CHAIN) refuseSignature('certificate_untrusted', `certificate chain longer than ${MAX_CHAIN}`);
    const issuer = candidates.find((c) => !path.some((p) => p.raw.equals(c.raw)) && current.checkIssued(c) && current.verify(c.publicKey));
    if (!issuer) {
      refuseSignature(
        'certificate_untrusted',
        `certificate chain does not lead to a given CA: no trusted issuer for ${describe(current)} (issued by ${current.issuer.replace(/\n/g, ', ')})`,
        { subject: current.subject, issuer: current.issuer },
      );
    }
    path.push(issuer);
    current = issuer;
  }

  path.forEach((cert, i) => {
    const f = i === 0 ? leafFields : fieldsOf(cert);
    if (checkedAt < f.notBefore || checkedAt > f.notAfter) {
      const role = i === 0 ? 'signing certificate' : `CA certificate ${describe(cert)}`;
      const state = checkedAt > f.notAfter ? 'had expired' : 'was not yet valid';
      refuseSignature('certificate_expired', `${role} ${state} at ${checkedAt.toISOString()} (valid ${f.notBefore.toISOString()} to ${f.notAfter.toISOString()})`, {
        subject: cert.subject,
        notBefore: f.notBefore.toISOString(),
        notAfter: f.notAfter.toISOString(),
        checkedAt: checkedAt.toISOString(),
      });
    }
    const unknown = f.critical.filter((oid) => !UNDERSTOOD_CRITICAL.has(oid));
    if (unknown.length > 0) {
      refuseSignature('certificate_untrusted', `certificate ${describe(cert)} has unsupported critical extensions ${unknown.join(', ')}`);
    }
    if (i === 0) return;
    if (!f.basicConstraints?.ca || (f.keyUsage && !f.keyUsage.keyCertSign)) {
      refuseSignature('certificate_untrusted', `certificate ${describe(cert)} issued another certificate but is not a CA`);
    }
    // Intermediate CAs below this one (the leaf does not count).
    const below = i - 1;
    if (f.basicConstraints.pathLength !== undefined && below > f.basicConstraints.pathLength) {
      refuseSignature('certificate_untrusted', `certificate ${describe(cert)} allows ${f.basicConstraints.pathLength} intermediate CAs below it, the chain has ${below}`);
    }
  });

  if (!leafFields.keyUsage) {
    refuseSignature('certificate_usage', 'the signing certificate has no keyUsage extension, so it cannot be used for signing');
  }
  if (!leafFields.keyUsage.digitalSignature && !(leafFields.extendedKeyUsage ?? []).includes(CODE_SIGNING)) {
    refuseSignature('certificate_usage', 'the signing certificate may not sign: keyUsage lacks digitalSignature and extendedKeyUsage lacks codeSigning');
  }
  return { path, checkedAt };
}
