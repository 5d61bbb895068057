import type { PolicyEvaluation } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { storedEvaluationView } from '../policy/evaluations.js';
import { recordSubject } from '../policy/governance-record.js';

const HISTORY_LIMIT = 200;

/** Stored evaluations of a version, newest first: all of them, or (latest) the newest per ring. */
export async function listPolicyEvaluations({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { org: string; model: string; ref: string; ring?: string | undefined; latest: boolean };
}): Promise<{ items: PolicyEvaluation[] }> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  const subject = await recordSubject(ctx.db, scope, input.model, input.ref);
  let q = ctx.db.selectFrom('policy_evaluations').selectAll().where('version_id', '=', subject.version.id);
  if (input.ring !== undefined) q = q.where('ring', '=', input.ring);
  const rows = await q.orderBy('evaluated_at', 'desc').orderBy('id', 'desc').limit(HISTORY_LIMIT).execute();
  const seen = new Set<string>();
  const names = { org: input.org, model: input.model, version: subject.version.version };
  const items: PolicyEvaluation[] = [];
  for (const r of rows) {
    const key = r.ring ?? '';
    if (input.latest && seen.has(key)) continue;
    seen.add(key);
    items.push(storedEvaluationView(r, names));
  }
  return { items };
}
