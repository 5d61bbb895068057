/**
 * Escalation: an open request that has waited longer than its ring's review deadline is assigned to
 * the governance board, once, with a `promotion.escalated` audit event (and so a webhook).
 */
import type { RingCriteria } from '@steward/domain';
import { audit, parseJson, type Deps } from '../services/context.js';

export async function escalateOverdue(deps: Deps, now: Date = deps.now()): Promise<string[]> {
  const open = await deps.db
    .selectFrom('promotion_requests as r')
    .innerJoin('models as m', 'm.id', 'r.model_id')
    .innerJoin('orgs as o', 'o.id', 'r.org_id')
    .innerJoin('model_versions as v', 'v.id', 'r.version_id')
    .innerJoin('rings as g', 'g.id', 'r.ring_id')
    .select(['r.id', 'r.org_id', 'r.requested_at', 'r.requested_by', 'r.criteria_json', 'm.name as model', 'o.name as org', 'v.version', 'g.name as ring'])
    .where('r.status', '=', 'open')
    .where('r.escalated_at', 'is', null)
    .execute();
  const escalated: string[] = [];
  for (const r of open) {
    const hours = parseJson<RingCriteria | null>(r.criteria_json, null)?.reviewDeadlineHours ?? null;
    if (hours === null) continue;
    const due = Date.parse(r.requested_at) + hours * 3_600_000;
    if (due > now.getTime()) continue;
    const at = now.toISOString();
    await deps.db.transaction().execute(async (trx) => {
      const u = await trx.updateTable('promotion_requests').set({ escalated_at: at, assigned_role: 'governance-board' }).where('id', '=', r.id).where('status', '=', 'open').where('escalated_at', 'is', null).executeTakeFirst();
      if (Number(u.numUpdatedRows) !== 1) return; // decided or escalated meanwhile (another server)
      await audit(trx, deps, {
        orgId: r.org_id,
        action: 'promotion.escalated',
        targetType: 'promotion_request',
        targetId: r.id,
        details: { model: `${r.org}/${r.model}`, version: r.version, ring: r.ring, requestId: r.id, requestedBy: r.requested_by, requestedAt: r.requested_at, deadlineHours: hours, assignedRole: 'governance-board' },
      }, at);
      escalated.push(r.id);
    });
  }
  return escalated;
}
