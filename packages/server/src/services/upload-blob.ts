import type { Readable } from 'node:stream';
import { audit, authorize, type ServiceContext } from './context.js';

/**
 * Streams one blob into the store (re-hashed; a mismatch stores nothing) and records that the org
 * holds it. Upload is not a version change, so the audit event is small and per blob.
 */
export async function uploadBlob({ ctx, input }: { ctx: ServiceContext; input: { org: string; digest: string; size?: number | undefined; body: Readable } }): Promise<{ digest: string; size: number; created: boolean }> {
  const scope = authorize(ctx, input.org, 'blob.write');
  const info = await ctx.blobs.put({
    expectedDigest: input.digest,
    ...(input.size === undefined ? {} : { expectedSize: input.size }),
    maxBytes: ctx.config.maxBlobBytes,
    body: input.body,
  });
  return ctx.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('blob_possessions').select('digest').where('org_id', '=', scope.orgId).where('digest', '=', info.digest).executeTakeFirst();
    if (existing) return { digest: info.digest, size: info.size, created: false };
    await trx
      .insertInto('blob_possessions')
      .values({ org_id: scope.orgId, digest: info.digest, size: info.size, created_at: ctx.now().toISOString() })
      .onConflict((oc) => oc.doNothing())
      .execute();
    await audit(trx, ctx, { orgId: scope.orgId, action: 'blob.uploaded', targetType: 'blob', targetId: info.digest, details: { size: info.size } });
    return { digest: info.digest, size: info.size, created: true };
  });
}
