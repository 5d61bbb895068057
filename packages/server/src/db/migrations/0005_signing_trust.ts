// Committed migrations are never edited; add a new file instead.
import type { Kysely } from 'kysely';

/**
 * What an org trusts besides its own signing key (ADR 0012).
 *
 * - trusted_signers: public keys (ECDSA, matched by the SHA-256 of their SubjectPublicKeyInfo DER)
 *   and CA certificates (matched by the SHA-256 of their DER) the org's admins registered.
 *   Removal is a soft delete, so signatures keep a history of why they were once trusted.
 * - signatures.trust_anchor: for certificate signatures, the SHA-256 (DER) of the CA certificate
 *   the chain was verified up to; trust is decided when read, against the current list.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('trusted_signers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    // key | ca
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('pem', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    // key: the ECDSA curve; ca: the certificate subject
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('removed_at', 'text')
    .addColumn('removed_by', 'text')
    .addUniqueConstraint('trusted_signers_org_fingerprint_uq', ['org_id', 'fingerprint'])
    .execute();
  await db.schema.alterTable('signatures').addColumn('trust_anchor', 'text').execute();
}

export async function down(): Promise<void> {
  throw new Error('Steward migrations are forward-only');
}
