import { type RingHistoryEntry, StewardError } from '@steward/domain';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Tx } from './context.js';

type Db = Kysely<DB> | Tx;

export async function findRing(db: Db, orgId: string, ring: string): Promise<{ id: string; name: string }> {
  const r = await db.selectFrom('rings').select(['id', 'name']).where('org_id', '=', orgId).where('name', '=', ring).executeTakeFirst();
  if (!r) throw new StewardError('not_found', `ring "${ring}" not found`);
  return r;
}

export function historyQuery(db: Db, modelId: string, ringId: string) {
  return db
    .selectFrom('ring_history as h')
    .innerJoin('rings as r', 'r.id', 'h.ring_id')
    .leftJoin('model_versions as v', 'v.id', 'h.version_id')
    .leftJoin('model_versions as pv', 'pv.id', 'h.previous_version_id')
    .select(['h.seq', 'r.name as ring', 'h.version_id', 'v.version', 'pv.version as previous_version', 'h.kind', 'h.moved_at', 'h.moved_by', 'h.reason'])
    .where('h.model_id', '=', modelId)
    .where('h.ring_id', '=', ringId);
}

type HistoryRow = Awaited<ReturnType<ReturnType<typeof historyQuery>['execute']>>[number];

export function toEntry(r: HistoryRow): RingHistoryEntry {
  return {
    seq: Number(r.seq),
    ring: r.ring,
    version: r.version ?? null,
    previousVersion: r.previous_version ?? null,
    kind: r.kind as RingHistoryEntry['kind'],
    movedAt: r.moved_at,
    movedBy: r.moved_by,
    reason: r.reason,
  };
}

/**
 * The ring's deployment stack: a `set` pushes a version, a `rollback` pops one. The top is the
 * current version; rollback goes to the one beneath it, so repeated rollbacks walk back through
 * history instead of flipping between the last two versions.
 */
export function deploymentStack(entries: { kind: string; version_id: string | null }[]): (string | null)[] {
  const stack: (string | null)[] = [];
  for (const e of entries) {
    if (e.kind === 'rollback') stack.pop();
    else stack.push(e.version_id);
  }
  return stack;
}
