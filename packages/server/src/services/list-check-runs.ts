import type { CheckRun } from '@steward/domain';
import { authorize, parseJson, type ServiceContext } from './context.js';

const LIMIT = 500;

/** Recorded `steward check` runs of the org, newest first (optionally one model's). */
export async function listCheckRuns({ ctx, input }: { ctx: ServiceContext; input: { org: string; model?: string | undefined } }): Promise<{ items: CheckRun[] }> {
  const scope = authorize(ctx, input.org, 'org.read');
  let q = ctx.db.selectFrom('check_runs').selectAll().where('org_id', '=', scope.orgId);
  if (input.model !== undefined) q = q.where('model', '=', input.model);
  const rows = await q.orderBy('reported_at', 'desc').orderBy('id').limit(LIMIT).execute();
  return {
    items: rows.map((r) => ({
      id: r.id,
      org: input.org,
      model: r.model,
      version: r.version,
      outcome: r.outcome as CheckRun['outcome'],
      policySetDigest: r.policy_set_digest,
      counts: parseJson(r.counts_json, { pass: 0, fail: 0, error: 0, waived: 0, skipped: 0 }),
      failures: parseJson(r.failures_json, []),
      sourceRepo: r.source_repo,
      sourceCommit: r.source_commit,
      ref: r.ref,
      reportedAt: r.reported_at,
      reportedBy: r.reported_by,
    })),
  };
}
