import { Readable } from 'node:stream';
import { inclusionProof } from '@steward/ledger';
import type { ServiceContext } from './context.js';
import { audit } from './context.js';
import { authorizeLog } from '../ledger/scope.js';
import { nodeFetcher } from '../ledger/log.js';
import { currentCheckpoint } from './get-ledger-checkpoint.js';

const PAGE = 1_000;

/**
 * Events of a log (optionally since a time) as JSON Lines, each with its inclusion proof against
 * one signed checkpoint (the first line), so the file verifies offline: `steward audit verify
 * --offline FILE`. The export is recorded before it starts.
 */
export async function exportAudit({ ctx, input }: { ctx: ServiceContext; input: { org: string; log: 'org' | 'system'; since?: string | undefined } }): Promise<Readable> {
  const scope = authorizeLog(ctx, input.org, input.log, 'audit.read');
  await audit(ctx.db, ctx, { orgId: scope.logId === scope.orgId ? scope.orgId : null, action: 'audit.exported', targetType: 'ledger', targetId: scope.logId, details: { since: input.since ?? null } });
  const checkpoint = await currentCheckpoint(ctx, scope.logId);
  const fetch = nodeFetcher(ctx.db, scope.logId);
  const since = input.since ? new Date(input.since).toISOString() : null;
  async function* lines(): AsyncGenerator<string> {
    yield `${JSON.stringify({ type: 'checkpoint', size: checkpoint.size, checkpoint: checkpoint.note })}\n`;
    for (let start = 0; start < checkpoint.size; start += PAGE) {
      let q = ctx.db
        .selectFrom('audit_events')
        .select(['seq', 'leaf_index', 'entry'])
        .where('log_id', '=', scope.logId)
        .where('leaf_index', '>=', start)
        .where('leaf_index', '<', Math.min(start + PAGE, checkpoint.size))
        .orderBy('leaf_index');
      if (since) q = q.where('at', '>=', since);
      for (const r of await q.execute()) {
        const index = Number(r.leaf_index);
        const proof = await inclusionProof(index, checkpoint.size, fetch);
        yield `${JSON.stringify({ type: 'event', seq: Number(r.seq), index, entry: r.entry, proof: proof.map((h) => h.toString('hex')) })}\n`;
      }
    }
  }
  return Readable.from(lines());
}
