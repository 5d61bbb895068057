import { diffVersions } from '@steward/exports';
import { StewardError, type PromotionRequest } from '@steward/domain';
import { audit, authorize, isUniqueViolation, newId, type ServiceContext, type Tx } from './context.js';
import { findModel, versionView } from './views.js';
import { assertNotFrozen, ringWithCriteria } from '../promotion/criteria.js';
import { assertPolicyAllows, judgeForRing } from '../promotion/policy-gate.js';
import { currentPointer, movePointer } from '../promotion/pointer.js';
import { promotionRequestView } from '../promotion/request-view.js';
import { isCiToken } from '../promotion/actor.js';

/**
 * Opens a promotion request (a change proposal): the version judged by policy for the ring, the
 * diff against the ring's current version, who asked and why. A ring that needs no approvals is
 * entered at once, as a recorded decision; otherwise reviewers decide (review-promotion-request).
 */
export async function createPromotionRequest({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { org: string; model: string; version: string; ring: string; reason: string };
}): Promise<PromotionRequest> {
  const scope = authorize(ctx, input.org, 'promotion.request', { model: input.model, ring: input.ring });
  const model = await findModel(ctx.db, scope.orgId, input.model);
  const version = await ctx.db.selectFrom('model_versions').selectAll().where('model_id', '=', model.id).where('version', '=', input.version).executeTakeFirst();
  if (!version) throw new StewardError('not_found', `version ${input.model}@${input.version} not found`);
  const ring = await ringWithCriteria(ctx.db, scope.orgId, input.ring);
  await assertNotFrozen(ctx.db, ring, model);
  if (ring.criteria.ciOnly && !isCiToken(ctx)) {
    throw new StewardError('forbidden', `ring "${input.ring}" accepts promotion requests only from CI tokens`, { reason: 'ci_only' });
  }
  const subject = { orgId: scope.orgId, orgName: input.org, model, version };
  // Judged before anything is written, and kept even when it refuses: failures caught at promotion count.
  const evaluation = await judgeForRing(ctx, { subject, ring: ring.name, criteria: ring.criteria, requestedBy: ctx.actor.userName, approvals: [] });
  const boardNeed = model.risk_tier ? ring.criteria.boardApprovals[model.risk_tier] ?? 0 : 0;
  const needsPeople = ring.criteria.requiredApprovals > 0 || boardNeed > 0;
  // With no one to decide, the policy decides now. With reviewers, the request opens and shows what
  // blocks it (rules may need the approvals themselves); the approval that completes it is judged again.
  if (!needsPeople) assertPolicyAllows(evaluation, { ring: ring.name, criteria: ring.criteria, subject });

  const run = () =>
    ctx.db.transaction().execute(async (trx: Tx) => {
      const current = await currentPointer(trx, model.id, ring.id);
      if (current === version.id) throw new StewardError('conflict', `ring "${input.ring}" of ${input.model} already points at ${input.version}`);
      const open = await trx
        .selectFrom('promotion_requests')
        .select('id')
        .where('model_id', '=', model.id)
        .where('ring_id', '=', ring.id)
        .where('version_id', '=', version.id)
        .where('status', '=', 'open')
        .executeTakeFirst();
      if (open) throw new StewardError('conflict', `promotion request ${open.id} for ${input.model}@${input.version} to ${input.ring} is already open`, { requestId: open.id });
      let diff: Record<string, unknown> | null = null;
      if (current) {
        const cur = await trx.selectFrom('model_versions').selectAll().where('id', '=', current).executeTakeFirstOrThrow();
        diff = diffVersions(await versionView(trx, input.org, scope.orgId, model, cur), await versionView(trx, input.org, scope.orgId, model, version)) as unknown as Record<string, unknown>;
      }
      const now = ctx.now().toISOString();
      const row = {
        id: newId(),
        org_id: scope.orgId,
        model_id: model.id,
        version_id: version.id,
        ring_id: ring.id,
        base_version_id: current,
        requested_by: ctx.actor.userName,
        requested_at: now,
        reason: input.reason,
        status: 'open',
        evaluation_id: evaluation?.id ?? null,
        diff_json: diff ? JSON.stringify(diff) : null,
        criteria_json: JSON.stringify(ring.criteria),
        decided_at: null as string | null,
        decided_by: null as string | null,
        decision_reason: null as string | null,
        decision_evaluation_id: null as string | null,
        ring_seq: null as number | null,
        escalated_at: null,
        assigned_role: null,
      };
      await trx.insertInto('promotion_requests').values(row).execute();
      await audit(trx, ctx, {
        orgId: scope.orgId,
        action: 'promotion.requested',
        targetType: 'promotion_request',
        targetId: row.id,
        model: `${input.org}/${input.model}`,
        details: {
          model: `${input.org}/${input.model}`,
          version: input.version,
          ring: input.ring,
          reason: input.reason,
          currentVersion: current ? (await trx.selectFrom('model_versions').select('version').where('id', '=', current).executeTakeFirstOrThrow()).version : null,
          evaluationId: evaluation?.id ?? null,
          policyOutcome: evaluation?.outcome ?? null,
          requiredApprovals: ring.criteria.requiredApprovals,
        },
      });
      if (!needsPeople) {
        // Nothing for people to decide: the criteria (policy) are met, so the ring moves now.
        const seq = await movePointer(trx, ctx, { orgId: scope.orgId, orgName: input.org, model, ring, version, previousVersionId: current, reason: input.reason, requestId: row.id });
        row.status = 'promoted';
        row.decided_at = now;
        row.decided_by = ctx.actor.userName;
        row.decision_reason = `ring ${input.ring} requires no approvals; ${evaluation ? `policy ${evaluation.outcome}` : 'no policy set'}`;
        row.decision_evaluation_id = evaluation?.id ?? null;
        row.ring_seq = seq;
        await trx.updateTable('promotion_requests').set({ status: row.status, decided_at: now, decided_by: row.decided_by, decision_reason: row.decision_reason, decision_evaluation_id: row.decision_evaluation_id, ring_seq: seq }).where('id', '=', row.id).execute();
        await audit(trx, ctx, {
          orgId: scope.orgId,
          action: 'promotion.approved',
          targetType: 'promotion_request',
          targetId: row.id,
          details: { model: `${input.org}/${input.model}`, version: input.version, ring: input.ring, approvals: [], decisionReason: row.decision_reason, ringSeq: seq },
        });
      }
      return promotionRequestView(trx, input.org, row);
    });
  try {
    return await run();
  } catch (err) {
    if (isUniqueViolation(err)) throw new StewardError('conflict', 'the ring moved concurrently; retry');
    throw err;
  }
}
