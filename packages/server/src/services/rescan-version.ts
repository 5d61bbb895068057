import type { ScanStatus } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';
import { requestScan } from '../scanning/queue.js';
import { latestScan, scanStatusView } from '../scanning/scan-view.js';
import { findModel, resolveVersion } from './views.js';

/** Queues a new scan of a version against the org's current allowlist (e.g. after it changed). */
export async function rescanVersion({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; ref: string } }): Promise<ScanStatus> {
  const scope = authorize(ctx, input.org, 'version.rescan', { model: input.model });
  const status = await ctx.db.transaction().execute(async (trx) => {
    const model = await findModel(trx, scope.orgId, input.model);
    const version = await resolveVersion(trx, scope.orgId, model, input.ref);
    const scanId = await requestScan(trx, { versionId: version.id, orgId: scope.orgId, trigger: 'rescan', requestedBy: ctx.actor.userName, now: ctx.now().toISOString() });
    await audit(trx, ctx, { orgId: scope.orgId, action: 'version.rescan_requested', targetType: 'model_version', targetId: version.id, details: { model: `${input.org}/${input.model}`, version: version.version, scanId } });
    return scanStatusView((await latestScan(trx, version.id))!);
  });
  ctx.scans.wake();
  return status;
}
