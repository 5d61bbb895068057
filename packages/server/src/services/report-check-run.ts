import type { CheckRun, CheckRunBody } from '@steward/domain';
import { audit, authorize, newId, type ServiceContext } from './context.js';

/**
 * Records a `steward check --report` run, so the scorecard can count policy failures caught before
 * merge against those caught at promotion. The model need not be registered yet (CI checks models
 * before their first push).
 */
export async function reportCheckRun({ ctx, input }: { ctx: ServiceContext; input: { org: string; body: CheckRunBody } }): Promise<CheckRun> {
  const scope = authorize(ctx, input.org, 'check.report', { model: input.body.model });
  const b = input.body;
  const row = {
    id: newId(),
    org_id: scope.orgId,
    model: b.model,
    version: b.version,
    outcome: b.outcome,
    policy_set_digest: b.policySetDigest,
    counts_json: JSON.stringify(b.counts),
    failures_json: JSON.stringify(b.failures),
    source_repo: b.sourceRepo,
    source_commit: b.sourceCommit,
    ref: b.ref,
    reported_at: ctx.now().toISOString(),
    reported_by: ctx.actor.userName,
  };
  await ctx.db.transaction().execute(async (trx) => {
    await trx.insertInto('check_runs').values(row).execute();
    await audit(trx, ctx, {
      orgId: scope.orgId,
      action: 'check.reported',
      targetType: 'check_run',
      targetId: row.id,
      model: `${input.org}/${b.model}`,
      details: { model: `${input.org}/${b.model}`, version: b.version, outcome: b.outcome, policySetDigest: b.policySetDigest, counts: b.counts, failedRules: b.failures.map((f) => f.ruleId), sourceRepo: b.sourceRepo, sourceCommit: b.sourceCommit, ref: b.ref },
    });
  });
  return { ...b, id: row.id, org: input.org, reportedAt: row.reported_at, reportedBy: row.reported_by };
}
