import { StewardError, type PolicySet } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { activePolicySet, policyFilesOf, policySetView } from '../policy/policy-sets.js';

/** One policy set by digest (or the active one, `digest: 'active'`), with its files' text. */
export async function getPolicySet({ ctx, input }: { ctx: ServiceContext; input: { org: string; digest: string | 'active' } }): Promise<PolicySet & { fileTexts: { path: string; sha256: string; text: string }[] }> {
  const scope = authorize(ctx, input.org, 'org.read');
  const active = await activePolicySet(ctx.db, scope.orgId);
  const row = input.digest === 'active' ? active : await ctx.db.selectFrom('policy_sets').selectAll().where('org_id', '=', scope.orgId).where('digest', '=', input.digest).executeTakeFirst();
  if (!row) throw new StewardError('not_found', input.digest === 'active' ? `org "${input.org}" has no policy set; push one with \`steward policy push\`` : `policy set ${input.digest} not found in org "${input.org}"`);
  return { ...(await policySetView(ctx.db, row, active?.id ?? null)), fileTexts: policyFilesOf(row) };
}
