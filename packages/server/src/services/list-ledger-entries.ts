import { StewardError } from '@steward/domain';
import { audit, type ServiceContext } from './context.js';
import { authorizeLog } from '../ledger/scope.js';

export const MAX_ENTRIES_PER_REQUEST = 10_000;

/**
 * Entries [start, end) of a log as their exact canonical leaf text, one per line (NDJSON), for
 * clients recomputing the tree. Reading the log is itself recorded.
 */
export async function listLedgerEntries({ ctx, input }: { ctx: ServiceContext; input: { org: string; log: 'org' | 'system'; start: number; end: number } }): Promise<string> {
  const scope = authorizeLog(ctx, input.org, input.log, 'audit.read');
  const end = Math.min(input.end, input.start + MAX_ENTRIES_PER_REQUEST);
  const rows = await ctx.db
    .selectFrom('audit_events')
    .select(['leaf_index', 'entry'])
    .where('log_id', '=', scope.logId)
    .where('leaf_index', '>=', input.start)
    .where('leaf_index', '<', end)
    .orderBy('leaf_index')
    .execute();
  if (rows.length === 0 && input.start > 0) {
    const head = await ctx.db.selectFrom('ledger_logs').select('size').where('log_id', '=', scope.logId).executeTakeFirst();
    if (!head || input.start >= Number(head.size)) throw new StewardError('not_found', `the log has ${head ? Number(head.size) : 0} entries; start ${input.start} is past its end`);
  }
  await audit(ctx.db, ctx, { orgId: scope.logId === scope.orgId ? scope.orgId : null, action: 'audit.entries_read', targetType: 'ledger', targetId: scope.logId, details: { start: input.start, end } });
  // Rows are returned as stored; a missing or reordered row shows up as a gap or a wrong index that the client names.
  return rows.map((r) => `${r.entry ?? ''}\n`).join('');
}
