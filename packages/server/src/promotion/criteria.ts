/**
 * What entering a ring takes. An org's rings start with defaults by name (sandbox: policy only;
 * beta: one approval; production: two, plus a governance-board approval for high-risk models,
 * escalated after 72 hours); admins change them per ring.
 */
import type { Kysely } from 'kysely';
import { StewardError, type RingCriteria, type Role } from '@steward/domain';
import type { DB, RingCriteriaTable } from '../db/schema.js';
import { parseJson, type Tx } from '../services/context.js';

type Db = Kysely<DB> | Tx;
const REVIEWERS: Role[] = ['reviewer', 'governance-board', 'admin'];

export function defaultCriteria(ring: string, position: number): RingCriteria {
  const base = { ring, position, approverRoles: REVIEWERS, policyMustPass: true, ciOnly: false, frozen: null };
  if (ring === 'sandbox') return { ...base, requiredApprovals: 0, boardApprovals: {}, reviewDeadlineHours: null };
  if (ring === 'production') return { ...base, requiredApprovals: 2, boardApprovals: { high: 1, unacceptable: 1 }, reviewDeadlineHours: 72 };
  return { ...base, requiredApprovals: 1, boardApprovals: {}, reviewDeadlineHours: 168 };
}

export function criteriaOf(ring: { name: string; position: number }, row: RingCriteriaTable | undefined): RingCriteria {
  if (!row) return defaultCriteria(ring.name, ring.position);
  return {
    ring: ring.name,
    position: ring.position,
    requiredApprovals: Number(row.required_approvals),
    approverRoles: parseJson<Role[]>(row.approver_roles_json, REVIEWERS),
    boardApprovals: parseJson<Record<string, number>>(row.board_approvals_json, {}),
    policyMustPass: Boolean(Number(row.policy_must_pass)),
    reviewDeadlineHours: row.review_deadline_hours === null ? null : Number(row.review_deadline_hours),
    ciOnly: Boolean(Number(row.ci_only)),
    frozen: row.frozen_at ? { at: row.frozen_at, by: row.frozen_by ?? '', reason: row.freeze_reason ?? '' } : null,
  };
}

/** Replaces a ring's criteria row (criteriaOf reads it back); `at`/`by` record the change. */
export async function writeRingCriteria(trx: Tx, ringId: string, c: RingCriteria, change: { at: string; by: string }): Promise<void> {
  await trx.deleteFrom('ring_criteria').where('ring_id', '=', ringId).execute();
  await trx
    .insertInto('ring_criteria')
    .values({
      ring_id: ringId,
      required_approvals: c.requiredApprovals,
      approver_roles_json: JSON.stringify(c.approverRoles),
      board_approvals_json: JSON.stringify(c.boardApprovals),
      policy_must_pass: c.policyMustPass ? 1 : 0,
      review_deadline_hours: c.reviewDeadlineHours,
      ci_only: c.ciOnly ? 1 : 0,
      frozen_at: c.frozen?.at ?? null,
      frozen_by: c.frozen?.by ?? null,
      freeze_reason: c.frozen?.reason ?? null,
      updated_at: change.at,
      updated_by: change.by,
    })
    .execute();
}

export async function ringWithCriteria(db: Db, orgId: string, ringName: string): Promise<{ id: string; name: string; position: number; criteria: RingCriteria }> {
  const ring = await db.selectFrom('rings').select(['id', 'name', 'position']).where('org_id', '=', orgId).where('name', '=', ringName).executeTakeFirst();
  if (!ring) throw new StewardError('not_found', `ring "${ringName}" not found`);
  const row = await db.selectFrom('ring_criteria').selectAll().where('ring_id', '=', ring.id).executeTakeFirst();
  return { ...ring, position: Number(ring.position), criteria: criteriaOf({ name: ring.name, position: Number(ring.position) }, row) };
}

export async function orgRingsWithCriteria(db: Db, orgId: string): Promise<RingCriteria[]> {
  const rings = await db.selectFrom('rings').select(['id', 'name', 'position']).where('org_id', '=', orgId).orderBy('position').execute();
  const rows = await db.selectFrom('ring_criteria').selectAll().where('ring_id', 'in', rings.length ? rings.map((r) => r.id) : ['']).execute();
  const byRing = new Map(rows.map((r) => [r.ring_id, r]));
  return rings.map((r) => criteriaOf({ name: r.name, position: Number(r.position) }, byRing.get(r.id)));
}

/** Refuses any pointer move into a frozen ring or of a frozen model, naming who froze it and why. */
export async function assertNotFrozen(db: Db, ring: { name: string; criteria: RingCriteria }, model: { id: string; name: string }): Promise<void> {
  if (ring.criteria.frozen) {
    const f = ring.criteria.frozen;
    throw new StewardError('conflict', `ring "${ring.name}" is frozen (by ${f.by} at ${f.at}: ${f.reason}); no pointer moves until it is unfrozen`, { reason: 'ring_frozen', frozen: f });
  }
  const mf = await db.selectFrom('model_freezes').selectAll().where('model_id', '=', model.id).executeTakeFirst();
  if (mf) {
    throw new StewardError('conflict', `model ${model.name} is frozen (by ${mf.frozen_by} at ${mf.frozen_at}: ${mf.reason}); no pointer moves until it is unfrozen`, { reason: 'model_frozen', frozen: { at: mf.frozen_at, by: mf.frozen_by, reason: mf.reason } });
  }
}

/** Approvals a request has and needs: distinct approvers with a counting role; board approvals by risk tier on top. */
export function approvalCount(criteria: RingCriteria, riskTier: string | null, reviews: readonly { decision: string; reviewer_role: string }[]) {
  const approvals = reviews.filter((r) => r.decision === 'approve');
  const have = approvals.filter((r) => (criteria.approverRoles as string[]).includes(r.reviewer_role)).length;
  const boardHave = approvals.filter((r) => r.reviewer_role === 'governance-board').length;
  const boardNeed = riskTier ? criteria.boardApprovals[riskTier] ?? 0 : 0;
  return { have, need: criteria.requiredApprovals, boardHave, boardNeed, met: have >= criteria.requiredApprovals && boardHave >= boardNeed };
}
