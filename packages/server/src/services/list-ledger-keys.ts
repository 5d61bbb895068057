import type { ServiceContext } from './context.js';
import { authorize } from './context.js';
import { publishedKey, type PublishedKey } from '../ledger/keys.js';

/** Every checkpoint key this server has used, newest first, with the endorsements that chain them. */
export async function listLedgerKeys({ ctx, input }: { ctx: ServiceContext; input: { org: string } }): Promise<{ ledgerName: string; keys: PublishedKey[] }> {
  authorize(ctx, input.org, 'ledger.verify');
  const rows = await ctx.db.selectFrom('ledger_keys').selectAll().orderBy('created_at', 'desc').execute();
  return { ledgerName: ctx.ledger.ledgerName, keys: rows.map(publishedKey) };
}
