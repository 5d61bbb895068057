import { StewardError, type PolicySet } from '@steward/domain';
import { audit, authorize, isUniqueViolation, newId, type ServiceContext } from './context.js';
import { activePolicySet, compilePolicyFiles, policySetView, sha256Text } from '../policy/policy-sets.js';

/**
 * Makes a set of policy files the org's active policy set. The files are linted first (a set that
 * does not lint is refused with every error's file, rule, line and column); the content is stored
 * once per digest, and every push (including re-activating an older set) is recorded.
 */
export async function pushPolicySet({ ctx, input }: { ctx: ServiceContext; input: { org: string; files: { path: string; text: string }[]; params: Record<string, Record<string, unknown>>; comment?: string | undefined } }): Promise<{ created: boolean; policySet: PolicySet }> {
  const scope = authorize(ctx, input.org, 'policy.manage');
  const seen = new Set<string>();
  for (const [i, f] of input.files.entries()) {
    if (seen.has(f.path)) throw new StewardError('validation_failed', `files[${i}]: path "${f.path}" appears twice`, { field: `files[${i}].path` });
    seen.add(f.path);
  }
  const { set } = compilePolicyFiles(input.files, input.params);
  const attempt = () =>
    ctx.db.transaction().execute(async (trx) => {
      const now = ctx.now().toISOString();
      let row = await trx.selectFrom('policy_sets').selectAll().where('org_id', '=', scope.orgId).where('digest', '=', set.digest).executeTakeFirst();
      const created = !row;
      if (!row) {
        row = {
          id: newId(),
          org_id: scope.orgId,
          digest: set.digest,
          files_json: JSON.stringify([...input.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((f) => ({ path: f.path, sha256: sha256Text(f.text), text: f.text }))),
          params_json: JSON.stringify(input.params),
          policy_count: set.policies.length,
          rule_count: set.ruleCount,
          created_at: now,
          created_by: ctx.actor.userName,
        };
        await trx.insertInto('policy_sets').values(row).execute();
      }
      const previous = await activePolicySet(trx, scope.orgId);
      await trx.insertInto('policy_set_pushes').values({ org_id: scope.orgId, policy_set_id: row.id, pushed_at: now, pushed_by: ctx.actor.userName, comment: input.comment ?? null }).execute();
      await audit(trx, ctx, {
        orgId: scope.orgId,
        action: 'policy_set.pushed',
        targetType: 'policy_set',
        targetId: row.id,
        details: {
          digest: set.digest,
          previousDigest: previous?.digest ?? null,
          files: set.files,
          params: input.params,
          policies: set.policies.length,
          rules: set.ruleCount,
          comment: input.comment ?? null,
        },
      });
      return { created, policySet: await policySetView(trx, row, row.id) };
    });
  try {
    return await attempt();
  } catch (err) {
    // A concurrent push of the same files stored the row first: retry sees it.
    if (!isUniqueViolation(err)) throw err;
    return attempt();
  }
}
