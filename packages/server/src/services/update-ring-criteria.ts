import type { RingCriteria } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';
import { ringWithCriteria, writeRingCriteria } from '../promotion/criteria.js';

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
    await writeRingCriteria(trx, ring.id, next, { at: ctx.now().toISOString(), by: ctx.actor.userName });
    const { frozen: _f, ...before } = ring.criteria;
    const { frozen: _g, ...after } = next;
    await audit(trx, ctx, { orgId: scope.orgId, action: 'ring.configured', targetType: 'ring', targetId: ring.id, details: { ring: input.ring, before, after } });
    return next;
  });
}
