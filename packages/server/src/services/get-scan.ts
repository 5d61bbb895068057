import { StewardError, type ScanStatus } from '@steward/domain';
import { authorize, parseJson, type ServiceContext } from './context.js';
import { latestScan, scanStatusView } from '../scanning/scan-view.js';
import { findModel, resolveVersion } from './views.js';

/** The newest scan of a version with its full report (or a specific scan by id). */
export async function getScan({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; ref: string; scanId?: string | undefined } }): Promise<ScanStatus & { report: Record<string, unknown> | null }> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  const model = await findModel(ctx.db, scope.orgId, input.model);
  const version = await resolveVersion(ctx.db, scope.orgId, model, input.ref);
  const row = input.scanId
    ? await ctx.db.selectFrom('scan_reports').selectAll().where('version_id', '=', version.id).where('id', '=', input.scanId).executeTakeFirst()
    : await latestScan(ctx.db, version.id);
  if (!row) throw new StewardError('not_found', `no scan of ${input.model}@${version.version}${input.scanId ? ` with id ${input.scanId}` : ''}`);
  return { ...scanStatusView(row), report: parseJson(row.report_json, null) };
}
