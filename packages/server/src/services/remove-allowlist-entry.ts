import { StewardError } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';

export async function removeAllowlistEntry({ ctx, input }: { ctx: ServiceContext; input: { org: string; entry: string } }): Promise<{ entry: string; removed: true }> {
  const scope = authorize(ctx, input.org, 'scanner.configure');
  return ctx.db.transaction().execute(async (trx) => {
    const r = await trx.deleteFrom('scanner_allowlist').where('org_id', '=', scope.orgId).where('entry', '=', input.entry).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw new StewardError('not_found', `"${input.entry}" is not on the allowlist of org "${input.org}"`);
    await audit(trx, ctx, { orgId: scope.orgId, action: 'scanner.allowlist_removed', targetType: 'org', targetId: scope.orgId, details: { entry: input.entry } });
    return { entry: input.entry, removed: true as const };
  });
}
