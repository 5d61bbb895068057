import { StewardError, type PromotionRequest, type RingCriteria } from '@steward/domain';
import { audit, authorize, isUniqueViolation, newId, parseJson, type ServiceContext } from './context.js';
import { approvalCount, assertNotFrozen, ringWithCriteria } from '../promotion/criteria.js';
import { assertPolicyAllows, judgeForRing } from '../promotion/policy-gate.js';
import { currentPointer, movePointer } from '../promotion/pointer.js';
import { promotionRequestView } from '../promotion/request-view.js';

/**
 * A reviewer's decision on an open promotion request. Separation of duties: neither the requester
 * nor the version's pusher may review it, and each reviewer decides once. A rejection or a request
 * for changes closes it. The approval that meets the ring's criteria promotes: the policy is judged
 * again with the approvals, and the ring pointer moves in the transaction that records the decision,
 * unless the ring moved since the request was opened (then the request is stale).
 */
export async function reviewPromotionRequest({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { org: string; id: string; decision: 'approve' | 'reject' | 'request_changes'; comment: string };
}): Promise<PromotionRequest> {
  const orgScope = authorize(ctx, input.org, 'org.read');
  const req = await ctx.db.selectFrom('promotion_requests').selectAll().where('org_id', '=', orgScope.orgId).where('id', '=', input.id).executeTakeFirst();
  if (!req) throw new StewardError('not_found', `promotion request ${input.id} not found in org "${input.org}"`);
  const model = await ctx.db.selectFrom('models').selectAll().where('id', '=', req.model_id).executeTakeFirstOrThrow();
  const version = await ctx.db.selectFrom('model_versions').selectAll().where('id', '=', req.version_id).executeTakeFirstOrThrow();
  const ringRow = await ctx.db.selectFrom('rings').select(['name']).where('id', '=', req.ring_id).executeTakeFirstOrThrow();
  // Separation of duties first: it is the answer whatever the actor's role.
  const me = ctx.actor.userName;
  if (me === req.requested_by) throw new StewardError('forbidden', `${me} opened request ${req.id} and may not review it; another reviewer must`, { reason: 'separation_of_duties' });
  if (me === version.created_by) throw new StewardError('forbidden', `${me} pushed ${model.name}@${version.version} and may not review its promotion; another reviewer must`, { reason: 'separation_of_duties' });
  const scope = authorize(ctx, input.org, 'promotion.review', { model: model.name, ring: ringRow.name });
  if (req.status !== 'open') throw new StewardError('conflict', `promotion request ${req.id} is ${req.status.replace('_', ' ')}, not open`, { status: req.status });

  const criteria = parseJson<RingCriteria>(req.criteria_json, null as unknown as RingCriteria);
  const prior = await ctx.db.selectFrom('promotion_reviews').select(['reviewer', 'reviewer_role', 'decision', 'created_at']).where('request_id', '=', req.id).execute();
  if (prior.some((r) => r.reviewer === me)) throw new StewardError('conflict', `${me} has already reviewed request ${req.id}; approvals come from distinct people`);
  const now = ctx.now().toISOString();
  const mine = { reviewer: me, reviewer_role: scope.role, decision: input.decision, created_at: now };
  const count = approvalCount(criteria, model.risk_tier, [...prior, mine]);
  const subject = { orgId: scope.orgId, orgName: input.org, model, version };
  const completes = input.decision === 'approve' && count.met;
  let evaluation = null;
  let ring = null;
  if (completes) {
    ring = await ringWithCriteria(ctx.db, scope.orgId, ringRow.name);
    await assertNotFrozen(ctx.db, ring, model);
    const approvals = [...prior, mine].filter((r) => r.decision === 'approve').map((r) => ({ by: r.reviewer, role: r.reviewer_role, at: r.created_at }));
    evaluation = await judgeForRing(ctx, { subject, ring: ringRow.name, criteria, requestedBy: req.requested_by, approvals });
    assertPolicyAllows(evaluation, { ring: ringRow.name, criteria, subject });
  }

  const run = () =>
    ctx.db.transaction().execute(async (trx) => {
      // The request row is the lock: concurrent reviews serialize here, and only one sees it open.
      const q = trx.selectFrom('promotion_requests').selectAll().where('id', '=', req.id);
      const fresh = await (ctx.dbKind === 'postgres' ? q.forUpdate() : q).executeTakeFirstOrThrow();
      if (fresh.status !== 'open') throw new StewardError('conflict', `promotion request ${req.id} is ${fresh.status.replace('_', ' ')}, not open`, { status: fresh.status });
      await trx.insertInto('promotion_reviews').values({ id: newId(), request_id: req.id, reviewer: me, reviewer_role: scope.role, decision: input.decision, comment: input.comment, created_at: now }).execute();
      const base = { model: `${input.org}/${model.name}`, version: version.version, ring: ringRow.name, requestId: req.id };
      await audit(trx, ctx, { orgId: scope.orgId, action: 'promotion.reviewed', targetType: 'promotion_request', targetId: req.id, details: { ...base, decision: input.decision, comment: input.comment, role: scope.role } });
      const close = async (status: string, action: string, extra: Record<string, unknown> = {}) => {
        await trx.updateTable('promotion_requests').set({ status, decided_at: now, decided_by: me, decision_reason: input.comment, ...extra }).where('id', '=', req.id).execute();
        await audit(trx, ctx, { orgId: scope.orgId, action, targetType: 'promotion_request', targetId: req.id, details: { ...base, decidedBy: me, reason: input.comment, ...extra } });
      };
      if (input.decision === 'reject') await close('rejected', 'promotion.rejected');
      else if (input.decision === 'request_changes') await close('changes_requested', 'promotion.changes_requested');
      else if (completes && ring) {
        const current = await currentPointer(trx, model.id, ring.id);
        if (current !== fresh.base_version_id) {
          // The ring moved since the request was opened: what the reviewers saw is no longer the change.
          await close('stale', 'promotion.stale');
        } else {
          const seq = await movePointer(trx, ctx, { orgId: scope.orgId, orgName: input.org, model, ring, version, previousVersionId: current, reason: fresh.reason, requestId: req.id });
          await trx
            .updateTable('promotion_requests')
            .set({ status: 'promoted', decided_at: now, decided_by: me, decision_reason: input.comment, decision_evaluation_id: evaluation?.id ?? null, ring_seq: seq })
            .where('id', '=', req.id)
            .execute();
          await audit(trx, ctx, {
            orgId: scope.orgId,
            action: 'promotion.approved',
            targetType: 'promotion_request',
            targetId: req.id,
            details: {
              ...base,
              decidedBy: me,
              reason: input.comment,
              approvals: [...prior, mine].filter((r) => r.decision === 'approve').map((r) => ({ by: r.reviewer, role: r.reviewer_role })),
              evaluationId: evaluation?.id ?? null,
              policySetDigest: evaluation?.policySetDigest ?? null,
              waived: evaluation?.results.filter((r) => r.status === 'waived').map((r) => r.ruleId) ?? [],
              ringSeq: seq,
            },
          });
        }
      }
      return promotionRequestView(trx, input.org, await trx.selectFrom('promotion_requests').selectAll().where('id', '=', req.id).executeTakeFirstOrThrow());
    });
  try {
    return await run();
  } catch (err) {
    if (isUniqueViolation(err)) throw new StewardError('conflict', `${me} has already reviewed request ${req.id}; approvals come from distinct people`);
    throw err;
  }
}
