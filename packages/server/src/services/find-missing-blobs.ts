import { authorize, type ServiceContext } from './context.js';
import { possessedDigests } from './blob-possession.js';

/** Which of these digests has this org not uploaded yet? Only those need sending. */
export async function findMissingBlobs({ ctx, input }: { ctx: ServiceContext; input: { org: string; digests: string[] } }): Promise<{ missing: string[] }> {
  const scope = authorize(ctx, input.org, 'blob.write');
  const wanted = [...new Set(input.digests)];
  const have = await possessedDigests(ctx.db, scope.orgId, wanted);
  return { missing: wanted.filter((d) => !have.has(d)) };
}
