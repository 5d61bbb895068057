import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Tx } from './context.js';

// Stay well below SQLite's bound-parameter limit.
const CHUNK = 500;

/**
 * Digests (with sizes) the org has proven it holds. Blobs are stored once for all orgs, but an org may only
 * reference or download bytes it uploaded itself, so a digest cannot be used to fetch another
 * tenant's weights (see docs/adr/0003).
 */
export async function possessedDigests(db: Kysely<DB> | Tx, orgId: string, digests: string[]): Promise<Map<string, number>> {
  const have = new Map<string, number>();
  for (let i = 0; i < digests.length; i += CHUNK) {
    const rows = await db
      .selectFrom('blob_possessions')
      .select(['digest', 'size'])
      .where('org_id', '=', orgId)
      .where('digest', 'in', digests.slice(i, i + CHUNK))
      .execute();
    for (const r of rows) have.set(r.digest, Number(r.size));
  }
  return have;
}
