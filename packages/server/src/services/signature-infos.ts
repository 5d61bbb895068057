import type { Kysely } from 'kysely';
import type { SignatureInfo } from '@steward/policy';
import type { DB } from '../db/schema.js';
import type { Tx } from './context.js';
import { isTrusted, loadOrgTrust } from '../signing/trust.js';

/**
 * The model signatures of one version as the governance record shows them (`signatures` in
 * @steward/policy's record), oldest first. Only signatures over the model itself count
 * (subject "model"); signed provenance is not a signature of the model's files.
 *
 * - status: as stored. Uploaded bundles are verified against the version's manifest before they
 *   are accepted and server signatures are made over it, and versions never change, so every
 *   row is "valid".
 * - signer: "sha256:<SPKI fingerprint>" for key signatures, the certificate subject otherwise.
 * - keyId: the signing key's fingerprint (SHA-256 of its SubjectPublicKeyInfo DER, hex).
 * - trusted: signed by one of the org's signing keys (current or retired) or a key / CA the org
 *   registered as trusted, decided now (see signing/trust.ts).
 * - signedAt: when the server signed; null for uploaded bundles (they carry no trusted time).
 *
 * Reads only; no authorization (the caller has already decided the actor may read the version).
 */
export async function signatureInfosForVersion(db: Kysely<DB> | Tx, orgId: string, versionId: string): Promise<SignatureInfo[]> {
  const rows = await db
    .selectFrom('signatures')
    .select(['kind', 'signer', 'key_fingerprint', 'trust_anchor', 'status', 'signed_at', 'added_at', 'id'])
    .where('org_id', '=', orgId)
    .where('version_id', '=', versionId)
    .where('subject', '=', 'model')
    .orderBy('added_at')
    .orderBy('id')
    .execute();
  if (rows.length === 0) return [];
  const trust = await loadOrgTrust(db, orgId);
  return rows.map((r) => ({
    status: r.status === 'valid' ? 'valid' : 'invalid',
    signer: r.signer,
    keyId: r.key_fingerprint,
    trusted: r.status === 'valid' && isTrusted(trust, r),
    signedAt: r.signed_at,
  }));
}
