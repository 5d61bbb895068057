import { StewardError, type PolicyEvaluation } from '@steward/domain';
import { authorize, newId, type ServiceContext } from './context.js';
import { computeEvaluation, evaluationView, orgRings, storeEvaluation } from '../policy/evaluations.js';
import { recordSubject } from '../policy/governance-record.js';

/**
 * Evaluates a version against the org's active policy set for a ring (or the push-time checks when
 * ring is null), now, with its current scan, signatures, waivers and datasets. Stored with an audit
 * event unless `record` is false (a dry run, which needs only read access).
 */
export async function evaluateVersionPolicy({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { org: string; model: string; ref: string; ring: string | null; record: boolean };
}): Promise<PolicyEvaluation> {
  const scope = authorize(ctx, input.org, input.record ? 'policy.evaluate' : 'model.read', { model: input.model });
  const subject = await recordSubject(ctx.db, scope, input.model, input.ref);
  if (input.ring !== null && !(await orgRings(ctx.db, scope.orgId)).includes(input.ring)) {
    throw new StewardError('not_found', `ring "${input.ring}" not found in org "${input.org}"`);
  }
  const now = ctx.now();
  const computed = await computeEvaluation(ctx.db, subject, { targetRing: input.ring, now });
  if (!computed) throw new StewardError('conflict', `org "${input.org}" has no policy set to evaluate against; push one with \`steward policy push\``);
  const meta = { trigger: 'request' as const, evaluatedBy: ctx.actor.userName };
  if (!input.record) return evaluationView(computed, { id: `dry-run-${newId()}`, org: input.org, model: input.model, version: subject.version.version, ...meta });
  return ctx.db.transaction().execute((trx) => storeEvaluation(trx, ctx, subject, computed, meta));
}
