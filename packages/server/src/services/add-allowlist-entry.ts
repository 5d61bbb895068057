import { type AllowlistEntry, StewardError } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';

/** Adds a pickle import (`module.name` or `module.*`) the org accepts as safe, with the reason. Rescan to apply. */
export async function addAllowlistEntry({ ctx, input }: { ctx: ServiceContext; input: { org: string; entry: string; reason: string } }): Promise<AllowlistEntry> {
  const scope = authorize(ctx, input.org, 'scanner.configure');
  return ctx.db.transaction().execute(async (trx) => {
    const exists = await trx.selectFrom('scanner_allowlist').select('entry').where('org_id', '=', scope.orgId).where('entry', '=', input.entry).executeTakeFirst();
    if (exists) throw new StewardError('conflict', `"${input.entry}" is already on the allowlist of org "${input.org}"`);
    const row = { org_id: scope.orgId, entry: input.entry, reason: input.reason, added_by: ctx.actor.userName, added_at: ctx.now().toISOString() };
    await trx.insertInto('scanner_allowlist').values(row).execute();
    await audit(trx, ctx, { orgId: scope.orgId, action: 'scanner.allowlist_added', targetType: 'org', targetId: scope.orgId, details: { entry: input.entry, reason: input.reason } });
    return { entry: row.entry, reason: row.reason, addedBy: row.added_by, addedAt: row.added_at };
  });
}
