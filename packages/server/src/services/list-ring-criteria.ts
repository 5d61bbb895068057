import type { RingCriteria } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { orgRingsWithCriteria } from '../promotion/criteria.js';

/** The org's rings in order, with what entering each takes and whether it is frozen. */
export async function listRingCriteria({ ctx, input }: { ctx: ServiceContext; input: { org: string } }): Promise<{ items: RingCriteria[] }> {
  const scope = authorize(ctx, input.org, 'org.read');
  return { items: await orgRingsWithCriteria(ctx.db, scope.orgId) };
}
