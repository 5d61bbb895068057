import type { Decision } from '@steward/domain';
import { authorize, parseJson, type ServiceContext } from './context.js';
import { findModel } from './views.js';

const LIMIT = 500;

function day(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
}

/**
 * The model's published decisions, newest first, each one sentence a person can read: promotions
 * decided (who approved, against which policy results), rejections, requests for changes, and
 * ring moves made outside a request (rollbacks, admin overrides).
 */
export async function listDecisions({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string } }): Promise<{ items: Decision[] }> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  const model = await findModel(ctx.db, scope.orgId, input.model);
  const requests = await ctx.db
    .selectFrom('promotion_requests as r')
    .innerJoin('model_versions as v', 'v.id', 'r.version_id')
    .innerJoin('rings as g', 'g.id', 'r.ring_id')
    .leftJoin('policy_evaluations as e', (j) => j.onRef('e.id', '=', 'r.decision_evaluation_id'))
    .leftJoin('policy_evaluations as oe', (j) => j.onRef('oe.id', '=', 'r.evaluation_id'))
    .select(['r.id', 'r.status', 'r.requested_by', 'r.requested_at', 'r.reason', 'r.decided_at', 'r.decided_by', 'r.decision_reason', 'r.ring_seq', 'v.version', 'g.name as ring', 'e.outcome', 'e.policy_set_digest', 'e.results_json', 'oe.outcome as open_outcome', 'oe.policy_set_digest as open_digest'])
    .where('r.model_id', '=', model.id)
    .where('r.status', '!=', 'open')
    .orderBy('r.decided_at', 'desc')
    .limit(LIMIT)
    .execute();
  const reviews = requests.length
    ? await ctx.db.selectFrom('promotion_reviews').selectAll().where('request_id', 'in', requests.map((r) => r.id)).orderBy('created_at').execute()
    : [];
  const items: Decision[] = [];
  const promotedSeqs = new Set<number>();
  for (const r of requests) {
    if (r.ring_seq !== null) promotedSeqs.add(Number(r.ring_seq));
    const approvers = reviews.filter((x) => x.request_id === r.id && x.decision === 'approve').map((x) => `${x.reviewer} (${x.reviewer_role})`);
    const waived = parseJson<{ ruleId: string; status: string }[]>(r.results_json, []).filter((x) => x.status === 'waived').map((x) => x.ruleId);
    const policy = r.outcome
      ? `policy set ${r.policy_set_digest} ${r.outcome}${waived.length ? ` with waivers for ${waived.join(', ')}` : ''}`
      : r.open_outcome
        ? `policy set ${r.open_digest} ${r.open_outcome} when requested`
        : 'no policy set';
    const by = r.decided_by ?? r.requested_by;
    const asked = `requested by ${r.requested_by} on ${day(r.requested_at)} ("${r.reason}")`;
    const why = r.decision_reason ? `: "${r.decision_reason}"` : '';
    const text =
      r.status === 'promoted'
        ? `${r.version} entered ${r.ring} on ${day(r.decided_at ?? r.requested_at)}, ${approvers.length ? `approved by ${approvers.join(' and ')}` : 'no approvals required'}; ${asked}; ${policy}${why}.`
        : r.status === 'rejected'
          ? `${by} rejected ${r.version} for ${r.ring} on ${day(r.decided_at!)}${why}; ${asked}.`
          : r.status === 'changes_requested'
            ? `${by} asked for changes before ${r.version} may enter ${r.ring} (${day(r.decided_at!)})${why}; ${asked}.`
            : r.status === 'stale'
              ? `The request for ${r.version} to enter ${r.ring} went stale on ${day(r.decided_at!)}: the ring moved before it was approved; ${asked}.`
              : `${by} withdrew the request for ${r.version} to enter ${r.ring} on ${day(r.decided_at!)}${why}.`;
    items.push({ at: r.decided_at ?? r.requested_at, kind: r.status === 'changes_requested' ? 'changes_requested' : (r.status as Decision['kind']), model: input.model, version: r.version, ring: r.ring, by, reason: r.decision_reason, requestId: r.id, text });
  }
  const moves = await ctx.db
    .selectFrom('ring_history as h')
    .innerJoin('rings as g', 'g.id', 'h.ring_id')
    .leftJoin('model_versions as v', 'v.id', 'h.version_id')
    .leftJoin('model_versions as pv', 'pv.id', 'h.previous_version_id')
    .select(['h.seq', 'h.kind', 'h.moved_at', 'h.moved_by', 'h.reason', 'g.name as ring', 'v.version', 'pv.version as previous'])
    .where('h.model_id', '=', model.id)
    .orderBy('h.seq', 'desc')
    .limit(LIMIT)
    .execute();
  for (const m of moves) {
    if (promotedSeqs.has(Number(m.seq))) continue;
    const why = m.reason ? `: "${m.reason}"` : '';
    const text =
      m.kind === 'rollback'
        ? `${m.moved_by} rolled ${m.ring} back from ${m.previous ?? 'nothing'} to ${m.version ?? 'nothing'} on ${day(m.moved_at)}${why}.`
        : `${m.moved_by} pointed ${m.ring} at ${m.version} directly (no promotion request) on ${day(m.moved_at)}${why}.`;
    items.push({ at: m.moved_at, kind: m.kind === 'rollback' ? 'rolled_back' : 'moved', model: input.model, version: m.version, ring: m.ring, by: m.moved_by, reason: m.reason, requestId: null, text });
  }
  items.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  return { items };
}
