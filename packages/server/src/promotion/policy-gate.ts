/**
 * The policy half of a ring's entry criteria: the version judged for the ring now, with the
 * approvals so far, stored as a `promotion` evaluation (so failures caught at promotion can be
 * counted). Error-severity failures without a waiver block entry when the ring says so.
 */
import { StewardError, type PolicyEvaluation, type RingCriteria } from '@steward/domain';
import type { ServiceContext } from '../services/context.js';
import { computeEvaluation, storeEvaluation } from '../policy/evaluations.js';
import type { RecordSubject } from '../policy/governance-record.js';

export interface GateInput {
  subject: RecordSubject;
  ring: string;
  criteria: RingCriteria;
  requestedBy: string | null;
  approvals: { by: string; role: string; at: string }[];
}

/** Evaluates and stores in its own transaction; null when the org has no policy set. */
export async function judgeForRing(ctx: ServiceContext, g: GateInput): Promise<PolicyEvaluation | null> {
  const computed = await computeEvaluation(ctx.db, g.subject, { targetRing: g.ring, now: ctx.now(), requestedBy: g.requestedBy, approvals: g.approvals });
  if (!computed) return null;
  return ctx.db.transaction().execute((trx) => storeEvaluation(trx, ctx, g.subject, computed, { trigger: 'promotion', evaluatedBy: ctx.actor.userName }));
}

/** Throws conflict naming each blocking rule and its message, when the ring requires the policy to pass. */
export function assertPolicyAllows(e: PolicyEvaluation | null, g: Pick<GateInput, 'ring' | 'criteria' | 'subject'>): void {
  if (!e || !g.criteria.policyMustPass || e.blocking.length === 0) return;
  const lines = e.results.filter((r) => e.blocking.includes(r.ruleId)).map((r) => `${r.ruleId}: ${r.message ?? r.error ?? 'failed'}`);
  throw new StewardError(
    'conflict',
    `${g.subject.model.name}@${g.subject.version.version} may not enter ${g.ring}: ${e.blocking.length} error-severity polic${e.blocking.length === 1 ? 'y fails' : 'ies fail'} without a waiver (${lines.join('; ')}); fix it or have a reviewer record a waiver`,
    { reason: 'policy_failed', blocking: e.blocking, evaluationId: e.id },
  );
}
