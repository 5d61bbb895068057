import type { RingCriteria } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';
import { ringWithCriteria } from '../promotion/criteria.js';

export interface RingCriteriaChange {
  requiredApprovals?: number | undefined;
  approverRoles?: string[] | undefined;
  boardApprovals?: Record<string, number> | undefined;
  policyMustPass?: boolean | undefined;
  reviewDeadlineHours?: number | null | undefined;
  ciOnly?: boolean | undefined;
}

/** Changes a ring's entry criteria (admins); open requests keep the criteria they were opened under. */
export async function updateRingCriteria({ ctx, input }: { ctx: ServiceContext; input: { org: string; ring: string; change: RingCriteriaChange } }): Promise<RingCriteria> {
  const scope = authorize(ctx, input.org, 'ring.configure', { ring: input.ring });
  return ctx.db.transaction().execute(async (trx) => {
    const ring = await ringWithCriteria(trx, scope.orgId, input.ring);
    const c = input.change;
    const next: RingCriteria = {
      ...ring.criteria,
      ...(c.requiredApprovals !== undefined ? { requiredApprovals: c.requiredApprovals } : {}),
      ...(c.approverRoles !== undefined ? { approverRoles: c.approverRoles as RingCriteria['approverRoles'] } : {}),
      ...(c.boardApprovals !== undefined ? { boardApprovals: c.boardApprovals } : {}),
      ...(c.policyMustPass !== undefined ? { policyMustPass: c.policyMustPass } : {}),
      ...(c.reviewDeadlineHours !== undefined ? { reviewDeadlineHours: c.reviewDeadlineHours } : {}),
      ...(c.ciOnly !== undefined ? { ciOnly: c.ciOnly } : {}),
    };
    const now = ctx.now().toISOString();
    const row = {
      ring_id: ring.id,
      required_approvals: next.requiredApprovals,
      approver_roles_json: JSON.stringify(next.approverRoles),
      board_approvals_json: JSON.stringify(next.boardApprovals),
      policy_must_pass: next.policyMustPass ? 1 : 0,
      review_deadline_hours: next.reviewDeadlineHours,
      ci_only: next.ciOnly ? 1 : 0,
      frozen_at: next.frozen?.at ?? null,
      frozen_by: next.frozen?.by ?? null,
      freeze_reason: next.frozen?.reason ?? null,
      updated_at: now,
      updated_by: ctx.actor.userName,
    };
    await trx.deleteFrom('ring_criteria').where('ring_id', '=', ring.id).execute();
    await trx.insertInto('ring_criteria').values(row).execute();
    const { frozen: _f, ...before } = ring.criteria;
    const { frozen: _g, ...after } = next;
    await audit(trx, ctx, { orgId: scope.orgId, action: 'ring.configured', targetType: 'ring', targetId: ring.id, details: { ring: input.ring, before, after } });
    return next;
  });
}
