import { type Model, type RiskTier, StewardError } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';
import { findModel, modelView } from './views.js';

export interface UpdateModelInput {
  org: string;
  model: string;
  patch: { description?: string | undefined; riskTier?: RiskTier | null | undefined; owners?: string[] | undefined; tags?: string[] | undefined };
}

/** Edits model metadata (versions themselves are immutable). The audit event records old and new values. */
export async function updateModel({ ctx, input }: { ctx: ServiceContext; input: UpdateModelInput }): Promise<Model> {
  const scope = authorize(ctx, input.org, 'model.update', { model: input.model });
  return ctx.db.transaction().execute(async (trx) => {
    if (input.patch.owners !== undefined && input.patch.owners.length > 0) {
      const members = await trx
        .selectFrom('users as u')
        .innerJoin('org_members as m', 'm.user_id', 'u.id')
        .select('u.name')
        .where('m.org_id', '=', scope.orgId)
        .where('u.name', 'in', input.patch.owners)
        .execute();
      const known = new Set(members.map((m) => m.name));
      const unknown = input.patch.owners.filter((o) => !known.has(o));
      if (unknown.length > 0) throw new StewardError('bad_request', `owners: ${unknown.map((u) => `"${u}"`).join(', ')} not a member of org "${input.org}"`, { field: 'owners', unknown });
    }
    const before = await findModel(trx, scope.orgId, input.model);
    const set: Partial<typeof before> = {};
    const p = input.patch;
    if (p.description !== undefined) set.description = p.description;
    if (p.riskTier !== undefined) set.risk_tier = p.riskTier;
    if (p.owners !== undefined) set.owners_json = JSON.stringify([...new Set(p.owners)]);
    if (p.tags !== undefined) set.tags_json = JSON.stringify([...new Set(p.tags)]);
    await trx.updateTable('models').set(set).where('id', '=', before.id).execute();
    const after = { ...before, ...set };
    await audit(trx, ctx, {
      orgId: scope.orgId,
      action: 'model.updated',
      targetType: 'model',
      targetId: before.id,
      details: { model: `${input.org}/${input.model}`, before: pick({ ...before }, Object.keys(set)), after: set },
    });
    return modelView(trx, input.org, scope.orgId, after);
  });
}

function pick(row: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, row[k]]));
}
