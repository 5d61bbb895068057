import { StewardError } from '@steward/domain';
import { consistencyProof } from '@steward/ledger';
import type { ServiceContext } from './context.js';
import { authorizeLog } from '../ledger/scope.js';
import { logHead, nodeFetcher } from '../ledger/log.js';

/** Proof that the log at size `from` is a prefix of the log at size `to` (RFC 9162 §2.1.4). */
export async function getConsistencyProof({ ctx, input }: { ctx: ServiceContext; input: { org: string; log: 'org' | 'system'; from: number; to: number } }): Promise<{ from: number; to: number; proof: string[] }> {
  const scope = authorizeLog(ctx, input.org, input.log, 'ledger.verify');
  const head = await logHead(ctx.db, scope.logId);
  const size = head?.size ?? 0;
  if (input.to > size) throw new StewardError('bad_request', `the log has ${size} entries; cannot prove consistency up to ${input.to}`, { field: 'to' });
  const proof = await consistencyProof(input.from, input.to, nodeFetcher(ctx.db, scope.logId));
  return { from: input.from, to: input.to, proof: proof.map((h) => h.toString('hex')) };
}
