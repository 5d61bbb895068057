import { StewardError, type PiiReport } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { piiReportView } from './pii-report-rows.js';

/** The newest PII report of a dataset version. */
export async function getPiiReport({ ctx, input }: { ctx: ServiceContext; input: { org: string; name: string; version: string } }): Promise<PiiReport> {
  const scope = authorize(ctx, input.org, 'dataset.read');
  const d = await ctx.db.selectFrom('datasets').selectAll().where('org_id', '=', scope.orgId).where('name', '=', input.name).where('version', '=', input.version).executeTakeFirst();
  if (!d) throw new StewardError('not_found', `dataset ${input.name}@${input.version} not found`);
  const row = await ctx.db.selectFrom('dataset_pii_reports').selectAll().where('dataset_id', '=', d.id).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (!row) throw new StewardError('not_found', `dataset ${input.name}@${input.version} has no PII report; attach one with \`steward datasets pii\``);
  return piiReportView(row, input.org, d);
}
