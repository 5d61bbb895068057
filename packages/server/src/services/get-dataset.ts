import { type Dataset, StewardError } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { datasetView } from './dataset-view.js';

export async function getDataset({ ctx, input }: { ctx: ServiceContext; input: { org: string; name: string; version: string } }): Promise<Dataset> {
  const scope = authorize(ctx, input.org, 'dataset.read');
  const d = await ctx.db.selectFrom('datasets').selectAll().where('org_id', '=', scope.orgId).where('name', '=', input.name).where('version', '=', input.version).executeTakeFirst();
  if (!d) throw new StewardError('not_found', `dataset ${input.name}@${input.version} not found`);
  return datasetView(ctx.db, input.org, d);
}
