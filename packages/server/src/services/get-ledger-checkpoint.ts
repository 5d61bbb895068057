import { StewardError } from '@steward/domain';
import type { ServiceContext } from './context.js';
import { authorizeLog } from '../ledger/scope.js';
import { LedgerTamperedError, checkpointLog, type StoredCheckpoint } from '../ledger/log.js';

/** The latest signed checkpoint, signing one first if events arrived since the last batch. */
export async function getLedgerCheckpoint({ ctx, input }: { ctx: ServiceContext; input: { org: string; log: 'org' | 'system' } }): Promise<StoredCheckpoint> {
  const scope = authorizeLog(ctx, input.org, input.log, 'ledger.verify');
  return currentCheckpoint(ctx, scope.logId);
}

export async function currentCheckpoint(ctx: Pick<ServiceContext, 'db' | 'ledger' | 'now'>, logId: string): Promise<StoredCheckpoint> {
  try {
    const cp = await checkpointLog(ctx.db, ctx.ledger, logId, ctx.now);
    if (!cp) throw new StewardError('not_found', 'this log has no entries yet');
    return cp;
  } catch (err) {
    if (err instanceof LedgerTamperedError) throw new StewardError('integrity_violation', `ledger: ${err.message}; the server refuses to sign over it`);
    throw err;
  }
}
