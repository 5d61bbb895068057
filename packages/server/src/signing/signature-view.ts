import { createHash } from 'node:crypto';
import { type Signature, StewardError } from '@steward/domain';
import type { Kysely } from 'kysely';
import type { DB, SignaturesTable } from '../db/schema.js';
import type { Tx } from '../services/context.js';
import { isTrusted, loadOrgTrust, type OrgTrust } from './trust.js';

export function bundleDigest(bundleJson: string): string {
  return createHash('sha256').update(bundleJson, 'utf8').digest('hex');
}

export function signatureView(row: SignaturesTable, trust: OrgTrust): Signature {
  return {
    id: row.id,
    subject: row.subject as Signature['subject'],
    kind: row.kind as Signature['kind'],
    source: row.source as Signature['source'],
    signer: row.signer,
    keyFingerprint: row.key_fingerprint,
    trusted: row.status === 'valid' && isTrusted(trust, row),
    status: row.status as Signature['status'],
    bundleDigest: row.bundle_digest,
    signedAt: row.signed_at,
    addedAt: row.added_at,
    addedBy: row.added_by,
  };
}

/** The signatures of a version, oldest first, optionally of one subject. */
export async function signatureRows(db: Kysely<DB> | Tx, orgId: string, versionId: string, subject?: string): Promise<SignaturesTable[]> {
  let q = db.selectFrom('signatures').selectAll().where('org_id', '=', orgId).where('version_id', '=', versionId);
  if (subject !== undefined) q = q.where('subject', '=', subject);
  return q.orderBy('added_at').orderBy('id').execute();
}

export async function signatureViews(db: Kysely<DB> | Tx, orgId: string, versionId: string, subject?: string): Promise<Signature[]> {
  const rows = await signatureRows(db, orgId, versionId, subject);
  if (rows.length === 0) return [];
  const trust = await loadOrgTrust(db, orgId);
  return rows.map((r) => signatureView(r, trust));
}

export async function signatureRow(db: Kysely<DB> | Tx, orgId: string, versionId: string, id: string, what: string): Promise<SignaturesTable> {
  const row = await db.selectFrom('signatures').selectAll().where('org_id', '=', orgId).where('version_id', '=', versionId).where('id', '=', id).executeTakeFirst();
  if (!row) throw new StewardError('not_found', `signature ${id} of ${what} not found`);
  return row;
}
