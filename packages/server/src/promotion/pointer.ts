/** Moving a ring pointer: the one write every promotion, direct move and rollback shares. */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Tx } from '../services/context.js';
import { audit, type ServiceContext } from '../services/context.js';

/** The version a ring of the model points at now (its newest history entry), or null. */
export async function currentPointer(trx: Tx | Kysely<DB>, modelId: string, ringId: string): Promise<string | null> {
  const row = await trx.selectFrom('ring_history').select('version_id').where('model_id', '=', modelId).where('ring_id', '=', ringId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row?.version_id ?? null;
}

export interface PointerMove {
  orgId: string;
  orgName: string;
  model: { id: string; name: string };
  ring: { id: string; name: string };
  version: { id: string; version: string; manifest_digest: string };
  previousVersionId: string | null;
  reason: string | null;
  requestId?: string | null;
  /** A direct move past the ring's approvals (admins only). */
  override?: boolean;
}

export async function movePointer(trx: Tx, ctx: ServiceContext, m: PointerMove): Promise<number> {
  const inserted = await trx
    .insertInto('ring_history')
    .values({ model_id: m.model.id, ring_id: m.ring.id, version_id: m.version.id, previous_version_id: m.previousVersionId, kind: 'set', moved_at: ctx.now().toISOString(), moved_by: ctx.actor.userName, reason: m.reason })
    .returning('seq')
    .executeTakeFirstOrThrow();
  await audit(trx, ctx, {
    orgId: m.orgId,
    action: 'ring.moved',
    targetType: 'model',
    targetId: m.model.id,
    details: {
      model: `${m.orgName}/${m.model.name}`,
      ring: m.ring.name,
      version: m.version.version,
      manifestDigest: m.version.manifest_digest,
      reason: m.reason,
      seq: Number(inserted.seq),
      requestId: m.requestId ?? null,
      override: m.override ?? false,
    },
  });
  return Number(inserted.seq);
}
