import { type Deployment, parseDatasetRef, StewardError } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';
import { findModel } from './views.js';
import { deploymentViews, resolveDeployment } from '../telemetry/deployments.js';

/**
 * Registers a deployment (a version serving in a ring and environment) and its drift reference:
 * a dataset version with a profile, or a baseline window of its own traffic. Registering again
 * changes the reference; the version must exist, and a version the ring does not point at is
 * registered but reported (`inRing: false`).
 */
export async function registerDeployment({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; version: string; ring: string; environment: string; referenceDataset?: string | undefined; baselineFrom?: string | undefined; baselineTo?: string | undefined } }): Promise<{ created: boolean; deployment: Deployment }> {
  const scope = authorize(ctx, input.org, 'deployment.manage', { model: input.model });
  return ctx.db.transaction().execute(async (trx) => {
    const model = await findModel(trx, scope.orgId, input.model);
    let reference: Record<string, string> | null = null;
    if (input.referenceDataset !== undefined) {
      const ref = parseDatasetRef(input.referenceDataset, 'referenceDataset');
      const ds = await trx.selectFrom('datasets').select(['id', 'name', 'version']).where('org_id', '=', scope.orgId).where('name', '=', ref.name).where('version', '=', ref.version).executeTakeFirst();
      if (!ds) throw new StewardError('not_found', `referenceDataset: dataset ${ref.name}@${ref.version} not found`, { field: 'referenceDataset' });
      const profile = await trx.selectFrom('dataset_profiles').select('dataset_id').where('dataset_id', '=', ds.id).executeTakeFirst();
      if (!profile) throw new StewardError('unprocessable', `referenceDataset: dataset ${ref.name}@${ref.version} has no profile; attach one with \`steward profile DATA --dataset ${ref.name}@${ref.version}\``, { field: 'referenceDataset' });
      reference = { kind: 'dataset', dataset: `${ds.name}@${ds.version}`, datasetId: ds.id };
    } else if (input.baselineFrom !== undefined && input.baselineTo !== undefined) {
      const from = Date.parse(input.baselineFrom);
      const to = Date.parse(input.baselineTo);
      if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) throw new StewardError('bad_request', 'baselineFrom must be a time before baselineTo', { field: 'baselineFrom' });
      reference = { kind: 'baseline', from: new Date(from).toISOString(), to: new Date(to).toISOString() };
    }
    const at = ctx.now().toISOString();
    const d = await resolveDeployment(trx, { orgId: scope.orgId, modelId: model.id, modelName: `${input.org}/${input.model}`, ring: input.ring, environment: input.environment, version: input.version, actor: ctx.actor.userName, at });
    const created = d.created;
    const referenceJson = reference ? JSON.stringify(reference) : d.row.reference_json;
    await trx.updateTable('deployments').set({ source: 'registered', reference_json: referenceJson }).where('id', '=', d.row.id).execute();
    await audit(trx, ctx, {
      orgId: scope.orgId,
      action: created ? 'deployment.registered' : 'deployment.updated',
      targetType: 'deployment',
      targetId: d.row.id,
      details: { model: `${input.org}/${input.model}`, version: d.versionName, ring: input.ring, environment: input.environment, reference: reference ? { ...reference, datasetId: undefined } : null, inRing: d.inRing },
    });
    const [view] = await deploymentViews(trx, [{ ...d.row, source: 'registered', reference_json: referenceJson }]);
    return { created, deployment: view! };
  });
}
