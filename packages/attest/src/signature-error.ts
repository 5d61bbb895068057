/**
 * Why a signature was refused. Every refusal from the signing and verification code is a
 * SignatureError (a StewardError), so callers can tell "this signature is not valid" apart from
 * I/O failures and name the reason without parsing messages.
 */
import { StewardError } from '@steward/domain/core';

export type SignatureFailureReason =
  /** Not JSON, wrong mediaType, not DSSE, payloadType not in-toto, bad base64, no signature, bad statement. */
  | 'malformed_bundle'
  /** Well-formed but asks for something Steward cannot check (shards, another hash type). */
  | 'unsupported_bundle'
  /** A key that is not ECDSA (Ed25519, RSA, ...). */
  | 'wrong_key_type'
  /** An ECDSA key on a curve other than P-256, P-384, P-521. */
  | 'unsupported_curve'
  /** The bundle names (by hint) a different public key than the one given. */
  | 'key_mismatch'
  /** Certificate trust was given but the bundle carries no certificate chain. */
  | 'wrong_signing_method'
  /** The certificate chain does not lead to a given CA, or a certificate in it is not fit for its place. */
  | 'certificate_untrusted'
  /** A certificate on the chain was outside its validity period at the time checked. */
  | 'certificate_expired'
  /** The signing certificate may not sign (keyUsage / extendedKeyUsage). */
  | 'certificate_usage'
  | 'signature_invalid'
  /** The statement is about another model (subject name, or a single file vs a directory). */
  | 'other_model'
  /** Files changed, added or removed since signing. */
  | 'model_mismatch'
  /** A provenance statement whose subject is not the given model. */
  | 'subject_mismatch';

export class SignatureError extends StewardError {
  readonly reason: SignatureFailureReason;

  constructor(reason: SignatureFailureReason, message: string, details: Record<string, unknown> = {}) {
    // Content that differs from what was signed is a digest mismatch; everything else is a bad input.
    super(reason === 'model_mismatch' || reason === 'subject_mismatch' ? 'digest_mismatch' : 'bad_request', message, { reason, ...details });
    this.name = 'SignatureError';
    this.reason = reason;
  }
}

export function refuseSignature(reason: SignatureFailureReason, message: string, details?: Record<string, unknown>): never {
  throw new SignatureError(reason, message, details);
}
