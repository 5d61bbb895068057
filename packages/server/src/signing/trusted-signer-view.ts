import type { TrustedSigner } from '@steward/domain';
import type { TrustedSignersTable } from '../db/schema.js';

export function trustedSignerView(row: TrustedSignersTable): TrustedSigner {
  return {
    id: row.id,
    kind: row.kind as TrustedSigner['kind'],
    name: row.name,
    fingerprint: row.fingerprint,
    description: row.description,
    pem: row.pem,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}
