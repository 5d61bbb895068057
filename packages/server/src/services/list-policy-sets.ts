import type { PolicySet } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { activePolicySet, policySetView } from '../policy/policy-sets.js';

/** The org's policy sets, newest first, the active one marked. */
export async function listPolicySets({ ctx, input }: { ctx: ServiceContext; input: { org: string } }): Promise<{ items: PolicySet[] }> {
  const scope = authorize(ctx, input.org, 'org.read');
  const active = await activePolicySet(ctx.db, scope.orgId);
  const rows = await ctx.db.selectFrom('policy_sets').selectAll().where('org_id', '=', scope.orgId).orderBy('created_at', 'desc').orderBy('id').execute();
  const items: PolicySet[] = [];
  for (const r of rows) items.push(await policySetView(ctx.db, r, active?.id ?? null));
  return { items };
}
