import { createHash } from 'node:crypto';
import { type DatasetProfile, StewardError } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';
import { profileSeries } from '../telemetry/reference.js';

/**
 * Attaches a profile (`steward profile`) to a dataset version: the drift reference of deployments
 * of versions trained or evaluated on it. Every sketch is decoded before anything is stored; a new
 * profile replaces the old one (the ledger keeps both digests).
 */
export async function attachDatasetProfile({ ctx, input }: { ctx: ServiceContext; input: { org: string; name: string; version: string; profile: DatasetProfile } }): Promise<{ dataset: string; rows: number; features: number; sha256: string }> {
  const scope = authorize(ctx, input.org, 'dataset.register');
  for (const [name, f] of Object.entries(input.profile.features)) {
    try {
      profileSeries({ rows: input.profile.rows, features: { [name]: f } });
    } catch (err) {
      throw new StewardError('bad_request', `features.${name}.sketch: not a ${f.kind} sketch (${(err as Error).message})`, { field: `features.${name}.sketch` });
    }
  }
  const text = JSON.stringify(input.profile);
  const sha256 = createHash('sha256').update(text).digest('hex');
  return ctx.db.transaction().execute(async (trx) => {
    const ds = await trx.selectFrom('datasets').select(['id']).where('org_id', '=', scope.orgId).where('name', '=', input.name).where('version', '=', input.version).executeTakeFirst();
    if (!ds) throw new StewardError('not_found', `dataset ${input.name}@${input.version} not found`);
    const previous = await trx.selectFrom('dataset_profiles').select('sha256').where('dataset_id', '=', ds.id).executeTakeFirst();
    const row = { dataset_id: ds.id, rows: input.profile.rows, profile_json: text, sha256, attached_at: ctx.now().toISOString(), attached_by: ctx.actor.userName };
    await trx.insertInto('dataset_profiles').values(row).onConflict((oc) => oc.column('dataset_id').doUpdateSet(row)).execute();
    await audit(trx, ctx, { orgId: scope.orgId, action: 'dataset.profiled', targetType: 'dataset', targetId: ds.id, details: { dataset: `${input.name}@${input.version}`, rows: input.profile.rows, features: Object.keys(input.profile.features), sha256, previous: previous?.sha256 ?? null } });
    return { dataset: `${input.name}@${input.version}`, rows: input.profile.rows, features: Object.keys(input.profile.features).length, sha256 };
  });
}
