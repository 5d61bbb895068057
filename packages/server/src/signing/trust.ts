/**
 * What an org trusts (ADR 0012): its own signing keys, current and retired (rotation is not
 * revocation), and the public keys and CA certificates its admins registered and did not remove.
 * Trust is decided when a signature is read, so registering or removing a signer changes the
 * verdict on signatures already stored.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Tx } from '../services/context.js';

export interface OrgTrust {
  /** SHA-256 (hex) of the SubjectPublicKeyInfo DER of every trusted public key. */
  keys: Set<string>;
  /** SHA-256 (hex) of the DER of every trusted CA certificate. */
  cas: Set<string>;
}

export async function loadOrgTrust(db: Kysely<DB> | Tx, orgId: string): Promise<OrgTrust> {
  const own = await db.selectFrom('signing_keys').select('fingerprint').where('org_id', '=', orgId).execute();
  const registered = await db.selectFrom('trusted_signers').select(['kind', 'fingerprint']).where('org_id', '=', orgId).where('removed_at', 'is', null).execute();
  return {
    keys: new Set([...own.map((r) => r.fingerprint), ...registered.filter((r) => r.kind === 'key').map((r) => r.fingerprint)]),
    cas: new Set(registered.filter((r) => r.kind === 'ca').map((r) => r.fingerprint)),
  };
}

/** A stored signature is trusted when its key (key method) or the CA its chain ends at (certificate method) is trusted. */
export function isTrusted(trust: OrgTrust, row: { kind: string; key_fingerprint: string | null; trust_anchor: string | null }): boolean {
  if (row.kind === 'key') return row.key_fingerprint !== null && trust.keys.has(row.key_fingerprint);
  if (row.kind === 'certificate') return row.trust_anchor !== null && trust.cas.has(row.trust_anchor);
  return false;
}
