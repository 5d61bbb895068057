import type { Kysely } from 'kysely';
import type { PromotionRequest, RingCriteria } from '@steward/domain';
import type { DB, PromotionRequestsTable } from '../db/schema.js';
import { parseJson, type Tx } from '../services/context.js';
import { approvalCount } from './criteria.js';

type Db = Kysely<DB> | Tx;

export async function promotionRequestView(db: Db, orgName: string, r: PromotionRequestsTable): Promise<PromotionRequest> {
  const [model, version, ring, base, reviews, evaluation] = await Promise.all([
    db.selectFrom('models').select(['name', 'risk_tier']).where('id', '=', r.model_id).executeTakeFirstOrThrow(),
    db.selectFrom('model_versions').select(['version', 'created_by']).where('id', '=', r.version_id).executeTakeFirstOrThrow(),
    db.selectFrom('rings').select('name').where('id', '=', r.ring_id).executeTakeFirstOrThrow(),
    r.base_version_id ? db.selectFrom('model_versions').select('version').where('id', '=', r.base_version_id).executeTakeFirst() : Promise.resolve(undefined),
    db.selectFrom('promotion_reviews').selectAll().where('request_id', '=', r.id).orderBy('created_at').orderBy('id').execute(),
    r.evaluation_id ? db.selectFrom('policy_evaluations').select(['id', 'outcome', 'results_json', 'policy_set_digest']).where('id', '=', r.evaluation_id).executeTakeFirst() : Promise.resolve(undefined),
  ]);
  const criteria = parseJson<RingCriteria>(r.criteria_json, null as unknown as RingCriteria);
  const results = evaluation ? parseJson<{ ruleId: string; severity: string; status: string }[]>(evaluation.results_json, []) : [];
  const { met: _met, ...approvals } = approvalCount(criteria, model.risk_tier, reviews);
  return {
    id: r.id,
    org: orgName,
    model: model.name,
    version: version.version,
    ring: ring.name,
    status: r.status as PromotionRequest['status'],
    requestedBy: r.requested_by,
    requestedAt: r.requested_at,
    reason: r.reason,
    currentVersion: base?.version ?? null,
    pushedBy: version.created_by,
    evaluation: evaluation
      ? {
          id: evaluation.id,
          outcome: evaluation.outcome as 'passed' | 'failed',
          blocking: results.filter((x) => x.severity === 'error' && (x.status === 'fail' || x.status === 'error')).map((x) => x.ruleId),
          waived: results.filter((x) => x.status === 'waived').map((x) => x.ruleId),
          policySetDigest: evaluation.policy_set_digest,
        }
      : null,
    diff: parseJson<Record<string, unknown> | null>(r.diff_json, null),
    criteria,
    approvals,
    reviews: reviews.map((x) => ({ reviewer: x.reviewer, role: x.reviewer_role, decision: x.decision as 'approve' | 'reject' | 'request_changes', comment: x.comment, at: x.created_at })),
    decidedAt: r.decided_at,
    decidedBy: r.decided_by,
    decisionReason: r.decision_reason,
    escalatedAt: r.escalated_at,
    assignedRole: r.assigned_role,
  };
}
