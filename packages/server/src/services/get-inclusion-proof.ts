import { StewardError } from '@steward/domain';
import { inclusionProof, leafHash } from '@steward/ledger';
import type { InclusionProof } from '@steward/domain';
import type { ServiceContext } from './context.js';
import { authorize } from './context.js';
import { nodeFetcher } from '../ledger/log.js';
import { currentCheckpoint } from './get-ledger-checkpoint.js';

/** Proof that one event (by id) is leaf `index` of the log at a checkpointed size (default: the latest). */
export async function getInclusionProof({ ctx, input }: { ctx: ServiceContext; input: { org: string; seq: number; size?: number | undefined } }): Promise<InclusionProof> {
  const scope = authorize(ctx, input.org, 'audit.read');
  const row = await ctx.db.selectFrom('audit_events').select(['seq', 'log_id', 'leaf_index', 'entry', 'org_id']).where('seq', '=', input.seq).executeTakeFirst();
  // Events of other orgs are not found rather than forbidden, so their ids do not leak.
  if (!row || row.org_id !== scope.orgId || row.log_id === null || row.leaf_index === null || row.entry === null) throw new StewardError('not_found', `audit event ${input.seq} not found in org "${input.org}"`);
  const index = Number(row.leaf_index);
  const latest = await currentCheckpoint(ctx, row.log_id);
  let checkpoint = latest;
  if (input.size !== undefined && input.size !== latest.size) {
    const cp = await ctx.db.selectFrom('ledger_checkpoints').selectAll().where('log_id', '=', row.log_id).where('size', '=', input.size).executeTakeFirst();
    if (!cp) throw new StewardError('not_found', `no signed checkpoint of size ${input.size}; the latest has size ${latest.size}`);
    checkpoint = { size: Number(cp.size), rootHash: Buffer.from(cp.root_hash, 'hex'), note: cp.note, keyId: cp.key_id, createdAt: cp.created_at };
  }
  if (index >= checkpoint.size) throw new StewardError('bad_request', `event ${input.seq} is leaf ${index}, after checkpoint size ${checkpoint.size}`);
  const proof = await inclusionProof(index, checkpoint.size, nodeFetcher(ctx.db, row.log_id));
  return {
    seq: Number(row.seq),
    index,
    size: checkpoint.size,
    leafHash: leafHash(Buffer.from(row.entry, 'utf8')).toString('hex'),
    proof: proof.map((h) => h.toString('hex')),
    entry: row.entry,
    checkpoint: checkpoint.note,
  };
}
