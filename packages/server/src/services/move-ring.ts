import { type RingHistoryEntry, StewardError } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';
import { findRing, historyQuery, toEntry } from './ring-history-rows.js';
import { findModel } from './views.js';
import { assertNotFrozen, ringWithCriteria } from '../promotion/criteria.js';
import { assertPolicyAllows, judgeForRing } from '../promotion/policy-gate.js';

/**
 * Points a ring at a version directly, recording who moved it, when and why. Allowed where the ring
 * needs no approvals (its policy must still pass); a ring that needs approvals is entered through a
 * promotion request, except by an admin's recorded override.
 */
export async function moveRing({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; ring: string; version: string; reason?: string | undefined } }): Promise<RingHistoryEntry> {
  const scope = authorize(ctx, input.org, 'ring.move', { model: input.model, ring: input.ring });
  const gate = await ringWithCriteria(ctx.db, scope.orgId, input.ring);
  const modelRow = await findModel(ctx.db, scope.orgId, input.model);
  await assertNotFrozen(ctx.db, gate, modelRow);
  const needsPeople = gate.criteria.requiredApprovals > 0 || (modelRow.risk_tier !== null && (gate.criteria.boardApprovals[modelRow.risk_tier] ?? 0) > 0);
  const override = needsPeople && scope.role === 'admin';
  if (needsPeople && !override) {
    throw new StewardError('conflict', `ring "${input.ring}" requires ${gate.criteria.requiredApprovals} approval(s): open a promotion request with \`steward promote ${input.org}/${input.model}@${input.version} --to ${input.ring} --reason TEXT\``, { reason: 'approvals_required' });
  }
  if (!override) {
    const versionRow = await ctx.db.selectFrom('model_versions').selectAll().where('model_id', '=', modelRow.id).where('version', '=', input.version).executeTakeFirst();
    if (!versionRow) throw new StewardError('not_found', `version ${input.model}@${input.version} not found`);
    const subject = { orgId: scope.orgId, orgName: input.org, model: modelRow, version: versionRow };
    assertPolicyAllows(await judgeForRing(ctx, { subject, ring: input.ring, criteria: gate.criteria, requestedBy: ctx.actor.userName, approvals: [] }), { ring: input.ring, criteria: gate.criteria, subject });
  }
  return ctx.db.transaction().execute(async (trx) => {
    const model = await findModel(trx, scope.orgId, input.model);
    const ring = await findRing(trx, scope.orgId, input.ring);
    const target = await trx.selectFrom('model_versions').select(['id', 'manifest_digest']).where('model_id', '=', model.id).where('version', '=', input.version).executeTakeFirst();
    if (!target) throw new StewardError('not_found', `version ${input.model}@${input.version} not found`);
    const current = await trx.selectFrom('ring_history').select('version_id').where('model_id', '=', model.id).where('ring_id', '=', ring.id).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    if (current?.version_id === target.id) {
      throw new StewardError('conflict', `ring "${input.ring}" of ${input.model} already points at ${input.version}`);
    }
    const now = ctx.now().toISOString();
    const inserted = await trx
      .insertInto('ring_history')
      .values({ model_id: model.id, ring_id: ring.id, version_id: target.id, previous_version_id: current?.version_id ?? null, kind: 'set', moved_at: now, moved_by: ctx.actor.userName, reason: input.reason ?? null })
      .returning('seq')
      .executeTakeFirstOrThrow();
    await audit(trx, ctx, {
      orgId: scope.orgId,
      action: 'ring.moved',
      targetType: 'model',
      targetId: model.id,
      details: { model: `${input.org}/${input.model}`, ring: input.ring, version: input.version, manifestDigest: target.manifest_digest, reason: input.reason ?? null, seq: Number(inserted.seq), requestId: null, override },
    });
    return toEntry(await historyQuery(trx, model.id, ring.id).where('h.seq', '=', inserted.seq).executeTakeFirstOrThrow());
  });
}
