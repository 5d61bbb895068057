import type { ServiceContext } from './context.js';
import { authorizeLog } from '../ledger/scope.js';
import { MAX_ENTRIES_PER_REQUEST } from './list-ledger-entries.js';

/**
 * The stored leaf hashes [start, end): what the tree was built from when each event was appended.
 * A client that finds a signed root it cannot reproduce compares them with the hashes of the
 * entries it downloaded to name the first event that changed.
 */
export async function listLeafHashes({ ctx, input }: { ctx: ServiceContext; input: { org: string; log: 'org' | 'system'; start: number; end: number } }): Promise<{ start: number; hashes: string[] }> {
  const scope = authorizeLog(ctx, input.org, input.log, 'ledger.verify');
  const end = Math.min(input.end, input.start + MAX_ENTRIES_PER_REQUEST);
  const rows = await ctx.db
    .selectFrom('ledger_nodes')
    .select(['idx', 'hash'])
    .where('log_id', '=', scope.logId)
    .where('level', '=', 0)
    .where('idx', '>=', input.start)
    .where('idx', '<', end)
    .orderBy('idx')
    .execute();
  return { start: input.start, hashes: rows.map((r) => r.hash) };
}
