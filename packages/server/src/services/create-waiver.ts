import { StewardError, type PolicyWaiver } from '@steward/domain';
import { waiverExpiry } from '@steward/policy';
import { audit, authorize, newId, type ServiceContext } from './context.js';
import { recordSubject } from '../policy/governance-record.js';
import { waiverView } from './waiver-view.js';

/** Longest a waiver may run: exceptions are meant to be revisited. */
const MAX_WAIVER_DAYS = 366;

/**
 * Records an exception for one rule (or rule glob) on one version. The approver is the actor: a
 * reviewer or admin who is not the version's pusher (no one waives their own work).
 */
export async function createWaiver({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { org: string; model: string; ref: string; ruleId: string; reason: string; expires: string };
}): Promise<PolicyWaiver> {
  const scope = authorize(ctx, input.org, 'policy.waive', { model: input.model });
  const subject = await recordSubject(ctx.db, scope, input.model, input.ref);
  if (subject.version.created_by === ctx.actor.userName) {
    throw new StewardError('forbidden', `${ctx.actor.userName} pushed ${input.model}@${subject.version.version} and may not waive its rules; ask another reviewer`, { reason: 'separation_of_duties' });
  }
  const now = ctx.now();
  const until = waiverExpiry({ ruleId: input.ruleId, reason: input.reason, approver: ctx.actor.userName, expires: input.expires });
  if (until <= now.getTime()) throw new StewardError('validation_failed', `expires: ${input.expires} is in the past`, { field: 'expires' });
  if (until - now.getTime() > MAX_WAIVER_DAYS * 86_400_000) throw new StewardError('validation_failed', `expires: ${input.expires} is more than ${MAX_WAIVER_DAYS} days away`, { field: 'expires' });
  return ctx.db.transaction().execute(async (trx) => {
    const row = {
      id: newId(),
      org_id: scope.orgId,
      version_id: subject.version.id,
      rule_id: input.ruleId,
      reason: input.reason,
      approver: ctx.actor.userName,
      expires: input.expires,
      created_at: now.toISOString(),
      created_by: ctx.actor.userName,
      revoked_at: null,
      revoked_by: null,
    };
    await trx.insertInto('policy_waivers').values(row).execute();
    await audit(trx, ctx, {
      orgId: scope.orgId,
      action: 'policy.waiver_granted',
      targetType: 'model_version',
      targetId: subject.version.id,
      details: { model: `${input.org}/${input.model}`, version: subject.version.version, waiverId: row.id, ruleId: input.ruleId, reason: input.reason, approver: row.approver, expires: input.expires },
    });
    return waiverView(row, { model: input.model, version: subject.version.version }, now);
  });
}
