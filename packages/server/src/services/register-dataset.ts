import { type Dataset, type RegisterDatasetWithPiiBody, StewardError } from '@steward/domain';
import { checkPiiKinds, insertPiiReport } from './pii-report-rows.js';
import { audit, authorize, isUniqueViolation, newId, type ServiceContext } from './context.js';
import { possessedDigests } from './blob-possession.js';
import { datasetView } from './dataset-view.js';

/**
 * Registers an immutable dataset version: where it came from, its license, the script that
 * transformed it (uploaded as a blob first, kept by digest), who approved it and how sensitive it is.
 */
export async function registerDataset({ ctx, input }: { ctx: ServiceContext; input: { org: string; body: RegisterDatasetWithPiiBody } }): Promise<{ created: boolean; dataset: Dataset }> {
  const scope = authorize(ctx, input.org, 'dataset.register');
  const b = input.body;
  if (b.piiReport) checkPiiKinds(b.piiReport, 'piiReport');
  let approverId: string | null = null;
  if (b.approvedBy !== undefined) {
    const approver = await ctx.db
      .selectFrom('users as u')
      .innerJoin('org_members as m', 'm.user_id', 'u.id')
      .select('u.id')
      .where('u.name', '=', b.approvedBy)
      .where('m.org_id', '=', scope.orgId)
      .executeTakeFirst();
    if (!approver) throw new StewardError('bad_request', `approvedBy: user "${b.approvedBy}" is not a member of org "${input.org}"`, { field: 'approvedBy' });
    approverId = approver.id;
  }
  if (b.transformScript) {
    const have = await possessedDigests(ctx.db, scope.orgId, [b.transformScript.sha256]);
    const size = have.get(b.transformScript.sha256);
    if (size === undefined) throw new StewardError('bad_request', `transformScript: blob sha256:${b.transformScript.sha256} has not been uploaded`, { field: 'transformScript.sha256' });
    if (size !== b.transformScript.size) throw new StewardError('digest_mismatch', `transformScript: declared size ${b.transformScript.size} but the blob has ${size} bytes`, { field: 'transformScript.size' });
  }
  const row = {
    id: newId(),
    org_id: scope.orgId,
    name: b.name,
    version: b.version,
    source_uri: b.sourceUri,
    license: b.license,
    transform_script_name: b.transformScript?.name ?? null,
    transform_script_sha256: b.transformScript?.sha256 ?? null,
    transform_script_size: b.transformScript?.size ?? null,
    approved_by_user_id: approverId,
    sensitivity: b.sensitivity,
    digest: b.digest ?? null,
    description: b.description ?? '',
    created_at: ctx.now().toISOString(),
    created_by: ctx.actor.userName,
  };
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('datasets').selectAll().where('org_id', '=', scope.orgId).where('name', '=', b.name).where('version', '=', b.version).executeTakeFirst();
      if (existing) {
        const same =
          existing.source_uri === row.source_uri &&
          existing.license === row.license &&
          existing.transform_script_sha256 === row.transform_script_sha256 &&
          existing.approved_by_user_id === row.approved_by_user_id &&
          existing.sensitivity === row.sensitivity &&
          existing.digest === row.digest;
        if (!same) throw new StewardError('version_exists', `dataset ${b.name}@${b.version} is already registered with different details; dataset versions are immutable`);
        // A report is an observation about the data, not part of its identity: attach it anyway.
        if (b.piiReport) await insertPiiReport(trx, ctx, input.org, existing, b.piiReport);
        return { created: false, dataset: await datasetView(trx, input.org, existing) };
      }
      await trx.insertInto('datasets').values(row).execute();
      await audit(trx, ctx, {
        orgId: scope.orgId,
        action: 'dataset.registered',
        targetType: 'dataset',
        targetId: row.id,
        details: { dataset: `${b.name}@${b.version}`, sourceUri: b.sourceUri, license: b.license, sensitivity: b.sensitivity, approvedBy: b.approvedBy ?? null, transformScript: b.transformScript ?? null, digest: b.digest ?? null },
      });
      if (b.piiReport) await insertPiiReport(trx, ctx, input.org, row, b.piiReport);
      return { created: true, dataset: await datasetView(trx, input.org, row) };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new StewardError('conflict', `dataset ${b.name}@${b.version} was registered concurrently; retry`);
    throw err;
  }
}
