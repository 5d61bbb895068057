import { StewardError, type PiiReport, type PiiReportBodySchema } from '@steward/domain';
import type { z } from 'zod';
import { authorize, type ServiceContext } from './context.js';
import { checkPiiKinds, insertPiiReport } from './pii-report-rows.js';

/** Attaches a `steward pii` report to a registered dataset version; the newest report is the one policies read. */
export async function attachPiiReport({ ctx, input }: { ctx: ServiceContext; input: { org: string; name: string; version: string; body: z.infer<typeof PiiReportBodySchema> } }): Promise<PiiReport> {
  const scope = authorize(ctx, input.org, 'dataset.register');
  checkPiiKinds(input.body, 'body');
  return ctx.db.transaction().execute(async (trx) => {
    const d = await trx.selectFrom('datasets').selectAll().where('org_id', '=', scope.orgId).where('name', '=', input.name).where('version', '=', input.version).executeTakeFirst();
    if (!d) throw new StewardError('not_found', `dataset ${input.name}@${input.version} not found`);
    return insertPiiReport(trx, ctx, input.org, d, input.body);
  });
}
